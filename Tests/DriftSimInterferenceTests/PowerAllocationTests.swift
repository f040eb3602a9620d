import Foundation
import DriftSimNumerics
import Testing

@testable import DriftSimInterference

@Suite("Per-slot power allocation")
struct PowerAllocationTests {
  /// f_k(p) = w κ ln(1 + p g_kk / (1 + I_k)) − p (Σ_{j≠k} m_j g_jk + γ), maximised over [0, p_up] by
  /// golden-section search (f is concave in p): an independent check of the closed-form best response.
  func bruteForceBestResponse(
    _ k: Int, power: [Double], gains: [Double], weights: [Double], bits: [Double], kappa: Double, gamma: Double,
    bitsPerLog2: Double
  ) -> Double {
    let n = power.count
    guard bits[k] > 0 else { return 0 }
    func interference(_ i: Int) -> Double { (0..<n).filter { $0 != i }.map { power[$0] * gains[i * n + $0] }.reduce(0, +) }
    func message(_ j: Int) -> Double {
      let i = interference(j)
      let signal = power[j] * gains[j * n + j]
      return weights[j] * kappa * (signal / (1 + i)) / (1 + i + signal)
    }
    let price = gamma + (0..<n).filter { $0 != k }.map { message($0) * gains[$0 * n + k] }.reduce(0, +)
    let ik = interference(k)
    let cap = (pow(2, bits[k] / bitsPerLog2) - 1) * (1 + ik) / gains[k * n + k]
    func f(_ p: Double) -> Double { weights[k] * kappa * log(1 + p * gains[k * n + k] / (1 + ik)) - p * price }
    var a = 0.0, b = min(cap, 1e6)
    let ratio = (5.0.squareRoot() - 1) / 2
    for _ in 0..<200 {
      let c = b - ratio * (b - a), d = a + ratio * (b - a)
      if f(c) >= f(d) { b = d } else { a = c }
    }
    return (a + b) / 2
  }

  @Test("converged powers are mutual best responses (a Nash point), simultaneous and sequential",
    arguments: [PowerUpdate.simultaneous, .sequential])
  func nashPoint(update: PowerUpdate) {
    var random = RandomStream(seed: 21, stream: StreamID(4))
    let n = 4
    var allocator = PowerAllocator(pairs: n)
    var checked = 0
    for _ in 0..<200 {
      let gains = (0..<(n * n)).map { i in (i / n == i % n ? 1 : 0.1) * random.rayleighPowerGain() }
      let weights = (0..<n).map { _ in 0.2 + 3 * random.uniformOpen() }
      let bits = (0..<n).map { _ in random.uniformOpen() < 0.2 ? 0 : 60_000 * random.uniformOpen() }
      let outcome = gains.withUnsafeBufferPointer { g in
        weights.withUnsafeBufferPointer { w in
          bits.withUnsafeBufferPointer { b in
            allocator.waterFill(
              gains: g, weights: w, bits: b, kappa: 2.4, gamma: 0.3, bitsPerLog2: 5000, tolerance: 1e-12,
              maxIterations: 2000, update: update, interferenceFree: false)
          }
        }
      }
      guard outcome.converged else { continue }
      checked += 1
      for k in 0..<n {
        let best = bruteForceBestResponse(
          k, power: allocator.power, gains: gains, weights: weights, bits: bits, kappa: 2.4, gamma: 0.3, bitsPerLog2: 5000)
        #expect(abs(best - allocator.power[k]) <= 1e-6 * max(1, best), "pair \(k): \(allocator.power[k]) vs \(best)")
      }
    }
    #expect(checked > 150)
  }

  @Test("no interference: one-step water-filling equals the iteration")
  func interferenceFree() {
    let gains = [0.7, 0, 0, 0, 2.0, 0, 0, 0, 0.01]
    let weights = [1.0, 3.0, 1.0]
    let bits = [40_000.0, 1_000.0, 5_000.0]
    var direct = PowerAllocator(pairs: 3), iterated = PowerAllocator(pairs: 3)
    gains.withUnsafeBufferPointer { g in
      weights.withUnsafeBufferPointer { w in
        bits.withUnsafeBufferPointer { b in
          _ = direct.waterFill(gains: g, weights: w, bits: b, kappa: 2.4, gamma: 1, bitsPerLog2: 5000, tolerance: 1e-12, maxIterations: 100, update: .simultaneous, interferenceFree: true)
          _ = iterated.waterFill(gains: g, weights: w, bits: b, kappa: 2.4, gamma: 1, bitsPerLog2: 5000, tolerance: 1e-12, maxIterations: 100, update: .simultaneous, interferenceFree: false)
        }
      }
    }
    #expect(direct.power == iterated.power)
    // Pair 0: level 2.4 − 1/0.7; pair 1: capped so the slot carries exactly its 1000 bits; pair 2: below the water.
    #expect(abs(direct.power[0] - (2.4 - 1 / 0.7)) < 1e-15)
    #expect(abs(5000 * log2(1 + direct.power[1] * 2) - 1000) < 1e-9)
    #expect(direct.power[2] == 0)
  }

  @Test("TDMA: the strongest non-empty pair sends alone")
  func tdma() {
    let gains = [0.5, 0.1, 0.1, 0.1, 3.0, 0.1, 0.1, 0.1, 1.0]
    var allocator = PowerAllocator(pairs: 3)
    let chosen = gains.withUnsafeBufferPointer { g in
      [1e5, 0, 1e5].withUnsafeBufferPointer { b in allocator.orthogonal(gains: g, bits: b, kappa: 2.4, gamma: 0.5, bitsPerLog2: 5000) }
    }
    #expect(chosen == 2)
    #expect(allocator.power[0] == 0 && allocator.power[1] == 0 && abs(allocator.power[2] - (4.8 - 1)) < 1e-15)
    let none = gains.withUnsafeBufferPointer { g in
      [0.0, 0, 0].withUnsafeBufferPointer { b in allocator.orthogonal(gains: g, bits: b, kappa: 2.4, gamma: 0.5, bitsPerLog2: 5000) }
    }
    #expect(none == nil && allocator.power == [0, 0, 0])
  }
}
