import Foundation
import DriftSimNumerics
import Testing

@testable import DriftSimInterference

/// Algorithm 3 over all K × K pairs exactly as `PowerAllocator.waterFill` computed it before the
/// iteration was restricted to the active pairs (kept verbatim as the reference): every pair takes
/// part, empty queues and non-positive weights with water weight 0; the sequential sweep updates
/// Σ_j p_j g_kj in O(K) after each change.
struct FullMatrixAllocator {
  let k: Int
  var power: [Double]
  var sinr: [Double]
  init(pairs: Int) {
    k = pairs
    power = Array(repeating: 0, count: pairs)
    sinr = power
  }

  mutating func waterFill(
    gains: [Double], weights: [Double], bits: [Double], kappa: Double, gamma: Double, bitsPerLog2: Double,
    tolerance: Double, maxIterations: Int, update: PowerUpdate
  ) -> PowerAllocator.Outcome {
    var next = [Double](repeating: 0, count: k), interference = next, message = next, received = next
    var capFactor = next, inverseDirectGain = next, waterWeight = next
    for i in 0..<k {
      power[i] = 0
      inverseDirectGain[i] = 1 / gains[i * k + i]
      capFactor[i] = bits[i] > 0 ? expm1(bits[i] / bitsPerLog2 * M_LN2) * inverseDirectGain[i] : 0
      waterWeight[i] = bits[i] > 0 ? weights[i] * kappa : 0
    }
    func computeInterferenceAndMessages() {
      for i in 0..<k {
        var total = 0.0
        for j in 0..<k { total += power[j] * gains[i * k + j] }
        received[i] = total
        let signal = power[i] * gains[i * k + i]
        let sum = total - signal
        interference[i] = sum
        let npi = 1 + sum
        message[i] = waterWeight[i] * signal / (npi * (npi + signal))
      }
    }
    func updateInterferenceAndMessages(changedPair i: Int, delta: Double) {
      for r in 0..<k {
        let total = received[r] + delta * gains[r * k + i]
        received[r] = total
        let signal = power[r] * gains[r * k + r]
        let sum = total - signal
        interference[r] = sum
        let npi = 1 + sum
        message[r] = waterWeight[r] * signal / (npi * (npi + signal))
      }
    }
    func bestResponse(_ i: Int) -> Double {
      guard waterWeight[i] > 0 else { return 0 }
      var price = gamma - message[i] * gains[i * k + i]
      for j in 0..<k { price += message[j] * gains[j * k + i] }
      let npi = 1 + interference[i]
      let p = max(waterWeight[i] / price - npi * inverseDirectGain[i], 0)
      return min(p, capFactor[i] * npi)
    }
    var iterations = 0, converged = false
    while iterations < maxIterations {
      iterations += 1
      var converging = true
      switch update {
      case .simultaneous:
        computeInterferenceAndMessages()
        for i in 0..<k { next[i] = bestResponse(i) }
        for i in 0..<k {
          if abs(next[i] - power[i]) > tolerance * max(1, next[i]) { converging = false }
          power[i] = next[i]
        }
      case .sequential:
        computeInterferenceAndMessages()
        for i in 0..<k {
          let p = bestResponse(i)
          let old = power[i]
          if abs(p - old) > tolerance * max(1, p) { converging = false }
          power[i] = p
          let delta = p - old
          if delta != 0 { updateInterferenceAndMessages(changedPair: i, delta: delta) }
        }
      }
      if converging {
        converged = true
        break
      }
    }
    computeInterferenceAndMessages()
    for i in 0..<k { sinr[i] = power[i] * gains[i * k + i] / (1 + interference[i]) }
    return .init(iterations: iterations, converged: converged)
  }
}

@Suite("Algorithm 3 over the active pairs only")
struct ActivePairAllocationTests {
  /// Random slots with many silent pairs: empty queues (as in most slots of the paper preset), zero
  /// and negative weights with bits queued (qwto's weight at an empty epoch start, a table's), and
  /// queues small enough for the cap to bind.
  func instance(_ random: inout RandomStream, pairs n: Int, cross: Double, emptyShare: Double)
    -> (gains: [Double], weights: [Double], bits: [Double])
  {
    let gains = (0..<(n * n)).map { i in (i / n == i % n ? 1 : cross) * random.rayleighPowerGain() }
    let weights = (0..<n).map { _ -> Double in
      let u = random.uniformOpen()
      return u < 0.1 ? 0 : (u < 0.15 ? -1 : 0.2 + 3 * random.uniformOpen())
    }
    let bits = (0..<n).map { _ in
      random.uniformOpen() < emptyShare ? 0 : (random.uniformOpen() < 0.5 ? 3000 : 60_000) * random.uniformOpen()
    }
    return (gains, weights, bits)
  }

  /// One slot allocated by `allocator` and by the full-matrix `reference`, with this suite's
  /// κ = 2.4, γ = 0.05, 5 000 bits per log2 and tolerance 1e-9.
  func allocateBoth(
    _ allocator: PowerAllocator, _ reference: inout FullMatrixAllocator, gains: [Double], weights: [Double],
    bits: [Double], maxIterations: Int, update: PowerUpdate
  ) -> (outcome: PowerAllocator.Outcome, expected: PowerAllocator.Outcome) {
    let outcome = gains.withUnsafeBufferPointer { g in
      weights.withUnsafeBufferPointer { w in
        bits.withUnsafeBufferPointer { b in
          allocator.waterFill(gains: g, weights: w, bits: b, kappa: 2.4, gamma: 0.05, bitsPerLog2: 5000, tolerance: 1e-9,
                              maxIterations: maxIterations, update: update, interferenceFree: false)
        }
      }
    }
    let expected = reference.waterFill(gains: gains, weights: weights, bits: bits, kappa: 2.4, gamma: 0.05,
                                       bitsPerLog2: 5000, tolerance: 1e-9, maxIterations: maxIterations, update: update)
    return (outcome, expected)
  }

  @Test("powers, SINRs and iteration counts equal the full K × K iteration bit for bit",
        arguments: [(PowerUpdate.simultaneous, 1), (.simultaneous, 2), (.simultaneous, 3), (.simultaneous, 5),
                    (.simultaneous, 7), (.simultaneous, 10), (.simultaneous, 24),
                    (.sequential, 2), (.sequential, 5), (.sequential, 10), (.sequential, 24)])
  func bitIdentical(update: PowerUpdate, pairs n: Int) {
    var random = RandomStream(seed: UInt64(90 + n), stream: StreamID(14, update == .sequential ? 1 : 0))
    let allocator = PowerAllocator(pairs: n)
    var reference = FullMatrixAllocator(pairs: n)
    var activeCounts = Set<Int>()
    for trial in 0..<400 {
      let emptyShare = [0.0, 0.3, 0.6, 0.9][trial % 4]
      let cross = trial % 3 == 0 ? 0.5 : 0.1
      let (gains, weights, bits) = instance(&random, pairs: n, cross: cross, emptyShare: emptyShare)
      let (outcome, expected) = allocateBoth(
        allocator, &reference, gains: gains, weights: weights, bits: bits, maxIterations: 200, update: update)
      #expect(outcome == expected, "trial \(trial)")
      #expect(allocator.power.map(\.bitPattern) == reference.power.map(\.bitPattern), "trial \(trial)")
      #expect(allocator.sinr.map(\.bitPattern) == reference.sinr.map(\.bitPattern), "trial \(trial)")
      activeCounts.insert((0..<n).filter { bits[$0] > 0 && weights[$0] > 0 }.count)
    }
    // The instances cover no active pair, a single one and several.
    #expect(activeCounts.contains(0) && activeCounts.contains(1) && (n == 1 || activeCounts.contains { $0 >= 2 }))
  }

  @Test("a NaN weight poisons the allocation exactly as in the full iteration", arguments: [PowerUpdate.simultaneous, .sequential])
  func nanWeight(update: PowerUpdate) {
    let n = 5
    let allocator = PowerAllocator(pairs: n)
    var reference = FullMatrixAllocator(pairs: n)
    var random = RandomStream(seed: 6, stream: StreamID(16))
    let gains = (0..<(n * n)).map { i in (i / n == i % n ? 1 : 0.2) * random.rayleighPowerGain() }
    let weights = [1.0, .nan, 1, 0, 2]
    let bits = [5000.0, 8000, 1000, 20000, 400]
    let (outcome, expected) = allocateBoth(
      allocator, &reference, gains: gains, weights: weights, bits: bits, maxIterations: 50, update: update)
    #expect(outcome == expected)
    #expect(allocator.power.map(\.isNaN) == reference.power.map(\.isNaN))
    // A silent pair (weight 0) keeps SINR 0 here, where the full form divides its 0 signal by a
    // NaN interference; every pair that takes part matches.
    for i in 0..<n where weights[i] != 0 { #expect(allocator.sinr[i].isNaN == reference.sinr[i].isNaN) }
    #expect(allocator.sinr[3] == 0 && reference.sinr[3].isNaN)
    #expect(allocator.sinr.contains { $0.isNaN }, "the NaN weight reaches the other pairs' SINR through its message")
    for i in 0..<n where !allocator.power[i].isNaN {
      #expect(allocator.power[i].bitPattern == reference.power[i].bitPattern)
    }
  }

  @Test("a reused allocator forgets the previous slot's active set")
  func reuse() {
    let n = 4
    let allocator = PowerAllocator(pairs: n)
    var reference = FullMatrixAllocator(pairs: n)
    var random = RandomStream(seed: 5, stream: StreamID(15))
    let gains = (0..<(n * n)).map { i in (i / n == i % n ? 1 : 0.2) * random.rayleighPowerGain() }
    for bits in [[5000.0, 8000, 1000, 20000], [0, 8000, 0, 0], [0, 0, 0, 0], [3000, 0, 0, 7000]] {
      let weights = [1.0, 1, 1, 1]
      let (outcome, expected) = allocateBoth(
        allocator, &reference, gains: gains, weights: weights, bits: bits, maxIterations: 200, update: .simultaneous)
      #expect(outcome == expected)
      #expect(allocator.power == reference.power)
      #expect(allocator.sinr == reference.sinr)
      for i in 0..<n where bits[i] == 0 { #expect(allocator.power[i] == 0 && allocator.sinr[i] == 0) }
    }
  }
}
