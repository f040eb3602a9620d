import Foundation
import Testing

/// Saved stdout of small deterministic `driftsim meanfield` and `driftsim fluid value-iteration`
/// / `two-pair` runs (Tests/Golden/driftsim-meanfield/NAME.txt), compared exactly. Wall-clock
/// figures ("in 1.23 s", "wallSeconds") are the only text masked. The files were written by this
/// binary and checked equal (apart from the masked figures and the new subcommand name) to the
/// output of the code before the split into one file per subcommand, so they pin the refactor.
/// Regenerate with DRIFTSIM_UPDATE_GOLDEN=1 swift test --filter MeanFieldGolden.
@Suite("driftsim meanfield / value-iteration golden outputs")
struct MeanFieldGoldenTests {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Golden/driftsim-meanfield")

  static let cases: [(name: String, arguments: [String])] = [
    ("ode", ["meanfield", "ode", "--horizon", "5", "--points", "6"]),
    ("equilibrium-sis", ["meanfield", "equilibrium"]),
    ("refined", ["meanfield", "refined", "--populations", "10,100"]),
    ("trajectory", ["meanfield", "trajectory", "--populations", "100,1000", "--horizon", "5", "--samples", "20", "--quiet"]),
    ("scaling", ["meanfield", "scaling", "--populations", "50,100", "--duration", "2000", "--warm-up", "10", "--quiet"]),
    ("simulate-json", ["meanfield", "simulate", "--population", "200", "--horizon", "50", "--seed", "3", "--quiet", "--json", "-"]),
    (
      "value-iteration",
      ["fluid", "value-iteration", "--truncation", "30", "--check-truncation", "40", "--range", "5,20", "--queues", "0,1,5,10,20", "--jobs", "1", "--quiet"]
    ),
    (
      "two-pair",
      [
        "fluid", "two-pair", "--truncation", "6", "--direct-nodes", "3", "--cross-nodes", "1", "--action-step", "0.5", "--set",
        "crossGain=0.05", "--tolerance", "1e-9", "--jobs", "1", "--quiet",
      ]
    ),
  ]

  /// Masks wall-clock seconds, the only non-deterministic text these commands print.
  static func normalised(_ text: String) -> String {
    GoldenOutput.masked(text, patterns: [#"in [0-9]+\.[0-9]+ s"#, #""wallSeconds" : [0-9.e+-]+"#, #"\([0-9]+\.[0-9]+ s wall\)"#])
  }

  @Test("stdout equals the saved file", arguments: cases.map(\.name))
  func golden(name: String) throws {
    let arguments = try #require(Self.cases.first { $0.name == name }).arguments
    let result = try Executable.run(arguments)
    #expect(result.status == 0, "\(arguments): \(result.stderr)")
    try GoldenOutput.expectMatch(Self.normalised(result.stdout), file: Self.directory.appendingPathComponent("\(name).txt"))
  }

  @Test("value iteration gives the same numbers on 1 and 2 threads")
  func threadIndependence() throws {
    let base = ["fluid", "value-iteration", "--truncation", "30", "--check-truncation", "0", "--range", "5,20", "--quiet", "--json", "-"]
    let one = try Executable.run(base + ["--jobs", "1"]), two = try Executable.run(base + ["--jobs", "2"])
    #expect(one.status == 0 && two.status == 0, "\(one.stderr)\(two.stderr)")
    #expect(Self.normalised(one.stdout) == Self.normalised(two.stdout))
  }

  @Test("charts (now drawn in the CLI from the typed results) are written for scaling, trajectory, ode and value iteration")
  func charts() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("driftsim-mf-charts-\(getpid())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let runs: [(String, [String], String)] = [
      ("scaling.svg", ["meanfield", "scaling", "--populations", "50,100", "--duration", "500", "--warm-up", "5", "--batches", "8"], "slope −1"),
      ("trajectory.svg", ["meanfield", "trajectory", "--populations", "100", "--horizon", "2", "--samples", "10"], "ODE"),
      ("ode.svg", ["meanfield", "ode", "--horizon", "2", "--points", "5"], "mean-field ODE"),
      ("vi.svg", ["fluid", "value-iteration", "--truncation", "20", "--check-truncation", "0", "--range", "2,10"], "J(Q) (fluid)"),
    ]
    for (name, arguments, text) in runs {
      let path = directory.appendingPathComponent(name).path
      let result = try Executable.run(arguments + ["--svg", path, "--quiet"])
      #expect(result.status == 0, "\(arguments): \(result.stderr)")
      let svg = try String(contentsOfFile: path, encoding: .utf8)
      #expect(svg.hasPrefix("<svg") && svg.contains(text), "\(name)")
    }
  }
}
