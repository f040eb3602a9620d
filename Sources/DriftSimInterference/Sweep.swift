import Dispatch
import Foundation

/// A grid of scenarios (one key varied) × policies × replications, run in parallel.
public struct SweepPlan: Sendable {
  /// The varied key.
  public var key: String
  /// Its values, as `--set` would read them.
  public var values: [String]
  /// Policies compared at every point.
  public var policies: [PolicyName]
  /// The base scenario (before the varied key and policy are applied).
  public var base: ScenarioBuilder

  /// Creates a plan.
  public init(key: String, values: [String], policies: [PolicyName], base: ScenarioBuilder) {
    self.key = key
    self.values = values
    self.policies = policies
    self.base = base
  }

  /// The paper's figure sweeps (model.md "Paper's simulation setting"):
  /// fig7: targetSNRdB 0…20 dB at λ = 1; fig8: λ = 0.5…2.5 at 6 dB (2.5 is past the stable limit of every policy); fig9: K = 2…10 at 6 dB.
  public static func preset(_ name: String) throws(ScenarioError) -> (key: String, values: [String], overrides: [String]) {
    switch name {
    case "paper-fig7": return ("targetSNRdB", ["0", "5", "10", "15", "20"], ["arrivalRate=1"])
    case "paper-fig8": return ("arrivalRate", ["0.5", "1", "1.5", "2", "2.5"], ["targetSNRdB=6"])
    case "paper-fig9": return ("pairs", ["2", "3", "4", "5", "6", "7", "8", "9", "10"], ["targetSNRdB=6"])
    default:
      throw ScenarioError("unknown sweep preset '\(name)'; known: paper-fig7, paper-fig8, paper-fig9")
    }
  }

  /// The validated scenario of one point and policy.
  public func scenario(point: Int, policy: PolicyName) throws(ScenarioError) -> Scenario {
    var builder = base
    try builder.apply(override: "\(key)=\(values[point])")
    try builder.apply(override: "policy=\(policy.rawValue)")
    return try builder.validated()
  }
}

/// One row of a sweep: one point, one policy.
public struct SweepRow: Codable, Sendable {
  /// The varied key.
  public var key: String
  /// Its value at this point (as given).
  public var value: String
  /// The value as a number (for plotting).
  public var x: Double
  /// Policy.
  public var policy: String
  /// "ok", or why the point has no result (e.g. "unstable: …").
  public var status: String
  /// γ used.
  public var gamma: Double?
  /// Mean delay (ms) and its 95 % CI.
  public var meanDelayMs: Double?
  /// 95 % CI of the mean delay (ms).
  public var meanDelayCI95: [Double]?
  /// Achieved average SNR (dB) and its CI.
  public var avgSNRdB: Double?
  /// 95 % CI of the SNR (dB).
  public var avgSNRdBCI95: [Double]?
  /// Little's-law delay (ms).
  public var littleDelayMs: Double?
  /// Replications.
  public var replications: Int
}

/// Runs sweeps.
public enum SweepRunner {
  /// Runs every (point, policy) task on up to `jobs` threads; each task calibrates γ if the scenario
  /// has a target SNR, then runs its replications with seeds derived from (seed, point, replication),
  /// so results do not depend on `jobs` and policies at one point share random numbers.
  /// - Parameter report: called (from worker threads, serialised) after each task.
  public static func run(
    _ plan: SweepPlan, jobs: Int, report: @escaping @Sendable (SweepRow, Int, Int) -> Void
  ) throws -> [SweepRow] {
    // Validate every point up front so a typo fails before hours of work.
    var tasks: [(point: Int, policy: PolicyName, scenario: Scenario)] = []
    for point in plan.values.indices {
      for policy in plan.policies {
        tasks.append((point, policy, try plan.scenario(point: point, policy: policy)))
      }
    }
    let rows = RowBox(count: tasks.count)
    let workers = max(1, min(jobs, tasks.count))
    let total = tasks.count
    let unchecked = UncheckedBox(tasks)
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      var index = worker
      while index < total {
        let task = unchecked.value[index]
        let row = runTask(plan: plan, point: task.point, scenario: task.scenario)
        let done = rows.set(index, row)
        report(row, done, total)
        index += workers
      }
    }
    return rows.all()
  }

  static func runTask(plan: SweepPlan, point: Int, scenario: Scenario) -> SweepRow {
    var row = SweepRow(
      key: plan.key, value: plan.values[point], x: Double(plan.values[point]) ?? Double(point),
      policy: scenario.policy.rawValue, status: "ok", replications: scenario.replications)
    do {
      var gamma = scenario.gamma
      var calibration: CalibrationResult? = nil
      if scenario.targetSNRdB != nil {
        calibration = try NetworkRun.calibrateGamma(scenario, point: point)
        gamma = calibration!.gamma
      }
      try NetworkRun.checkStability(scenario, gamma: gamma)
      let (results, wall) = try NetworkRun.runReplications(scenario, gamma: gamma, point: point, jobs: 1)
      let summary = NetworkRun.summarize(scenario, gamma: gamma, results: results, wallSeconds: wall, calibration: calibration)
      row.gamma = gamma
      row.meanDelayMs = summary.meanDelayMs
      row.meanDelayCI95 = summary.meanDelayCI95
      row.avgSNRdB = summary.avgSNRdB
      row.avgSNRdBCI95 = summary.avgSNRdBCI95
      row.littleDelayMs = summary.littleDelayMs
      if !summary.warnings.isEmpty { row.status = "warning: " + summary.warnings.joined(separator: "; ") }
    } catch {
      let message = "\(error)"
      row.status = message.hasPrefix("unstable") ? message : message.contains("unstable") ? "unstable: \(message)" : "failed: \(message)"
    }
    return row
  }

  /// CSV with a header; empty cells where a point has no result.
  public static func csv(_ rows: [SweepRow]) -> String {
    func f(_ x: Double?) -> String { x.map { String(format: "%.6g", $0) } ?? "" }
    var lines = ["key,value,policy,status,gamma,meanDelayMs,meanDelayLow,meanDelayHigh,avgSNRdB,avgSNRdBLow,avgSNRdBHigh,littleDelayMs,replications"]
    for r in rows {
      let status = "\"" + r.status.replacingOccurrences(of: "\"", with: "'") + "\""
      lines.append(
        [r.key, r.value, r.policy, status, f(r.gamma), f(r.meanDelayMs), f(r.meanDelayCI95?[0]), f(r.meanDelayCI95?[1]),
         f(r.avgSNRdB), f(r.avgSNRdBCI95?[0]), f(r.avgSNRdBCI95?[1]), f(r.littleDelayMs), "\(r.replications)"].joined(separator: ","))
    }
    return lines.joined(separator: "\n") + "\n"
  }
}

final class RowBox: @unchecked Sendable {
  private let lock = NSLock()
  private var rows: [SweepRow?]
  private var done = 0
  init(count: Int) { rows = Array(repeating: nil, count: count) }
  func set(_ index: Int, _ row: SweepRow) -> Int {
    lock.lock()
    defer { lock.unlock() }
    rows[index] = row
    done += 1
    return done
  }
  func all() -> [SweepRow] {
    lock.lock()
    defer { lock.unlock() }
    return rows.compactMap { $0 }
  }
}
