import CDriftSimGSL

/// When a bracketing root finder may stop: the bracket [a, b] is accepted once
/// |b − a| < absolute + relative · min(|a|, |b|) (GSL `gsl_root_test_interval`).
public struct RootTolerance: Sendable, Equatable {
  /// Absolute width of the final bracket, in the units of x.
  public var absolute: Double
  /// Width of the final bracket relative to |x|.
  public var relative: Double

  /// Creates a tolerance; at least one of the two must be positive.
  public init(absolute: Double = 0, relative: Double) {
    self.absolute = absolute
    self.relative = relative
  }

  /// About four ulps of the root: as tight as Brent's method can reliably go.
  public static let machine = RootTolerance(absolute: 0, relative: 4 * Double.ulpOfOne)
}

/// Brent's bracketing root finder over GSL's `gsl_root_fsolver_brent`.
///
/// Keeps one GSL solver for repeated solves (the fluid policy inverts q(y) = Q once per pair per
/// epoch), so a solve allocates nothing. Not thread-safe: use one per thread.
public final class BrentRootFinder {
  private let solver: UnsafeMutablePointer<gsl_root_fsolver>
  /// Iterations used by the most recent successful solve.
  public private(set) var lastIterationCount = 0

  /// Creates a solver.
  public init() {
    GSLRuntime.ensureConfigured()
    guard let s = gsl_root_fsolver_alloc(driftsim_root_brent()) else {
      fatalError("gsl_root_fsolver_alloc failed: out of memory")
    }
    solver = s
  }

  deinit { gsl_root_fsolver_free(solver) }

  /// Finds x in `bracket` with f(x) = 0.
  /// - Parameters:
  ///   - bracket: [a, b] with f(a) and f(b) of opposite signs (or one of them zero).
  ///   - tolerance: when to stop (see `RootTolerance`).
  ///   - maxIterations: iteration cap; reaching it is an error, not a silent answer.
  ///   - f: the function; must be finite on the bracket.
  /// - Returns: the midpoint of the final bracket, or an endpoint where f is exactly 0.
  /// - Throws: `.notBracketed`, `.nonFiniteValue`, `.noConvergence`, `.invalidArgument`.
  public func findRoot(
    in bracket: ClosedRange<Double>,
    tolerance: RootTolerance = .machine,
    maxIterations: Int = 200,
    _ f: (Double) -> Double
  ) throws(NumericsError) -> Double {
    guard tolerance.absolute >= 0, tolerance.relative >= 0,
      tolerance.absolute > 0 || tolerance.relative > 0
    else {
      throw .invalidArgument(
        routine: "findRoot", reason: "tolerances must be ≥ 0 and not both 0, got \(tolerance)")
    }
    guard bracket.lowerBound.isFinite, bracket.upperBound.isFinite else {
      throw .invalidArgument(routine: "findRoot", reason: "bracket \(bracket) is not finite")
    }
    guard maxIterations > 0 else {
      throw .invalidArgument(routine: "findRoot", reason: "maxIterations must be positive")
    }
    let lower = bracket.lowerBound, upper = bracket.upperBound
    let fLower = f(lower)
    guard fLower.isFinite else { throw .nonFiniteValue(routine: "findRoot", at: lower) }
    if fLower == 0 { lastIterationCount = 0; return lower }
    let fUpper = f(upper)
    guard fUpper.isFinite else { throw .nonFiniteValue(routine: "findRoot", at: upper) }
    if fUpper == 0 { lastIterationCount = 0; return upper }
    guard (fLower < 0) != (fUpper < 0) else {
      throw .notBracketed(lower: lower, upper: upper, valueAtLower: fLower, valueAtUpper: fUpper)
    }

    // GSL calls back through a C function pointer; the Swift closure travels in `params`.
    typealias Context = (Double) -> Double
    let outcome: Result<Double, NumericsError> = withoutActuallyEscaping(f) { escapable in
      var context: Context = escapable
      return withUnsafeMutablePointer(to: &context) { contextPointer in
        var function = gsl_function(
          function: { x, params in
            params!.assumingMemoryBound(to: Context.self).pointee(x)
          },
          params: UnsafeMutableRawPointer(contextPointer))
        return solve(&function, lower: lower, upper: upper, tolerance: tolerance, maxIterations: maxIterations)
      }
    }
    return try outcome.get()
  }

  private func solve(
    _ function: inout gsl_function, lower: Double, upper: Double, tolerance: RootTolerance,
    maxIterations: Int
  ) -> Result<Double, NumericsError> {
    var status = gsl_root_fsolver_set(solver, &function, lower, upper)
    guard status == GSL_SUCCESS else {
      return .failure(.gsl(routine: "findRoot", status: status, reason: GSLRuntime.reason(status)))
    }
    for iteration in 1...maxIterations {
      status = gsl_root_fsolver_iterate(solver)
      if status == GSL_EBADFUNC {
        return .failure(.nonFiniteValue(routine: "findRoot", at: gsl_root_fsolver_root(solver)))
      }
      guard status == GSL_SUCCESS else {
        return .failure(.gsl(routine: "findRoot", status: status, reason: GSLRuntime.reason(status)))
      }
      let a = gsl_root_fsolver_x_lower(solver), b = gsl_root_fsolver_x_upper(solver)
      let root = gsl_root_fsolver_root(solver)
      // GSL's Brent collapses the bracket to [root, root] when it lands exactly on a zero.
      if a == b || gsl_root_test_interval(a, b, tolerance.absolute, tolerance.relative) == GSL_SUCCESS {
        lastIterationCount = iteration
        return .success(root)
      }
    }
    return .failure(.noConvergence(routine: "findRoot", iterations: maxIterations))
  }
}

/// Finds a root of f in `bracket` with Brent's method (GSL). A one-off convenience over
/// `BrentRootFinder`; reuse a `BrentRootFinder` when solving many times.
/// - Throws: see `BrentRootFinder.findRoot`.
public func findRoot(
  in bracket: ClosedRange<Double>,
  tolerance: RootTolerance = .machine,
  maxIterations: Int = 200,
  _ f: (Double) -> Double
) throws(NumericsError) -> Double {
  try BrentRootFinder().findRoot(in: bracket, tolerance: tolerance, maxIterations: maxIterations, f)
}
