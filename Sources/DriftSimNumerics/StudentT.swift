import CDriftSimGSL

/// The quantile (inverse CDF) of Student's t distribution (GSL `gsl_cdf_tdist_Pinv`).
///
/// Used for confidence intervals: a two-sided 95 % interval on a mean estimated from n
/// independent values uses `studentTQuantile(0.975, degreesOfFreedom: n - 1)`.
/// - Parameters:
///   - probability: P, with 0 < P < 1.
///   - degreesOfFreedom: ν > 0 (need not be an integer).
/// - Returns: t such that P(T ≤ t) = P for T ~ t(ν).
/// - Throws: `NumericsError.domain` or `.invalidArgument` outside those ranges; `.gsl` if GSL
///   cannot compute the value (it signals this with NaN because the cdf functions return no status).
public func studentTQuantile(_ probability: Double, degreesOfFreedom: Double) throws(NumericsError) -> Double {
  GSLRuntime.ensureConfigured()
  guard probability > 0, probability < 1 else {
    throw .domain(function: "studentTQuantile", argument: probability, expected: "0 < P < 1")
  }
  guard degreesOfFreedom > 0, degreesOfFreedom.isFinite else {
    throw .invalidArgument(
      routine: "studentTQuantile", reason: "degrees of freedom must be positive and finite, got \(degreesOfFreedom)")
  }
  let t = gsl_cdf_tdist_Pinv(probability, degreesOfFreedom)
  guard t.isFinite else {
    throw .gsl(routine: "studentTQuantile", status: Int32(GSL_EDOM), reason: "GSL returned \(t)")
  }
  return t
}

/// The quantile of the standard normal distribution (GSL `gsl_cdf_ugaussian_Pinv`).
/// - Parameter probability: P, with 0 < P < 1.
/// - Throws: `NumericsError.domain` outside (0, 1).
public func normalQuantile(_ probability: Double) throws(NumericsError) -> Double {
  GSLRuntime.ensureConfigured()
  guard probability > 0, probability < 1 else {
    throw .domain(function: "normalQuantile", argument: probability, expected: "0 < P < 1")
  }
  return gsl_cdf_ugaussian_Pinv(probability)
}
