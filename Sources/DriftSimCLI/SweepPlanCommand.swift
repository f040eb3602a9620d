import ArgumentParser
import DriftSimInterference
import DriftSimSweep
import DriftSimSupport
import Foundation

/// `driftsim sweep plan`: resolve a sweep into DIR/plan.json.
struct SweepPlanCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan",
    abstract: "Resolve a sweep into DIR/plan.json: every task with its scenario and seed, a content hash, the DriftSim version.",
    discussion: """
      Every scenario of the grid is validated now, so a bad value fails before any work. The plan has two stages: calibrate (one task per grid point × policy whose scenario sets targetSNRdB; it writes the γ to DIR/calibration) and run (blocks of replicationsPerTask replications; each reads its cell's γ, so equal power holds across shards). Planning the same sweep into the same DIR again changes nothing; another sweep there is refused.

      Example: driftsim sweep plan sweeps/paper-fig8.yaml --set epochs=20000 -o fig8 && driftsim sweep slurm fig8 --submit
      """
  )

  @OptionGroup var source: SweepSourceOptions

  @Option(name: [.customShort("o"), .customLong("output-directory")], help: ArgumentHelp("The sweep directory.", valueName: "DIR"))
  var outputDirectory: String

  @OptionGroup var output: OutputOptions

  struct Report: Encodable {
    var directory: String
    var hash: String
    var points: Int
    var cells: Int
    var calibrationTasks: Int
    var runTasks: Int
    var alreadyPlanned: Bool
  }

  func run() throws {
    try checkOutputDirectory(outputDirectory, option: "--output-directory")
    if let json = output.json { try checkOutputFile(json, option: "--json") }
    let plan = try SweepPlan(try source.spec(), version: DriftSimVersion.string)
    let existed = try SweepDirectory.create(path: outputDirectory, plan: plan, version: DriftSimVersion.string)
    output.report(
      "\(existed ? "unchanged" : "planned") \(outputDirectory)/plan.json: \(plan.points.count) points × \(plan.policies.count) policies, "
        + "\(plan.calibrations.count) calibration tasks, \(plan.tasks.count) run tasks, hash \(plan.hash)")
    try output.writeJSON(
      Report(
        directory: outputDirectory, hash: plan.hash, points: plan.points.count, cells: plan.cells.count,
        calibrationTasks: plan.calibrations.count, runTasks: plan.tasks.count, alreadyPlanned: existed))
  }
}

/// `driftsim sweep task`: run tasks of a planned directory.
struct SweepTaskCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "task",
    abstract: "Run task I (or tasks I…I+N−1) of a stage of a planned sweep directory.",
    discussion: """
      The result goes to DIR/calibration/I.json or DIR/tasks/I.json through a .partial file and a rename, so a killed task leaves no half-written result. A task whose result exists is skipped, so tasks can be re-run freely; a task another process is running (it holds I.lock with flock) is refused; a failed task records its error in I.failed.json and the others are untouched. Run tasks need their cell's calibration: run the calibrate stage first. Exit status 1 when any task of the range failed.

      Example: driftsim sweep task fig8 --stage run --index $SLURM_ARRAY_TASK_ID
      """
  )

  @Argument(help: ArgumentHelp("The sweep directory (made by `sweep plan`).", valueName: "DIR"))
  var directory: String

  @Option(help: "The stage: calibrate or run.")
  var stage: SweepPlan.Stage = .run

  @Option(help: "The first task index (0-based, within the stage).")
  var index: Int

  @Option(help: "How many consecutive tasks to run (clipped at the end of the stage).")
  var count = 1

  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard index >= 0 else { throw ValidationError("--index must be ≥ 0") }
    guard count >= 1 else { throw ValidationError("--count must be at least 1") }
  }

  func run() throws {
    let sweep = try SweepDirectory(path: directory, version: DriftSimVersion.string)
    let total = sweep.plan.count(stage)
    guard index < total else {
      throw DriftSimError("--index \(index): the \(stage.rawValue) stage of '\(directory)' has \(total) tasks (0…\(total - 1))")
    }
    var failures: [String] = []
    for i in index..<min(total, index + count) {
      do {
        let result = try sweep.runTask(stage, index: i)
        output.progress("\(stage.rawValue) task \(i): \(result.rawValue)")
      } catch let error as any ReportableError {
        StandardError.write("driftsim: \(stage.rawValue) task \(i) failed: \(error.message)\n")
        failures.append("\(i)")
      }
    }
    if !failures.isEmpty {
      throw DriftSimError("\(failures.count) \(stage.rawValue) task(s) failed in '\(directory)': \(failures.joined(separator: ",")); see `driftsim sweep status \(directory)`")
    }
  }
}

/// `driftsim sweep merge`: merge task results into sweep.csv, sweep.json, sweep.svg.
struct SweepMergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Merge the task results of a sweep directory into DIR/sweep.csv, sweep.json and sweep.svg.",
    discussion: """
      The files are byte-identical to those of `driftsim sweep run` of the same sweep, whatever the number of shards, their order or retries (they hold no wall-clock fields). With missing or failed tasks the merge lists them and exits 1; --partial merges what exists, with those rows marked "missing" and "partial": true in sweep.json.

      Example: driftsim sweep merge fig8 --partial
      """
  )

  @Argument(help: ArgumentHelp("The sweep directory.", valueName: "DIR"))
  var directory: String

  @Flag(help: "Merge what exists; rows with missing tasks get status 'missing'.")
  var partial = false

  @OptionGroup var output: OutputOptions

  func run() throws {
    if let json = output.json { try checkOutputFile(json, option: "--json") }
    let sweep = try SweepDirectory(path: directory, version: DriftSimVersion.string)
    let result = try sweep.merge(partial: partial)
    try result.write(to: directory)
    reportSweep(result, output: output)
    output.report("wrote \(directory)/sweep.csv, sweep.json, sweep.svg\(result.partial ? " (partial)" : "")")
    try output.writeJSON(result)
  }
}

/// `driftsim sweep status`: done, pending and failed tasks.
struct SweepStatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "Count done, pending, running and failed tasks of a sweep directory, and list which.",
    discussion: """
      Pending tasks have neither a result nor a failure record (never started, or killed); running ones are locked by a live process. Resubmit the pending and failed ones, e.g. with sbatch --array=<list> (see docs/sweeps.md).

      Example: driftsim sweep status fig8 --json -
      """
  )

  @Argument(help: ArgumentHelp("The sweep directory.", valueName: "DIR"))
  var directory: String

  @OptionGroup var output: OutputOptions

  func run() throws {
    if let json = output.json { try checkOutputFile(json, option: "--json") }
    let status = try SweepDirectory(path: directory, version: DriftSimVersion.string).status()
    for stage in status.stages {
      func list(_ xs: [Int]) -> String { xs.isEmpty ? "" : " [" + xs.prefix(50).map(String.init).joined(separator: ",") + (xs.count > 50 ? ",…" : "") + "]" }
      output.report(
        "\(stage.stage.rawValue): \(stage.done)/\(stage.total) done, \(stage.pending.count) pending\(list(stage.pending)), "
          + "\(stage.running.count) running\(list(stage.running)), \(stage.failed.count) failed\(list(stage.failed.map(\.index)))")
      for failure in stage.failed.prefix(10) { output.report("  \(stage.stage.rawValue) \(failure.index): \(failure.message)") }
    }
    try output.writeJSON(status)
  }
}
