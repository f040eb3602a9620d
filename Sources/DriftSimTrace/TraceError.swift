// The fuzzer compiles this module together with ReportableError.swift as one module.
#if canImport(DriftSimSupport)
  import DriftSimSupport
#endif
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A problem reading or writing a trace: one line naming the problem and, where it applies, the
/// byte offset in the file.
public struct TraceError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The category of a trace problem.
  public enum Problem: Sendable, Equatable {
    /// The file cannot be opened, read, written or renamed.
    case io
    /// The file does not start with the trace magic.
    case notATrace
    /// The file's major version is newer than this reader.
    case unsupportedVersion
    /// The header is damaged (bad length, CRC mismatch, unreadable JSON or schema).
    case corruptHeader
    /// A block is damaged (bad block header, CRC mismatch, impossible length).
    case corruptBlock
    /// The footer or trailer is damaged.
    case corruptFooter
    /// The file ends early (no footer, or inside a block).
    case truncated
    /// A record or block header holds an impossible value although its CRCs match (a NaN time, a
    /// negative queue, a pair index beyond the header's pairs, times out of order).
    case invalidContent
    /// Bytes follow the trailer of an otherwise whole trace.
    case trailingData
    /// The writer was used incorrectly (e.g. a snapshot with the wrong number of counts).
    case invalidUse
  }

  /// What kind of problem.
  public var problem: Problem
  /// Byte offset in the file where the problem was found, if it applies.
  public var offset: UInt64?
  /// One-line description naming the problem (and the offset when known).
  public var message: String

  /// Creates an error; the offset, when given, is appended to the message as "at byte offset N".
  public init(_ problem: Problem, _ message: String, offset: UInt64? = nil) {
    self.problem = problem
    self.offset = offset
    self.message = offset.map { "\(message) at byte offset \($0)" } ?? message
  }

  public var description: String { message }

  /// An I/O error for `operation` on `path`, with the system's reason.
  static func io(_ operation: String, _ path: String, errno code: Int32) -> TraceError {
    TraceError(.io, "cannot \(operation) '\(path)': \(String(cString: strerror(code)))")
  }
}

/// Reported by the command runner as one line, exit status 1.
extension TraceError: ReportableError {}
