import Foundation
import Testing

@testable import DriftSimTrace

/// Runs the built `driftsim-replay` executable from the package root, as users and scripts do.
enum ReplayExecutable {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static let url: URL = {
    // Test bundles live next to the products they test (.build/<config>/).
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = directory.appendingPathComponent("driftsim-replay")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      directory = directory.deletingLastPathComponent()
    }
    return root.appendingPathComponent(".build/debug/driftsim-replay")
  }()

  struct Output {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  static func start(_ arguments: [String]) throws -> (Process, Pipe, Pipe) {
    let process = Process()
    process.executableURL = url
    process.arguments = arguments
    process.currentDirectoryURL = root
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    return (process, out, err)
  }

  static func finish(_ p: (Process, Pipe, Pipe)) -> Output {
    let stdout = p.1.fileHandleForReading.readDataToEndOfFile()
    let stderr = p.2.fileHandleForReading.readDataToEndOfFile()
    p.0.waitUntilExit()
    return Output(
      status: p.0.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
      stderr: String(decoding: stderr, as: UTF8.self))
  }

  static func run(_ arguments: [String]) throws -> Output { finish(try start(arguments)) }
}

let network = "traces/golden-network-v1.0.dstrace"
let ctmc = "traces/golden-ctmc-v1.0.dstrace"
let truncated = "traces/golden-truncated-v1.0.dstrace"
let corrupt = "traces/golden-corrupt-v1.0.dstrace"

func scratchDirectory() -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("replay-cli-\(UUID().uuidString)")
  try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

@Suite("driftsim-replay command line")
struct ReplayExecutableTests {
  /// Saved outputs in traces/expected/ (regenerate with DRIFTSIM_WRITE_EXPECTED=1 and review the diff).
  @Test(
    "tables on stdout match the saved outputs",
    arguments: [
      ("info-network.txt", ["info", network]),
      ("info-ctmc.txt", ["info", ctmc]),
      ("summary-network.txt", ["summary", network]),
      ("summary-network-window.txt", ["summary", network, "--warm-up", "0.2", "--to", "0.8"]),
      ("delay-network.txt", ["delay", network]),
      ("power-network.txt", ["power", network, "--pair", "0"]),
      ("queue-network.txt", ["queue", network, "--bins", "8"]),
      ("delay-network.csv", ["delay", network, "--format", "csv", "--points", "12"]),
    ])
  func savedOutputs(name: String, arguments: [String]) throws {
    let result = try ReplayExecutable.run(arguments)
    #expect(result.status == 0, "\(result.stderr)")
    let path = ReplayExecutable.root.appendingPathComponent("traces/expected/\(name)")
    if ProcessInfo.processInfo.environment["DRIFTSIM_WRITE_EXPECTED"] == "1" {
      try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
      try result.stdout.write(to: path, atomically: true, encoding: .utf8)
    }
    let expected = try String(contentsOf: path, encoding: .utf8)
    #expect(result.stdout == expected)
  }

  @Test(
    "analyses with nothing to analyse exit 1 with one line naming the rule, never an empty result",
    arguments: [
      (["summary", ctmc], "holds no packet, epoch or slot records"),
      (["summary", network, "--warm-up", "5000"], "after the last packet, epoch or slot record"),
      (["delay", network, "--pair", "99"], "pair 99 is not in the trace: its header declares pairs = 2"),
      (["power", ctmc], "holds no slot records"),
      (["queue", network, "--from", "1e6"], "after the last epoch record"),
      (["export", ctmc, "--kinds", "slots", "-o", "traces/FORMAT.md/sub"], "--output-directory 'traces/FORMAT.md/sub': a parent of this path is not a directory"),
    ])
  func nothingToAnalyse(arguments: [String], rule: String) throws {
    let result = try ReplayExecutable.run(arguments + ["--json", "-"])
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stdout.isEmpty)
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 1 && lines[0].hasPrefix("driftsim-replay: error: ") && lines[0].contains(rule), "\(result.stderr)")
  }

  @Test(
    "--json - puts exactly one JSON document on stdout",
    arguments: [
      ["info", network], ["summary", network], ["delay", network], ["power", network], ["queue", network],
      ["info", ctmc],
    ])
  func jsonOnStdout(arguments: [String]) throws {
    let result = try ReplayExecutable.run(arguments + ["--json", "-"])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    #expect(object is [String: Any])
  }

  @Test("summary JSON carries the documented keys")
  func summaryKeys() throws {
    let result = try ReplayExecutable.run(["summary", network, "--json", "-", "--warm-up", "0.1"])
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(object["startSeconds"] as? Double == 0.1)
    let overall = try #require(object["overall"] as? [String: Any])
    for key in [
      "packetsIn", "packetsOut", "meanDelaySeconds", "meanDelayCI", "delayP50Seconds", "delayP90Seconds",
      "delayP99Seconds", "delayMaxSeconds", "averagePower", "avgTransmitSNRdB", "avgSINRdB", "throughputBitsPerSecond",
      "timeAverageQueueBits", "timeAverageQueuePackets", "littlesLaw", "arrivalRatePerSecond", "departureRatePerSecond",
    ] {
      #expect(overall[key] != nil, "missing \(key)")
    }
    let ci = try #require(overall["meanDelayCI"] as? [String: Any])
    #expect(ci["level"] as? Double == 0.95)
    #expect((object["pairs"] as? [Any])?.count == 2)
  }

  @Test("bad input: one line on stderr naming the problem (and offset), exit status 1")
  func badInput() throws {
    let dir = scratchDirectory()
    let text = dir.appendingPathComponent("notes.txt")
    try "just some text, long enough to have a header".write(to: text, atomically: true, encoding: .utf8)
    let cases: [([String], [String])] = [
      (["summary", "/nonexistent/run.dstrace"], ["cannot open", "No such file"]),
      (["info", text.path], ["not a DriftSim trace", "byte offset 0"]),
      (["summary", truncated], ["truncated", "byte offset", "--salvage"]),
      (["info", truncated], ["truncated", "byte offset"]),
      (["summary", corrupt], ["corrupt block 2", "CRC32C", "byte offset 10371"]),
      (["export", corrupt, "-o", dir.appendingPathComponent("x").path], ["corrupt block 2", "byte offset 10371"]),
      (["delay", corrupt], ["corrupt block 2"]),
    ]
    for (arguments, fragments) in cases {
      let result = try ReplayExecutable.run(arguments)
      #expect(result.status == 1, "\(arguments): \(result.stderr)")
      let lines = result.stderr.split(separator: "\n")
      #expect(lines.count == 1, "\(arguments): \(result.stderr)")
      for fragment in fragments { #expect(result.stderr.contains(fragment), "\(arguments): \(result.stderr)") }
    }
  }

  @Test("--salvage analyses the intact blocks and warns")
  func salvage() throws {
    let result = try ReplayExecutable.run(["summary", corrupt, "--salvage", "--json", "-"])
    #expect(result.status == 0)
    #expect(result.stderr.contains("corrupt block 2"))
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect((object["integrity"] as? String)?.contains("corrupt block 2") == true)
    let t = try ReplayExecutable.run(["info", truncated, "--salvage", "--quiet"])
    #expect(t.status == 0)
    #expect(t.stdout.contains("integrity: truncated"))
  }

  @Test("--indexed reads only the blocks of the window and says so")
  func indexed() throws {
    let full = try ReplayExecutable.run(["delay", network, "--from", "0.2", "--to", "0.3", "--json", "-"])
    let seek = try ReplayExecutable.run(["delay", network, "--from", "0.2", "--to", "0.3", "--json", "-", "--indexed"])
    #expect(full.status == 0 && seek.status == 0)
    let a = try #require(try JSONSerialization.jsonObject(with: Data(full.stdout.utf8)) as? [String: Any])
    let b = try #require(try JSONSerialization.jsonObject(with: Data(seek.stdout.utf8)) as? [String: Any])
    #expect(NSDictionary(dictionary: a["pooled"] as! [String: Any]) == NSDictionary(dictionary: b["pooled"] as! [String: Any]))
    #expect((b["integrity"] as? String)?.contains("indexed read verified") == true)
    // The corrupt block lies outside the window: the indexed read does not see it, the full read does.
    #expect(try ReplayExecutable.run(["delay", corrupt, "--from", "0.5", "--to", "0.6", "--indexed"]).status == 0)
    #expect(try ReplayExecutable.run(["delay", corrupt, "--from", "0.5", "--to", "0.6"]).status == 1)
  }

  @Test("usage errors exit with status 2")
  func usageErrors() throws {
    for arguments in [
      ["summary"], ["summary", network, "--bogus"], ["summary", network, "--warm-up", "-1"],
      ["export", network, "--format", "parquet"], ["delay", network, "--format", "svg", "--json", "-"],
      ["summary", network, "--from", "0.5", "--to", "0.4"],
    ] {
      let result = try ReplayExecutable.run(arguments)
      #expect(result.status == 2, "\(arguments): \(result.stderr)")
    }
  }

  @Test("Arrow export is byte-identical to the committed golden Arrow files")
  func arrowExport() throws {
    let dir = scratchDirectory()
    for trace in [network, ctmc] {
      let result = try ReplayExecutable.run(["export", trace, "--format", "arrow", "-o", dir.path, "--json", "-"])
      #expect(result.status == 0, "\(result.stderr)")
    }
    let names = ["packetArrival", "packetDeparture", "epoch", "slot", "ctmcJump", "ctmcSnapshot"]
    for name in names {
      let fresh = try Data(contentsOf: dir.appendingPathComponent("\(name).arrow"))
      let committed = try Data(contentsOf: ReplayExecutable.root.appendingPathComponent("traces/golden-arrow/\(name).arrow"))
      #expect(fresh == committed, "\(name).arrow")
      #expect(fresh.prefix(6) == Data("ARROW1".utf8) && fresh.suffix(6) == Data("ARROW1".utf8))
    }
  }

  @Test("SIGINT: the writer finishes the block and footer, the process exits 130, the trace is valid")
  func interrupt() throws {
    let dir = scratchDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // --records caps the run (about 120 MB) even if the signal never arrives.
    let running = try ReplayExecutable.start([
      "bench", "--until-interrupted", "--records", "5000000", "--directory", dir.path, "--quiet",
    ])
    defer { if running.0.isRunning { running.0.terminate() } }
    // Wait for the temporary file to appear and grow past a few blocks.
    var partial: URL?
    for _ in 0..<400 where running.0.isRunning {
      let files = (try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: [.fileSizeKey])) ?? []
      if let f = files.first(where: { $0.path.hasSuffix(".partial") }),
        let size = try? f.resourceValues(forKeys: [.fileSizeKey]).fileSize, size > 1 << 20
      {
        partial = f
        break
      }
      usleep(10_000)
    }
    let temporary = try #require(partial)
    running.0.interrupt()
    let result = ReplayExecutable.finish(running)
    #expect(result.status == 130, "\(result.stderr)")
    let final = temporary.deletingPathExtension()
    #expect(!FileManager.default.fileExists(atPath: temporary.path))
    let reader = try TraceReader(path: final.path)
    #expect(reader.footer?.interrupted == true)
    let integrity = try reader.verify()
    #expect(integrity.status == .complete && integrity.interrupted)
    let info = try ReplayExecutable.run(["info", final.path])
    #expect(info.status == 0)
    #expect(info.stdout.contains("interrupted"))
  }
}
