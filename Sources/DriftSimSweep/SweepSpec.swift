import DriftSimInterference
import DriftSimSupport
import Foundation
import Yams

/// A problem with a sweep file, a sweep directory or a task (exit status 1): the message names the
/// file (with its line), the key, the task index or the directory, and the rule.
public struct SweepError: ReportableError, CustomStringConvertible, Equatable {
  /// One line naming what and where.
  public var description: String
  /// Creates an error.
  public init(_ description: String) { self.description = description }
}

/// One value of a sweep axis: the text shown in tables (as written) and the value applied.
public struct SweepValue: Sendable, Equatable {
  /// The value as written (`0.5`, `[1, 2]`, `fluid`), used in the CSV and plan.
  public var text: String
  /// The parsed value, applied with `ScenarioBuilder.set`.
  public var value: ConfigValue
  /// Where it was written, for error messages (`file:line`, `--vary …`).
  public var source: String
}

/// A scenario key and the values it takes across a sweep.
public struct SweepAxis: Sendable, Equatable {
  /// The scenario key (one of `ScenarioBuilder.keyDocumentation`).
  public var key: String
  /// Its values, in order.
  public var values: [SweepValue]
}

/// What a sweep file (or today's `driftsim sweep` flags) describes: a base scenario, the axes of
/// the grid (their Cartesian product, with an optional zip group whose keys vary together as one
/// more axis), the policies compared at every point, and the replications.
public struct SweepSpec: Sendable {
  /// A name for titles and default directories (the file name without extension).
  public var name: String
  /// The base scenario: preset, then scenario file, then `set`.
  public var base: ScenarioBuilder
  /// Axes of the Cartesian product, in the order written (the first numeric one is plotted on x).
  public var axes: [SweepAxis]
  /// Keys that vary together (all with the same number of values); one more product dimension.
  public var zip: [SweepAxis]
  /// Policies compared at every point.
  public var policies: [PolicyName]
  /// Replications per point and policy (1…10000).
  public var replications: Int
  /// Replications per task (≥ 1; the last block of a point may be shorter).
  public var replicationsPerTask: Int
  /// The base seed (default: the base scenario's).
  public var seed: UInt64

  /// The largest grid accepted (points × policies): bigger sweeps are refused before any work.
  public static let maxCells = 100_000
  /// The largest number of replication tasks accepted.
  public static let maxTasks = 1_000_000
  /// Sweep files larger than this are refused (1 MiB; a sweep file is a few lines).
  public static let maxFileBytes = 1 << 20

  /// Keys a sweep file accepts at the top level.
  public static let fileKeys = ["name", "preset", "scenario", "set", "axes", "zip", "policies", "replications", "replicationsPerTask", "seed"]
  /// Scenario keys that cannot be axes (they have their own sweep key).
  static let reservedAxisKeys: [String: String] = [
    "policy": "use 'policies'", "replications": "use 'replications'", "seed": "use 'seed'",
  ]

  /// Creates a spec directly (today's `driftsim sweep --vary` flags build one); call `checked()`
  /// before planning.
  public init(
    name: String, base: ScenarioBuilder, axes: [SweepAxis], zip: [SweepAxis] = [], policies: [PolicyName],
    replications: Int, replicationsPerTask: Int = 1, seed: UInt64? = nil
  ) {
    self.name = name
    self.base = base
    self.axes = axes
    self.zip = zip
    self.policies = policies
    self.replications = replications
    self.replicationsPerTask = replicationsPerTask
    self.seed = seed ?? base.scenario.seed
  }

  /// The spec after checking it.
  /// - Throws: `SweepError` for no axis, an unknown or reserved axis key, an empty axis, a key
  ///   varied twice, zip lists of different lengths, no policy, or a grid beyond the limits.
  public func checked() throws(SweepError) -> SweepSpec {
    guard !(axes.isEmpty && zip.isEmpty) else { throw SweepError("\(name): give at least one axis (under 'axes' or 'zip', or --vary)") }
    let known = Set(ScenarioBuilder.keyDocumentation.map(\.key))
    var seen = Set<String>()
    for axis in axes + zip {
      if let hint = Self.reservedAxisKeys[axis.key] {
        throw SweepError("\(axis.values.first?.source ?? axis.key): '\(axis.key)' cannot be an axis; \(hint)")
      }
      guard known.contains(axis.key) else {
        let suggestion = known.sorted().min { editDistanceForSweep($0, axis.key) < editDistanceForSweep($1, axis.key) }.flatMap {
          editDistanceForSweep($0, axis.key) <= 3 ? $0 : nil
        }
        throw SweepError(
          "\(axis.values.first?.source ?? axis.key): unknown axis key '\(axis.key)'\(suggestion.map { " (did you mean '\($0)'?)" } ?? ""); axes are scenario keys")
      }
      guard seen.insert(axis.key).inserted else {
        throw SweepError("\(axis.values.first?.source ?? axis.key): the key '\(axis.key)' is varied twice; give all its values in one axis")
      }
      guard !axis.values.isEmpty else { throw SweepError("axis '\(axis.key)': needs at least one value") }
    }
    if let first = zip.first, let other = zip.first(where: { $0.values.count != first.values.count }) {
      throw SweepError(
        "zip: '\(first.key)' has \(first.values.count) values but '\(other.key)' has \(other.values.count); keys in zip vary together and need equal lengths")
    }
    guard !policies.isEmpty else { throw SweepError("policies: give at least one of \(PolicyName.allCases.map(\.rawValue).joined(separator: ", "))") }
    guard Set(policies).count == policies.count else { throw SweepError("policies: a policy is listed twice") }
    guard (1...10_000).contains(replications) else { throw SweepError("replications: must be in 1…10000, got \(replications)") }
    guard replicationsPerTask >= 1 else { throw SweepError("replicationsPerTask: must be at least 1, got \(replicationsPerTask)") }
    var cells = policies.count
    for axis in axes {
      cells = cells.multipliedReportingOverflow(by: axis.values.count).partialValue
      guard cells <= Self.maxCells else { break }
    }
    cells = cells.multipliedReportingOverflow(by: zip.first?.values.count ?? 1).partialValue
    guard cells <= Self.maxCells, cells > 0 else {
      throw SweepError("the grid has more than \(Self.maxCells) points × policies; split the sweep (the limit keeps plan.json and merge bounded)")
    }
    let blocks = (replications + replicationsPerTask - 1) / replicationsPerTask
    guard cells * blocks <= Self.maxTasks else {
      throw SweepError("the sweep has \(cells * blocks) tasks, more than \(Self.maxTasks); raise replicationsPerTask or split the sweep")
    }
    return self
  }

  /// Reads a sweep file (YAML or JSON), strictly: unknown keys, wrong types, unknown axis keys and
  /// bad values are errors naming `file:line`. A relative `scenario:` path is read relative to the
  /// sweep file's directory.
  /// - Throws: `SweepError` or `ScenarioError` naming the file, line and key.
  public static func load(path: String) throws -> SweepSpec {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw SweepError("sweep file '\(path)' does not exist")
    }
    guard !isDirectory.boolValue else { throw SweepError("'\(path)' is a directory, not a sweep file") }
    guard let data = FileManager.default.contents(atPath: path) else { throw SweepError("cannot read sweep file '\(path)'") }
    guard data.count <= maxFileBytes else { throw SweepError("\(path): \(data.count) bytes, more than the \(maxFileBytes) a sweep file may have") }
    guard let text = String(data: data, encoding: .utf8) else { throw SweepError("\(path): not UTF-8 text") }
    let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    return try parse(text, source: path, name: name, directory: directory)
  }

  /// Parses the text of a sweep file (see `load(path:)`).
  /// - Parameters:
  ///   - source: the name used in error messages.
  ///   - name: the default sweep name.
  ///   - directory: where a relative `scenario:` path is looked up.
  public static func parse(_ text: String, source: String, name: String, directory: String) throws -> SweepSpec {
    let root: Node?
    do {
      root = try Yams.compose(yaml: text)
    } catch {
      let oneLine = "\(error)".split(whereSeparator: \.isNewline).prefix(1).joined()
      throw SweepError("\(source): not valid YAML or JSON: \(oneLine)")
    }
    guard let root, case let .mapping(mapping) = root else {
      throw SweepError("\(source): expected a mapping (preset/scenario, set, axes, policies, replications, seed) at the top level")
    }
    func at(_ node: Node) -> String { "\(source)\(node.mark.map { ":\($0.line)" } ?? "")" }
    var entries: [String: (key: Node, value: Node)] = [:]
    for (keyNode, valueNode) in mapping {
      guard let key = keyNode.string else { throw SweepError("\(at(keyNode)): keys must be plain words") }
      guard fileKeys.contains(key) else {
        throw SweepError("\(at(keyNode)): unknown key '\(key)'; a sweep file has \(fileKeys.joined(separator: ", "))")
      }
      guard entries[key] == nil else { throw SweepError("\(at(keyNode)): key '\(key)' appears twice") }
      entries[key] = (keyNode, valueNode)
    }
    func scalar(_ key: String) throws(SweepError) -> String? {
      guard let entry = entries[key] else { return nil }
      guard case let .scalar(s) = entry.value else { throw SweepError("\(at(entry.key)): '\(key)' must be a single value") }
      return s.string
    }
    func integer(_ key: String, _ range: ClosedRange<Int>) throws(SweepError) -> Int? {
      guard let text = try scalar(key) else { return nil }
      guard let value = Int(text), range.contains(value) else {
        throw SweepError("\(at(entries[key]!.key)): '\(key)' must be an integer in \(range.lowerBound)…\(range.upperBound), got '\(text)'")
      }
      return value
    }
    if entries["preset"] != nil && entries["scenario"] != nil {
      throw SweepError("\(at(entries["scenario"]!.key)): give either 'preset' or 'scenario', not both")
    }
    var base = try ScenarioBuilder(preset: try scalar("preset") ?? "paper")
    if let file = try scalar("scenario") {
      let resolved = file.hasPrefix("/") ? file : directory + "/" + file
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory), !isDirectory.boolValue,
        let text = try? String(contentsOfFile: resolved, encoding: .utf8)
      else {
        throw SweepError("\(at(entries["scenario"]!.key)): cannot read the scenario file '\(resolved)' (a readable YAML or JSON file)")
      }
      try base.apply(document: text, source: resolved)
    }
    if let entry = entries["set"] {
      guard case let .mapping(sets) = entry.value else { throw SweepError("\(at(entry.key)): 'set' must be a mapping of key: value") }
      for (keyNode, valueNode) in sets {
        guard let key = keyNode.string else { throw SweepError("\(at(keyNode)): keys must be plain words") }
        try base.set(key, configValue(valueNode), source: at(keyNode))
      }
    }
    func axisList(_ key: String) throws(SweepError) -> [SweepAxis] {
      guard let entry = entries[key] else { return [] }
      guard case let .mapping(items) = entry.value else {
        throw SweepError("\(at(entry.key)): '\(key)' must be a mapping of scenario key: [values]")
      }
      var axes: [SweepAxis] = []
      for (keyNode, valueNode) in items {
        guard let axisKey = keyNode.string else { throw SweepError("\(at(keyNode)): keys must be plain words") }
        guard case let .sequence(values) = valueNode else {
          throw SweepError("\(at(keyNode)): the axis '\(axisKey)' must be a list of values, e.g. \(axisKey): [0.5, 1, 1.5]")
        }
        axes.append(
          SweepAxis(
            key: axisKey, values: values.map { SweepValue(text: render($0), value: configValue($0), source: "\(at($0)) (\(key).\(axisKey))") }))
      }
      return axes
    }
    let axes = try axisList("axes")
    let zip = try axisList("zip")
    var policies = PolicyName.paperPolicies
    if let entry = entries["policies"] {
      guard case let .sequence(items) = entry.value else { throw SweepError("\(at(entry.key)): 'policies' must be a list, e.g. [fluid, tdma]") }
      policies = []
      for item in items {
        guard let word = item.string, let policy = PolicyName(rawValue: word) else {
          throw SweepError("\(at(item)): unknown policy '\(item.string ?? "?")'; known: \(PolicyName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        policies.append(policy)
      }
    }
    var seed: UInt64? = nil
    if let text = try scalar("seed") {
      guard let value = UInt64(text) else { throw SweepError("\(at(entries["seed"]!.key)): 'seed' must be an integer in 0…2^64−1, got '\(text)'") }
      seed = value
    }
    return try SweepSpec(
      name: try scalar("name") ?? name, base: base, axes: axes, zip: zip, policies: policies,
      replications: try integer("replications", 1...10_000) ?? 5, replicationsPerTask: try integer("replicationsPerTask", 1...10_000) ?? 1,
      seed: seed
    ).checked()
  }

  /// Parses `--vary KEY=v1,v2,…` (commas inside brackets belong to a list value, e.g.
  /// `arrivalRate=[1,2],[2,1]`).
  /// - Throws: `SweepError` naming the argument.
  public static func axis(fromVary text: String) throws(SweepError) -> SweepAxis {
    guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
      throw SweepError("--vary \(text): expected KEY=v1,v2,…")
    }
    let key = String(text[..<equals]).trimmingCharacters(in: .whitespaces)
    var parts: [String] = [], current = "", depth = 0
    for character in text[text.index(after: equals)...] {
      if character == "[" { depth += 1 }
      if character == "]" { depth -= 1 }
      if character == "," && depth == 0 {
        parts.append(current)
        current = ""
      } else {
        current.append(character)
      }
    }
    parts.append(current)
    var values: [SweepValue] = []
    for part in parts.map({ $0.trimmingCharacters(in: .whitespaces) }) {
      guard !part.isEmpty else { throw SweepError("--vary \(text): empty value in the list") }
      let node: Node?
      do { node = try Yams.compose(yaml: part) } catch { throw SweepError("--vary \(text): cannot read the value '\(part)'") }
      guard let node else { throw SweepError("--vary \(text): empty value '\(part)'") }
      values.append(SweepValue(text: part, value: configValue(node), source: "--vary \(text)"))
    }
    return SweepAxis(key: key, values: values)
  }

  /// The text of a YAML node as a `--set` value (flow style for lists).
  static func render(_ node: Node) -> String {
    switch node {
    case let .scalar(s): return s.string
    case let .sequence(items): return "[" + items.map(render).joined(separator: ", ") + "]"
    case .mapping: return "{…}"
    case .alias: return "*alias"
    }
  }

  /// Reads a YAML node the way scenario files are read.
  static func configValue(_ node: Node) -> ConfigValue {
    switch node {
    case let .scalar(scalar):
      let text = scalar.string
      if scalar.style == .plain {
        if text.isEmpty || text == "~" || text == "null" { return .null }
        if text == "true" { return .bool(true) }
        if text == "false" { return .bool(false) }
        if let number = Double(text.replacingOccurrences(of: "_", with: "")) { return .number(number, text: text) }
      }
      return .string(text)
    case let .sequence(items): return .list(items.map(configValue))
    case .mapping: return .mapping
    case .alias: return .string("*alias")
    }
  }
}

/// Levenshtein distance, for "did you mean" hints.
func editDistanceForSweep(_ a: String, _ b: String) -> Int {
  let a = Array(a.lowercased()), b = Array(b.lowercased())
  guard !a.isEmpty else { return b.count }
  guard !b.isEmpty else { return a.count }
  var previous = Array(0...b.count)
  for i in 1...a.count {
    var current = [i] + Array(repeating: 0, count: b.count)
    for j in 1...b.count {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.count]
}
