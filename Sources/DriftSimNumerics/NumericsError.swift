import DriftSimSupport
import CDriftSimGSL

/// An error from a numerical routine, saying which routine failed, on what input and why.
///
/// Every GSL status code that DriftSim receives is either turned into one of these cases or into a
/// documented return value (for example `expintE1` returns 0 on underflow); none is ignored.
public enum NumericsError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The argument lies outside the function's domain.
  case domain(function: String, argument: Double, expected: String)
  /// The result is too large to represent as a `Double`.
  case overflow(function: String, argument: Double)
  /// The bracket given to a root finder does not contain a sign change.
  case notBracketed(lower: Double, upper: Double, valueAtLower: Double, valueAtUpper: Double)
  /// An iterative method stopped at its iteration or step limit before meeting its tolerance.
  case noConvergence(routine: String, iterations: Int)
  /// A user-supplied function returned NaN or an infinity.
  case nonFiniteValue(routine: String, at: Double)
  /// An argument other than the function's main input is invalid (a tolerance, a dimension, ...).
  case invalidArgument(routine: String, reason: String)
  /// GSL reported a failure not covered above; `status` is GSL's error code.
  case gsl(routine: String, status: Int32, reason: String)

  /// One line naming the routine, the input and the rule that was broken.
  public var description: String {
    switch self {
    case let .domain(function, argument, expected):
      return "\(function)(\(argument)): the argument is outside the domain; expected \(expected)"
    case let .overflow(function, argument):
      return "\(function)(\(argument)): the result overflows a Double (its magnitude exceeds 1.8e308); use a smaller argument"
    case let .notBracketed(lower, upper, fLower, fUpper):
      return "root finder: f(\(lower)) = \(fLower) and f(\(upper)) = \(fUpper) have the same sign, "
        + "so [\(lower), \(upper)] does not bracket a root (the function must change sign between the bounds)"
    case let .noConvergence(routine, iterations):
      return "\(routine) did not converge within \(iterations) iterations (its tolerance was not met; "
        + "the input may be extreme or ill-conditioned)"
    case let .nonFiniteValue(routine, at):
      return "\(routine): the function returned NaN or an infinity at x = \(at) (every value must be finite)"
    case let .invalidArgument(routine, reason):
      return "\(routine): \(reason)"
    case let .gsl(routine, status, reason):
      return "\(routine) failed: \(reason) (GSL status \(status)\(GSLRuntime.rule(status).map { ": \($0)" } ?? ""))"
    }
  }
}

/// Process-wide GSL configuration, applied once before any GSL call.
///
/// GSL's default error handler calls `abort()`, which would turn a domain error deep inside a
/// simulation into a crash. DriftSim switches it off and checks every status code instead.
@usableFromInline
enum GSLRuntime {
  /// Runs exactly once (Swift guarantees thread-safe lazy initialisation of static stored
  /// properties), and is touched by every entry point of this module that can reach GSL.
  @usableFromInline
  static let configured: Bool = {
    _ = gsl_set_error_handler_off()
    return true
  }()

  /// Makes sure the abort handler is off. Cheap after the first call.
  @inlinable @inline(__always)
  static func ensureConfigured() {
    _ = configured
  }

  /// What a GSL status means for the caller's input, for the statuses DriftSim can meet.
  static func rule(_ status: Int32) -> String? {
    switch Int(status) {
    case Int(GSL_EDOM): "an input is outside the routine's domain"
    case Int(GSL_ERANGE), Int(GSL_EOVRFLW): "the result is not representable as a Double"
    case Int(GSL_EUNDRFLW): "the result underflows a Double"
    case Int(GSL_EINVAL): "an argument is invalid (a size, a tolerance or a step)"
    case Int(GSL_ENOMEM): "memory could not be allocated"
    case Int(GSL_EBADFUNC): "the function returned NaN or an infinity"
    case Int(GSL_EMAXITER): "the iteration limit was reached"
    case Int(GSL_EZERODIV): "a division by zero occurred"
    case Int(GSL_EBADTOL): "the tolerance is invalid"
    case Int(GSL_ETOL): "the requested tolerance cannot be reached"
    case Int(GSL_ELOSS): "precision was lost"
    case Int(GSL_EROUND): "round-off error prevents convergence"
    case Int(GSL_EBADLEN): "the lengths of the inputs do not match"
    case Int(GSL_ENOTSQR): "the matrix must be square"
    case Int(GSL_ESING): "the matrix is singular (it has no inverse; check that the system is well posed)"
    case Int(GSL_EDIVERGE): "the iteration diverges"
    case Int(GSL_ENOPROG), Int(GSL_ENOPROGJ): "the iteration makes no progress"
    case Int(GSL_EFAILED): "the step size became too small (the problem may be stiff or singular)"
    default: nil
    }
  }

  /// GSL's text for a status code.
  static func reason(_ status: Int32) -> String {
    guard let text = gsl_strerror(status) else { return "unknown error" }
    return String(cString: text)
  }
}

/// Switches off GSL's aborting error handler. DriftSim does this itself before its first GSL call;
/// call it only if your own code calls GSL directly before using DriftSim.
public func disableGSLAbortHandler() {
  GSLRuntime.ensureConfigured()
}

/// Reported by the command runner as one line, exit status 1.
extension NumericsError: ReportableError {}
