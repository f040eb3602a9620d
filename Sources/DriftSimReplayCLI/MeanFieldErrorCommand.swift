import ArgumentParser
import Foundation
import DriftSimReplay

/// `driftsim-replay meanfield-error TRACE`: the stationary mean-field error statistic from a CTMC
/// trace written by `driftsim meanfield simulate --trace`.
struct MeanFieldErrorCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "meanfield-error",
    abstract: "Time-average ‖x − x*‖² (and M times it, with a batch-means 95 % CI) over a saved CTMC trace.",
    discussion: """
      x*, M, the jump vectors and the initial counts come from the trace header (written by 'driftsim meanfield simulate --trace'). With jump records the path is rebuilt exactly (piecewise-constant integration); with snapshots only, the counts are held constant between snapshots (an approximation, reported as method "snapshots").

      Each batch window must last at least \(TraceErrorStatistics.minimumWindowRelaxationTimes) relaxation times of the ODE at x* (stored in the header; \(TraceErrorStatistics.fallbackMinimumWindowSeconds) s for older traces): shorter windows are correlated and give intervals that are far too narrow.

      Example: driftsim-replay meanfield-error sis.dstrace --warm-up 50 --batches 16
      """)

  @Argument(help: ArgumentHelp("The trace file.", valueName: "TRACE"))
  var trace: String

  @Option(help: "Seconds discarded at the start of the trace.")
  var warmUp = 0.0

  @Option(help: "Batch-means windows for the confidence interval (≥ 2; each ≥ 10 relaxation times long).")
  var batches = 32

  @OptionGroup var output: ReplayOutputOptions

  func validate() throws {
    guard warmUp >= 0, warmUp.isFinite else { throw ValidationError("--warm-up must be ≥ 0, got \(warmUp)") }
    guard batches >= 2 else { throw ValidationError("--batches must be at least 2, got \(batches)") }
  }

  func run() throws {
    let report = try TraceErrorStatistics.compute(path: trace, warmUp: warmUp, batches: batches)
    func list(_ v: [Double]) -> String { "(" + v.map { String(format: "%.6f", $0) }.joined(separator: ", ") + ")" }
    output.report("\(report.model), M = \(report.population), x* = \(list(report.equilibrium)), integrity: \(report.integrity)")
    output.report(
      String(format: "averaged over %.6g s after a warm-up of %.6g s (%d jumps, method: %@)", report.durationSeconds, report.warmUpSeconds, report.jumps, report.method))
    var line = String(format: "E‖x − x*‖² = %.6e, M·E = %.5f", report.meanSquareError, report.scaledError)
    if let ci = report.scaledErrorCI95 { line += String(format: " [%.5f, %.5f] (95%% CI)", ci[0], ci[1]) }
    output.report(line)
    output.report("time-average x = \(list(report.meanOccupancy))")
    try output.writeJSON(report)
  }
}
