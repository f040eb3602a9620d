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

  public var description: String {
    switch self {
    case let .domain(function, argument, expected):
      return "\(function)(\(argument)) is outside the domain: expected \(expected)"
    case let .overflow(function, argument):
      return "\(function)(\(argument)) overflows a Double"
    case let .notBracketed(lower, upper, fLower, fUpper):
      return "root finder: f(\(lower)) = \(fLower) and f(\(upper)) = \(fUpper) have the same sign, "
        + "so [\(lower), \(upper)] does not bracket a root"
    case let .noConvergence(routine, iterations):
      return "\(routine) did not converge within \(iterations) iterations"
    case let .nonFiniteValue(routine, at):
      return "\(routine): the function returned a non-finite value at \(at)"
    case let .invalidArgument(routine, reason):
      return "\(routine): \(reason)"
    case let .gsl(routine, status, reason):
      return "\(routine) failed: GSL error \(status) (\(reason))"
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
