import ArgumentParser
import Foundation
import DriftSimInterference
import DriftSimMeanField

/// `driftsim sweep`: one key varied × policies × replications, in parallel.
struct SweepCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep",
    abstract: "Run a grid of scenarios (one key varied) for several policies and plot mean delay with 95 % CIs.",
    discussion: """
      Either --preset paper-fig7 (targetSNRdB 0…20 dB at λ = 1), paper-fig8 (arrivalRate 0.5…2.5 at
      6 dB) or paper-fig9 (pairs 2…10 at 6 dB), or --vary KEY=v1,v2,… on any scenario key. Every
      (point, policy) calibrates γ when targetSNRdB is set, then runs --replications replications
      whose seeds derive from (seed, point, replication): results do not depend on --jobs, and the
      policies at one point see the same arrivals and channels. Points a policy cannot serve are
      reported with status "unstable" instead of stopping the sweep.
      Writes DIR/sweep.csv, DIR/sweep.json and DIR/sweep.svg (--output-directory, default
      ./sweep-NAME); the plot leaves out points whose queues grew through the run (no steady state).
      """
  )

  @Argument(help: ArgumentHelp("A scenario file (YAML or JSON) for the base scenario.", valueName: "scenario"))
  var scenarioFile: String?

  @Option(help: "A sweep preset: paper-fig7, paper-fig8 or paper-fig9.")
  var preset: String?

  @Option(help: ArgumentHelp("The key and its values, e.g. --vary arrivalRate=0.5,1,1.5.", valueName: "KEY=v1,v2,…"))
  var vary: String?

  @Option(help: ArgumentHelp("Policies to compare.", valueName: "p1,p2,…"))
  var policies: String = PolicyName.paperPolicies.map(\.rawValue).joined(separator: ",")

  @Option(help: "Replications per point and policy (≥ 2 gives replication CIs).")
  var replications = 5

  @Option(name: .customLong("set"), help: ArgumentHelp("Override a base scenario key (repeatable).", valueName: "key=value"))
  var overrides: [String] = []

  @Option(help: "Parallel tasks (default: the number of cores).")
  var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

  @Option(help: ArgumentHelp("Directory for sweep.csv, sweep.json and sweep.svg.", valueName: "DIR"))
  var outputDirectory: String?

  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard (preset == nil) != (vary == nil) else { throw ValidationError("give exactly one of --preset and --vary") }
    guard replications >= 1 && replications <= 10_000 else { throw ValidationError("--replications must be in 1…10000") }
    guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
  }

  struct Report: Encodable {
    var key: String
    var values: [String]
    var policies: [String]
    var replications: Int
    var seed: UInt64
    var rows: [SweepRow]
    var csv: String
    var svg: String
  }

  func run() throws {
    let plan: SweepPlan
    let name: String
    do {
      var builder = try ScenarioBuilder(preset: "paper")
      if let scenarioFile {
        guard let text = try? String(contentsOfFile: scenarioFile, encoding: .utf8) else {
          throw DriftSimError("cannot read scenario file '\(scenarioFile)'")
        }
        try builder.apply(document: text, source: scenarioFile)
      }
      let key: String, values: [String]
      if let preset {
        let p = try SweepPlan.preset(preset)
        for o in p.overrides { try builder.apply(override: o) }
        (key, values, name) = (p.key, p.values, preset)
      } else {
        let text = vary!
        guard let equals = text.firstIndex(of: "="), !text[text.index(after: equals)...].isEmpty else {
          throw DriftSimError("--vary \(text): expected KEY=v1,v2,…")
        }
        key = String(text[..<equals])
        values = text[text.index(after: equals)...].split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        name = key
      }
      try builder.apply(override: "replications=\(replications)")
      for o in overrides { try builder.apply(override: o) }
      var chosen: [PolicyName] = []
      for word in policies.split(separator: ",") {
        guard let policy = PolicyName(rawValue: word.trimmingCharacters(in: .whitespaces)) else {
          throw DriftSimError("--policies: unknown policy '\(word)'; known: \(PolicyName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        chosen.append(policy)
      }
      plan = SweepPlan(key: key, values: values, policies: chosen, base: builder)
    } catch let error as ScenarioError {
      throw DriftSimError(error.description)
    }
    let quiet = output.quiet
    output.progress("sweep \(name): \(plan.values.count) points × \(plan.policies.count) policies × \(replications) replications on \(jobs) threads")
    let rows: [SweepRow]
    do {
      rows = try SweepRunner.run(plan, jobs: jobs) { row, done, total in
        guard !quiet else { return }
        let delay = row.meanDelayMs.map { String(format: "%.3f ms", $0) } ?? "—"
        StandardError.write("[\(done)/\(total)] \(row.key)=\(row.value) \(row.policy): \(delay) \(row.status == "ok" ? "" : "(\(row.status.prefix(80)))")\n")
      }
    } catch let error as ScenarioError {
      throw DriftSimError(error.description)
    }
    let csv = SweepRunner.csv(rows)
    // Points whose queues grew through the run have no steady-state delay (it grows with the run
    // length): they stay in the CSV and JSON with their status but are left out of the plot.
    let plotted = rows.filter { $0.meanDelayMs != nil && !$0.status.contains("queues grew") }
    let delays = plotted.map { $0.meanDelayMs! }.filter { $0 > 0 }
    let wideRange = (delays.max() ?? 1) / (delays.min() ?? 1) > 30
    var chart = SVGChart(
      title: "Mean delay per pair (\(name))", xLabel: plan.key, yLabel: "mean delay (ms)", logY: wideRange)
    for policy in plan.policies {
      let points = plotted.filter { $0.policy == policy.rawValue }
      chart.series.append(
        SVGChart.Series(
          name: policy.rawValue, x: points.map(\.x), y: points.map { $0.meanDelayMs! },
          errorBars: points.map { ($0.meanDelayCI95?[0] ?? $0.meanDelayMs!, $0.meanDelayCI95?[1] ?? $0.meanDelayMs!) },
          line: true, markers: true))
    }
    let svg = chart.render()
    let directory = outputDirectory ?? "sweep-\(name)"
    do {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      try csv.write(toFile: directory + "/sweep.csv", atomically: true, encoding: .utf8)
      try svg.write(toFile: directory + "/sweep.svg", atomically: true, encoding: .utf8)
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      try encoder.encode(rows).write(to: URL(fileURLWithPath: directory + "/sweep.json"))
    } catch {
      throw DriftSimError("cannot write the sweep results to '\(directory)': \(error.localizedDescription)")
    }
    output.report("key,value,policy,meanDelayMs,CI95,avgSNRdB,status")
    for r in rows {
      output.report(
        "\(r.key),\(r.value),\(r.policy),\(r.meanDelayMs.map { String(format: "%.3f", $0) } ?? "—"),"
          + "\(r.meanDelayCI95.map { String(format: "[%.3f %.3f]", $0[0], $0[1]) } ?? "—"),"
          + "\(r.avgSNRdB.map { String(format: "%.2f", $0) } ?? "—"),\(r.status.prefix(60))")
    }
    output.report("wrote \(directory)/sweep.csv, sweep.json, sweep.svg")
    try output.writeJSON(
      Report(
        key: plan.key, values: plan.values, policies: plan.policies.map(\.rawValue), replications: replications,
        seed: (try? plan.base.validated().seed) ?? 1, rows: rows, csv: csv, svg: svg))
  }
}
