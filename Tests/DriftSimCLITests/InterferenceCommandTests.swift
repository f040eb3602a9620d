import Foundation
import Testing

/// Parses a JSON object from a command's stdout.
func jsonObject(_ text: String) throws -> [String: Any] {
  try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

@Suite("driftsim run, fluid-value and sweep")
struct InterferenceCommandTests {
  @Test("run --json - prints the documented keys")
  func runJSON() throws {
    let result = try Executable.run(["run", "--set", "epochs=300", "--set", "warmupEpochs=30", "--set", "pairs=2", "--json", "-", "--quiet"])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try jsonObject(result.stdout)
    for key in ["policy", "gamma", "pairs", "meanDelayMs", "meanDelayCI95", "avgSNRdB", "epochsPerSecond"] {
      #expect(object[key] != nil, "missing \(key)")
    }
    let pairs = try #require(object["pairs"] as? [[String: Any]])
    #expect(pairs.count == 2)
    for key in ["pair", "meanDelayMs", "meanDelayCI95", "avgPower", "avgSNRdB", "throughputBitsPerSecond", "meanQueuePackets", "packets"] {
      #expect(pairs[0][key] != nil, "missing pairs[0].\(key)")
    }
    #expect(result.stderr.contains("policy fluid"))
  }

  @Test("bad scenarios exit 1 with a one-line message naming the key", arguments: [
    (["run", "--set", "pairz=3"], "unknown key 'pairz'"),
    (["run", "--set", "gamma=-1"], "key 'gamma'"),
    (["run", "/nonexistent/scenario.yaml"], "cannot read scenario file"),
    (["run", "--set", "policy=csi-only", "--set", "arrivalRate=5"], "unstable"),
    (["fluid-value", "--pair", "9"], "--pair 9 is out of range"),
  ])
  func badInput(arguments: [String], message: String) throws {
    let result = try Executable.run(arguments + ["--quiet"])
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stderr.contains(message), "\(result.stderr)")
    #expect(result.stderr.split(separator: "\n").count == 1)
  }

  @Test("a scenario file is read, and a trace repeats byte for byte")
  func scenarioFileAndTrace() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("driftsim-cli-\(getpid())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let scenario = directory.appendingPathComponent("s.yaml")
    try "pairs: 2\nepochs: 200\nwarmupEpochs: 20\npolicy: qwto\ntraceLevel: slots\n".write(to: scenario, atomically: true, encoding: .utf8)
    var traces: [Data] = []
    for name in ["a.dstrace", "b.dstrace"] {
      let path = directory.appendingPathComponent(name).path
      let result = try Executable.run(["run", scenario.path, "--trace", path, "--quiet", "--json", "-"])
      #expect(result.status == 0, "\(result.stderr)")
      #expect(try jsonObject(result.stdout)["policy"] as? String == "qwto")
      traces.append(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
    #expect(traces[0].count > 1000)
    #expect(traces[0] == traces[1])
  }

  @Test("fluid-value reproduces the reference J and J'")
  func fluidValue() throws {
    let result = try Executable.run(["fluid-value", "--set", "gamma=0.05", "--queues", "0,100", "--json", "-"])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try jsonObject(result.stdout)
    let points = try #require(object["points"] as? [[String: Double]])
    // fluid-reference.json: J(100) = 553.803970094700, J'(100) = 9.92221406453081, v = 0.0322596815310814574.
    #expect(abs(points[1]["J"]! - 553.803970094700) < 1e-9)
    #expect(abs(points[1]["dJ"]! - 9.92221406453081) < 1e-12)
    #expect(abs((object["v"] as! Double) - 0.0322596815310814574) < 1e-16)
    for key in ["v", "cInf", "y0", "b", "kappa"] { #expect(object[key] != nil) }
    let bad = try Executable.run(["fluid-value", "--queues", "1,-2"])
    #expect(bad.status == 2)
  }

  @Test("sweep writes CSV, JSON and SVG and marks unstable points")
  func sweep() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("driftsim-sweep-\(getpid())").path
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let result = try Executable.run([
      // 3 replications: with 2, the t interval of the heavy-tailed power (1 degree of freedom, ×12.7)
      // reaching below 0 — a "warning" status instead of "ok" — is a matter of the seed's stream.
      "sweep", "--vary", "arrivalRate=0.5,3", "--policies", "csi-only,tdma", "--replications", "3", "--set", "epochs=200",
      "--set", "warmupEpochs=20", "--set", "pairs=2", "--set", "gamma=1", "--output-directory", directory, "--quiet", "--json", "-",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try jsonObject(result.stdout)
    let rows = try #require(object["rows"] as? [[String: Any]])
    #expect(rows.count == 4)
    #expect(rows.contains { ($0["status"] as? String)?.hasPrefix("unstable") == true })
    #expect(rows.contains { $0["status"] as? String == "ok" && $0["meanDelayMs"] != nil })
    for file in ["sweep.csv", "sweep.json", "sweep.svg"] {
      #expect(FileManager.default.fileExists(atPath: directory + "/" + file))
    }
    #expect(try String(contentsOfFile: directory + "/sweep.svg", encoding: .utf8).contains("<svg"))
    let usage = try Executable.run(["sweep", "--preset", "paper-fig7", "--vary", "pairs=2"])
    #expect(usage.status == 2)
  }
}
