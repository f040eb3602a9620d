import Foundation
import Testing

@Suite("driftsim sweep subcommands and run refusals")
struct SweepCommandTests {
  func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test("a second --vary multiplies the grid instead of replacing the first")
  func repeatedVary() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("driftsim-vary-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let result = try Executable.run([
      "sweep", "--vary", "arrivalRate=0.5,1", "--vary", "beta=1,2", "--policies", "tdma", "--replications", "2", "--set", "epochs=200",
      "--set", "warmupEpochs=20", "--set", "pairs=2", "-o", directory, "--quiet", "--json", "-",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try jsonObject(result.stdout)
    #expect(object["keys"] as? [String] == ["arrivalRate", "beta"])
    let rows = try #require(object["rows"] as? [[String: Any]])
    #expect(rows.map { $0["values"] as? [String] ?? [] } == [["0.5", "1"], ["0.5", "2"], ["1", "1"], ["1", "2"]])
  }

  @Test("plan, task, status and merge; bad directories are clear errors")
  func planTaskMerge() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("driftsim-plan-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let args = ["--vary", "arrivalRate=0.5", "--policies", "tdma", "--replications", "2", "--set", "epochs=200", "--set", "warmupEpochs=20"]
    #expect(try Executable.run(["sweep", "plan"] + args + ["-o", directory, "--quiet"]).status == 0)
    let early = try Executable.run(["sweep", "merge", directory])
    #expect(early.status == 1 && early.stderr.contains("run tasks pending: 0,1"), "\(early.stderr)")
    #expect(try Executable.run(["sweep", "task", directory, "--index", "0", "--count", "5", "--quiet"]).status == 0)
    let status = try Executable.run(["sweep", "status", directory])
    #expect(status.stdout.contains("run: 2/2 done"), "\(status.stdout)")
    #expect(try Executable.run(["sweep", "merge", directory, "--quiet"]).status == 0)
    let outOfRange = try Executable.run(["sweep", "task", directory, "--index", "9"])
    #expect(outOfRange.status == 1 && outOfRange.stderr.contains("has 2 tasks"), "\(outOfRange.stderr)")
    let missing = try Executable.run(["sweep", "status", directory + "/nope"])
    #expect(missing.status == 1 && missing.stderr.contains("is not a sweep directory"), "\(missing.stderr)")
  }

  @Test("run refuses a scenario that delivers nothing, a directory as scenario, and bad output paths before running")
  func refusals() throws {
    let nothing = try Executable.run(["run", "--set", "arrivalRate=1e-6", "--set", "epochs=200", "--set", "warmupEpochs=20", "--quiet"])
    #expect(nothing.status == 1 && nothing.stderr.contains("no packet was delivered"), "\(nothing.stderr)")
    let directory = try Executable.run(["run", FileManager.default.temporaryDirectory.path, "--quiet"])
    #expect(directory.status == 1 && directory.stderr.contains("is a directory, not a scenario file"), "\(directory.stderr)")
    let json = try Executable.run(["run", "--set", "epochs=100", "--set", "warmupEpochs=10", "--json", FileManager.default.temporaryDirectory.path])
    #expect(json.status == 1 && json.stderr.contains("is a directory; give a file"), "\(json.stderr)")
    let trace = try Executable.run(["run", "--set", "epochs=100", "--set", "warmupEpochs=10", "--trace", "/nonexistent-dir/t.trace"])
    #expect(trace.status == 1 && trace.stderr.contains("does not exist"), "\(trace.stderr)")
    let sweepOut = try Executable.run(["sweep", "--vary", "beta=1", "-o", "/nonexistent-dir/x"])
    #expect(sweepOut.status == 1 && sweepOut.stderr.contains("parent directory"), "\(sweepOut.stderr)")
  }
}
