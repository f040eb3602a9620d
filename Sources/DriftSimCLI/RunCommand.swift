import ArgumentParser
import Foundation
import DriftSimInterference
import DriftSimSupport
import DriftSimTrace

/// `driftsim run`: simulate one interference-network scenario.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Simulate a K-pair interference network scenario and print delay, power and queue statistics.",
    discussion: """
      The scenario is the `paper` preset (or --preset), then the scenario file, then each --set. \
      With targetSNRdB set, γ is first calibrated by pilot runs so the average transmit SNR hits the \
      target; the full run then reports the achieved SNR with its 95 % CI. Replications run in \
      parallel (--jobs) with seeds derived from (seed, replication), so results do not depend on \
      --jobs. Confidence intervals come from replications when there are ≥ 2, else from batch means.

      Scenario keys (units):
      \(ScenarioOptions.keyHelp)
      """
  )

  @OptionGroup var source: ScenarioOptions

  @Option(help: ArgumentHelp("Write a binary trace of replication 0 to PATH (records chosen by traceLevel).", valueName: "PATH"))
  var trace: String?

  @OptionGroup var parallelism: JobsOption
  /// Worker threads (`--jobs`).
  var jobs: Int { parallelism.count }

  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
    if let trace { try TraceRecorderFactory.check(path: trace) }
  }

  func run() throws {
    let scenario = try source.load()
    let summary = try Self.simulate(scenario, jobs: jobs, tracePath: trace, output: output)
    printTable(summary)
    for warning in summary.warnings { StandardError.write("driftsim: warning: \(warning.message)\n") }
    try output.writeJSON(summary)
  }

  /// A run stopped by SIGINT/SIGTERM: the trace was finished (flagged interrupted) and the command
  /// exits with the interruption status.
  struct Interrupted: ReportableError, CustomStringConvertible {
    var description: String
    var exitStatus: Int32 { TraceInterruption.exitStatus }
  }

  /// Calibrates (if asked), checks stability, runs and summarises.
  /// - Throws: `RunRefusal` (unstable, unreachable target, nothing measured), `SimulationError`
  ///   (the run stopped early), `Interrupted` after a signal; the trace keeps what was recorded.
  static func simulate(_ scenario: Scenario, jobs: Int, tracePath: String?, output: OutputOptions) throws -> RunSummary {
    var gamma = scenario.gamma
    var calibration: CalibrationResult? = nil
    if let target = scenario.targetSNRdB {
      output.progress("calibrating γ for \(target) dB (\(scenario.policy.rawValue), pilot runs of \(min(scenario.epochs, scenario.pilotEpochs)) epochs)…")
      let result = try NetworkRun.calibrateGamma(scenario)
      calibration = result
      gamma = result.gamma
      output.progress(String(format: "  γ = %.6g after %d pilot runs (pilot SNR %.3f dB)", gamma, result.pilotRuns, result.pilotSNRdB))
    }
    try NetworkRun.checkStability(scenario, gamma: gamma)
    let counter = ProgressCounter()
    let display = ProgressDisplay(
      total: scenario.epochs * scenario.replications, counter: counter, label: scenario.policy.rawValue, enabled: !output.quiet)
    defer { display.finish() }
    let recorder = try tracePath.map { try TraceRecorderFactory.make(path: $0, scenario: scenario, gamma: gamma) }
    let results: [ReplicationResult], wall: Double
    do {
      (results, wall) = try NetworkRun.runReplications(scenario, gamma: gamma, jobs: jobs, recorder: recorder?.recorder, progress: counter)
      try recorder?.finish()
    } catch let error as SimulationError {
      // Keep what was recorded: the trace is finished (flagged interrupted after a signal) so it
      // can be analysed up to the failure.
      try? recorder?.finish(stoppedEarly: TraceInterruption.isRequested ? nil : error.description)
      if TraceInterruption.isRequested { throw Interrupted(description: "interrupted; the trace holds everything up to \(error.description)") }
      throw error
    } catch {
      recorder?.abandon()
      throw error
    }
    let summary = NetworkRun.summarize(scenario, gamma: gamma, results: results, wallSeconds: wall, calibration: calibration)
    try summary.checkMeasured()
    return summary
  }

  private func printTable(_ s: RunSummary) {
    func ci(_ values: [Double]?) -> String {
      guard let values, values.count == 2, values.allSatisfy(\.isFinite) else { return "—" }
      return String(format: "[%.3f, %.3f]", values[0], values[1])
    }
    func number(_ value: Double?, _ width: Int, _ digits: Int) -> String {
      let text = value.map { String(format: "%.\(digits)f", $0) } ?? "—"
      return String(repeating: " ", count: max(0, width - text.count)) + text
    }
    output.report(
      String(
        format: "policy %@, γ = %.6g, %d replication(s) × %d epochs (%d warm-up), seed %llu",
        s.policy, s.gamma, s.replications, s.epochs, s.warmupEpochs, s.seed))
    output.report("pair  mean delay ms  95% CI              power    SNR dB  throughput Mbit/s  mean queue  Little W ms  packets")
    for p in s.pairs {
      output.report(
        String(
          format: "%4d  %@  %-18@  %7.3f  %@  %17.4f  %10.3f  %@  %7d", p.pair, number(p.meanDelayMs, 13, 3),
          ci(p.meanDelayCI95), p.avgPower, number(p.avgSNRdB, 7, 3), p.throughputBitsPerSecond / 1e6, p.meanQueuePackets,
          number(p.littleDelayMs, 11, 3), p.packets))
    }
    output.report(
      String(
        format: " all  %13.3f  %-18@  %7.3f  %7.3f  SNR CI %@  Little W %.3f ms", s.meanDelayMs, ci(s.meanDelayCI95),
        s.avgPower, s.avgSNRdB, ci(s.avgSNRdBCI95), s.littleDelayMs))
    output.report(
      String(
        format: "power iteration: %.2f iterations/slot, %.4f %% of slots not converged; %.0f epochs/s (%.2f s)",
        s.meanIterationsPerSlot, 100 * s.nonConvergedSlotFraction, s.epochsPerSecond, s.wallSeconds))
  }
}
