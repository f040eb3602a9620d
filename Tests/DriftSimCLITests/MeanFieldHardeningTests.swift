import Foundation
import Testing

/// Issue 13 regressions for the mean-field and value-iteration commands: every case once trapped
/// (exit 132), ran unbounded, or printed a number for a meaningless run. Each must now exit 1
/// (bad input, named with its rule) or 2 (usage), quickly.
@Suite("driftsim meanfield / value-iteration: hostile input")
struct MeanFieldHardeningTests {
  @Test(
    "bad input exits 1 or 2 and names the input and the rule",
    arguments: [
      // Int(Double) traps and silent drops in value-iteration.
      (["fluid", "value-iteration", "--queues", "1e20"], Int32(1), "--queues: '1e+20' is not an integer in 0…600"),
      (["fluid", "value-iteration", "--range", "1e20,1e21"], Int32(1), "--range: '1e+20' is not an integer in 1…600"),
      (["fluid", "value-iteration", "--queues", "2.5"], Int32(1), "--queues: '2.5' is not an integer"),
      (["fluid", "value-iteration", "--truncation", "100", "--check-truncation", "0", "--queues", "150"], Int32(1), "not an integer in 0…100"),
      (["fluid", "value-iteration", "--queues", "1,,2"], Int32(1), "--queues: '' is not a number"),
      (["fluid", "value-iteration", "--truncation", "1000000000"], Int32(2), "--truncation must be in 1…5000"),
      (["fluid", "two-pair", "--action-step", "1e-300"], Int32(2), "--action-step must be in 0.001…1"),
      (["fluid", "two-pair", "--truncation", "100000"], Int32(2), "--truncation must be in 2…200"),
      // Extreme parameters: an error naming them instead of J = NaN.
      (["fluid-value", "--set", "gamma=1e300"], Int32(1), "is not a finite number for arrivalRate"),
      (["fluid-value", "--set", "beta=1e-300"], Int32(1), "beta = 1e-300 is too small"),
      (["fluid-value", "--set", "beta=1e300"], Int32(1), "are not finite for arrivalRate"),
      (["fluid-value", "--set", "directGain=1e300", "--set", "gamma=1e-300"], Int32(1), "a = κ·directGain/gamma = inf"),
      // --initial follows the model file's rules on every subcommand.
      (["meanfield", "equilibrium", "--initial", "0.5"], Int32(1), "--initial: 1 entry, but model 'sis' has 2 states"),
      (["meanfield", "equilibrium", "--initial", "2,3"], Int32(1), "--initial: entry 0 (state 'S') is 2.0; occupancy fractions must lie in [0, 1]"),
      (["meanfield", "simulate", "--initial", "0.5,0.6"], Int32(1), "--initial: entries sum to 1.1"),
      (["meanfield", "simulate", "--initial", "0,0"], Int32(1), "--initial: entries sum to 0.0"),
      (["meanfield", "ode", "--initial", "0.5,0.6"], Int32(1), "must sum to 1"),
      (["meanfield", "trajectory", "--initial", "0.7"], Int32(1), "--initial: 1 entry"),
      // Batch means need enough data per batch.
      (["meanfield", "scaling", "--batches", "100000000"], Int32(1), "batch means need windows of at least"),
      // Unbounded work: documented limits.
      (["meanfield", "simulate", "--population", "1000000000000"], Int32(1), "the limit is 2e+09 jumps per run"),
      (["meanfield", "simulate", "--horizon", "1e300"], Int32(1), "the limit is 2e+09 jumps per run"),
      (["meanfield", "scaling", "--duration", "1e300"], Int32(1), "the limit is 2e+09 jumps per run"),
      (["meanfield", "ode", "--horizon", "1e300"], Int32(1), "exceeds 1000000.0 s for the explicit method rk8pd"),
      (["meanfield", "ode", "--horizon", "1e300", "--method", "msbdf"], Int32(1), "for the implicit method msbdf"),
      (["meanfield", "trajectory", "--horizon", "1e300"], Int32(1), "horizon must be in (0, 1000000.0] seconds"),
      (["meanfield", "trajectory", "--samples", "1000000000"], Int32(2), "--samples must be in 2…100000"),
      (["meanfield", "ode", "--method", "euler"], Int32(2), "euler"),
      (["meanfield", "simulate", "--trace-level", "packets"], Int32(2), "packets"),
      (["meanfield", "equilibrium", "--model", "nope"], Int32(2), "nope"),
      (["meanfield", "scaling", "--populations", "1e20"], Int32(1), "--populations: '1e+20' is not an integer in 1…1000000000"),
      (["meanfield", "equilibrium", "--model", "supermarket", "--set", "d=1e20"], Int32(1), "parameter 'd' must be an integer in −1e9…1e9"),
      (["meanfield", "simulate", "--population", "9223372036854775807"], Int32(1), "jumps per run"),
      (["fluid", "value-iteration", "--set", "gamma=1e-300", "--truncation", "20", "--check-truncation", "0", "--range", "2,10"], Int32(0), ""),
    ])
  func badInput(arguments: [String], status: Int32, message: String) throws {
    let result = try Executable.run(arguments + ["--quiet"])
    #expect(result.status == status, "\(arguments): \(result.stderr)")
    // An empty message marks a case that must now run (γ = 1e-300 used to risk Int(∞)).
    if !message.isEmpty { #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)") }
    #expect(!result.stderr.contains("Fatal error"))
  }

  @Test("model files: a directory, an oversized file and a huge model are refused with a message")
  func modelFiles() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("driftsim-mf-\(getpid())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let asDirectory = try Executable.run(["meanfield", "equilibrium", "--model-file", directory.path])
    #expect(asDirectory.status == 1)
    #expect(asDirectory.stderr.contains("it is a directory"), "\(asDirectory.stderr)")
    let big = directory.appendingPathComponent("big.json")
    try Data(count: (16 << 20) + 1).write(to: big)
    let oversized = try Executable.run(["meanfield", "equilibrium", "--model-file", big.path])
    #expect(oversized.status == 1)
    #expect(oversized.stderr.contains("model files are limited to 16777216 bytes"), "\(oversized.stderr)")
    let states = (0..<2001).map { "s\($0)" }
    let wide = directory.appendingPathComponent("wide.json")
    let text = #"{"states": ["# + states.map { "\"\($0)\"" }.joined(separator: ",")
      + #"], "transitions": [{"jump": {"s0": -1, "s1": 1}, "rate": "s0"}]}"#
    try Data(text.utf8).write(to: wide)
    let tooWide = try Executable.run(["meanfield", "equilibrium", "--model-file", wide.path])
    #expect(tooWide.status == 1)
    #expect(tooWide.stderr.contains("2001 states; a model may have at most 2000"), "\(tooWide.stderr)")
  }
}
