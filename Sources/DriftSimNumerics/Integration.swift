import CDriftSimGSL

/// Adaptive numerical integration over GSL's QAGS (finite interval, handles integrable endpoint
/// singularities) and QAGIU (semi-infinite interval [a, ∞)).
///
/// The result meets |result − I| ≤ max(absoluteTolerance, relativeTolerance · |I|) by GSL's error
/// estimate, or the call throws.
/// - Parameters:
///   - lower: a, finite.
///   - upper: b > a, finite or `.infinity`.
///   - absoluteTolerance: ≥ 0.
///   - relativeTolerance: ≥ 0 (not both zero; GSL needs relative ≥ 50 ε when absolute is 0).
///   - maxSubintervals: the size of GSL's workspace.
///   - f: the integrand, finite on (a, b).
/// - Returns: the integral and GSL's error estimate.
/// - Throws: `NumericsError.nonFiniteValue`, `.noConvergence` (subdivision limit), `.gsl` (roundoff,
///   divergence), `.invalidArgument`.
public func integrate(
  from lower: Double, to upper: Double, absoluteTolerance: Double = 0, relativeTolerance: Double = 1e-12,
  maxSubintervals: Int = 1000, _ f: (Double) -> Double
) throws(NumericsError) -> (value: Double, errorEstimate: Double) {
  GSLRuntime.ensureConfigured()
  guard lower.isFinite, upper > lower, !upper.isNaN else {
    throw .invalidArgument(routine: "integrate", reason: "need a finite lower limit below the upper one, got [\(lower), \(upper)]")
  }
  guard absoluteTolerance >= 0, relativeTolerance >= 0, absoluteTolerance + relativeTolerance > 0, maxSubintervals >= 1 else {
    throw .invalidArgument(routine: "integrate", reason: "tolerances must be ≥ 0, not both 0; maxSubintervals ≥ 1")
  }
  guard let workspace = gsl_integration_workspace_alloc(maxSubintervals) else {
    throw .gsl(routine: "integrate", status: Int32(GSL_ENOMEM), reason: "cannot allocate the workspace")
  }
  defer { gsl_integration_workspace_free(workspace) }
  typealias Context = (f: (Double) -> Double, badPoint: Double?)
  var result = 0.0, error = 0.0
  let (status, badPoint): (Int32, Double?) = withoutActuallyEscaping(f) { escapable in
    var context: Context = (escapable, nil)
    let status = withUnsafeMutablePointer(to: &context) { pointer -> Int32 in
      var function = gsl_function(
        function: { x, params in
          let context = params!.assumingMemoryBound(to: Context.self)
          let y = context.pointee.f(x)
          if !y.isFinite && context.pointee.badPoint == nil { context.pointee.badPoint = x }
          return y
        }, params: UnsafeMutableRawPointer(pointer))
      if upper.isInfinite {
        return gsl_integration_qagiu(&function, lower, absoluteTolerance, relativeTolerance, maxSubintervals, workspace, &result, &error)
      } else {
        return gsl_integration_qags(&function, lower, upper, absoluteTolerance, relativeTolerance, maxSubintervals, workspace, &result, &error)
      }
    }
    return (status, context.badPoint)
  }
  if let badPoint { throw .nonFiniteValue(routine: "integrate", at: badPoint) }
  switch Int(status) {
  case Int(GSL_SUCCESS): return (result, error)
  case Int(GSL_EMAXITER): throw .noConvergence(routine: "integrate (subdivision limit)", iterations: maxSubintervals)
  default: throw .gsl(routine: "integrate", status: status, reason: GSLRuntime.reason(status))
  }
}
