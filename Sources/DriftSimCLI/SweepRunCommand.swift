import ArgumentParser
import DriftSimInterference
import DriftSimSweep
import Foundation

/// `driftsim sweep run`: plan a sweep into a directory and run every task on local cores.
struct SweepRunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a sweep on local cores and write DIR/sweep.csv, sweep.json and sweep.svg.",
    discussion: """
      The sweep is planned into DIR (DIR/plan.json, as `sweep plan` writes it), every calibration task runs, then every replication task, each on its own core (--jobs), and the results are merged. Task results stay in DIR, so a sweep interrupted with Ctrl-C resumes where it stopped when run again with the same arguments; a different sweep in the same DIR is refused. Seeds derive from (seed, grid point, replication): results do not depend on --jobs, and the policies at one point see the same arrivals and channels. Points a policy cannot serve, runs that stop early and runs that measure nothing are rows with a status and a reason; the sweep goes on.

      Example: driftsim sweep run sweeps/paper-fig8.yaml --set epochs=2000 --replications 2 -o fig8
      """
  )

  @OptionGroup var source: SweepSourceOptions

  @OptionGroup var parallelism: JobsOption
  /// Worker threads (`--jobs`).
  var jobs: Int { parallelism.count }

  @Option(
    name: [.customShort("o"), .customLong("output-directory")],
    help: ArgumentHelp("Directory for plan.json, the task results and sweep.csv, sweep.json, sweep.svg (default: ./sweep-NAME).", valueName: "DIR"))
  var outputDirectory: String?

  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
  }

  func run() throws {
    let spec = try source.spec()
    let directoryPath = outputDirectory ?? "sweep-\(spec.name)"
    try checkOutputDirectory(directoryPath, option: "--output-directory")
    if let json = output.json { try checkOutputFile(json, option: "--json") }
    let plan = try SweepPlan(spec, version: DriftSimVersion.string)
    let resumed = try SweepDirectory.create(path: directoryPath, plan: plan, version: DriftSimVersion.string)
    let directory = try SweepDirectory(path: directoryPath, version: DriftSimVersion.string)
    output.progress(
      "sweep \(spec.name): \(plan.points.count) points × \(plan.policies.count) policies × \(plan.replications) replications: "
        + "\(plan.calibrations.count) calibration and \(plan.tasks.count) replication tasks on \(jobs) threads\(resumed ? " (resuming \(directoryPath))" : "")")
    let quiet = output.quiet
    let result = try LocalSweep.run(directory, jobs: jobs) { stage, index, done, total in
      guard !quiet else { return }
      StandardError.write("[\(stage.rawValue) \(done)/\(total)] task \(index)\n")
    }
    try result.write(to: directoryPath)
    reportSweep(result, output: output)
    output.report("wrote \(directoryPath)/sweep.csv, sweep.json, sweep.svg")
    try output.writeJSON(result)
  }
}
