import ArgumentParser
import DriftSimSupport
import Foundation

/// A problem with the user's input (a file, a value, a scenario, a trace) or a failed check: the
/// command prints the message on stderr as one line and exits with status 1. Usage errors (unknown
/// options, malformed values) are swift-argument-parser's and exit with status 2.
public struct InputError: ReportableError, CustomStringConvertible, Sendable {
  /// What is wrong and where (file, line, key, byte offset), in one line.
  public var message: String

  /// Creates an error with a message that names the problem and where it is.
  public init(_ message: String) { self.message = message }

  public var description: String { message }
}

/// Options every command with a machine-readable result shares (STYLE.md): `--json PATH|-` and
/// `--quiet`.
public struct OutputOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "Write the result as JSON to PATH; '-' writes it to stdout, which then carries nothing else.",
      valueName: "PATH|-"))
  public var json: String?

  @Flag(name: .long, help: "Print no progress or warnings on stderr.")
  public var quiet = false

  public init() {}

  /// Whether stdout is reserved for the JSON document.
  public var jsonOnStdout: Bool { json == "-" }

  /// Writes a human-readable line: to stdout normally, to stderr when stdout carries JSON.
  public func report(_ line: String) {
    if jsonOnStdout {
      StandardError.write(line + "\n")
    } else {
      print(line)
    }
  }

  /// Writes progress or a warning to stderr unless `--quiet`.
  public func progress(_ line: String) {
    if !quiet { StandardError.write(line + "\n") }
  }

  /// Checks `--json PATH` before the command runs (swift-argument-parser calls this for every
  /// command that includes these options): a bad path fails at once, not after the whole run.
  /// - Throws: `InputError` naming `--json` and the rule (see `OutputPath.check`).
  public mutating func validate() throws {
    if let json, json != "-" { _ = try OutputPath.check(json, option: "--json") }
  }

  /// Writes `value` as JSON where `--json` says; does nothing without `--json`. Keys are sorted and
  /// non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity". A file is
  /// replaced atomically; a device or FIFO (`/dev/null`, `/dev/stdout`) is written through.
  /// - Throws: `InputError` if the value cannot be encoded or the file cannot be written.
  public func writeJSON<Value: Encodable>(_ value: Value) throws {
    guard let json else { return }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    var data: Data
    do {
      data = try encoder.encode(value)
    } catch {
      throw InputError("--json: cannot encode the result: \(ErrorDescription.describe(error))")
    }
    data.append(0x0A)
    if json == "-" {
      FileHandle.standardOutput.write(data)
    } else {
      try OutputPath.check(json, option: "--json").write(data)
    }
  }
}

/// Unbuffered writes to the standard error stream.
public enum StandardError {
  /// Writes `text` to stderr as is.
  public static func write(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
  }
}

/// Runs a command tree with DriftSim's exit-status convention: 0 success (and `--help`,
/// `--version`), 1 bad input or failed check (any `ReportableError`, printed as one line — so
/// commands let library errors through instead of re-wrapping them), 2 usage error.
///
/// Error lines never echo huge inputs (quoted values are cut to `Quoted.limit` characters), never
/// show Foundation's "NSCocoaErrorDomain error N" (file errors name the file and the reason), and a
/// negative number read as an option ("Missing value for '--seed'" after `--seed -1`) is explained.
public enum CommandRunner {
  /// Parses and runs `arguments` (default: the process's) with `Root`, returning the exit status.
  /// - Parameter programName: the prefix of error lines, e.g. "driftsim".
  public static func run<Root: ParsableCommand>(_ root: Root.Type, programName: String, arguments: [String]? = nil) -> Int32 {
    do {
      var command = try Root.parseAsRoot(arguments)
      try command.run()
      return 0
    } catch let error as any ReportableError {
      StandardError.write("\(programName): error: \(Quoted.clipQuotedRuns(error.message))\n")
      return error.exitStatus
    } catch {
      let code = Root.exitCode(for: error)
      if code == .success {
        print(Root.fullMessage(for: error))
        return 0
      }
      if code == .validationFailure {
        let args = arguments ?? Array(CommandLine.arguments.dropFirst())
        if let hint = NegativeNumberHint.explain(Root.self, message: Root.message(for: error), arguments: args) {
          StandardError.write("\(programName): error: \(hint)\n")
          return 2
        }
        StandardError.write(Quoted.clipQuotedRuns(Root.fullMessage(for: error)) + "\n")
        return 2
      }
      // A ReportableError thrown by a `validate()` (e.g. an output path checked before the run)
      // arrives wrapped by the parser; other errors are described without Foundation jargon.
      let message = ErrorDescription.isForeign(error) ? ErrorDescription.describe(error) : Root.message(for: error)
      StandardError.write("\(programName): error: \(Quoted.clipQuotedRuns(message))\n")
      return code.rawValue == 0 ? 1 : code.rawValue
    }
  }
}

/// Explains "Missing value for '--x <x>'" when the value was a negative number the parser took for
/// an option, by parsing again with the value attached (`--x=-1`).
enum NegativeNumberHint {
  static func explain<Root: ParsableCommand>(_ root: Root.Type, message: String, arguments: [String]) -> String? {
    guard let range = message.range(of: "Missing value for '") else { return nil }
    let rest = message[range.upperBound...]
    guard let option = rest.split(whereSeparator: { $0 == " " || $0 == "'" }).first.map(String.init),
      option.hasPrefix("-")
    else { return nil }
    guard let i = arguments.firstIndex(of: option), i + 1 < arguments.count, looksNegative(arguments[i + 1]) else {
      return nil
    }
    let value = arguments[i + 1]
    var attached = arguments
    attached.replaceSubrange(i...(i + 1), with: ["\(option)=\(value)"])
    let shown = Quoted.clip(value)
    do {
      _ = try Root.parseAsRoot(attached)
    } catch {
      let again = Root.message(for: error)
      if again.contains(option) && !again.contains("Missing value") {
        return "\(option) \(shown): negative numbers are not accepted here (\(Quoted.clipQuotedRuns(again)))"
      }
    }
    return "\(option) \(shown): the negative number was taken for an option; write \(option)=\(shown)"
  }

  /// "-1", "-0.5", "-.5", "-1e3", "-inf", "-nan", "-1,2" (a list starting with a negative number).
  static func looksNegative(_ text: String) -> Bool {
    guard text.hasPrefix("-"), text.count >= 2 else { return false }
    let body = text.dropFirst()
    if let c = body.first, c.isNumber || c == "." { return true }
    let lower = body.lowercased()
    return lower.hasPrefix("inf") || lower.hasPrefix("nan")
  }
}

/// One-line descriptions of errors that are not DriftSim's own (Foundation, Codable), so that
/// "NSCocoaErrorDomain error 512" or "The data couldn't be read" never reaches a user.
public enum ErrorDescription {
  /// Whether `error` is not a DriftSim or argument-parser error (it needs `describe`).
  static func isForeign(_ error: any Error) -> Bool {
    if error is any ReportableError { return false }
    if error is DecodingError || error is EncodingError { return true }
    let ns = error as NSError
    return ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain
  }

  /// A one-line description naming the file (when Foundation knows it) and the reason.
  public static func describe(_ error: any Error) -> String {
    if let reportable = error as? any ReportableError { return reportable.message }
    if let e = error as? EncodingError, case .invalidValue(let value, let context) = e {
      let at = codingPath(context.codingPath)
      if let d = value as? Double, !d.isFinite {
        return "the value at \(at) is \(d), which JSON cannot hold"
      }
      return "the value at \(at) cannot be encoded: \(context.debugDescription)"
    }
    if let e = error as? DecodingError {
      switch e {
      case .dataCorrupted(let c): return "invalid data at \(codingPath(c.codingPath)): \(c.debugDescription)"
      case .keyNotFound(let key, let c): return "missing key '\(key.stringValue)' at \(codingPath(c.codingPath))"
      case .typeMismatch(let type, let c): return "expected \(type) at \(codingPath(c.codingPath)): \(c.debugDescription)"
      case .valueNotFound(let type, let c): return "missing \(type) value at \(codingPath(c.codingPath))"
      @unknown default: return "invalid data"
      }
    }
    let ns = error as NSError
    let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
    var reason: String?
    if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
      reason = String(cString: strerror(Int32(underlying.code)))
    } else if ns.domain == NSPOSIXErrorDomain {
      reason = String(cString: strerror(Int32(ns.code)))
    }
    if ns.domain == NSCocoaErrorDomain {
      let code = CocoaError.Code(rawValue: ns.code)
      let verb = ns.code >= 512 && ns.code < 1024 ? "write" : "read"
      let fallback: String
      switch code {
      case .fileNoSuchFile, .fileReadNoSuchFile: fallback = "no such file"
      case .fileReadNoPermission, .fileWriteNoPermission: fallback = "permission denied"
      case .fileWriteOutOfSpace: fallback = "no space left on the device"
      case .fileWriteVolumeReadOnly: fallback = "read-only file system"
      case .fileReadCorruptFile: fallback = "the file is not in the expected format"
      case .fileReadInapplicableStringEncoding, .fileReadUnknownStringEncoding: fallback = "the file is not valid UTF-8 text"
      case .fileReadTooLarge: fallback = "the file is too large"
      default:
        var isDirectory: ObjCBool = false
        if let path, FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
          fallback = "it is a directory"
        } else {
          fallback = "error \(ns.code)"
        }
      }
      let why = reason ?? fallback
      if let path { return "cannot \(verb) '\(Quoted.clip(path))': \(why)" }
      return "cannot \(verb) a file: \(why)"
    }
    if let reason { return path.map { "'\(Quoted.clip($0))': \(reason)" } ?? reason }
    return Quoted.clip(String(describing: error))
  }

  private static func codingPath(_ path: [any CodingKey]) -> String {
    path.isEmpty ? "the top level" : path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
  }
}
