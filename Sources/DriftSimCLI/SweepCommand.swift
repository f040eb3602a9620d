import ArgumentParser
import DriftSimCLISupport
import DriftSimInterference
import DriftSimSweep
import Foundation

/// `driftsim sweep`: multi-axis grids × policies × replications, locally or as a plan of tasks for
/// many processes or a Slurm job array.
struct SweepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep",
    abstract: "Run grids of scenarios (one or more keys varied) for several policies, locally or on a cluster.",
    discussion: """
      A sweep is a sweep file (YAML or JSON: preset or scenario, set, axes, zip, policies, replications, replicationsPerTask, seed; see docs/sweeps.md) or today's flags (--preset paper-fig7|paper-fig8|paper-fig9, or a base scenario file with one or more --vary KEY=v1,v2,…, whose Cartesian product is the grid). Without a subcommand, `driftsim sweep …` is `driftsim sweep run …`.

      `sweep run` executes the plan on local cores and writes DIR/sweep.csv, sweep.json and sweep.svg. For a cluster: `sweep plan FILE -o DIR` writes DIR/plan.json (every task with its resolved scenario and seed, a content hash, the DriftSim version); `sweep task DIR --stage calibrate|run --index I` runs one task (atomic, resumable, locked); `sweep merge DIR` writes the same files as `sweep run`, byte for byte; `sweep status DIR` counts done, pending and failed tasks; `sweep slurm DIR --submit` writes and submits Slurm job arrays.

      Example: driftsim sweep run sweeps/paper-fig8.yaml --set epochs=2000 -o fig8
      """,
    subcommands: [
      SweepRunCommand.self, SweepPlanCommand.self, SweepTaskCommand.self, SweepMergeCommand.self, SweepStatusCommand.self,
      SweepSlurmCommand.self,
    ],
    defaultSubcommand: SweepRunCommand.self
  )
}

extension SweepPlan.Stage: ExpressibleByArgument {}

/// Where a sweep comes from: a sweep file, or today's flags (a preset or --vary axes over a base
/// scenario file), then overrides of policies, replications and scenario keys.
struct SweepSourceOptions: ParsableArguments {
  @Argument(
    help: ArgumentHelp(
      "A sweep file (YAML or JSON); with --preset or --vary, a base scenario file instead.", valueName: "file"))
  var file: String?

  @Option(help: "A shipped sweep: paper-fig7, paper-fig8 or paper-fig9 (the files in sweeps/).")
  var preset: String?

  @Option(
    help: ArgumentHelp(
      "A key and its values, e.g. --vary arrivalRate=0.5,1,1.5. Repeatable: the grid is the Cartesian product.",
      valueName: "KEY=v1,v2,…"))
  var vary: [String] = []

  @Option(help: ArgumentHelp("Policies to compare (default: the sweep file's, else fluid, csi-only, qwto and tdma).", valueName: "p1,p2,…"))
  var policies: String?

  @Option(help: "Replications per point and policy, 1…10000 (default: the sweep file's, else 5).")
  var replications: Int?

  @Option(help: "Replications per task (default: the sweep file's, else 1).")
  var replicationsPerTask: Int?

  @Option(name: .customLong("set"), help: ArgumentHelp("Override a base scenario key (repeatable).", valueName: "key=value"))
  var overrides: [String] = []

  func validate() throws {
    if preset != nil && !vary.isEmpty { throw ValidationError("give either --preset or --vary, not both") }
    if let replications, !(1...10_000).contains(replications) { throw ValidationError("--replications must be in 1…10000") }
    if let replicationsPerTask, replicationsPerTask < 1 { throw ValidationError("--replications-per-task must be at least 1") }
  }

  /// The sweep described by the options.
  func spec() throws -> SweepSpec {
    var spec: SweepSpec
    if let preset {
      spec = try SweepPresets.spec(preset)
      if let file { try ScenarioOptions.apply(scenarioFile: file, to: &spec.base) }
    } else if !vary.isEmpty && file.map({ !Self.looksLikeSweepFile($0) }) ?? true {
      var base = try ScenarioBuilder(preset: "paper")
      if let file { try ScenarioOptions.apply(scenarioFile: file, to: &base) }
      spec = SweepSpec(
        name: vary.map { String($0.prefix { $0 != "=" }) }.joined(separator: "-"), base: base, axes: [], zip: [],
        policies: PolicyName.paperPolicies, replications: 5, seed: nil)
    } else if let file {
      spec = try SweepSpec.load(path: file)
    } else {
      throw ValidationError("give a sweep file, --preset NAME, or --vary KEY=v1,v2,…")
    }
    for text in vary { spec.axes.append(try SweepSpec.axis(fromVary: text)) }
    for assignment in overrides { try spec.base.apply(override: assignment) }
    if overrides.contains(where: { $0.hasPrefix("seed=") }) { spec.seed = spec.base.scenario.seed }
    if let policies {
      var chosen: [PolicyName] = []
      for word in policies.split(separator: ",", omittingEmptySubsequences: false) {
        let name = word.trimmingCharacters(in: .whitespaces)
        guard let policy = PolicyName(rawValue: name) else {
          throw DriftSimError("--policies: unknown policy '\(name)'; known: \(PolicyName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        chosen.append(policy)
      }
      spec.policies = chosen
    }
    if let replications { spec.replications = replications }
    if let replicationsPerTask { spec.replicationsPerTask = replicationsPerTask }
    return try spec.checked()
  }

  /// A file with a top-level `axes` or `zip` key is a sweep file; anything else is a scenario.
  static func looksLikeSweepFile(_ path: String) -> Bool {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
    return text.split(whereSeparator: \.isNewline).contains { $0.hasPrefix("axes:") || $0.hasPrefix("zip:") || $0.hasPrefix("\"axes\"") }
  }
}

/// Checks an output file before any work (see `OutputPath.check`); "-" is standard output.
func checkOutputFile(_ path: String, option: String) throws {
  guard path != "-" else { return }
  _ = try OutputPath.check(path, option: option)
}

/// Checks an output directory before any work: an existing writable directory, or a new one
/// whose parent directory exists and is writable (created later by the sweep, never a whole chain
/// of missing parents: a typo must not grow a tree).
func checkOutputDirectory(_ path: String, option: String) throws {
  if FileManager.default.fileExists(atPath: path) {
    try OutputPath.checkDirectory(path, option: option, create: false)
    return
  }
  let parent = OutputPath.parent(of: path)
  guard FileManager.default.fileExists(atPath: parent) else {
    throw DriftSimError("\(option) \(path): the parent directory '\(parent)' does not exist")
  }
  try OutputPath.checkDirectory(parent, option: option, create: false)
}

/// Prints the merged table (stdout, or stderr with --json -).
func reportSweep(_ result: SweepResult, output: OutputOptions) {
  output.report((result.keys + ["policy", "meanDelayMs", "CI95", "avgSNRdB", "status"]).joined(separator: ","))
  for r in result.rows {
    output.report(
      (r.values + [
        r.policy.rawValue, r.meanDelayMs.map { String(format: "%.3f", $0) } ?? "—",
        r.meanDelayCI95.map { String(format: "[%.3f %.3f]", $0[0], $0[1]) } ?? "—", r.avgSNRdB.map { String(format: "%.2f", $0) } ?? "—",
        r.status.rawValue + (r.reason.map { " (\($0.prefix(60)))" } ?? ""),
      ]).joined(separator: ","))
  }
}
