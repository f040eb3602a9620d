/// An error DriftSim reports to a person as one line: what is wrong and where (a key, an option,
/// `file:line`, a byte offset) and the rule it broke. Every module's error types conform, so the
/// command runner handles them all in one place and no command re-wraps them.
public protocol ReportableError: Error, Sendable {
  /// One line naming the input (key, option, file:line, byte offset) and the rule.
  var message: String { get }
  /// The process exit status for this error: 1 for bad input or a failed check (the default).
  var exitStatus: Int32 { get }
}

extension ReportableError {
  /// Bad input and failed checks exit with status 1 (see the command-line conventions).
  public var exitStatus: Int32 { 1 }
}

extension ReportableError where Self: CustomStringConvertible {
  /// The one-line message is the error's description.
  public var message: String { description }
}
