import ArgumentParser
import Foundation
import DriftSimInterference

/// Where a scenario comes from: a preset, a file, then `--set` overrides (later wins).
struct ScenarioOptions: ParsableArguments {
  @Argument(help: ArgumentHelp("A scenario file (YAML or JSON: a mapping of key: value).", valueName: "scenario"))
  var scenarioFile: String?

  @Option(help: "Start from a built-in preset: \(ScenarioBuilder.presets.keys.sorted().joined(separator: ", ")). Default: paper.")
  var preset: String?

  @Option(
    name: .customLong("set"),
    help: ArgumentHelp("Override a scenario key, e.g. --set gamma=0.05 or --set arrivalRate=[1,2,1,1,1]. Repeatable.", valueName: "key=value"))
  var overrides: [String] = []

  /// Reads the preset, file and overrides into a validated scenario.
  /// - Throws: `ScenarioError` naming the key, file and line; `DriftSimError` for a file that
  ///   cannot be read.
  func load() throws -> Scenario {
    var builder = try ScenarioBuilder(preset: preset ?? "paper")
    if let scenarioFile { try Self.apply(scenarioFile: scenarioFile, to: &builder) }
    for assignment in overrides { try builder.apply(override: assignment) }
    return try builder.validated()
  }

  /// Applies the keys of a scenario file (YAML or JSON) to `builder`.
  /// - Throws: `DriftSimError` for a missing file, a directory or unreadable bytes (naming the
  ///   path); `ScenarioError` for bad content (naming file:line and key).
  static func apply(scenarioFile path: String, to builder: inout ScenarioBuilder) throws {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw DriftSimError("cannot read scenario file '\(path)': it does not exist")
    }
    guard !isDirectory.boolValue else { throw DriftSimError("'\(path)' is a directory, not a scenario file") }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw DriftSimError("cannot read scenario file '\(path)' (permission denied?)")
    }
    guard let text = String(data: data, encoding: .utf8) else { throw DriftSimError("scenario file '\(path)' is not UTF-8 text") }
    try builder.apply(document: text, source: path)
  }

  /// The scenario keys with their units, for --help discussions.
  static var keyHelp: String {
    ScenarioBuilder.keyDocumentation.map { "  \($0.key): \($0.doc)" }.joined(separator: "\n")
  }
}

/// A text progress bar on stderr, drawn only when stderr is a terminal and the work takes more
/// than a second; silent with --quiet.
final class ProgressDisplay: @unchecked Sendable {
  private let total: Int
  private let counter: ProgressCounter
  private let label: String
  private let lock = NSLock()
  private var finished = false
  private var thread: Thread?

  init(total: Int, counter: ProgressCounter, label: String, enabled: Bool) {
    self.total = max(total, 1)
    self.counter = counter
    self.label = label
    guard enabled, isatty(2) != 0 else { return }
    let thread = Thread { [weak self] in self?.loop() }
    self.thread = thread
    thread.start()
  }

  private var isFinished: Bool {
    lock.lock()
    defer { lock.unlock() }
    return finished
  }

  private func loop() {
    let start = Date()
    var drawn = false
    while !isFinished {
      Thread.sleep(forTimeInterval: 0.2)
      let elapsed = Date().timeIntervalSince(start)
      guard elapsed > 1, !isFinished else { continue }
      let fraction = min(1, Double(counter.value) / Double(total))
      let width = 30
      let filled = Int(fraction * Double(width))
      let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0
      let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
      StandardError.write(String(format: "\r%@ [%@] %3.0f%%  %.0fs left ", label, bar, 100 * fraction, eta))
      drawn = true
    }
    if drawn { StandardError.write("\r\u{1B}[K") }
  }

  /// Stops drawing and clears the line.
  func finish() {
    lock.lock()
    finished = true
    lock.unlock()
    if thread != nil { Thread.sleep(forTimeInterval: 0.25) }
  }
}
