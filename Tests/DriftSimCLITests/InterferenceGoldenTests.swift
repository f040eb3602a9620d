import Foundation
import Testing

/// Saved stdout of small deterministic `driftsim run`, `fluid-value`, `sweep` and `policy solve`
/// runs (Tests/DriftSimCLITests/Golden/driftsim-interference/NAME.txt), compared exactly, as
/// driftsim-replay's outputs are. Only wall-clock figures are masked. Regenerate with
/// DRIFTSIM_UPDATE_GOLDEN=1 swift test --filter InterferenceGolden, and review the diff.
@Suite("driftsim run / sweep / fluid-value golden outputs")
struct InterferenceGoldenTests {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Golden/driftsim-interference")

  static let small = ["--set", "epochs=300", "--set", "warmupEpochs=30", "--set", "gamma=0.05"]

  static let cases: [(name: String, arguments: [String])] = [
    ("run-csi-only", ["run", "--set", "policy=csi-only", "--set", "replications=2", "--jobs", "2", "--quiet"] + small),
    ("run-fluid", ["run", "--set", "policy=fluid", "--set", "replications=1", "--quiet"] + small),
    ("run-fluid-corrected-slot", ["run", "--set", "policy=fluid-corrected", "--set", "weightUpdate=slot", "--set", "replications=1", "--quiet"] + small),
    ("run-tdma-deterministic", ["run", "--set", "policy=tdma", "--set", "packetSizes=deterministic", "--set", "replications=1", "--quiet"] + small),
    ("fluid-value", ["fluid-value", "--set", "gamma=0.05", "--queues", "0,1,10,100"]),
  ]

  /// Masks the wall-clock figures, the only non-deterministic text these commands print.
  static func normalised(_ text: String) -> String {
    GoldenOutput.masked(text, patterns: [#"[0-9]+ epochs/s \([0-9]+\.[0-9]+ s\)"#, #"in [0-9]+\.[0-9]+ s"#])
  }

  @Test("stdout equals the saved file", arguments: cases.map(\.name))
  func golden(name: String) throws {
    let arguments = try #require(Self.cases.first { $0.name == name }).arguments
    let result = try Executable.run(arguments)
    #expect(result.status == 0, "\(arguments): \(result.stderr)")
    try GoldenOutput.expectMatch(Self.normalised(result.stdout), file: Self.directory.appendingPathComponent("\(name).txt"))
  }

  @Test("a sweep's CSV is the same whatever --jobs")
  func sweepCSV() throws {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("driftsim-golden-sweep-\(getpid())")
    try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: base) }
    var csv: [String] = []
    for jobs in ["1", "2"] {
      let directory = base.appendingPathComponent(jobs).path
      let result = try Executable.run(
        ["sweep", "--vary", "arrivalRate=0.5,1", "--policies", "csi-only,tdma", "--replications", "2", "--jobs", jobs,
         "--quiet", "-o", directory] + Self.small)
      #expect(result.status == 0, "\(result.stderr)")
      csv.append((try? String(contentsOfFile: directory + "/sweep.csv", encoding: .utf8)) ?? "missing")
    }
    #expect(csv[0] == csv[1])
    try GoldenOutput.expectMatch(csv[0], file: Self.directory.appendingPathComponent("sweep.csv"))
  }
}
