import ArgumentParser
import DriftSimCLISupport
import Foundation
import Testing

private struct Leaf: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "leaf", abstract: "A leaf.")
}

private struct Root: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "root", abstract: "The root.", subcommands: [Leaf.self])
}

@Suite("Help catalog")
struct HelpCatalogTests {
  @Test func walksTheTreeDepthFirst() {
    let entries = HelpCatalog.entries(Root.self, columns: 80)
    #expect(entries.map(\.path) == ["root", "root leaf"])
    #expect(entries[1].text.contains("A leaf."))
  }

  @Test func findsHardBreaksInsideProseOnly() {
    #expect(HelpCatalog.hardBreaks(in: "One paragraph that wraps by itself.\n\nAnother.").isEmpty)
    #expect(HelpCatalog.hardBreaks(in: "Keys:\n  a  first\n  b  second").isEmpty)
    #expect(HelpCatalog.hardBreaks(in: "Examples:\n$ driftsim run\n- item").isEmpty)
    #expect(HelpCatalog.hardBreaks(in: "A sentence broken\nby hand.") == ["by hand."])
    #expect(HelpCatalog.hardBreaks(in: "Results do not depend on\n--jobs at all.") == ["--jobs at all."])
  }

  @Test func goldenProblemsReportsChangedMissingAndStaleFiles() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("help-golden-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(HelpCatalog.goldenProblems(Root.self, directory: directory, write: true).isEmpty)
    #expect(HelpCatalog.goldenProblems(Root.self, directory: directory, write: false).isEmpty)
    try "edited".write(to: directory.appendingPathComponent("root-leaf.txt"), atomically: true, encoding: .utf8)
    try "old".write(to: directory.appendingPathComponent("root-gone.txt"), atomically: true, encoding: .utf8)
    let problems = HelpCatalog.goldenProblems(Root.self, directory: directory, write: false)
    #expect(problems == ["help of 'root leaf' differs from root-leaf.txt", "root-gone.txt has no command"])
  }
}
