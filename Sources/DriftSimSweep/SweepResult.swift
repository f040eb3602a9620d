import DriftSimInterference
import DriftSimPlot
import DriftSimSupport
import Foundation

/// One row of a sweep: one grid point, one policy. Numbers are null unless `status` is measured
/// (ok or warning); they are never NaN or infinite.
public struct SweepRow: Codable, Sendable, Equatable {
  /// The varied keys' values at this point (as written), aligned with the result's `keys`.
  public var values: [String]
  /// Policy.
  public var policy: PolicyName
  /// How the point ended.
  public var status: SweepPointStatus
  /// Why it has no numbers (or the warnings), for people.
  public var reason: String?
  /// Warning kinds of a measured point.
  public var warnings: [RunWarning.Kind]
  /// γ used (calibrated when targetSNRdB is set).
  public var gamma: Double?
  /// Mean delay (ms).
  public var meanDelayMs: Double?
  /// Its 95 % CI (ms).
  public var meanDelayCI95: [Double]?
  /// Achieved average SNR (dB).
  public var avgSNRdB: Double?
  /// Its 95 % CI (dB).
  public var avgSNRdBCI95: [Double]?
  /// Little's-law delay (ms).
  public var littleDelayMs: Double?
  /// Replications.
  public var replications: Int

  /// Builds the row of a cell from its task outcomes (nil = missing), in task order.
  init(plan: SweepPlan, cell index: Int, scenario: Scenario, outcomes: [ReplicationBlockOutcome?], calibration: CalibrationResult?) {
    let cell = plan.cells[index]
    values = plan.points[cell.point]
    policy = cell.policy
    warnings = []
    replications = plan.replications
    status = .ok
    gamma = outcomes.compactMap { $0?.gamma }.first.flatMap(finite)
    if let bad = outcomes.compactMap({ $0 }).first(where: { $0.status != .ok }) {
      status = bad.status
      reason = bad.reason
      return
    }
    guard outcomes.allSatisfy({ $0 != nil }), let gammaUsed = outcomes.first??.gamma else {
      status = .missing
      reason = "\(outcomes.filter { $0 == nil }.count) of \(outcomes.count) tasks have no result (partial merge)"
      return
    }
    let digests = outcomes.flatMap { $0!.digests }
    let summary = NetworkRun.summarize(scenario, gamma: gammaUsed, digests: digests, wallSeconds: 0, calibration: calibration)
    do {
      try summary.checkMeasured()
    } catch {
      status = .invalid
      reason = error.description
      return
    }
    meanDelayMs = finite(summary.meanDelayMs)
    meanDelayCI95 = summary.meanDelayCI95.flatMap(finitePair)
    avgSNRdB = finite(summary.avgSNRdB)
    avgSNRdBCI95 = summary.avgSNRdBCI95.flatMap(finitePair)
    littleDelayMs = finite(summary.littleDelayMs)
    warnings = summary.warnings.map(\.kind)
    if !summary.warnings.isEmpty {
      status = .warning
      reason = summary.warnings.map(\.message).joined(separator: "; ")
    }
  }
}

private func finite(_ x: Double) -> Double? { x.isFinite ? x : nil }
private func finitePair(_ x: [Double]) -> [Double]? { x.count == 2 && x.allSatisfy(\.isFinite) ? x : nil }

/// A merged sweep: what `sweep.json` holds, plus its CSV and SVG renderings. No wall-clock fields,
/// so the same plan gives the same bytes whatever the shards, their order or retries.
public struct SweepResult: Codable, Sendable {
  /// The result format.
  public var format = 1
  /// The DriftSim version of the plan.
  public var driftsimVersion: String
  /// The plan's hash.
  public var planHash: String
  /// The sweep's name.
  public var name: String
  /// The varied keys (columns).
  public var keys: [String]
  /// Policies.
  public var policies: [PolicyName]
  /// Replications per cell.
  public var replications: Int
  /// Base seed.
  public var seed: UInt64
  /// Whether some tasks were missing (`--partial`); such rows have status `missing`.
  public var partial: Bool
  /// One row per grid point × policy, in plan order.
  public var rows: [SweepRow]

  init(plan: SweepPlan, rows: [SweepRow], partial: Bool) {
    driftsimVersion = plan.driftsimVersion
    planHash = plan.hash
    name = plan.name
    keys = plan.keys
    policies = plan.policies
    replications = plan.replications
    seed = plan.seed
    self.partial = partial
    self.rows = rows
  }

  /// `sweep.json`.
  public func json() throws -> Data { try SweepFiles.encode(self) }

  /// `sweep.csv`: one column per varied key, then policy, status, the numbers (empty cells where a
  /// point has none) and the reason.
  public func csv() -> String {
    func f(_ x: Double?) -> String { x.map { String(format: "%.6g", $0) } ?? "" }
    func quoted(_ s: String) -> String {
      s.contains(where: { ",\"\n".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
    var lines = [
      (keys + [
        "policy", "status", "gamma", "meanDelayMs", "meanDelayLow", "meanDelayHigh", "avgSNRdB", "avgSNRdBLow", "avgSNRdBHigh",
        "littleDelayMs", "replications", "reason",
      ]).joined(separator: ",")
    ]
    for r in rows {
      lines.append(
        (r.values.map(quoted) + [
          r.policy.rawValue, r.status.rawValue, f(r.gamma), f(r.meanDelayMs), f(r.meanDelayCI95?[0]), f(r.meanDelayCI95?[1]),
          f(r.avgSNRdB), f(r.avgSNRdBCI95?[0]), f(r.avgSNRdBCI95?[1]), f(r.littleDelayMs), "\(r.replications)", quoted(r.reason ?? ""),
        ]).joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// `sweep.svg`: mean delay with 95 % CIs against the first key whose values are all numbers (else
  /// the point order), one line per policy, and one panel per combination of the other keys' values
  /// (small multiples, stacked). Points without numbers, or whose queues grew, are left out.
  public func svg() -> String {
    let xKey = keys.indices.first { k in rows.allSatisfy { Double($0.values[k]) != nil } } ?? 0
    let others = keys.indices.filter { $0 != xKey }
    var panels: [[String]] = []
    for row in rows {
      let label = others.map { row.values[$0] }
      if !panels.contains(label) { panels.append(label) }
    }
    if panels.isEmpty { panels = [[]] }
    var charts: [String] = []
    for label in panels {
      let inPanel = rows.filter { row in others.map { row.values[$0] } == label }
      let plotted = inPanel.filter { $0.status.isMeasured && $0.meanDelayMs != nil && !$0.warnings.contains(.queuesGrew) }
      let delays = plotted.compactMap(\.meanDelayMs).filter { $0 > 0 }
      let wideRange = (delays.max() ?? 1) / (delays.min() ?? 1) > 30
      let suffix = zip(others.map { keys[$0] }, label).map { "\($0)=\($1)" }.joined(separator: ", ")
      var chart = SVGChart(
        title: "Mean delay per pair (\(name)\(suffix.isEmpty ? "" : ", " + suffix))", xLabel: keys.isEmpty ? "point" : keys[xKey],
        yLabel: "mean delay (ms)", logY: wideRange)
      for policy in policies {
        let points = plotted.filter { $0.policy == policy }
        let xs = points.map { row -> Double in
          Double(row.values[xKey]) ?? Double(rows.firstIndex(of: row) ?? 0)
        }
        chart.series.append(
          SVGChart.Series(
            name: policy.rawValue, x: xs, y: points.map { $0.meanDelayMs! },
            errorBars: points.map { ($0.meanDelayCI95?[0] ?? $0.meanDelayMs!, $0.meanDelayCI95?[1] ?? $0.meanDelayMs!) },
            line: true, markers: true))
      }
      charts.append(chart.render())
    }
    if charts.count == 1 { return charts[0] }
    // Small multiples: each 800 × 500 chart as a nested <svg>, stacked vertically.
    var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"\(500 * charts.count)\" viewBox=\"0 0 800 \(500 * charts.count)\">\n"
    for (i, chart) in charts.enumerated() {
      var body = chart
      if body.hasPrefix("<?xml"), let end = body.firstIndex(of: "\n") { body = String(body[body.index(after: end)...]) }
      body = body.replacingOccurrences(of: "<svg ", with: "<svg x=\"0\" y=\"\(500 * i)\" ", options: [], range: body.range(of: "<svg "))
      out += body + (body.hasSuffix("\n") ? "" : "\n")
    }
    return out + "</svg>\n"
  }

  /// Writes `sweep.csv`, `sweep.json` and `sweep.svg` into `directory` (each atomically).
  public func write(to directory: String) throws {
    try SweepFiles.writeAtomically(Data(csv().utf8), to: directory + "/sweep.csv")
    try SweepFiles.writeAtomically(try json(), to: directory + "/sweep.json")
    try SweepFiles.writeAtomically(Data(svg().utf8), to: directory + "/sweep.svg")
  }
}

/// Runs a whole plan on local cores: the calibration stage, then the run stage, through the same
/// task files a cluster would write (so an interrupted local sweep resumes where it stopped), then
/// merges.
public enum LocalSweep {
  /// Runs every task of `directory` not yet done on up to `jobs` threads, then merges.
  /// - Parameter report: called (from worker threads) after each task with (stage, index, done, total).
  /// - Throws: the lowest failing task's error (the other tasks still ran and kept their results).
  public static func run(
    _ directory: SweepDirectory, jobs: Int, report: @escaping @Sendable (SweepPlan.Stage, Int, Int, Int) -> Void
  ) throws -> SweepResult {
    for stage in SweepPlan.Stage.allCases {
      let total = directory.plan.count(stage)
      let done = Counter()
      // The workers take the next task from a shared counter; handing out the expensive tasks first
      // (longest processing time first) leaves the cheap ones to fill the gaps, so the cores finish
      // within about one cheap task of each other. The order changes only when a task runs: every
      // task writes its own file, and the merge reads them by index.
      let order = executionOrder(directory.plan, stage)
      let outcomes = try parallelMap(count: total, jobs: jobs) { position in
        let index = order[position]
        let result = Result { try directory.runTask(stage, index: index) }
        report(stage, index, done.increment(), total)
        return result.mapError { $0 as any Error }
      }
      // Every task ran (a failure stops no other task); the lowest failing index's error wins.
      var byIndex = [Result<TaskRunResult, any Error>?](repeating: nil, count: total)
      for (position, outcome) in outcomes.enumerated() { byIndex[order[position]] = outcome }
      for outcome in byIndex { _ = try outcome?.get() }
    }
    return try directory.merge()
  }
}

extension LocalSweep {
  /// The relative cost of a replication of `scenario`: epochs × slots × the allocation's work per
  /// slot (K² for the weighted iteration, K for TDMA), from the profile in docs/performance.md.
  static func estimatedCost(_ scenario: Scenario) -> Double {
    let pairs = Double(scenario.pairs)
    let perSlot = scenario.policy == .tdma ? pairs + 10 : pairs * pairs + 10
    return Double(scenario.epochs) * Double(scenario.slotsPerEpoch) * perSlot
  }

  /// The order in which a local run hands out a stage's tasks: most expensive first, ties in index
  /// order (deterministic).
  static func executionOrder(_ plan: SweepPlan, _ stage: SweepPlan.Stage) -> [Int] {
    let costs: [Double]
    switch stage {
    case .calibrate:
      costs = plan.calibrations.map { cell in
        let scenario = plan.cells[cell].scenario
        return estimatedCost(scenario) * Double(min(scenario.pilotEpochs, scenario.epochs)) / Double(max(scenario.epochs, 1))
      }
    case .run:
      costs = plan.tasks.map { Double($0.replicationCount) * estimatedCost(plan.cells[$0.cell].scenario) }
    }
    return costs.indices.sorted { costs[$0] != costs[$1] ? costs[$0] > costs[$1] : $0 < $1 }
  }
}

/// A thread-safe counter for progress.
final class Counter: Sendable {
  private let value = Mutex(0)
  func increment() -> Int { value.withLock { $0 += 1; return $0 } }
}

import Synchronization
