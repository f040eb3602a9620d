import Foundation
import Testing

/// Saved outputs of small deterministic runs: masking of wall-clock text and the comparison with
/// the saved file (written first when DRIFTSIM_UPDATE_GOLDEN=1, for regeneration and review).
enum GoldenOutput {
  /// `text` with every match of `patterns` (regular expressions) replaced by "<wall-clock>".
  static func masked(_ text: String, patterns: [String]) -> String {
    var result = text
    for pattern in patterns {
      let expression = try! NSRegularExpression(pattern: pattern)
      result = expression.stringByReplacingMatches(
        in: result, range: NSRange(result.startIndex..., in: result), withTemplate: "<wall-clock>")
    }
    return result
  }

  /// Expects `actual` to equal the file's text; with DRIFTSIM_UPDATE_GOLDEN=1 writes it first.
  static func expectMatch(_ actual: String, file: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
    if ProcessInfo.processInfo.environment["DRIFTSIM_UPDATE_GOLDEN"] == "1" {
      try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
      try Data(actual.utf8).write(to: file)
    }
    let expected = try String(contentsOf: file, encoding: .utf8)
    #expect(actual == expected, "output differs from \(file.path)", sourceLocation: sourceLocation)
  }
}
