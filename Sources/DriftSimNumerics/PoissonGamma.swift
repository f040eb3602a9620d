import CDriftSimGSL

/// Poisson probabilities P(X = k), k = 0…count−1, for X ~ Poisson(mean) (GSL `gsl_ran_poisson_pdf`).
/// - Parameters:
///   - mean: the Poisson mean, ≥ 0 and finite.
///   - count: how many probabilities, ≥ 0.
/// - Throws: `NumericsError.domain` for a negative or non-finite mean, `.nonFiniteValue` if GSL
///   returns a non-finite probability.
public func poissonProbabilities(mean: Double, count: Int) throws(NumericsError) -> [Double] {
  GSLRuntime.ensureConfigured()
  guard mean >= 0, mean.isFinite else {
    throw .domain(function: "poissonProbabilities", argument: mean, expected: "a finite mean ≥ 0")
  }
  var out: [Double] = []
  out.reserveCapacity(max(count, 0))
  // GSL evaluates k log μ, which is NaN at μ = 0: the point mass at 0 is exact.
  if mean == 0 { return (0..<max(count, 0)).map { $0 == 0 ? 1 : 0 } }
  for k in 0..<max(count, 0) {
    let p = gsl_ran_poisson_pdf(UInt32(k), mean)
    guard p.isFinite else { throw .nonFiniteValue(routine: "gsl_ran_poisson_pdf", at: mean) }
    out.append(p)
  }
  return out
}

/// P(X ≥ n) for X ~ Poisson(mean), computed as an upper tail (GSL `gsl_cdf_poisson_Q(n − 1, mean)`)
/// so that small tails keep their relative accuracy. 1 for n ≤ 0.
/// - Throws: `NumericsError.domain` for a negative or non-finite mean, `.nonFiniteValue` on a GSL failure.
public func poissonTailAtLeast(_ n: Int, mean: Double) throws(NumericsError) -> Double {
  GSLRuntime.ensureConfigured()
  guard mean >= 0, mean.isFinite else {
    throw .domain(function: "poissonTailAtLeast", argument: mean, expected: "a finite mean ≥ 0")
  }
  if n <= 0 { return 1 }
  if mean == 0 { return 0 }
  let q = gsl_cdf_poisson_Q(UInt32(n - 1), mean)
  guard q.isFinite else { throw .nonFiniteValue(routine: "gsl_cdf_poisson_Q", at: mean) }
  return q
}

/// The regularised lower incomplete gamma function P(shape, x) = P(G ≤ x) for G ~ Gamma(shape, 1)
/// (GSL `gsl_cdf_gamma_P`).
/// - Throws: `NumericsError.domain` for shape ≤ 0 or x < 0 or non-finite arguments, `.nonFiniteValue`
///   on a GSL failure.
public func gammaLowerRegularized(shape: Double, x: Double) throws(NumericsError) -> Double {
  GSLRuntime.ensureConfigured()
  guard shape > 0, shape.isFinite else {
    throw .domain(function: "gammaLowerRegularized", argument: shape, expected: "a finite shape > 0")
  }
  guard x >= 0, x.isFinite else {
    throw .domain(function: "gammaLowerRegularized", argument: x, expected: "a finite x ≥ 0")
  }
  let p = gsl_cdf_gamma_P(x, shape, 1)
  guard p.isFinite else { throw .nonFiniteValue(routine: "gsl_cdf_gamma_P", at: x) }
  return p
}

/// The regularised upper incomplete gamma function Q(shape, x) = P(G > x) for G ~ Gamma(shape, 1)
/// (GSL `gsl_cdf_gamma_Q`, accurate for small tails).
/// - Throws: `NumericsError.domain` for shape ≤ 0 or x < 0 or non-finite arguments, `.nonFiniteValue`
///   on a GSL failure.
public func gammaUpperRegularized(shape: Double, x: Double) throws(NumericsError) -> Double {
  GSLRuntime.ensureConfigured()
  guard shape > 0, shape.isFinite else {
    throw .domain(function: "gammaUpperRegularized", argument: shape, expected: "a finite shape > 0")
  }
  guard x >= 0, x.isFinite else {
    throw .domain(function: "gammaUpperRegularized", argument: x, expected: "a finite x ≥ 0")
  }
  let q = gsl_cdf_gamma_Q(x, shape, 1)
  guard q.isFinite else { throw .nonFiniteValue(routine: "gsl_cdf_gamma_Q", at: x) }
  return q
}
