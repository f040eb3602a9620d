import DriftSimInterference
import DriftSimSupport
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// JSON encoding and atomic files for sweep directories.
enum SweepFiles {
  /// Sorted keys, so the same value always gives the same bytes.
  static func encode<T: Encodable>(_ value: T) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    var data = try encoder.encode(value)
    data.append(0x0A)
    return data
  }

  /// Writes `data` to `path` through `path.partial` and a rename, so a reader (or a process killed
  /// mid-write) never leaves a half-written `path`.
  static func writeAtomically(_ data: Data, to path: String) throws {
    let partial = path + ".partial"
    guard FileManager.default.createFile(atPath: partial, contents: data) else {
      throw SweepError("cannot write '\(partial)': \(String(cString: strerror(errno)))")
    }
    guard rename(partial, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(partial)
      throw SweepError("cannot rename '\(partial)' to '\(path)': \(reason)")
    }
  }

  /// Decodes `path`, or nil if it does not exist.
  static func read<T: Decodable>(_ type: T.Type, at path: String) throws -> T? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    do {
      return try JSONDecoder().decode(type, from: data)
    } catch {
      throw SweepError("'\(path)' is not a valid \(type) file (\(error.localizedDescription)); delete it to re-run its task")
    }
  }
}

/// The γ of one calibrated cell (`DIR/calibration/<cell>.json`).
public struct CalibrationRecord: Codable, Sendable {
  /// The plan this belongs to.
  public var planHash: String
  /// The cell index.
  public var cell: Int
  /// `ok`, `calibrationFailed` or `failed`.
  public var status: SweepPointStatus
  /// Why not ok.
  public var reason: String?
  /// The calibration (when ok).
  public var calibration: CalibrationResult?
}

/// The result of one replication task (`DIR/tasks/<index>.json`).
public struct TaskRecord: Codable, Sendable, Equatable {
  /// The plan this belongs to.
  public var planHash: String
  /// The task index.
  public var index: Int
  /// What the replications gave.
  public var outcome: ReplicationBlockOutcome
}

/// A task that could not finish (`DIR/<stage>/<index>.failed.json`); removed when a retry succeeds.
public struct TaskFailure: Codable, Sendable, Equatable {
  /// The plan this belongs to.
  public var planHash: String
  /// The stage.
  public var stage: SweepPlan.Stage
  /// The task index within the stage.
  public var index: Int
  /// The error.
  public var message: String
}

/// What `runTask` did.
public enum TaskRunResult: String, Codable, Sendable {
  /// Ran and wrote its result.
  case ran
  /// Its result already existed.
  case skipped
}

/// Done / pending / failed tasks of each stage (`driftsim sweep status`).
public struct SweepStatus: Codable, Sendable, Equatable {
  /// Per stage.
  public struct Stage: Codable, Sendable, Equatable {
    /// The stage.
    public var stage: SweepPlan.Stage
    /// Tasks in the stage.
    public var total: Int
    /// Indices with a result.
    public var done: Int
    /// Indices without a result or failure record (never started, running, or killed).
    public var pending: [Int]
    /// Indices whose last attempt failed, with the message.
    public var failed: [Failure]
    /// Indices currently locked by a running process.
    public var running: [Int]
  }
  /// A failed index.
  public struct Failure: Codable, Sendable, Equatable {
    /// The task index.
    public var index: Int
    /// Its error.
    public var message: String
  }
  /// The plan's hash.
  public var planHash: String
  /// Both stages.
  public var stages: [Stage]
  /// Whether every task of both stages has a result.
  public var complete: Bool { stages.allSatisfy { $0.done == $0.total } }
}

/// A sweep directory: `plan.json`, `calibration/`, `tasks/`, the merged `sweep.*` files, `slurm/`.
/// Any number of processes on any machines sharing the directory can run tasks; each task's
/// result is written once, atomically, under an exclusive `flock` on `<index>.lock` (released by
/// the kernel if the process dies, so a killed task can simply be run again).
public struct SweepDirectory: Sendable {
  /// The directory.
  public let path: String
  /// The plan read from it.
  public let plan: SweepPlan

  /// Opens a planned directory, checking the plan's format, version and hash.
  /// - Throws: `SweepError` if there is no plan, or it is from another version or was changed.
  public init(path: String, version: String) throws {
    self.path = path
    let file = path + "/plan.json"
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw SweepError("'\(path)' is not a sweep directory (it does not exist or is a file); create one with `driftsim sweep plan SWEEP.yaml -o \(path)`")
    }
    guard let plan = try SweepFiles.read(SweepPlan.self, at: file) else {
      throw SweepError("'\(path)' has no plan.json; create one with `driftsim sweep plan SWEEP.yaml -o \(path)`")
    }
    try plan.verify(path: file, version: version)
    self.plan = plan
  }

  /// Writes `plan` into `path` (created if needed). A directory that already holds the same plan
  /// is reused as is (its results stay valid); one with a different plan is refused.
  /// - Returns: whether an existing identical plan was found.
  /// - Throws: `SweepError` naming the directory.
  @discardableResult
  public static func create(path: String, plan: SweepPlan, version: String) throws -> Bool {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else { throw SweepError("-o \(path): exists and is not a directory") }
    }
    let file = path + "/plan.json"
    if FileManager.default.fileExists(atPath: file) {
      let existing = try SweepDirectory(path: path, version: version)
      guard existing.plan.hash == plan.hash else {
        throw SweepError(
          "'\(path)' already holds another plan (hash \(existing.plan.hash), this sweep's is \(plan.hash)); use a new directory or delete it")
      }
      return true
    }
    do {
      for sub in ["", "/calibration", "/tasks"] {
        try FileManager.default.createDirectory(atPath: path + sub, withIntermediateDirectories: true)
      }
    } catch {
      throw SweepError("cannot create the sweep directory '\(path)': \(error.localizedDescription)")
    }
    try SweepFiles.writeAtomically(try SweepFiles.encode(plan), to: file)
    return false
  }

  func folder(_ stage: SweepPlan.Stage) -> String { path + (stage == .calibrate ? "/calibration" : "/tasks") }
  func resultPath(_ stage: SweepPlan.Stage, _ index: Int) -> String { folder(stage) + "/\(index).json" }
  func failurePath(_ stage: SweepPlan.Stage, _ index: Int) -> String { folder(stage) + "/\(index).failed.json" }
  func lockPath(_ stage: SweepPlan.Stage, _ index: Int) -> String { folder(stage) + "/\(index).lock" }

  /// Runs task `index` of `stage` unless its result exists. The result goes to `<index>.json`
  /// atomically; an error is recorded in `<index>.failed.json` (and rethrown) without touching
  /// any other task.
  /// - Throws: `SweepError` for an index out of range, a task another process is running, or a
  ///   run task whose calibration has not finished; I/O errors.
  public func runTask(_ stage: SweepPlan.Stage, index: Int) throws -> TaskRunResult {
    guard index >= 0, index < plan.count(stage) else {
      throw SweepError("--index \(index): the \(stage.rawValue) stage of '\(path)' has tasks 0…\(plan.count(stage) - 1)")
    }
    let lock = lockPath(stage, index)
    let fd = open(lock, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw SweepError("cannot open the lock file '\(lock)': \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
      throw SweepError("\(stage.rawValue) task \(index) of '\(path)' is being run by another process (it holds '\(lock)')")
    }
    if FileManager.default.fileExists(atPath: resultPath(stage, index)) { return .skipped }
    do {
      let data: Data
      switch stage {
      case .calibrate: data = try SweepFiles.encode(calibrate(cell: plan.calibrations[index]))
      case .run: data = try SweepFiles.encode(TaskRecord(planHash: plan.hash, index: index, outcome: try replicate(plan.tasks[index])))
      }
      try SweepFiles.writeAtomically(data, to: resultPath(stage, index))
      unlink(failurePath(stage, index))
      return .ran
    } catch {
      let message = (error as? any ReportableError)?.message ?? "\(error)"
      let failure = TaskFailure(planHash: plan.hash, stage: stage, index: index, message: message)
      try? SweepFiles.writeAtomically(try SweepFiles.encode(failure), to: failurePath(stage, index))
      throw error
    }
  }

  private func calibrate(cell: Int) -> CalibrationRecord {
    let c = plan.cells[cell]
    do {
      let calibration = try NetworkRun.calibrateGamma(c.scenario, point: c.point)
      return CalibrationRecord(planHash: plan.hash, cell: cell, status: .ok, reason: nil, calibration: calibration)
    } catch let refusal as RunRefusal {
      return CalibrationRecord(planHash: plan.hash, cell: cell, status: .calibrationFailed, reason: refusal.description, calibration: nil)
    } catch {
      let message = (error as? any ReportableError)?.message ?? "\(error)"
      return CalibrationRecord(planHash: plan.hash, cell: cell, status: .failed, reason: "calibration: \(message)", calibration: nil)
    }
  }

  /// The calibration record of a cell, checked against the plan.
  func calibration(cell: Int) throws -> CalibrationRecord? {
    guard let stageIndex = plan.calibrations.firstIndex(of: cell) else { return nil }
    guard let record = try SweepFiles.read(CalibrationRecord.self, at: resultPath(.calibrate, stageIndex)) else {
      throw SweepError(
        "cell \(cell) needs calibration task \(stageIndex), which has no result yet in '\(path)/calibration'; run the calibrate stage first")
    }
    guard record.planHash == plan.hash else {
      throw SweepError("'\(resultPath(.calibrate, stageIndex))' belongs to another plan (\(record.planHash)); delete it and re-run the calibration")
    }
    return record
  }

  private func replicate(_ task: SweepPlan.Task) throws -> ReplicationBlockOutcome {
    let cell = plan.cells[task.cell]
    var gamma = cell.scenario.gamma
    if let record = try calibration(cell: task.cell) {
      guard record.status == .ok, let calibration = record.calibration else {
        return ReplicationBlockOutcome(status: record.status, reason: record.reason, gamma: gamma, digests: [])
      }
      gamma = calibration.gamma
    }
    return NetworkRun.runBlock(
      cell.scenario, gamma: gamma, point: cell.point, replications: task.firstReplication..<(task.firstReplication + task.replicationCount))
  }

  /// Done, pending, running and failed tasks of both stages.
  public func status() throws -> SweepStatus {
    var stages: [SweepStatus.Stage] = []
    for stage in SweepPlan.Stage.allCases {
      var done = 0
      var pending: [Int] = [], failed: [SweepStatus.Failure] = [], running: [Int] = []
      for index in 0..<plan.count(stage) {
        if FileManager.default.fileExists(atPath: resultPath(stage, index)) {
          done += 1
          continue
        }
        if isLocked(lockPath(stage, index)) { running.append(index) }
        if let failure = try SweepFiles.read(TaskFailure.self, at: failurePath(stage, index)) {
          failed.append(SweepStatus.Failure(index: index, message: failure.message))
        } else {
          pending.append(index)
        }
      }
      stages.append(SweepStatus.Stage(stage: stage, total: plan.count(stage), done: done, pending: pending, failed: failed, running: running))
    }
    return SweepStatus(planHash: plan.hash, stages: stages)
  }

  private func isLocked(_ lock: String) -> Bool {
    let fd = open(lock, O_RDWR | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    if flock(fd, LOCK_EX | LOCK_NB) == 0 {
      flock(fd, LOCK_UN)
      return false
    }
    return true
  }

  /// Merges every task result into the sweep's rows, in plan order.
  /// - Parameter partial: merge what exists; cells with missing or failed tasks get status
  ///   `missing` (and the result says `partial: true`).
  /// - Throws: `SweepError` listing the missing and failed tasks (when not `partial`), or a result
  ///   file that belongs to another plan.
  public func merge(partial: Bool = false) throws -> SweepResult {
    let state = try status()
    if !state.complete && !partial {
      var parts: [String] = []
      for stage in state.stages where stage.done < stage.total {
        func list(_ indices: [Int]) -> String {
          indices.prefix(20).map(String.init).joined(separator: ",") + (indices.count > 20 ? ",… (\(indices.count))" : "")
        }
        if !stage.pending.isEmpty { parts.append("\(stage.stage.rawValue) tasks pending: \(list(stage.pending))") }
        if !stage.failed.isEmpty {
          parts.append(
            "\(stage.stage.rawValue) tasks failed: \(list(stage.failed.map(\.index))) (first: \(stage.failed[0].message))")
        }
      }
      throw SweepError("'\(path)' is not complete: \(parts.joined(separator: "; ")); run them (or merge with --partial)")
    }
    var outcomes: [[ReplicationBlockOutcome?]] = Array(repeating: [], count: plan.cells.count)
    for (index, task) in plan.tasks.enumerated() {
      let record = try SweepFiles.read(TaskRecord.self, at: resultPath(.run, index))
      if let record, record.planHash != plan.hash || record.index != index {
        throw SweepError("'\(resultPath(.run, index))' belongs to another plan or task; delete it and re-run task \(index)")
      }
      outcomes[task.cell].append(record?.outcome)
    }
    var rows: [SweepRow] = []
    for (c, cell) in plan.cells.enumerated() {
      let calibration = try? self.calibration(cell: c)
      rows.append(
        SweepRow(plan: plan, cell: c, scenario: cell.scenario, outcomes: outcomes[c], calibration: calibration?.calibration))
    }
    return SweepResult(plan: plan, rows: rows, partial: !state.complete)
  }
}
