import CDriftSimGSL
import Glibc

/// Goodness-of-fit checks of the exponential variates that the interference network draws
/// (`RandomStreamBank.standardExponential`, the 256-layer ziggurat on GSL's taus2) against the
/// exact Exp(1) distribution. `driftsim validate exponential` runs it; tools/ci/variates.sh gives
/// a verdict.
///
/// ### What is tested, and why this way
/// - **Kolmogorov–Smirnov and Anderson–Darling** on the whole main sample (default 10⁸ draws),
///   computed exactly on the sorted sample: 10⁸ binary64 values are 800 MB, sorted in ≈ 15 s, so
///   no binning approximation is needed. p-values: the Kolmogorov limit distribution (series
///   2 Σ (−1)ᵏ⁻¹ e^−2k²λ² with Stephens' λ = (√n + 0.12 + 0.11/√n) D) and Marsaglia & Marsaglia's
///   (2004) approximation of the Anderson–Darling limit distribution (error < 2·10⁻⁶); GSL has
///   neither. At n = 10⁸ the limit distributions are exact far beyond the p-values' use.
/// - **Moments** mean, variance, skewness, excess kurtosis (exact 1, 1, 2, 6): the estimate from
///   the whole sample; its standard error from the spread of the same estimator over 100 equal
///   consecutive batches (batch means: no moment formula to trust), so t = (estimate − exact) / SE
///   with 99 degrees of freedom, two-sided p-value from GSL's `gsl_cdf_tdist_Q`.
/// - **Tail**: counts beyond 10, 15 and 20 (× the mean) in the main sample, and the frequency of the
///   ziggurat's tail branch (X > r ≈ 7.70). P(X > 20) = e⁻²⁰ ≈ 2.1·10⁻⁹ is too small to test in a
///   sample of 10⁸ (expected count 0.2), so beyond 20 the tail sampler is tested through its own
///   conditional draws: r + E with E ~ Exp(1) (the exact tail by memorylessness), where
///   P(T > 20) = e^−(20 − r) ≈ 4.5·10⁻⁶, i.e. ≈ 450 expected in 10⁸ conditional draws. Each count
///   gets a two-sided binomial p-value (GSL `gsl_cdf_binomial_P/Q`) and an exact Clopper–Pearson
///   95 % interval (bisection on the same GSL binomial tails).
///
/// The verdict fails when any p-value is below `alpha` divided by the number of tests (Bonferroni,
/// so a correct sampler fails with probability ≤ alpha); the p-values of a correct sampler are
/// uniform, so a failure is investigated with another seed before anything else.
public enum ExponentialValidation {
  /// What to run.
  public struct Options: Sendable {
    /// Draws in the main sample (KS, AD, moments, counts), ≥ 1000 and a multiple of 100 (batches).
    public var draws: Int = 100_000_000
    /// Conditional draws of the tail sampler (the P(X > 20) test), ≥ 1000.
    public var tailDraws: Int = 100_000_000
    /// Base seed of the taus2 streams.
    public var seed: UInt64 = 1
    /// Family-wise significance level of the verdict, in (0, 1).
    public var alpha: Double = 1e-3
    /// Creates the default options (10⁸ + 10⁸ draws, seed 1, alpha 10⁻³).
    public init() {}
  }

  /// A test statistic with its p-value.
  public struct FitTest: Codable, Sendable, Equatable {
    /// The statistic (KS: D = sup |Fₙ − F|; AD: A²).
    public var statistic: Double
    /// The probability of a statistic at least this large under the exact distribution.
    public var pValue: Double
  }

  /// A sample moment against its exact value.
  public struct MomentTest: Codable, Sendable, Equatable {
    /// "mean", "variance", "skewness" or "excessKurtosis".
    public var name: String
    /// The exact value for Exp(1): 1, 1, 2, 6.
    public var exact: Double
    /// The estimate from the whole sample.
    public var estimate: Double
    /// Its standard error (from 100 batch estimates).
    public var standardError: Double
    /// (estimate − exact) / standardError.
    public var t: Double
    /// Two-sided p-value (Student t, 99 degrees of freedom).
    public var pValue: Double
  }

  /// A tail count against its exact probability.
  public struct TailTest: Codable, Sendable, Equatable {
    /// What was counted, e.g. "X > 20 | X > r (tail sampler)".
    public var event: String
    /// The threshold in units of the mean.
    public var threshold: Double
    /// Draws the count is out of.
    public var draws: Int
    /// How many draws exceeded the threshold.
    public var count: Int
    /// The exact probability of the event per draw.
    public var exactProbability: Double
    /// count / draws.
    public var observedProbability: Double
    /// Clopper–Pearson 95 % interval of the probability.
    public var lower95: Double
    /// Upper end of that interval.
    public var upper95: Double
    /// Two-sided exact binomial p-value (2 × the smaller tail, at most 1).
    public var pValue: Double
  }

  /// The typed result of a validation.
  public struct Result: Codable, Sendable {
    /// "ziggurat-256" (the method under test).
    public var method: String
    /// "taus2".
    public var generator: String
    /// The base seed.
    public var seed: UInt64
    /// Main-sample size.
    public var draws: Int
    /// Conditional tail-sampler draws.
    public var tailDraws: Int
    /// Kolmogorov–Smirnov on the main sample.
    public var kolmogorovSmirnov: FitTest
    /// √n · D (≈ 0.87 on average for a correct sampler; > 1.95 has p < 0.001).
    public var kolmogorovSmirnovScaled: Double
    /// Anderson–Darling on the main sample.
    public var andersonDarling: FitTest
    /// Mean, variance, skewness, excess kurtosis.
    public var moments: [MomentTest]
    /// Tail counts.
    public var tails: [TailTest]
    /// The largest main-sample draw.
    public var maximum: Double
    /// The family-wise level and the per-test level alpha / tests.
    public var alpha: Double
    /// alpha divided by the number of p-values.
    public var perTestLevel: Double
    /// Whether every p-value is at least `perTestLevel`.
    public var passed: Bool
    /// The tests that failed (empty when passed).
    public var failures: [String]
  }

  /// Runs the validation (single-threaded; ≈ 30 s and 1.2 GB peak for the defaults, release build).
  /// - Throws: `NumericsError.invalidArgument` for options out of range.
  public static func run(_ options: Options) throws(NumericsError) -> Result {
    guard options.draws >= 1000, options.draws % 100 == 0 else {
      throw .invalidArgument(routine: "ExponentialValidation.run", reason: "draws must be a multiple of 100 and at least 1000, got \(options.draws)")
    }
    guard options.tailDraws >= 1000 else { throw .invalidArgument(routine: "ExponentialValidation.run", reason: "tailDraws must be at least 1000, got \(options.tailDraws)") }
    guard options.alpha > 0, options.alpha < 1 else { throw .invalidArgument(routine: "ExponentialValidation.run", reason: "alpha must be in (0, 1), got \(options.alpha)") }
    GSLRuntime.ensureConfigured()
    let n = options.draws
    let bank = RandomStreamBank(seed: options.seed, streams: [StreamID(0x5A49_4747, 1)])
    var sample = [Double](repeating: 0, count: n)
    let r = ExponentialZiggurat.tailStart
    let thresholds = [r, 10, 15, 20]
    var counts = [0, 0, 0, 0]
    // Moments per batch: sums of powers of (x − 1) (centred at the exact mean, so no cancellation).
    let batches = 100, batchSize = n / batches
    var batchMoments: [[Double]] = []
    var total = PowerSums()
    sample.withUnsafeMutableBufferPointer { buffer in
      for b in 0..<batches {
        var sums = PowerSums()
        for i in (b * batchSize)..<((b + 1) * batchSize) {
          let x = bank.standardExponential(0)
          buffer[i] = x
          sums.add(x - 1)
          if x > r {
            for t in 0..<4 where x > thresholds[t] { counts[t] += 1 }
          }
        }
        batchMoments.append(sums.moments(shift: 1))
        total.merge(sums)
      }
      buffer.sort()
    }
    let maximum = sample[n - 1]

    // KS and AD on the sorted sample: F(x) = 1 − e^−x = −expm1(−x), log(1 − F(x)) = −x exactly.
    var d = 0.0, a = 0.0
    let nd = Double(n)
    sample.withUnsafeBufferPointer { x in
      for i in 0..<n {
        let f = -expm1(-x[i])
        d = max(d, Double(i + 1) / nd - f, f - Double(i) / nd)
        let logF = log(f)
        // log(1 − F(x₍ₙ₋ᵢ₎)) = −x₍ₙ₋ᵢ₎. The ziggurat never returns 0 (grid midpoints), so log F is finite.
        a += Double(2 * i + 1) * (logF - x[n - 1 - i])
      }
    }
    sample = []
    let a2 = -nd - a / nd
    let lambda = (nd.squareRoot() + 0.12 + 0.11 / nd.squareRoot()) * d
    let ks = FitTest(statistic: d, pValue: kolmogorovQ(lambda))
    let ad = FitTest(statistic: a2, pValue: 1 - andersonDarlingCDF(a2))

    // Moments.
    let names = ["mean", "variance", "skewness", "excessKurtosis"]
    let exact = [1.0, 1, 2, 6]
    let whole = total.moments(shift: 1)
    var moments: [MomentTest] = []
    for m in 0..<4 {
      let values = batchMoments.map { $0[m] }
      let mean = values.reduce(0, +) / Double(batches)
      let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(batches - 1)
      // The whole-sample estimator is (nearly) the mean of the batch estimators, with variance /B.
      let se = (variance / Double(batches)).squareRoot()
      let t = (whole[m] - exact[m]) / se
      moments.append(
        MomentTest(
          name: names[m], exact: exact[m], estimate: whole[m], standardError: se, t: t,
          pValue: min(1, 2 * gsl_cdf_tdist_Q(abs(t), Double(batches - 1)))))
    }

    // Tails.
    var tails: [TailTest] = []
    let labels = ["X > r (ziggurat tail branch)", "X > 10", "X > 15", "X > 20"]
    for t in 0..<4 {
      tails.append(tailTest(event: labels[t], threshold: thresholds[t], draws: n, count: counts[t], probability: exp(-thresholds[t])))
    }
    var conditional = 0
    let tailBank = RandomStreamBank(seed: options.seed, streams: [StreamID(0x5A49_4747, 2)])
    for _ in 0..<options.tailDraws {
      if ExponentialZiggurat.shared.tailDraw({ tailBank.nextRaw(0) }) > 20 { conditional += 1 }
    }
    tails.append(
      tailTest(
        event: "X > 20 | X > r (tail sampler)", threshold: 20, draws: options.tailDraws, count: conditional,
        probability: exp(-(20 - r))))

    var pValues: [(String, Double)] = [("Kolmogorov-Smirnov", ks.pValue), ("Anderson-Darling", ad.pValue)]
    pValues += moments.map { ($0.name, $0.pValue) }
    pValues += tails.map { ($0.event, $0.pValue) }
    let level = options.alpha / Double(pValues.count)
    let failures = pValues.filter { !($0.1 >= level) }.map { "\($0.0): p = \($0.1)" }
    return Result(
      method: "ziggurat-256", generator: "taus2", seed: options.seed, draws: n, tailDraws: options.tailDraws,
      kolmogorovSmirnov: ks, kolmogorovSmirnovScaled: nd.squareRoot() * d, andersonDarling: ad, moments: moments,
      tails: tails, maximum: maximum, alpha: options.alpha, perTestLevel: level, passed: failures.isEmpty,
      failures: failures)
  }

  /// The Kolmogorov–Smirnov statistic D = sup |Fₙ − F| of `sample` against Exp(mean 1) and its
  /// asymptotic p-value (as in `run`). Sorts a copy.
  public static func kolmogorovSmirnov(_ sample: [Double]) -> FitTest {
    let x = sample.sorted()
    let n = Double(x.count)
    var d = 0.0
    for (i, value) in x.enumerated() {
      let f = value > 0 ? -expm1(-value) : 0
      d = max(d, Double(i + 1) / n - f, f - Double(i) / n)
    }
    return FitTest(statistic: d, pValue: kolmogorovQ((n.squareRoot() + 0.12 + 0.11 / n.squareRoot()) * d))
  }

  /// P(K > λ) for the Kolmogorov distribution: 2 Σₖ (−1)ᵏ⁻¹ e^−2k²λ² (1 for λ below 0.2, where
  /// the series converges slowly and the value is 1 to 15 digits).
  public static func kolmogorovQ(_ lambda: Double) -> Double {
    guard lambda >= 0.2 else { return 1 }
    var sum = 0.0, sign = 1.0
    for k in 1...100 {
      let term = exp(-2 * Double(k * k) * lambda * lambda)
      sum += sign * term
      if term < 1e-17 { break }
      sign = -sign
    }
    return min(1, max(0, 2 * sum))
  }

  /// The limit distribution function of the Anderson–Darling A² (Marsaglia & Marsaglia 2004,
  /// `ADinf`; absolute error < 2·10⁻⁶).
  public static func andersonDarlingCDF(_ z: Double) -> Double {
    guard z > 0 else { return 0 }
    guard z.isFinite else { return 1 }
    if z < 2 {
      let poly = 2.00012 + (0.247105 - (0.0649821 - (0.0347962 - (0.0116720 - 0.00168691 * z) * z) * z) * z) * z
      return exp(-1.2337141 / z) / z.squareRoot() * poly
    }
    return exp(-exp(1.0776 - (2.30695 - (0.43424 - (0.082433 - (0.008056 - 0.0003146 * z) * z) * z) * z) * z))
  }

  /// The root in (0, 1) of an increasing function, by 200 bisections on log p (p from 10⁻³⁰⁰).
  static func solveIncreasing(_ g: (Double) -> Double) -> Double {
    var lo = -690.0, hi = 0.0  // log p
    for _ in 0..<200 {
      let mid = 0.5 * (lo + hi)
      if g(exp(mid)) < 0 { lo = mid } else { hi = mid }
    }
    return exp(0.5 * (lo + hi))
  }

  static func tailTest(event: String, threshold: Double, draws: Int, count: Int, probability: Double) -> TailTest {
    let n = UInt32(clamping: draws), k = UInt32(clamping: count)
    // Two-sided exact binomial p-value: twice the smaller of P(K ≤ k) and P(K ≥ k).
    let lowerTail = gsl_cdf_binomial_P(k, probability, n)
    let upperTail = k == 0 ? 1 : gsl_cdf_binomial_Q(k - 1, probability, n)
    let p = min(1, 2 * min(lowerTail, upperTail))
    let nd = Double(draws), kd = Double(count)
    // Clopper–Pearson by bisection on GSL's binomial tails (GSL's beta quantiles fail to converge
    // for shape parameters near 10⁸): lower solves P(K ≥ k; p) = 0.025, upper P(K ≤ k; p) = 0.025.
    let lower = count == 0 ? 0 : solveIncreasing { gsl_cdf_binomial_Q(k - 1, $0, n) - 0.025 }
    let upper = count == draws ? 1 : solveIncreasing { 0.025 - gsl_cdf_binomial_P(k, $0, n) }
    return TailTest(
      event: event, threshold: threshold, draws: draws, count: count, exactProbability: probability,
      observedProbability: kd / nd, lower95: lower, upper95: upper, pValue: p)
  }
}

/// Sums of the first four powers of values (centred by the caller), mergeable.
struct PowerSums {
  var count = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0

  @inline(__always)
  mutating func add(_ y: Double) {
    let y2 = y * y
    count += 1
    s1 += y
    s2 += y2
    s3 += y2 * y
    s4 += y2 * y2
  }

  mutating func merge(_ other: PowerSums) {
    count += other.count
    s1 += other.s1
    s2 += other.s2
    s3 += other.s3
    s4 += other.s4
  }

  /// Mean, variance (1/n), skewness and excess kurtosis of the values y + shift.
  func moments(shift: Double) -> [Double] {
    let m = s1 / count
    let c2 = s2 / count - m * m
    let c3 = s3 / count - 3 * m * s2 / count + 2 * m * m * m
    let c4 = s4 / count - 4 * m * s3 / count + 6 * m * m * s2 / count - 3 * m * m * m * m
    return [m + shift, c2, c3 / (c2 * c2.squareRoot()), c4 / (c2 * c2) - 3]
  }
}
