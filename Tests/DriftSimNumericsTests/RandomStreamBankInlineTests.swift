import CDriftSimGSL
import Testing

@testable import DriftSimNumerics

@Suite("Random stream banks: inline taus2")
struct RandomStreamBankInlineTests {
  /// The bank steps GSL's taus2 state itself; its outputs must equal GSL's own calls bit for bit,
  /// on a clone of the same generator, over many draws, and its exponentials must be the ziggurat
  /// on GSL's outputs.
  @Test("raw outputs, uniforms and ziggurat exponentials equal those from GSL's own taus2 calls")
  func matchesGSL() {
    let ids = [StreamID(3, 0), StreamID(3, 4)]
    let bank = RandomStreamBank(seed: 2026, streams: ids)
    #expect(bank.taus2States != nil)
    for (i, _) in ids.enumerated() {
      guard let clone = gsl_rng_clone(bank.generators[i]) else {
        Issue.record("gsl_rng_clone failed")
        return
      }
      defer { gsl_rng_free(clone) }
      var mismatches = 0
      for n in 0..<200_000 {
        switch n % 4 {
        case 0:
          let expected = 30_000 * referenceZiggurat { UInt32(truncatingIfNeeded: gsl_rng_get(clone)) }
          if bank.exponential(i, mean: 30_000) != expected { mismatches += 1 }
        case 1:
          if bank.rayleighPowerGain(i) != referenceZiggurat({ UInt32(truncatingIfNeeded: gsl_rng_get(clone)) }) { mismatches += 1 }
        case 2: if bank.nextRaw(i) != UInt32(truncatingIfNeeded: gsl_rng_get(clone)) { mismatches += 1 }
        default: if bank.uniform(i) != gsl_rng_uniform(clone) { mismatches += 1 }
        }
      }
      #expect(mismatches == 0)
    }
  }

  @Test("other generators go through GSL and still match RandomStream")
  func otherGenerators() {
    let bank = RandomStreamBank(seed: 5, streams: [StreamID(1)], generator: .mt19937)
    #expect(bank.taus2States == nil)
    var single = RandomStream(seed: 5, stream: StreamID(1), generator: .mt19937)
    for _ in 0..<1000 { #expect(bank.exponential(0, mean: 2) == 2 * referenceZiggurat { single.nextRaw() }) }
  }

  @Test("fillRayleighPowerGains draws what repeated rayleighPowerGain draws")
  func fill() {
    let a = RandomStreamBank(seed: 8, streams: [StreamID(2)]), b = a.copy()
    var buffer = [Double](repeating: 0, count: 37)
    buffer.withUnsafeMutableBufferPointer { a.fillRayleighPowerGains(0, $0) }
    #expect(buffer == (0..<37).map { _ in b.rayleighPowerGain(0) })
  }

  @Test("fillScaledRayleighPowerGains scatters what a loop of scaled rayleighPowerGain draws, slow paths included",
        arguments: [RandomGenerator.taus2, .mt19937])
  func scaledScatter(generator: RandomGenerator) {
    let streams = 4, positions = 16
    let a = RandomStreamBank(seed: 9, streams: (0..<streams).map { StreamID(3, UInt64($0)) }, generator: generator)
    let b = a.copy()
    // Stream r writes positions r·4 … r·4 + 3 except those ≡ 3 (mod 7); stream 2 draws nothing.
    var links: [Int] = [], ends: [Int] = []
    for r in 0..<streams {
      if r != 2 { links += (4 * r..<4 * r + 4).filter { $0 % 7 != 3 } }
      ends.append(links.count)
    }
    let scales = (0..<positions).map { 0.1 + Double($0) }
    var output = [Double](repeating: -1, count: positions)
    var expected = output
    var mismatches = 0
    // 5 000 rounds × 9 draws: ≈ 1 000 take the ziggurat's slow path (wedge, rejection or tail).
    for _ in 0..<5000 {
      links.withUnsafeBufferPointer { l in
        ends.withUnsafeBufferPointer { e in
          scales.withUnsafeBufferPointer { s in
            output.withUnsafeMutableBufferPointer {
              a.fillScaledRayleighPowerGains(
                streams: streams, links: l.baseAddress!, streamEnds: e.baseAddress!, scales: s.baseAddress!,
                into: $0.baseAddress!)
            }
          }
        }
      }
      var link = 0
      for r in 0..<streams {
        while link < ends[r] {
          expected[links[link]] = scales[links[link]] * b.rayleighPowerGain(r)
          link += 1
        }
      }
      if output.map(\.bitPattern) != expected.map(\.bitPattern) { mismatches += 1 }
    }
    #expect(mismatches == 0)
    // The states were written back: the next single draws agree too.
    for r in 0..<streams { #expect(a.nextRaw(r) == b.nextRaw(r)) }
    #expect(output[3] == -1 && output[8] == -1 && output[10] == -1, "positions outside `links` are left alone")
  }
}
