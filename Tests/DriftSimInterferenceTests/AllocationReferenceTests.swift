import Foundation
import DriftSimNumerics
import Testing

@testable import DriftSimInterference

/// The allocation as it was before the O(K²) Gauss–Seidel and the skipped expm1 (kept verbatim as
/// the reference): every pair of a sequential sweep recomputes all interference and messages
/// (O(K³) per sweep), and the single-user cap is always evaluated.
struct ReferenceAllocator {
  let k: Int
  var power: [Double]
  var sinr: [Double]
  var interference: [Double]
  var message: [Double]
  init(pairs: Int) {
    k = pairs
    power = Array(repeating: 0, count: pairs)
    sinr = power
    interference = power
    message = power
  }

  mutating func waterFill(
    gains: [Double], weights: [Double], bits: [Double], kappa: Double, gamma: Double, bitsPerLog2: Double,
    tolerance: Double, maxIterations: Int, update: PowerUpdate, interferenceFree: Bool
  ) -> PowerAllocator.Outcome {
    if interferenceFree {
      for i in 0..<k {
        let g = gains[i * k + i]
        if bits[i] > 0 {
          let level = weights[i] * kappa / gamma
          let cap = PowerAllocator.powerCap(bits: bits[i], bitsPerLog2: bitsPerLog2, interference: 0, directGain: g)
          power[i] = min(max(level - 1 / g, 0), cap)
        } else {
          power[i] = 0
        }
        sinr[i] = power[i] * g
      }
      return .init(iterations: 1, converged: true)
    }
    var inverse = [Double](repeating: 0, count: k), capFactor = inverse, waterWeight = inverse
    for i in 0..<k {
      power[i] = 0
      inverse[i] = 1 / gains[i * k + i]
      capFactor[i] = bits[i] > 0 ? expm1(bits[i] / bitsPerLog2 * M_LN2) * inverse[i] : 0
      waterWeight[i] = bits[i] > 0 ? weights[i] * kappa : 0
    }
    func compute() {
      for i in 0..<k {
        var total = 0.0
        for j in 0..<k { total += power[j] * gains[i * k + j] }
        let signal = power[i] * gains[i * k + i]
        interference[i] = total - signal
        let npi = 1 + interference[i]
        message[i] = waterWeight[i] * signal / (npi * (npi + signal))
      }
    }
    func best(_ i: Int) -> Double {
      guard waterWeight[i] > 0 else { return 0 }
      var price = gamma - message[i] * gains[i * k + i]
      for j in 0..<k { price += message[j] * gains[j * k + i] }
      let npi = 1 + interference[i]
      return min(max(waterWeight[i] / price - npi * inverse[i], 0), capFactor[i] * npi)
    }
    var iterations = 0, converged = false
    while iterations < maxIterations {
      iterations += 1
      var converging = true
      switch update {
      case .simultaneous:
        compute()
        let next = (0..<k).map(best)
        for i in 0..<k {
          if abs(next[i] - power[i]) > tolerance * max(1, next[i]) { converging = false }
          power[i] = next[i]
        }
      case .sequential:
        for i in 0..<k {
          compute()
          let p = best(i)
          if abs(p - power[i]) > tolerance * max(1, p) { converging = false }
          power[i] = p
        }
      }
      if converging {
        converged = true
        break
      }
    }
    compute()
    for i in 0..<k { sinr[i] = power[i] * gains[i * k + i] / (1 + interference[i]) }
    return .init(iterations: iterations, converged: converged)
  }
}

@Suite("Power allocation against the pre-optimisation reference")
struct AllocationReferenceTests {
  func instance(_ random: inout RandomStream, pairs n: Int, cross: Double) -> (gains: [Double], weights: [Double], bits: [Double]) {
    let gains = (0..<(n * n)).map { i in (i / n == i % n ? 1 : cross) * random.rayleighPowerGain() }
    let weights = (0..<n).map { _ in 0.2 + 3 * random.uniformOpen() }
    // Small queues too, so that the power cap binds in a good share of the cases.
    let bits = (0..<n).map { _ in random.uniformOpen() < 0.2 ? 0 : (random.uniformOpen() < 0.5 ? 3000 : 60_000) * random.uniformOpen() }
    return (gains, weights, bits)
  }

  @Test("O(K²) sequential sweep gives the O(K³) sweep's powers up to rounding", arguments: [2, 5, 10, 24])
  func sequential(pairs n: Int) {
    var random = RandomStream(seed: UInt64(40 + n), stream: StreamID(11))
    let allocator = PowerAllocator(pairs: n)
    var reference = ReferenceAllocator(pairs: n)
    var compared = 0
    for _ in 0..<150 {
      let (gains, weights, bits) = instance(&random, pairs: n, cross: 0.1)
      let outcome = gains.withUnsafeBufferPointer { g in
        weights.withUnsafeBufferPointer { w in
          bits.withUnsafeBufferPointer { b in
            allocator.waterFill(gains: g, weights: w, bits: b, kappa: 2.4, gamma: 0.3, bitsPerLog2: 5000, tolerance: 1e-12,
                                maxIterations: 500, update: .sequential, interferenceFree: false)
          }
        }
      }
      let expected = reference.waterFill(gains: gains, weights: weights, bits: bits, kappa: 2.4, gamma: 0.3, bitsPerLog2: 5000,
                                         tolerance: 1e-12, maxIterations: 500, update: .sequential, interferenceFree: false)
      guard outcome.converged && expected.converged else { continue }
      compared += 1
      // Both converged to 1e-12; the fixed point is the same, so powers agree to ~1e-10 relative.
      for i in 0..<n {
        let a = allocator.power[i], b = reference.power[i]
        #expect(abs(a - b) <= 1e-9 * max(1, abs(b)), "pair \(i): \(a) vs \(b)")
        #expect(abs(allocator.sinr[i] - reference.sinr[i]) <= 1e-9 * max(1, reference.sinr[i]))
      }
      #expect(abs(outcome.iterations - expected.iterations) <= 1)
    }
    #expect(compared > 100)
  }

  @Test("simultaneous updates are unchanged bit for bit")
  func simultaneous() {
    var random = RandomStream(seed: 77, stream: StreamID(12))
    let allocator = PowerAllocator(pairs: 5)
    var reference = ReferenceAllocator(pairs: 5)
    for _ in 0..<300 {
      let (gains, weights, bits) = instance(&random, pairs: 5, cross: 0.1)
      let outcome = gains.withUnsafeBufferPointer { g in
        weights.withUnsafeBufferPointer { w in
          bits.withUnsafeBufferPointer { b in
            allocator.waterFill(gains: g, weights: w, bits: b, kappa: 2.4, gamma: 0.05, bitsPerLog2: 5000, tolerance: 1e-9,
                                maxIterations: 200, update: .simultaneous, interferenceFree: false)
          }
        }
      }
      let expected = reference.waterFill(gains: gains, weights: weights, bits: bits, kappa: 2.4, gamma: 0.05, bitsPerLog2: 5000,
                                         tolerance: 1e-9, maxIterations: 200, update: .simultaneous, interferenceFree: false)
      #expect(outcome == expected)
      #expect(allocator.power == reference.power)
      #expect(allocator.sinr == reference.sinr)
    }
  }

  /// The skipped expm1 must not change a single bit: compare with the always-evaluated cap on
  /// random instances and on instances placed right at the boundary x = candidate · g.
  @Test("interference-free and TDMA allocations are unchanged bit for bit")
  func singleUser() {
    var random = RandomStream(seed: 78, stream: StreamID(13))
    let n = 5
    let allocator = PowerAllocator(pairs: n)
    var reference = ReferenceAllocator(pairs: n)
    var capBound = 0
    for trial in 0..<20_000 {
      var (gains, weights, bits) = instance(&random, pairs: n, cross: 0)
      if trial % 2 == 1 {
        // Queues at the cap boundary: bits with x = bits ln2 / 5000 ≈ candidate · g (± a few ulps).
        for i in 0..<n {
          let g = gains[i * n + i], candidate = max(weights[i] * 2.4 / 0.3 - 1 / g, 0)
          let wiggle = 1 + Double(Int(random.nextRaw() % 9) - 4) * 1e-16
          bits[i] = candidate * g * 5000 / M_LN2 * wiggle
        }
      }
      gains.withUnsafeBufferPointer { g in
        weights.withUnsafeBufferPointer { w in
          bits.withUnsafeBufferPointer { b in
            _ = allocator.waterFill(gains: g, weights: w, bits: b, kappa: 2.4, gamma: 0.3, bitsPerLog2: 5000, tolerance: 1e-9,
                                    maxIterations: 200, update: .simultaneous, interferenceFree: true)
          }
        }
      }
      _ = reference.waterFill(gains: gains, weights: weights, bits: bits, kappa: 2.4, gamma: 0.3, bitsPerLog2: 5000,
                              tolerance: 1e-9, maxIterations: 200, update: .simultaneous, interferenceFree: true)
      #expect(allocator.power == reference.power)
      for i in 0..<n where bits[i] > 0 {
        let g = gains[i * n + i]
        if reference.power[i] < max(weights[i] * 2.4 / 0.3 - 1 / g, 0) { capBound += 1 }
      }
      // TDMA: the best non-empty pair's single-user power, always-evaluated cap as reference.
      let sent = gains.withUnsafeBufferPointer { g in
        bits.withUnsafeBufferPointer { b in allocator.orthogonal(gains: g, bits: b, kappa: 2.4, gamma: 0.3, bitsPerLog2: 5000) }
      }
      if let i = sent {
        let g = gains[i * n + i]
        let cap = PowerAllocator.powerCap(bits: bits[i], bitsPerLog2: 5000, interference: 0, directGain: g)
        #expect(allocator.power[i] == min(max(2.4 / 0.3 - 1 / g, 0), cap))
      }
    }
    #expect(capBound > 1000)
  }
}
