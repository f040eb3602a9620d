import ArgumentParser
import Foundation
import Testing

@testable import DriftSimCLISupport

/// A tiny command exercising every exit path of `CommandRunner`.
struct Probe: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "probe", abstract: "Test command.", version: "1.2.3")
  @Option var mode = "ok"
  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard ["ok", "input", "json"].contains(mode) else { throw ValidationError("--mode must be ok, input or json") }
  }

  func run() throws {
    if mode == "input" { throw InputError("bad value in file x.yaml:3") }
    try output.writeJSON(["answer": 42.0, "nan": Double.nan])
  }
}

@Suite("Command runner and output options")
struct CommandRunnerTests {
  @Test("exit statuses: 0 success and help, 1 input error, 2 usage error")
  func statuses() {
    #expect(CommandRunner.run(Probe.self, programName: "probe", arguments: []) == 0)
    #expect(CommandRunner.run(Probe.self, programName: "probe", arguments: ["--help"]) == 0)
    #expect(CommandRunner.run(Probe.self, programName: "probe", arguments: ["--version"]) == 0)
    #expect(CommandRunner.run(Probe.self, programName: "probe", arguments: ["--mode", "input"]) == 1)
    #expect(CommandRunner.run(Probe.self, programName: "probe", arguments: ["--mode", "other"]) == 2)
    #expect(CommandRunner.run(Probe.self, programName: "probe", arguments: ["--unknown"]) == 2)
  }

  @Test("--json PATH writes sorted keys and encodes NaN as a string; an unwritable path is an input error")
  func json() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("clisupport-\(getpid()).json").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    #expect(CommandRunner.run(Probe.self, programName: "probe", arguments: ["--json", path]) == 0)
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.contains("\"answer\" : 42") && text.contains("\"nan\" : \"NaN\""))
    #expect(text.range(of: "answer")!.lowerBound < text.range(of: "nan")!.lowerBound)
    #expect(CommandRunner.run(Probe.self, programName: "probe", arguments: ["--json", "/nonexistent/dir/x.json"]) == 1)
  }
}

/// Options that take numbers, for the negative-number hint.
struct Numbers: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "numbers")
  @Option var seed: UInt64 = 1
  @Option var shift: Double = 0
  func run() throws {}
}

@Suite("Command runner messages")
struct CommandRunnerMessageTests {
  @Test("a negative number read as an option is explained, with the right advice")
  func negativeNumbers() throws {
    #expect(NegativeNumberHint.looksNegative("-1") && NegativeNumberHint.looksNegative("-.5"))
    #expect(NegativeNumberHint.looksNegative("-inf") && !NegativeNumberHint.looksNegative("--seed"))
    let seed = try #require(
      NegativeNumberHint.explain(Numbers.self, message: "Error: Missing value for '--seed <seed>'", arguments: ["--seed", "-1"]))
    #expect(seed.hasPrefix("--seed -1: negative numbers are not accepted here"), "\(seed)")
    let shift = try #require(
      NegativeNumberHint.explain(Numbers.self, message: "Error: Missing value for '--shift <shift>'", arguments: ["--shift", "-2.5"]))
    #expect(shift == "--shift -2.5: the negative number was taken for an option; write --shift=-2.5", "\(shift)")
    #expect(CommandRunner.run(Numbers.self, programName: "numbers", arguments: ["--seed", "-1"]) == 2)
    #expect(CommandRunner.run(Numbers.self, programName: "numbers", arguments: ["--shift=-2.5"]) == 0)
  }

  @Test("Foundation errors are described by file and reason, never as NSCocoaErrorDomain")
  func foundationErrors() throws {
    do {
      _ = try Data(contentsOf: URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)"))
      Issue.record("reading a missing file succeeded")
    } catch {
      let text = ErrorDescription.describe(error)
      #expect(text.hasPrefix("cannot read '/nonexistent-") && !text.contains("NSCocoaErrorDomain"), "\(text)")
    }
    do {
      _ = try Data(contentsOf: URL(fileURLWithPath: "/tmp"))
      Issue.record("reading a directory succeeded")
    } catch {
      let text = ErrorDescription.describe(error)
      #expect(text.hasPrefix("cannot read '/tmp'") && !text.contains("NSCocoaErrorDomain"), "\(text)")
    }
    do {
      _ = try JSONEncoder().encode(["x": Double.nan])
      Issue.record("encoding NaN succeeded")
    } catch {
      let text = ErrorDescription.describe(error)
      #expect(text.contains("nan") && text.contains("JSON"), "\(text)")
    }
  }
}
