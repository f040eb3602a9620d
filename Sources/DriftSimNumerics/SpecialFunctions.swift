import CDriftSimGSL

/// The exponential integral E1(x) = ∫ₓ^∞ e^(−t)/t dt (GSL `gsl_sf_expint_E1_e`).
///
/// For x < 0 this is the real value −Ei(−x), as in GSL.
/// - Parameter x: the argument, x ≠ 0 (dimensionless).
/// - Returns: E1(x). When the true value is below the smallest normal `Double` (x ≳ 701.8) GSL
///   reports underflow and this function returns **0**, the nearest representable normal value;
///   the relative accuracy elsewhere is about 2 ulp (GSL's error estimate).
/// - Throws: `NumericsError.domain` for x = 0 or NaN, `.overflow` for x ≲ −701.8.
public func expintE1(_ x: Double) throws(NumericsError) -> Double {
  GSLRuntime.ensureConfigured()
  guard !x.isNaN, x != 0 else {
    throw .domain(function: "expintE1", argument: x, expected: "x ≠ 0 and not NaN")
  }
  var result = gsl_sf_result()
  let status = gsl_sf_expint_E1_e(x, &result)
  switch Int(status) {
  case Int(GSL_SUCCESS): return result.val
  case Int(GSL_EUNDRFLW): return 0
  case Int(GSL_EOVRFLW): throw .overflow(function: "expintE1", argument: x)
  case Int(GSL_EDOM): throw .domain(function: "expintE1", argument: x, expected: "x ≠ 0")
  default: throw .gsl(routine: "expintE1", status: status, reason: GSLRuntime.reason(status))
  }
}

/// −1/e, the branch point of the Lambert W function, computed as GSL computes it.
public let lambertWBranchPoint: Double = -1.0 / 2.718281828459045235360287471352662498

/// The principal branch W0 of the Lambert W function: the solution w ≥ −1 of w·e^w = x.
///
/// Near the branch point W0 is ill-conditioned (dW/dx → ∞ as x → −1/e), so results there carry
/// a relative error of order sqrt(ulp / (x + 1/e)) from the input alone.
/// - Parameter x: the argument, x ≥ −1/e.
/// - Throws: `NumericsError.domain` for x < −1/e or NaN.
public func lambertW0(_ x: Double) throws(NumericsError) -> Double {
  GSLRuntime.ensureConfigured()
  guard !x.isNaN, x >= lambertWBranchPoint, x.isFinite else {
    throw .domain(function: "lambertW0", argument: x, expected: "−1/e ≤ x < ∞")
  }
  var result = gsl_sf_result()
  let status = gsl_sf_lambert_W0_e(x, &result)
  switch Int(status) {
  case Int(GSL_SUCCESS): return result.val
  case Int(GSL_EDOM): throw .domain(function: "lambertW0", argument: x, expected: "−1/e ≤ x < ∞")
  case Int(GSL_EMAXITER): throw .noConvergence(routine: "lambertW0", iterations: 10)
  default: throw .gsl(routine: "lambertW0", status: status, reason: GSLRuntime.reason(status))
  }
}

/// The lower branch W−1 of the Lambert W function: the solution w ≤ −1 of w·e^w = x.
///
/// The domain is checked here because GSL's `gsl_sf_lambert_Wm1` silently returns W0(x) for
/// x > 0 and 0 at x = 0, both with a success status.
/// - Parameter x: the argument, −1/e ≤ x < 0.
/// - Throws: `NumericsError.domain` outside [−1/e, 0) or for NaN.
public func lambertWm1(_ x: Double) throws(NumericsError) -> Double {
  GSLRuntime.ensureConfigured()
  guard !x.isNaN, x >= lambertWBranchPoint, x < 0 else {
    throw .domain(function: "lambertWm1", argument: x, expected: "−1/e ≤ x < 0")
  }
  var result = gsl_sf_result()
  let status = gsl_sf_lambert_Wm1_e(x, &result)
  switch Int(status) {
  case Int(GSL_SUCCESS): return result.val
  case Int(GSL_EDOM): throw .domain(function: "lambertWm1", argument: x, expected: "−1/e ≤ x < 0")
  case Int(GSL_EMAXITER): throw .noConvergence(routine: "lambertWm1", iterations: 10)
  default: throw .gsl(routine: "lambertWm1", status: status, reason: GSLRuntime.reason(status))
  }
}
