import Foundation
import Testing

@Suite("driftsim policy solve")
struct PolicyCommandTests {
  @Test("policy solve --json - prints θ, the table, iterations, grid and timing; a second call reads the cache")
  func solve() throws {
    let dir = NSTemporaryDirectory() + "driftsim-policy-cli-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let arguments = [
      "policy", "solve", "--set", "gamma=0.5", "--set", "viGridStep=0.25", "--set", "viMaxQueuePackets=16", "--set", "viFadingNodes=16",
      "--cache-dir", dir, "--json", "-", "--quiet",
    ]
    let first = try Executable.run(arguments)
    #expect(first.status == 0, "\(first.stderr)")
    let object = try jsonObject(first.stdout)
    #expect(object["converged"] as? Bool == true)
    #expect(object["gridPoints"] as? Int == 65)
    #expect((object["table"] as? [[String: Any]])?.count == 65)
    #expect(object["source"] as? String == "solved")
    for key in ["theta", "iterations", "solveSeconds", "peakResidentMB", "model", "cacheFile"] { #expect(object[key] != nil, "missing \(key)") }
    let second = try jsonObject(try Executable.run(arguments).stdout)
    #expect(second["source"] as? String == "disk")
    #expect(second["theta"] as? Double == object["theta"] as? Double)
  }

  @Test("a bad policy table is an error naming file and line (exit 1)")
  func badTable() throws {
    let path = NSTemporaryDirectory() + "driftsim-bad-table-\(getpid()).csv"
    defer { try? FileManager.default.removeItem(atPath: path) }
    try "queuePackets,weight\n0,1\n2,x\n".write(toFile: path, atomically: true, encoding: .utf8)
    let result = try Executable.run(["run", "--set", "policy=table", "--set", "policyTable=\(path)", "--set", "epochs=50", "--set", "warmupEpochs=0", "--quiet"])
    #expect(result.status == 1)
    #expect(result.stderr.contains("\(path):3: weight must be a finite number"), "\(result.stderr)")
  }
}
