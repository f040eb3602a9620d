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
}
