import Foundation
import Testing

/// Runs the built `driftsim` executable, as users and scripts do.
struct Executable {
  static let url: URL = {
    // Test bundles live next to the products they test (.build/<config>/).
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = directory.appendingPathComponent("driftsim")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      directory = directory.deletingLastPathComponent()
    }
    return URL(fileURLWithPath: ".build/debug/driftsim")
  }()

  struct Output {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  static func run(_ arguments: [String]) throws -> Output {
    let process = Process()
    process.executableURL = url
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Output(
      status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
      stderr: String(decoding: stderr, as: UTF8.self))
  }
}

@Suite("driftsim command line")
struct DriftSimExecutableTests {
  @Test("bench kernel --json - prints one JSON document on stdout")
  func benchKernelJSON() throws {
    let result = try Executable.run(["bench", "kernel", "--population", "100", "--events", "20000", "--repetitions", "3", "--json", "-"])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    #expect(object?["population"] as? Int == 100)
    #expect(object?["events"] as? Int == 20000)
    #expect((object?["eventsPerSecond"] as? Double ?? 0) > 0)
    #expect((object?["repetitionEventsPerSecond"] as? [Double])?.count == 3)
    #expect(result.stderr.contains("median"))
  }

  @Test("the determinism fingerprint repeats across processes")
  func benchDeterminism() throws {
    let arguments = ["bench", "kernel", "--population", "50", "--events", "5000", "--repetitions", "1", "--json", "-", "--quiet"]
    let a = try Executable.run(arguments), b = try Executable.run(arguments)
    func fingerprint(_ s: String) throws -> Double? {
      (try JSONSerialization.jsonObject(with: Data(s.utf8)) as? [String: Any])?["finalSimulatedTimeSeconds"] as? Double
    }
    #expect(try fingerprint(a.stdout) != nil)
    #expect(try fingerprint(a.stdout) == fingerprint(b.stdout))
  }

  @Test("--json PATH writes the file and keeps the table on stdout")
  func benchJSONFile() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("driftsim-bench-\(getpid()).json").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let result = try Executable.run(["bench", "kernel", "--population", "10", "--events", "1000", "--repetitions", "1", "--json", path, "--quiet"])
    #expect(result.status == 0)
    #expect(result.stdout.contains("events/s"))
    #expect(FileManager.default.fileExists(atPath: path))
    let unwritable = try Executable.run(["bench", "kernel", "--events", "10", "--repetitions", "1", "--json", "/nonexistent/dir/x.json", "--quiet"])
    #expect(unwritable.status == 1)
    #expect(unwritable.stderr.contains("--json '/nonexistent/dir/x.json': the directory '/nonexistent/dir' does not exist"))
  }

  @Test("usage errors exit 2 and name the option", arguments: [
    (["bench", "kernel", "--population", "0"], "--population"),
    (["bench", "kernel", "--events", "many"], "--events"),
    (["bench", "kernel", "--populaton", "5"], "--population"),
    (["no-such-command"], "no-such-command"),
    (["bench", "ctmc", "--transitions", "5"], "Usage: driftsim meanfield bench"),
  ])
  func usageErrors(arguments: [String], mentions: String) throws {
    let result = try Executable.run(arguments)
    #expect(result.status == 2)
    #expect(result.stderr.contains(mentions), "\(result.stderr)")
  }

  @Test("help teaches and exits 0")
  func help() throws {
    let result = try Executable.run(["bench", "kernel", "--help"])
    #expect(result.status == 0)
    #expect(result.stdout.contains("hold model"))
    let version = try Executable.run(["--version"])
    #expect(version.status == 0)
  }
}
