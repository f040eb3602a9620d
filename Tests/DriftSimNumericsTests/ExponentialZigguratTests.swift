import Foundation
import Testing

@testable import DriftSimNumerics

/// A plain transcription of the ziggurat draw (ExponentialZiggurat's documentation) from the layer
/// edges alone, to check the table-driven fast path and the bank's inline taus2 against.
func referenceZiggurat(_ next: () -> UInt32) -> Double {
  let x = ExponentialZiggurat.shared.edges
  while true {
    let bits = next()
    let i = Int(bits & 255)
    let value = (Double(bits >> 8) + 0.5) * x[i] / 16_777_216
    if value < x[i + 1] { return value }
    if i == 0 { return x[1] - log1p(-Double(next()) / 4_294_967_296) }
    let u = Double(next()) / 4_294_967_296
    let y = exp(-x[i]) + u * (exp(-x[i + 1]) - exp(-x[i]))
    if y < exp(-value) { return value }
  }
}

@Suite("Exponential ziggurat")
struct ExponentialZigguratTests {
  @Test("layers have equal areas and close the stack (closed forms)")
  func closedForms() {
    let z = ExponentialZiggurat.shared
    #expect(z.edges.count == 257)
    #expect(z.closedFormError() < 1e-12)
    let v = ExponentialZiggurat.layerArea, r = ExponentialZiggurat.tailStart
    #expect(abs((r + 1) * exp(-r) - v) < 1e-17)
    for i in 1..<256 {
      #expect(abs(z.edges[i] * (exp(-z.edges[i + 1]) - exp(-z.edges[i])) - v) < 1e-14)
      #expect(z.edges[i + 1] < z.edges[i])
    }
  }

  /// x_i computed independently with 40-digit arithmetic (mpmath: r is the root of the closure
  /// condition, then the recurrence).
  @Test("edges match the 40-digit reference values")
  func referenceEdges() {
    let reference: [(Int, Double)] = [
      (0, 8.697117470131049714044628), (1, 7.697117470131049714044628), (2, 6.941033629377212360155086),
      (10, 5.05428848998130471169957), (100, 2.05120240946858486409936), (200, 0.8641046048110051951136389),
      (254, 0.1048385075658201791503255), (255, 0.0638521638150034801725323),
    ]
    for (i, value) in reference {
      #expect(abs(ExponentialZiggurat.shared.edges[i] / value - 1) < 1e-12, "x_\(i)")
    }
  }

  @Test("a perturbed layer edge is caught by the closed-form check")
  func perturbedEntryFails() {
    for index in [0, 1, 50, 128, 255] {
      var edges = ExponentialZiggurat.computeEdges()
      edges[index] *= 1 + 1e-9
      #expect(ExponentialZiggurat(edges: edges).closedFormError() > 1e-10, "edge \(index)")
    }
  }

  @Test("the bank's draws equal the reference transcription on the same outputs")
  func bankMatchesReference() {
    let bank = RandomStreamBank(seed: 31, streams: [StreamID(9)])
    var raw = RandomStream(seed: 31, stream: StreamID(9))
    for _ in 0..<200_000 { #expect(bank.standardExponential(0) == referenceZiggurat { raw.nextRaw() }) }
  }

  @Test("draws are positive, finite and at most r + 22.2; the tail sampler stays beyond r")
  func ranges() {
    let bank = RandomStreamBank(seed: 4, streams: [StreamID(1)])
    var smallest = Double.infinity, largest = 0.0
    for _ in 0..<1_000_000 {
      let x = bank.standardExponential(0)
      smallest = min(smallest, x)
      largest = max(largest, x)
    }
    #expect(smallest > 0)
    #expect(largest < ExponentialZiggurat.tailStart + 22.2)
    var tailSum = 0.0
    for _ in 0..<100_000 {
      let t = ExponentialZiggurat.shared.tailDraw { bank.nextRaw(0) }
      #expect(t >= ExponentialZiggurat.tailStart)
      tailSum += t
    }
    // Mean r + 1, standard error 1/√n = 0.0032: 5 standard errors.
    #expect(abs(tailSum / 100_000 - ExponentialZiggurat.tailStart - 1) < 0.016)
  }

  /// KS on 50 000 draws: the ziggurat passes at a fixed seed, and the same test rejects draws whose
  /// mean is 5 % off (D ≈ 0.018, √n·D ≈ 4), so passing is not trivial.
  @Test("small-sample Kolmogorov–Smirnov passes, and has the power to reject a 5 % error")
  func smallSampleKS() {
    let bank = RandomStreamBank(seed: 12, streams: [StreamID(5)])
    let sample = (0..<50_000).map { _ in bank.standardExponential(0) }
    let fit = ExponentialValidation.kolmogorovSmirnov(sample)
    #expect(fit.pValue > 1e-3)
    #expect(fit.statistic < 1.95 / 50_000.0.squareRoot())
    let wrong = ExponentialValidation.kolmogorovSmirnov(sample.map { $0 * 1.05 })
    #expect(wrong.pValue < 1e-6)
  }

  @Test("the limit distributions give their textbook quantiles")
  func limitDistributions() {
    // Kolmogorov: P(K > 1.3581) = 0.05, P(K > 1.6276) = 0.01 (scipy.special.kolmogorov: 0.0499996,
    // 0.0100015). Anderson–Darling limit: upper 10 %, 5 %, 2.5 %, 1 % points 1.9329, 2.4924,
    // 3.0775, 3.8781 (Marsaglia & Marsaglia 2004, Table 1); their approximation is good to 2·10⁻⁶,
    // the 4-digit quantiles to ≈ 1·10⁻⁵ in probability.
    #expect(abs(ExponentialValidation.kolmogorovQ(1.3581) - 0.0499996) < 1e-6)
    #expect(abs(ExponentialValidation.kolmogorovQ(1.6276) - 0.0100015) < 1e-6)
    for (z, p) in [(1.9329, 0.10), (2.4924, 0.05), (3.0775, 0.025), (3.8781, 0.01)] {
      #expect(abs(1 - ExponentialValidation.andersonDarlingCDF(z) - p) < 2e-5, "A² = \(z)")
    }
  }

  @Test("the validation study passes on 10^6 draws and reports every test")
  func studyPasses() throws {
    var options = ExponentialValidation.Options()
    options.draws = 1_000_000
    options.tailDraws = 1_000_000
    let result = try ExponentialValidation.run(options)
    #expect(result.passed, "\(result.failures)")
    #expect(result.moments.count == 4)
    #expect(result.tails.count == 5)
    #expect(throws: NumericsError.self) {
      var bad = ExponentialValidation.Options()
      bad.draws = 1001
      _ = try ExponentialValidation.run(bad)
    }
  }
}
