import ArgumentParser
import DriftSimCLISupport
import DriftSimPlot
import Foundation

/// Bad input or a failed check (exit status 1); see `CLISupport.InputError`.
public typealias DriftSimError = InputError
/// `--json PATH|-` and `--quiet`; see `DriftSimCLISupport.OutputOptions`.
public typealias OutputOptions = DriftSimCLISupport.OutputOptions
/// Writes to stderr; see `DriftSimCLISupport.StandardError`.
public typealias StandardError = DriftSimCLISupport.StandardError
/// The SVG chart every command draws with; see `DriftSimPlot.SVGChart`.
typealias SVGChart = DriftSimPlot.SVGChart

/// Whether this binary was compiled without optimisation (benchmarks warn about it).
var isDebugBuild: Bool {
  #if DEBUG
    return true
  #else
    return false
  #endif
}

/// Parses a comma-separated list of numbers such as "0,1,10,100" given to `option`.
/// - Parameter minimum: the smallest value accepted.
/// - Throws: `DriftSimError` naming the option and the bad entry (an empty list is bad too).
func parseNumberList(_ text: String, option: String, minimum: Double = -.infinity) throws -> [Double] {
  let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
  var values: [Double] = []
  for part in parts {
    guard let value = Double(part), value.isFinite, value >= minimum else {
      throw DriftSimError("\(option): '\(part)' is not a number\(minimum > -.infinity ? " ≥ \(minimum)" : "")")
    }
    values.append(value)
  }
  guard !values.isEmpty else { throw DriftSimError("\(option): empty list") }
  return values
}

/// Writes an SVG document to `path` (named by `--svg` in messages): a file atomically, a device
/// or FIFO such as /dev/null written through, never replaced (see `OutputPath`).
/// - Throws: `DriftSimError` naming `--svg` and the path if it cannot be written.
func writeSVG(_ text: String, to path: String, option: String = "--svg") throws {
  try OutputPath.check(path, option: option).write(text)
}

/// `--jobs N`: worker threads. The default is the number of cores, written in the help as words
/// (not the number) so that help screens are the same on every machine.
struct JobsOption: ParsableArguments {
  @Option(
    name: .customLong("jobs"),
    help: ArgumentHelp(
      "Worker threads (default: the number of cores). Results do not depend on it.", valueName: "n"))
  var requested: Int?

  /// The number of threads to use.
  var count: Int { requested ?? ProcessInfo.processInfo.activeProcessorCount }

  func validate() throws {
    if let requested, requested < 1 { throw ValidationError("--jobs must be at least 1, got \(requested)") }
  }
}

/// `--tolerance` and `--max-iterations` of the relative value iterations (value-iteration,
/// two-pair): when a solve has converged, and when it gives up.
struct ConvergenceOptions: ParsableArguments {
  @Option(help: "Stop when span(Th − h) ≤ tolerance · max|h|.")
  var tolerance = 1e-13

  @Option(help: "Give up after this many sweeps.")
  var maxIterations = 200_000
}
