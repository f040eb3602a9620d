import ArgumentParser
import Foundation
import DriftSimMeanField
import DriftSimTrace

/// The CTMC records `meanfield simulate --trace` writes.
enum CTMCTraceLevel: String, ExpressibleByArgument, CaseIterable {
  /// Jumps and snapshots.
  case ctmc
  /// Jumps only (exact replay).
  case ctmcJumps
  /// Snapshots only (approximate replay).
  case ctmcSnapshots

  var level: TraceLevel {
    switch self {
    case .ctmc: return .ctmc
    case .ctmcJumps: return .ctmcJumps
    case .ctmcSnapshots: return .ctmcSnapshots
    }
  }
}

/// `driftsim meanfield simulate`.
struct MeanFieldSimulateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "simulate",
    abstract: "Simulate the CTMC with M objects exactly (Gillespie direct method) and optionally write a trace.",
    discussion: """
      The trace holds CTMC jump records (time, transition) and count snapshots every --snapshot-interval seconds (plus one at the horizon); its header stores the model, M, the equilibrium x*, its relaxation time, the jump vectors and the initial counts, so 'driftsim-replay meanfield-error' can rebuild the exact path.

      Limits: the run may expect at most \(String(format: "%.0e", CTMCWorkLimit.maximumExpectedJumps)) jumps (M × total rate at x(0) × T); SIGINT or SIGTERM stops it early with a complete trace marked interrupted (exit 130/143).

      Example: driftsim meanfield simulate --population 1000 --horizon 100 --trace sis.dstrace
      """)

  @OptionGroup var modelOptions: MeanFieldModelOptions
  @Option(help: "Number of objects M (≥ 1).") var population = 1000
  @Option(help: "Simulated time T in seconds.") var horizon = 100.0
  @Option(help: ArgumentHelp("Initial occupancy x(0) as a comma list (default: the model's).", valueName: "x0,x1,…")) var initial: String?
  @Option(help: "Base seed.") var seed: UInt64 = 1
  @Option(help: ArgumentHelp("Write a binary trace to PATH.", valueName: "PATH")) var trace: String?
  @Option(help: "Trace records: ctmc (jumps and snapshots), ctmcJumps or ctmcSnapshots.") var traceLevel = CTMCTraceLevel.ctmc
  @Option(help: "Seconds between count snapshots in the trace.") var snapshotInterval = 1.0
  @OptionGroup var output: OutputOptions

  func validate() throws {
    if let trace { try checkOutputFile(trace, option: "--trace") }  // before any work
    guard population >= 1 else { throw ValidationError("--population must be at least 1, got \(population)") }
    guard horizon > 0, horizon.isFinite else { throw ValidationError("--horizon must be positive, got \(horizon)") }
    guard snapshotInterval > 0, snapshotInterval.isFinite else { throw ValidationError("--snapshot-interval must be positive") }
  }

  func run() throws {
    let model = try modelOptions.load()
    let x0 = try parseInitialOccupancy(initial, model: model)
    TraceInterruption.install()
    let started = Date()
    let summary = try MeanFieldSimulation.run(
      model: model, population: population, initial: x0, horizon: horizon, seed: seed, tracePath: trace, level: traceLevel.level,
      snapshotInterval: snapshotInterval, scenario: modelOptions.description(of: model),
      softwareVersion: "driftsim \(DriftSimVersion.string)")
    let seconds = Date().timeIntervalSince(started)
    output.report("\(model.name), M = \(population), T = \(summary.horizonSeconds) s: \(summary.jumps) jumps (\(String(format: "%.3f", seconds)) s wall)")
    output.report("x(T) = \(formatted(summary.finalOccupancy)), time-average x = \(formatted(summary.meanOccupancy))")
    output.report("x* = \(formatted(summary.equilibrium)), time-average ‖x − x*‖² = \(String(format: "%.6g", summary.meanSquareError))")
    if let trace { output.report("trace written to \(trace)\(summary.interrupted ? " (interrupted)" : "")") }
    try output.writeJSON(summary)
    if summary.interrupted { throw ExitCode(TraceInterruption.exitStatus) }
  }
}
