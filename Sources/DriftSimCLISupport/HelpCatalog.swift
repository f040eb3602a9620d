import ArgumentParser
import Foundation

/// Every command's help screen of a command tree, for golden help tests and documentation, and a
/// check that help discussions wrap cleanly.
public enum HelpCatalog {
  /// One command's help screen.
  public struct Entry: Sendable {
    /// The command path joined by spaces, e.g. "driftsim fluid drain".
    public var path: String
    /// The help screen as `--help` prints it at `columns` characters.
    public var text: String
    /// The discussion text from the command's configuration ("" when it has none).
    public var discussion: String
  }

  /// Every command of `Root`'s tree, depth first, with its help screen at `columns` characters
  /// (a fixed width, so the text does not depend on the terminal).
  public static func entries<Root: ParsableCommand>(_ root: Root.Type, columns: Int = 100) -> [Entry] {
    var result: [Entry] = []
    func visit(_ command: any ParsableCommand.Type, path: [String]) {
      let name = command.configuration.commandName ?? command._commandName
      let here = path + [name]
      result.append(
        Entry(
          path: here.joined(separator: " "),
          text: Root.helpMessage(for: command, columns: columns),
          discussion: command.configuration.discussion))
      for sub in command.configuration.subcommands { visit(sub, path: here) }
    }
    visit(root, path: [])
    return result
  }

  /// The lines of `discussion` that break a prose paragraph by hand. swift-argument-parser wraps
  /// each paragraph to the terminal's width, so a hard line break inside one makes ragged help.
  /// A line break is fine before a line that starts a list item or an indented or example line
  /// (leading space, "- ", "• ", "* ", `$`, `|`), or after a line ending in `:`. A line starting
  /// with an option name such as "--jobs" is prose.
  /// - Returns: the offending lines (empty when the discussion wraps cleanly).
  public static func hardBreaks(in discussion: String) -> [String] {
    var offending: [String] = []
    for paragraph in discussion.components(separatedBy: "\n\n") {
      let lines = paragraph.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
      guard lines.count > 1 else { continue }
      for (previous, line) in zip(lines, lines.dropFirst()) {
        let structured =
          line.isEmpty || line.hasPrefix(" ") || line.hasPrefix("- ") || line.hasPrefix("• ")
          || line.hasPrefix("* ") || line.hasPrefix("$") || line.hasPrefix("|")
        if !structured && !previous.hasSuffix(":") && !previous.hasPrefix(" ") { offending.append(line) }
      }
    }
    return offending
  }

  /// Compares every help screen of `Root` with the saved files in `directory` (one file per
  /// command, named by its path with dashes, e.g. "driftsim-fluid-drain.txt"), for golden tests.
  /// With `write`, the files are written first (regeneration; review the diff).
  /// - Returns: one line per problem: a screen that differs from its file, a missing file, a file
  ///   without a command (a command that disappeared unreviewed), a discussion with hard breaks.
  public static func goldenProblems<Root: ParsableCommand>(
    _ root: Root.Type, directory: URL, write: Bool, columns: Int = 100
  ) -> [String] {
    var problems: [String] = []
    var expected: Set<String> = []
    for entry in entries(root, columns: columns) {
      let name = entry.path.replacingOccurrences(of: " ", with: "-") + ".txt"
      let url = directory.appendingPathComponent(name)
      expected.insert(name)
      if write { try? entry.text.write(to: url, atomically: true, encoding: .utf8) }
      if (try? String(contentsOf: url, encoding: .utf8)) != entry.text {
        problems.append("help of '\(entry.path)' differs from \(name)")
      }
      if !entry.text.hasPrefix("OVERVIEW: ") { problems.append("'\(entry.path)' has no abstract") }
      let breaks = hardBreaks(in: entry.discussion)
      if !breaks.isEmpty {
        problems.append("'\(entry.path)' discussion has hard line breaks inside a paragraph before: \(breaks)")
      }
    }
    let present = Set((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
    for stale in present.subtracting(expected).sorted() { problems.append("\(stale) has no command") }
    return problems
  }
}
