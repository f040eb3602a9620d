import ArgumentParser
import DriftSimCLISupport
import Foundation
import DriftSimReplay
import DriftSimTrace

/// `--json PATH|-` and `--quiet`, shared with `driftsim` (see `CLISupport.OutputOptions`).
public typealias ReplayOutputOptions = OutputOptions

/// The trace argument and `--salvage`.
public struct ReplayTraceOptions: ParsableArguments {
  @Argument(help: ArgumentHelp("The trace file (.dstrace).", valueName: "TRACE"))
  public var trace: String

  @Flag(
    name: .long,
    help: "Analyse what is intact in a truncated or corrupt trace (damaged blocks are skipped and reported).")
  public var salvage = false

  @Flag(
    name: .long,
    help: """
      Read only the blocks needed (kinds and time window) by seeking through the footer index; \
      faster on large traces, but blocks that are not read are not verified.
      """)
  public var indexed = false

  public init() {}

  /// Opens the trace; a missing, foreign or damaged file becomes a one-line `ReplayInputError`.
  public func open() throws -> TraceReader {
    do {
      let reader = try TraceReader(path: trace, salvage: salvage)
      reader.verifySkippedBlocks = !indexed
      return reader
    } catch let error as TraceError {
      throw ReplayInputError(prefixed(error.message))
    }
  }

  /// Runs `body`, turning trace and replay errors into one-line `ReplayInputError`s.
  public func guarded<T>(_ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as TraceError {
      throw ReplayInputError(prefixed(error.message) + " (use --salvage to analyse the intact blocks)")
    } catch let error as ReplayError {
      throw ReplayInputError("'\(trace)': \(error.message)")
    }
  }

  /// Without `--salvage`, a trace that is not complete is an error (exit 1); with it, a warning.
  public func check(_ integrity: TraceIntegrity, output: ReplayOutputOptions) throws {
    guard integrity.status != .complete else {
      if integrity.interrupted || integrity.stoppedEarly != nil { output.progress("warning: '\(trace)': \(integrity.verdict)") }
      return
    }
    if salvage {
      for problem in integrity.problems { output.progress("warning: '\(trace)': \(problem.message) (salvaged)") }
    } else {
      throw ReplayInputError(prefixed(integrity.verdict) + " (use --salvage to analyse the intact blocks)")
    }
  }

  private func prefixed(_ message: String) -> String {
    message.hasPrefix("'") ? message : "'\(trace)': \(message)"
  }
}

/// `--warm-up`, `--from`, `--to`.
public struct ReplayWindowOptions: ParsableArguments {
  @Option(name: .customLong("warm-up"), help: ArgumentHelp("Ignore records before this time.", valueName: "SECONDS"))
  public var warmUp: Double = 0

  @Option(name: .long, help: ArgumentHelp("Start of the analysis window.", valueName: "SECONDS"))
  public var from: Double?

  @Option(name: .long, help: ArgumentHelp("End of the analysis window.", valueName: "SECONDS"))
  public var to: Double?

  public init() {}

  public mutating func validate() throws {
    guard warmUp.isFinite, warmUp >= 0 else { throw ValidationError("--warm-up must be a finite time ≥ 0, got \(warmUp)") }
    if let from, !from.isFinite { throw ValidationError("--from must be finite") }
    if let to, !to.isFinite { throw ValidationError("--to must be finite") }
    if let from, let to, to <= from { throw ValidationError("--to (\(to)) must be after --from (\(from))") }
    if let to, to <= warmUp { throw ValidationError("--to (\(to)) must be after the warm-up (\(warmUp))") }
  }

  /// The analysis window.
  public var window: AnalysisWindow { AnalysisWindow(warmUp: warmUp, from: from, to: to) }
}

/// Formats a number for tables: 4 significant digits, "-" for nil.
func fmt(_ x: Double?, _ scale: Double = 1) -> String {
  guard let x else { return "-" }
  let v = x * scale
  if v == 0 { return "0" }
  if abs(v) >= 1e6 || abs(v) < 1e-3 { return String(format: "%.3e", v) }
  return String(format: "%.4g", v)
}

/// Left-pads columns to a table.
func table(_ rows: [[String]]) -> String {
  guard let first = rows.first else { return "" }
  var widths = [Int](repeating: 0, count: first.count)
  for row in rows { for (i, c) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
  return rows.map { row in
    row.enumerated().map { i, c in String(repeating: " ", count: widths[i] - c.count) + c }.joined(separator: "  ")
  }.joined(separator: "\n")
}
