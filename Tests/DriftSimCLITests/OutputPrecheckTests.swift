import Foundation
import Testing

/// Every output path is checked before the work starts (in `validate()`, which swift-argument-parser
/// runs before `run()`): a bad --svg, --trace or --json fails with exit 1 naming the option,
/// whatever command it is given to, and nothing is created.
@Suite("output paths are checked before any work")
struct OutputPrecheckTests {
  @Test(
    arguments: [
      ["fluid", "drain", "--svg", "/nonexistent-dir/x.svg"],
      ["fluid", "two-pair", "--svg", "/nonexistent-dir/x.svg"],
      ["fluid", "value-iteration", "--svg", "/nonexistent-dir/x.svg"],
      ["meanfield", "ode", "--svg", "/nonexistent-dir/x.svg"],
      ["meanfield", "scaling", "--svg", "/nonexistent-dir/x.svg"],
      ["meanfield", "trajectory", "--svg", "/nonexistent-dir/x.svg"],
      ["meanfield", "simulate", "--trace", "/nonexistent-dir/x.dstrace"],
      ["run", "--trace", "/nonexistent-dir/x.dstrace"],
      ["fluid", "decoupling", "--json", "/nonexistent-dir/x.json"],
      ["policy", "solve", "--json", "/nonexistent-dir/x.json"],
    ])
  func badPathFailsFirst(arguments: [String]) throws {
    let result = try Executable.run(arguments + ["--quiet"])
    #expect(result.status == 1, "\(arguments): \(result.stderr)")
    #expect(result.stderr.contains("'/nonexistent-dir' does not exist"), "\(arguments): \(result.stderr)")
    #expect(!FileManager.default.fileExists(atPath: "/nonexistent-dir"))
  }
}
