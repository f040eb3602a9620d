import CDriftSimGSL
import Testing

@testable import DriftSimNumerics

@Suite("Random stream banks: inline taus2")
struct RandomStreamBankInlineTests {
  /// The bank steps GSL's taus2 state itself; its draws must equal GSL's own calls bit for bit,
  /// on a clone of the same generator, over many draws (all of 2^-32's resolution is exercised).
  @Test("exponential and uniform equal gsl_ran_exponential and gsl_rng_uniform bit for bit")
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
        switch n % 3 {
        case 0: if bank.exponential(i, mean: 30_000) != gsl_ran_exponential(clone, 30_000) { mismatches += 1 }
        case 1: if bank.rayleighPowerGain(i) != gsl_ran_exponential(clone, 1) { mismatches += 1 }
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
    for _ in 0..<1000 { #expect(bank.exponential(0, mean: 2) == single.exponential(mean: 2)) }
  }

  @Test("fillRayleighPowerGains draws what repeated rayleighPowerGain draws")
  func fill() {
    let a = RandomStreamBank(seed: 8, streams: [StreamID(2)]), b = a.copy()
    var buffer = [Double](repeating: 0, count: 37)
    buffer.withUnsafeMutableBufferPointer { a.fillRayleighPowerGains(0, $0) }
    #expect(buffer == (0..<37).map { _ in b.rayleighPowerGain(0) })
  }
}
