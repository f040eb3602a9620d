import DriftSimReplayCLI
import DriftSimCLISupport
import Foundation
import Testing

/// Golden help screens: every `driftsim-replay` command's `--help` at 100 columns must equal the saved
/// file in Tests/DriftSimReplayCLITests/Golden/help/ (regenerate with DRIFTSIM_WRITE_EXPECTED=1 and review the
/// diff), so a change to any help text is a visible, reviewed change; discussions must wrap cleanly.
@Suite("driftsim-replay help screens")
struct ReplayHelpGoldenTests {
  @Test func everyHelpScreenMatchesItsGoldenFileAndWrapsCleanly() {
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/help")
    #expect(HelpCatalog.entries(ReplayCommand.self).count > 5)
    let write = ProcessInfo.processInfo.environment["DRIFTSIM_WRITE_EXPECTED"] == "1"
    let problems = HelpCatalog.goldenProblems(ReplayCommand.self, directory: directory, write: write)
    #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
  }
}
