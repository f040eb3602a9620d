import DriftSimCLI
import DriftSimCLISupport
import Foundation
import Testing

/// Golden help screens: every `driftsim` command's `--help` at 100 columns must equal the saved
/// file in Tests/DriftSimCLITests/Golden/help/ (regenerate with DRIFTSIM_WRITE_EXPECTED=1 and
/// review the diff), so a change to any help text is a visible, reviewed change.
@Suite("driftsim help screens")
struct HelpGoldenTests {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Golden/help")

  static let entries = HelpCatalog.entries(DriftSimCommand.self)

  static func file(for entry: HelpCatalog.Entry) -> URL {
    directory.appendingPathComponent(entry.path.replacingOccurrences(of: " ", with: "-") + ".txt")
  }

  @Test func everyHelpScreenMatchesItsGoldenFile() throws {
    let write = ProcessInfo.processInfo.environment["DRIFTSIM_WRITE_EXPECTED"] == "1"
    #expect(Self.entries.count > 10)
    var expectedFiles: Set<String> = []
    for entry in Self.entries {
      let url = Self.file(for: entry)
      expectedFiles.insert(url.lastPathComponent)
      if write { try entry.text.write(to: url, atomically: true, encoding: .utf8) }
      let saved = try? String(contentsOf: url, encoding: .utf8)
      #expect(saved == entry.text, "help of '\(entry.path)' differs from \(url.lastPathComponent)")
    }
    // A golden file without a command is a command that disappeared unreviewed.
    let present = Set((try? FileManager.default.contentsOfDirectory(atPath: Self.directory.path)) ?? [])
    #expect(present == expectedFiles, "stale or missing golden help files")
  }

  @Test func discussionsWrapCleanly() {
    for entry in Self.entries {
      let breaks = HelpCatalog.hardBreaks(in: entry.discussion)
      #expect(breaks.isEmpty, "'\(entry.path)' discussion has hard line breaks inside a paragraph before: \(breaks)")
    }
  }

  @Test func everyCommandTeaches() {
    for entry in Self.entries {
      #expect(entry.text.hasPrefix("OVERVIEW: "), "'\(entry.path)' has no abstract")
    }
  }
}
