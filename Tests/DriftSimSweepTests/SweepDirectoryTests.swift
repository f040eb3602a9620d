import DriftSimInterference
import Foundation
import Testing

@testable import DriftSimSweep

#if canImport(Glibc)
  import Glibc
#endif

@Suite("sweep directories: tasks, locks, merge")
struct SweepDirectoryTests {
  static let text = """
    set: {epochs: 200, warmupEpochs: 20, pairs: 2, targetSNRdB: 6}
    axes: {arrivalRate: [0.5, 1e-6]}
    policies: [tdma]
    replications: 2
    seed: 4
    """

  func temporary(_ name: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("driftsim-sweeptest-\(name)-\(getpid())").path
    try? FileManager.default.removeItem(atPath: path)
    return path
  }

  func plan(_ text: String = Self.text) throws -> SweepPlan {
    try SweepPlan(try SweepSpec.parse(text, source: "t.yaml", name: "t", directory: "."), version: "test")
  }

  @Test("tasks in any order merge to the local result; a point that delivers nothing is an invalid row")
  func mergeEqualsLocal() throws {
    let a = temporary("a"), b = temporary("b")
    defer { try? FileManager.default.removeItem(atPath: a); try? FileManager.default.removeItem(atPath: b) }
    let p = try plan()
    try SweepDirectory.create(path: a, plan: p, version: "test")
    let local = try LocalSweep.run(try SweepDirectory(path: a, version: "test"), jobs: 2) { _, _, _, _ in }
    try local.write(to: a)
    try SweepDirectory.create(path: b, plan: p, version: "test")
    let shard = try SweepDirectory(path: b, version: "test")
    #expect(throws: SweepError.self) { _ = try shard.runTask(.run, index: 0) }  // calibration first
    for i in (0..<p.calibrations.count).reversed() { #expect(try shard.runTask(.calibrate, index: i) == .ran) }
    for i in (0..<p.tasks.count).reversed() { _ = try shard.runTask(.run, index: i) }
    #expect(try shard.runTask(.run, index: 0) == .skipped)
    let merged = try shard.merge()
    try merged.write(to: b)
    for file in ["sweep.csv", "sweep.json", "sweep.svg"] {
      #expect(FileManager.default.contents(atPath: a + "/" + file) == FileManager.default.contents(atPath: b + "/" + file), "\(file)")
    }
    #expect(merged.rows[0].status.isMeasured)
    // λ = 1e-6: no packet, no power, so no γ reaches 6 dB; the row says why and has no numbers.
    #expect(merged.rows[1].status == .calibrationFailed && merged.rows[1].meanDelayMs == nil && merged.rows[1].avgSNRdB == nil)
    #expect(merged.rows[1].reason?.contains("cannot reach targetSNRdB") == true)
    for line in merged.csv().split(separator: "\n").dropFirst() {
      let cells = line.split(separator: ",", omittingEmptySubsequences: false)
      for cell in cells[3...11] { #expect(cell.isEmpty || Double(cell)?.isFinite == true, "\(line)") }
    }
    #expect(merged.rows[1].status != .ok)
  }

  @Test("a point that delivers nothing is an invalid row with a reason; the sweep goes on")
  func invalidRow() throws {
    let a = temporary("invalid")
    defer { try? FileManager.default.removeItem(atPath: a) }
    let p = try plan("set: {epochs: 200, warmupEpochs: 20, pairs: 2}\naxes: {arrivalRate: [1e-6, 0.5]}\npolicies: [tdma]\nreplications: 2\n")
    try SweepDirectory.create(path: a, plan: p, version: "test")
    let result = try LocalSweep.run(try SweepDirectory(path: a, version: "test"), jobs: 1) { _, _, _, _ in }
    #expect(result.rows[0].status == .invalid && result.rows[0].meanDelayMs == nil)
    #expect(result.rows[0].reason?.contains("no packet was delivered") == true)
    #expect(result.rows[1].status.isMeasured)
    try result.write(to: a)
    #expect(FileManager.default.fileExists(atPath: a + "/sweep.json"))
    #expect(!result.csv().contains("inf") && !result.csv().lowercased().contains("nan"))
  }

  @Test("a task locked by another process is refused; missing tasks block merge unless partial")
  func lockAndPartial() throws {
    let a = temporary("lock")
    defer { try? FileManager.default.removeItem(atPath: a) }
    let p = try plan()
    try SweepDirectory.create(path: a, plan: p, version: "test")
    let sweep = try SweepDirectory(path: a, version: "test")
    // flock locks belong to the open file description, so a second open in this process conflicts
    // exactly as another process would.
    let fd = open(a + "/calibration/0.lock", O_CREAT | O_RDWR, 0o644)
    defer { close(fd) }
    #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
    do {
      _ = try sweep.runTask(.calibrate, index: 0)
      Issue.record("ran a locked task")
    } catch let error as SweepError {
      #expect(error.description.contains("being run by another process"))
    }
    #expect(try sweep.status().stages[0].running == [0])
    flock(fd, LOCK_UN)
    _ = try sweep.runTask(.calibrate, index: 0)
    _ = try sweep.runTask(.calibrate, index: 1)
    _ = try sweep.runTask(.run, index: 0)
    do {
      _ = try sweep.merge()
      Issue.record("merged an incomplete sweep")
    } catch let error as SweepError {
      #expect(error.description.contains("run tasks pending: 1,2,3"))
    }
    let partial = try sweep.merge(partial: true)
    #expect(partial.partial && partial.rows.allSatisfy { $0.status == .missing })
  }

  @Test("a plan changed under DIR, from another version, or another plan in DIR is refused")
  func planChecks() throws {
    let a = temporary("hash")
    defer { try? FileManager.default.removeItem(atPath: a) }
    let p = try plan()
    try SweepDirectory.create(path: a, plan: p, version: "test")
    #expect(try SweepDirectory.create(path: a, plan: p, version: "test"))  // same plan: reused
    let other = try plan(Self.text.replacingOccurrences(of: "seed: 4", with: "seed: 5"))
    #expect(throws: SweepError.self) { try SweepDirectory.create(path: a, plan: other, version: "test") }
    func message(_ version: String) -> String {
      do { _ = try SweepDirectory(path: a, version: version); return "no error" } catch { return "\(error)" }
    }
    #expect(message("9.9.9").contains("planned by DriftSim test, but this is DriftSim 9.9.9"))
    let file = a + "/plan.json"
    let edited = try String(contentsOfFile: file, encoding: .utf8).replacingOccurrences(of: "\"epochs\" : 200", with: "\"epochs\" : 201")
    try edited.write(toFile: file, atomically: true, encoding: .utf8)
    #expect(message("test").contains("plan.json was changed after planning"))
  }

  @Test("Slurm arrays chunk beyond MaxArraySize and throttle with %M")
  func slurmChunks() throws {
    let a = temporary("slurm")
    defer { try? FileManager.default.removeItem(atPath: a) }
    let text = "axes: {arrivalRate: [\((1...30).map { "0.\($0)" }.joined(separator: ","))]}\npolicies: [tdma, fluid]\nreplications: 40\n"
    try SweepDirectory.create(path: a, plan: try plan(text), version: "test")
    let sweep = try SweepDirectory(path: a, version: "test")
    let scripts = SlurmScripts(
      directory: sweep, absolutePath: a,
      options: .init(partition: "p", time: "1:00", cpusPerTask: 1, maxParallel: 50, maxArraySize: 1001, executable: "/opt/driftsim"))
    #expect(scripts.arrays.count == 1)  // no targetSNRdB: no calibration stage
    let run = scripts.arrays[0]
    #expect(run.tasks == 2400 && run.chunk == 3 && run.elements == 800 && run.arraySpec == "0-799%50")
    #expect(run.script.contains("--index $((SLURM_ARRAY_TASK_ID * 3)) --count 3"))
    #expect(run.script.contains("#SBATCH --partition=p") && run.script.contains("exec '/opt/driftsim' sweep task"))
  }
}
