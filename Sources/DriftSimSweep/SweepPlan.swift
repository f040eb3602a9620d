import DriftSimInterference
import DriftSimSupport
import Foundation

/// A sweep resolved into tasks that any number of processes can run (`DIR/plan.json`): every cell
/// (grid point × policy) with its fully resolved scenario, the calibration stage (one task per cell
/// whose scenario sets targetSNRdB) and the replication tasks (blocks of a cell's replications), a
/// content hash and the DriftSim version that made it.
///
/// Seeds: replication r of grid point p uses `replicationSeed(base: seed, point: p, replication: r)`
/// whatever the task, shard or process, and the calibration of (p, policy) uses replication 0's
/// seed, so every policy at one point sees the same arrivals and channels.
public struct SweepPlan: Codable, Sendable {
  /// The plan file format; a plan with another format is refused.
  public static let formatVersion = 1
  /// This file's format.
  public var format: Int
  /// The DriftSim version that wrote the plan (tasks refuse a plan of another version, whose
  /// results might differ).
  public var driftsimVersion: String
  /// The sweep's name.
  public var name: String
  /// The varied keys, in column order (product axes, then the zip keys).
  public var keys: [String]
  /// Which keys vary together in the zip group.
  public var zipKeys: [String]
  /// Policies, in column order.
  public var policies: [PolicyName]
  /// Replications per cell.
  public var replications: Int
  /// Replications per task.
  public var replicationsPerTask: Int
  /// The base seed.
  public var seed: UInt64
  /// Grid points: the value text of every key (aligned with `keys`).
  public var points: [[String]]
  /// Cells: grid point × policy.
  public var cells: [Cell]
  /// Cells calibrated in the calibration stage (indices into `cells`), in order.
  public var calibrations: [Int]
  /// Replication tasks, in order.
  public var tasks: [Task]
  /// FNV-1a 64 of the plan's JSON without this field (hex): detects a plan changed under a
  /// directory (not tampering).
  public var hash: String

  /// One grid point × policy.
  public struct Cell: Codable, Sendable, Equatable {
    /// Index into `points`.
    public var point: Int
    /// Policy.
    public var policy: PolicyName
    /// The fully resolved scenario (replications = the plan's replications).
    public var scenario: Scenario
  }

  /// A block of one cell's replications.
  public struct Task: Codable, Sendable, Equatable {
    /// Index into `cells`.
    public var cell: Int
    /// The first replication (0-based).
    public var firstReplication: Int
    /// How many replications.
    public var replicationCount: Int
  }

  /// The sweep's two stages; the run stage reads the γ the calibration stage wrote.
  public enum Stage: String, Codable, Sendable, CaseIterable {
    /// γ calibration to targetSNRdB, one task per calibrated cell.
    case calibrate
    /// Replication blocks.
    case run
  }

  /// Number of tasks of a stage.
  public func count(_ stage: Stage) -> Int { stage == .calibrate ? calibrations.count : tasks.count }

  /// Resolves a spec: applies every point's values to the base, validates every scenario (so a
  /// bad value fails here, naming the point, before hours of work), and derives the tasks.
  /// - Parameter version: the DriftSim version recorded in the plan.
  /// - Throws: `ScenarioError` naming the value's source, or `SweepError`.
  public init(_ spec: SweepSpec, version: String) throws {
    let spec = try spec.checked()
    format = Self.formatVersion
    driftsimVersion = version
    name = spec.name
    keys = spec.axes.map(\.key) + spec.zip.map(\.key)
    zipKeys = spec.zip.map(\.key)
    policies = spec.policies
    replications = spec.replications
    replicationsPerTask = spec.replicationsPerTask
    seed = spec.seed
    // Cartesian product, first axis slowest (rows come out in reading order); the zip group last.
    var combos: [[SweepValue]] = [[]]
    for axis in spec.axes { combos = combos.flatMap { c in axis.values.map { c + [$0] } } }
    if let first = spec.zip.first {
      combos = combos.flatMap { c in (0..<first.values.count).map { i in c + spec.zip.map { $0.values[i] } } }
    }
    points = combos.map { $0.map(\.text) }
    cells = []
    calibrations = []
    tasks = []
    var base = spec.base
    try base.apply(override: "replications=\(spec.replications)")
    try base.apply(override: "seed=\(spec.seed)")
    for (p, combo) in combos.enumerated() {
      var builder = base
      for (key, value) in zip(keys, combo) { try builder.set(key, value.value, source: value.source) }
      for policy in spec.policies {
        var withPolicy = builder
        try withPolicy.apply(override: "policy=\(policy.rawValue)")
        let scenario = try withPolicy.validated()
        let cell = cells.count
        cells.append(Cell(point: p, policy: policy, scenario: scenario))
        if scenario.targetSNRdB != nil { calibrations.append(cell) }
        var first = 0
        while first < spec.replications {
          let count = min(spec.replicationsPerTask, spec.replications - first)
          tasks.append(Task(cell: cell, firstReplication: first, replicationCount: count))
          first += count
        }
      }
    }
    hash = ""
    hash = try computedHash()
  }

  /// The content hash of this plan (with `hash` itself left out).
  public func computedHash() throws -> String {
    var copy = self
    copy.hash = ""
    return String(format: "%016llx", fnv1a64(try SweepFiles.encode(copy)))
  }

  /// Checks that a plan read from `path` was written by this DriftSim version in this format and
  /// that its content still matches its hash.
  /// - Throws: `SweepError` naming the file and what differs.
  public func verify(path: String, version: String) throws {
    guard format == Self.formatVersion else {
      throw SweepError("\(path): plan format \(format), but this driftsim reads format \(Self.formatVersion); re-plan with `driftsim sweep plan`")
    }
    guard driftsimVersion == version else {
      throw SweepError(
        "\(path): planned by DriftSim \(driftsimVersion), but this is DriftSim \(version); results could differ, so re-plan into a new directory with this version")
    }
    let actual = try computedHash()
    guard actual == hash else {
      throw SweepError("\(path): the plan's content hash is \(actual) but the file says \(hash): plan.json was changed after planning; re-plan into a new directory")
    }
  }
}

/// FNV-1a, 64 bits: a fast content fingerprint (not a cryptographic hash).
func fnv1a64(_ data: Data) -> UInt64 {
  var hash: UInt64 = 0xcbf2_9ce4_8422_2325
  for byte in data {
    hash ^= UInt64(byte)
    hash = hash &* 0x0000_0100_0000_01b3
  }
  return hash
}
