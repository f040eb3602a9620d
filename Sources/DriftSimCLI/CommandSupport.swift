import ArgumentParser
import Foundation

/// A problem with the user's input (a file, a value, a scenario) or a failed check: the command
/// prints the message on stderr and exits with status 1. Usage errors (unknown options, malformed
/// values) are swift-argument-parser's and exit with status 2.
public struct DriftSimError: Error, CustomStringConvertible, Sendable {
  /// What is wrong and where, in one line.
  public var message: String

  /// Creates an error with a message that names the problem and where it is.
  public init(_ message: String) { self.message = message }

  public var description: String { message }
}

/// Options every command with a machine-readable result shares (see STYLE.md).
public struct OutputOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "Write the result as JSON to PATH; '-' writes it to stdout, which then carries nothing else.",
      valueName: "PATH|-"))
  public var json: String?

  @Flag(name: .long, help: "Print no progress on stderr.")
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

  /// Writes progress to stderr unless `--quiet`.
  public func progress(_ line: String) {
    if !quiet { StandardError.write(line + "\n") }
  }

  /// Writes `value` as JSON where `--json` says; does nothing without `--json`.
  /// - Throws: `DriftSimError` if the file cannot be written.
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
        throw DriftSimError("cannot write JSON to '\(json)': \(error.localizedDescription)")
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

/// The median of `values` (mean of the middle two for an even count); nil when empty.
func median(_ values: [Double]) -> Double? {
  guard !values.isEmpty else { return nil }
  let sorted = values.sorted()
  let middle = sorted.count / 2
  return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// Whether this binary was compiled without optimisation (benchmarks warn about it).
var isDebugBuild: Bool {
  #if DEBUG
    return true
  #else
    return false
  #endif
}
