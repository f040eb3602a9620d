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
  /// - Throws: `DriftSimError` naming the key, file and line.
  func load() throws -> Scenario {
    do {
      var builder = try ScenarioBuilder(preset: preset ?? "paper")
      if let scenarioFile {
        let text: String
        do {
          text = try String(contentsOfFile: scenarioFile, encoding: .utf8)
        } catch {
          throw DriftSimError("cannot read scenario file '\(scenarioFile)': \(error.localizedDescription)")
        }
        try builder.apply(document: text, source: scenarioFile)
      }
      for assignment in overrides { try builder.apply(override: assignment) }
      return try builder.validated()
    } catch let error as ScenarioError {
      throw DriftSimError(error.description)
    }
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
