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

  /// Writes `value` as JSON where `--json` says; does nothing without `--json`. Keys are sorted and
  /// non-finite numbers are written as the strings "NaN", "Infinity", "-Infinity".
  /// - Throws: `InputError` if the file cannot be written.
  public func writeJSON<Value: Encodable>(_ value: Value) throws {
    guard let json else { return }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    var data = try encoder.encode(value)
    data.append(0x0A)
    if json == "-" {
      FileHandle.standardOutput.write(data)
    } else {
      do {
        try data.write(to: URL(fileURLWithPath: json), options: .atomic)
      } catch {
        throw InputError("cannot write JSON to '\(json)': \(error.localizedDescription)")
      }
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
public enum CommandRunner {
  /// Parses and runs `arguments` (default: the process's) with `Root`, returning the exit status.
  /// - Parameter programName: the prefix of error lines, e.g. "driftsim".
  public static func run<Root: ParsableCommand>(_ root: Root.Type, programName: String, arguments: [String]? = nil) -> Int32 {
    do {
      var command = try Root.parseAsRoot(arguments)
      try command.run()
      return 0
    } catch let error as any ReportableError {
      StandardError.write("\(programName): error: \(error.message)\n")
      return error.exitStatus
    } catch {
      let code = Root.exitCode(for: error)
      if code == .success {
        print(Root.fullMessage(for: error))
        return 0
      }
      StandardError.write(Root.fullMessage(for: error) + "\n")
      return code == .validationFailure ? 2 : code.rawValue
    }
  }
}
