import DriftSimCLI
import DriftSimCLISupport
import Foundation
import Testing

/// Golden help screens: every `driftsim` command's `--help` at 100 columns must equal the saved
/// file in Tests/DriftSimCLITests/Golden/help/ (regenerate with DRIFTSIM_WRITE_EXPECTED=1 and review the
/// diff), so a change to any help text is a visible, reviewed change; discussions must wrap cleanly.
@Suite("driftsim help screens")
struct HelpGoldenTests {
  @Test func everyHelpScreenMatchesItsGoldenFileAndWrapsCleanly() {
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/help")
    #expect(HelpCatalog.entries(DriftSimCommand.self).count > 10)
    let write = ProcessInfo.processInfo.environment["DRIFTSIM_WRITE_EXPECTED"] == "1"
    let problems = HelpCatalog.goldenProblems(DriftSimCommand.self, directory: directory, write: write)
    #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
  }
}
