import Foundation
import Yams

/// A value read from a scenario file or a `--set` override, with where it came from.
public indirect enum ConfigValue: Sendable, Equatable {
  /// A number (integers included).
  case number(Double, text: String)
  /// A string (quoted, or a plain word that is not a number or boolean).
  case string(String)
  /// true or false.
  case bool(Bool)
  /// A list.
  case list([ConfigValue])
  /// A nested mapping (not valid for any key; reported as an error).
  case mapping
  /// null / ~ / empty.
  case null

  /// A short rendering for error messages.
  var shown: String {
    switch self {
    case let .number(_, text): return text
    case let .string(s): return "'\(s)'"
    case let .bool(b): return b ? "true" : "false"
    case let .list(items): return "[" + items.map(\.shown).joined(separator: ", ") + "]"
    case .mapping: return "a mapping"
    case .null: return "null"
    }
  }
}

/// Builds a validated `Scenario` from a preset, then a scenario file, then `--set key=value`
/// overrides (later wins). Unknown keys, wrong types and out-of-range values are errors naming the
/// key and its source (file:line or the --set argument).
public struct ScenarioBuilder: Sendable {
  /// The scenario so far.
  public private(set) var scenario: Scenario
  /// Keys set explicitly (by the preset, the file or --set), in order.
  public private(set) var explicitKeys: [String] = []

  /// Built-in presets by name.
  public static let presets: [String: String] = [
    "paper": "the paper's setting (K=5, L_kk=1, L_kj=0.1, W=10 MHz, τ=5 ms, S̄=30 kbit, β=1, λ=1 packet/epoch, N=10), γ=1, fluid policy"
  ]

  /// Every key a scenario accepts, with its unit and meaning (for --help and errors).
  public static let keyDocumentation: [(key: String, doc: String)] = [
    ("pairs", "K, number of transmitter–receiver pairs (1…64)"),
    ("arrivalRate", "λ_k, Poisson arrivals in packets/epoch: a number or a list of K (≥ 0)"),
    ("directGain", "L_kk, direct path gain: a number or a list of K (> 0)"),
    ("crossGain", "L_kj, cross path gain: a number (every k ≠ j) or a K×K list of lists (≥ 0; diagonal ignored)"),
    ("bandwidthHz", "W, bandwidth in Hz (> 0)"),
    ("epochSeconds", "τ, epoch length in seconds (> 0)"),
    ("slotsPerEpoch", "N, fading slots per epoch (1…10000)"),
    ("meanPacketBits", "S̄, mean packet size in bits (> 0); sizes are exponential"),
    ("beta", "β, delay weight (> 0)"),
    ("gamma", "γ, power price (> 0); calibrated instead when targetSNRdB is set"),
    ("targetSNRdB", "average transmit SNR target in dB (calibrates γ); null for none"),
    ("policy", "fluid | csi-only | qwto | tdma | fluid-corrected | vi | vi-delay | table"),
    ("epochs", "epochs per replication, warm-up included (≥ 1)"),
    ("warmupEpochs", "epochs excluded from statistics (0 ≤ warmupEpochs < epochs)"),
    ("seed", "base seed (0 … 2^64−1)"),
    ("replications", "independent replications (1…10000)"),
    ("traceLevel", "off | packets | epochs | slots: what --trace records"),
    ("tolerance", "relative tolerance of the per-slot power iteration (> 0)"),
    ("maxIterations", "iteration cap of the per-slot power iteration (≥ 1)"),
    ("powerUpdate", "simultaneous | sequential updates in the power iteration"),
    ("maxQueuePackets", "stop as unstable when a queue exceeds this many packets (> 0)"),
    ("pilotEpochs", "epochs per pilot run of the γ calibration (≥ 10; capped at epochs, where the pilot is replication 0 itself)"),
    ("calibrationReplications", "replications pooled by each calibration pilot (1…10000; capped at replications): with replications and pilotEpochs ≥ epochs the run itself hits the target SNR"),
    ("calibrationToleranceDB", "accepted |SNR − target| of calibration pilots, in dB (> 0)"),
    ("initialQueuePackets", "backlog at time 0 in packets: a number or a list of K (integers ≥ 0)"),
    ("weightUpdate", "epoch | slot: queue-aware policies recompute their weight at each epoch start (paper) or each slot start"),
    ("packetSizes", "exponential | deterministic packet sizes of mean meanPacketBits"),
    ("policyTable", "CSV file of policy table: header queuePackets,weight[,pair]; piecewise linear in Q (packets), held constant past the last row"),
    ("viWeight", "action | slope | secant: how policies vi and vi-delay derive a weight from their value function when pairs interfere"),
    ("viGridStep", "grid step of policy vi's slot-level MDP in packets (1/viGridStep an integer ≤ 1024)"),
    ("viMaxQueuePackets", "largest queue of policy vi's slot-level MDP in packets (> 0; at most 200000 grid states); for vi-delay a whole number 2…2000"),
    ("viInterference", "none | target: policy vi-delay's per-flow model ignores interference (none) or treats the mean interference at the target power 10^(targetSNRdB/10) as noise (target; needs targetSNRdB)"),
    ("viCapacityStep", "capacity-grid step of policy vi-delay's packet-count MDP in packets per slot (> 0; at most 100000 steps)"),
    ("viMaxCapacityPackets", "largest capacity of policy vi-delay's packet-count MDP in packets per slot (a whole number of steps)"),
    ("viFadingNodes", "fading quadrature nodes of policy vi's slot-level MDP (8…4096)"),
    ("policyCacheDirectory", "directory of policy vi's solution cache; null for $DRIFTSIM_CACHE_DIR, else $XDG_CACHE_HOME/driftsim, else ~/.cache/driftsim"),
  ]

  /// Starts from the defaults.
  public init() { scenario = Scenario() }

  /// Starts from a named preset.
  /// - Throws: `ScenarioError` for an unknown preset name.
  public init(preset: String) throws(ScenarioError) {
    guard Self.presets[preset] != nil else {
      throw ScenarioError("unknown preset '\(preset)'; known presets: \(Self.presets.keys.sorted().joined(separator: ", "))")
    }
    scenario = Scenario()  // `paper` is the default scenario
  }

  /// Applies every key of a YAML or JSON document.
  /// - Parameters:
  ///   - text: the document (a mapping of key: value).
  ///   - source: the file name used in error messages.
  public mutating func apply(document text: String, source: String) throws(ScenarioError) {
    guard text.utf8.count <= Self.maxDocumentBytes else {
      throw ScenarioError(
        "\(source): the document is \(text.utf8.count) bytes; scenario documents are limited to \(Self.maxDocumentBytes) bytes")
    }
    let node: Node?
    do {
      node = try Yams.compose(yaml: text)
    } catch {
      // Yams's messages span several lines with context; keep the error to one line.
      let oneLine = "\(error)".split(whereSeparator: \.isNewline).prefix(1).joined()
      throw ScenarioError("\(source): not valid YAML or JSON: \(oneLine)")
    }
    guard let node else { return }  // empty file
    guard case let .mapping(mapping) = node else {
      throw ScenarioError("\(source): expected a mapping of key: value at the top level")
    }
    var seen = Set<String>()
    var budget = Self.maxDocumentValues
    for (keyNode, valueNode) in mapping {
      let line = keyNode.mark.map { ":\($0.line)" } ?? ""
      guard let key = keyNode.string else {
        throw ScenarioError("\(source)\(line): keys must be plain words")
      }
      guard seen.insert(key).inserted else {
        throw ScenarioError("\(source)\(line): key '\(key)' appears twice")
      }
      try set(key, Self.value(of: valueNode, budget: &budget, source: "\(source)\(line)"), source: "\(source)\(line)")
    }
  }

  /// Applies one `key=value` override (the value is read as YAML: `0.1`, `[1, 2]`, `fluid`).
  public mutating func apply(override assignment: String) throws(ScenarioError) {
    guard let equals = assignment.firstIndex(of: "=") else {
      throw ScenarioError("--set \(Self.clipped(assignment)): expected key=value")
    }
    let key = String(assignment[..<equals]).trimmingCharacters(in: .whitespaces)
    let text = String(assignment[assignment.index(after: equals)...])
    guard text.utf8.count <= Self.maxDocumentBytes else {
      throw ScenarioError("--set \(key): the value is \(text.utf8.count) bytes; values are limited to \(Self.maxDocumentBytes) bytes")
    }
    let node: Node?
    do {
      node = try Yams.compose(yaml: text)
    } catch {
      throw ScenarioError("--set \(key): cannot read the value as YAML")
    }
    var budget = Self.maxDocumentValues
    let value = try node.map { (n: Node) throws(ScenarioError) -> ConfigValue in
      try Self.value(of: n, budget: &budget, source: "--set \(key)")
    } ?? .null
    // Name the assignment, but never echo a huge value in full.
    let shown = "\(Self.clipped(key))=\(Self.clipped(text))"
    try set(key, value, source: "--set \(shown)")
  }

  /// `text`, or its first 80 characters and its size when longer (error lines stay short).
  static func clipped(_ text: String) -> String {
    let cut = text.index(text.startIndex, offsetBy: 80, limitedBy: text.endIndex) ?? text.endIndex
    return cut == text.endIndex ? text : "\(text[..<cut])…(\(text.utf8.count) bytes)"
  }

  /// Largest scenario document (or `--set` value) accepted, in bytes: scenario files are a few
  /// kilobytes, and the bound keeps a hostile file from exhausting memory.
  public static let maxDocumentBytes = 1 << 20
  /// Most values (scalars, list elements, mappings) one document may expand to. YAML aliases let a
  /// few hundred bytes name billions of values ("billion laughs"); conversion stops at this budget.
  public static let maxDocumentValues = 100_000

  /// Converts a YAML node to a `ConfigValue`, spending one unit of `budget` per node visited (aliases
  /// are counted every time they are expanded).
  /// - Throws: `ScenarioError` naming `source` when the budget runs out.
  static func value(of node: Node, budget: inout Int, source: String) throws(ScenarioError) -> ConfigValue {
    budget -= 1
    guard budget >= 0 else {
      throw ScenarioError(
        "\(source): the document expands to more than \(maxDocumentValues) values (YAML aliases or an oversized list); scenario values are small lists")
    }
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
    case let .sequence(sequence):
      var items: [ConfigValue] = []
      items.reserveCapacity(min(sequence.count, max(budget, 0)))
      for item in sequence { items.append(try value(of: item, budget: &budget, source: source)) }
      return .list(items)
    case .mapping: return .mapping
    case .alias: return .string("*alias")
    }
  }

  /// Sets one key after checking its type and range.
  public mutating func set(_ key: String, _ value: ConfigValue, source: String) throws(ScenarioError) {
    func fail(_ expected: String) -> ScenarioError {
      ScenarioError("\(source): key '\(key)': expected \(expected), got \(value.shown)")
    }
    func number(_ expected: String, _ valid: (Double) -> Bool) throws(ScenarioError) -> Double {
      guard case let .number(x, _) = value, x.isFinite, valid(x) else { throw fail(expected) }
      return x
    }
    func integer(_ expected: String, _ range: ClosedRange<Int>) throws(ScenarioError) -> Int {
      guard case let .number(x, _) = value, x == x.rounded(), let i = Int(exactly: x), range.contains(i) else {
        throw fail(expected)
      }
      return i
    }
    func word<T: RawRepresentable & CaseIterable>(_ type: T.Type) throws(ScenarioError) -> T where T.RawValue == String {
      guard case let .string(s) = value, let parsed = T(rawValue: s) else {
        throw fail("one of " + T.allCases.map(\.rawValue).joined(separator: " | "))
      }
      return parsed
    }
    func perPair(_ expected: String, _ valid: (Double) -> Bool) throws(ScenarioError) -> PerPair {
      switch value {
      case let .number(x, _) where x.isFinite && valid(x): return .all(x)
      case let .list(items):
        var values: [Double] = []
        for item in items {
          guard case let .number(x, _) = item, x.isFinite, valid(x) else { throw fail(expected) }
          values.append(x)
        }
        guard !values.isEmpty else { throw fail(expected) }
        return .each(values)
      default: throw fail(expected)
      }
    }

    switch key {
    case "pairs": scenario.pairs = try integer("an integer from 1 to 64", 1...64)
    case "arrivalRate": scenario.arrivalRate = try perPair("a rate ≥ 0 (packets/epoch) or a list of them", { $0 >= 0 })
    case "directGain": scenario.directGain = try perPair("a gain > 0 or a list of them", { $0 > 0 })
    case "crossGain":
      switch value {
      case let .number(x, _) where x.isFinite && x >= 0: scenario.crossGain = .all(x)
      case let .list(rows):
        var matrix: [[Double]] = []
        for row in rows {
          guard case let .list(items) = row else { throw fail("a gain ≥ 0 or a K×K list of lists of gains ≥ 0") }
          var values: [Double] = []
          for item in items {
            guard case let .number(x, _) = item, x.isFinite, x >= 0 else {
              throw fail("a gain ≥ 0 or a K×K list of lists of gains ≥ 0")
            }
            values.append(x)
          }
          matrix.append(values)
        }
        scenario.crossGain = .matrix(matrix)
      default: throw fail("a gain ≥ 0 or a K×K list of lists of gains ≥ 0")
      }
    case "bandwidthHz": scenario.bandwidthHz = try number("a bandwidth > 0 (Hz)", { $0 > 0 })
    case "epochSeconds": scenario.epochSeconds = try number("an epoch length > 0 (seconds)", { $0 > 0 })
    case "slotsPerEpoch": scenario.slotsPerEpoch = try integer("an integer from 1 to 10000", 1...10_000)
    case "meanPacketBits": scenario.meanPacketBits = try number("a mean packet size > 0 (bits)", { $0 > 0 })
    case "beta": scenario.beta = try number("a delay weight > 0", { $0 > 0 })
    case "gamma": scenario.gamma = try number("a power price > 0", { $0 > 0 })
    case "targetSNRdB":
      if value == .null { scenario.targetSNRdB = nil } else {
        scenario.targetSNRdB = try number("an SNR in dB between −30 and 60, or null", { $0 >= -30 && $0 <= 60 })
      }
    case "policy": scenario.policy = try word(PolicyName.self)
    case "epochs": scenario.epochs = try integer("an integer from 1 to 10^12", 1...1_000_000_000_000)
    case "warmupEpochs": scenario.warmupEpochs = try integer("an integer ≥ 0", 0...1_000_000_000_000)
    case "seed":
      guard case let .number(_, text) = value, let seed = UInt64(text) else { throw fail("an integer from 0 to 2^64 − 1") }
      scenario.seed = seed
    case "replications": scenario.replications = try integer("an integer from 1 to 10000", 1...10_000)
    case "traceLevel": scenario.traceLevel = try word(NetworkTraceLevel.self)
    case "tolerance": scenario.tolerance = try number("a tolerance > 0", { $0 > 0 })
    case "maxIterations": scenario.maxIterations = try integer("an integer from 1 to 100000", 1...100_000)
    case "powerUpdate": scenario.powerUpdate = try word(PowerUpdate.self)
    case "maxQueuePackets": scenario.maxQueuePackets = try number("a number of packets > 0", { $0 > 0 })
    case "pilotEpochs": scenario.pilotEpochs = try integer("an integer ≥ 10", 10...1_000_000_000)
    case "calibrationReplications": scenario.calibrationReplications = try integer("an integer from 1 to 10000", 1...10_000)
    case "calibrationToleranceDB": scenario.calibrationToleranceDB = try number("a tolerance > 0 (dB)", { $0 > 0 })
    case "initialQueuePackets":
      scenario.initialQueuePackets = try perPair("a whole number of packets ≥ 0 or a list of them", { $0 >= 0 && $0 == $0.rounded() && $0 <= 1e9 })
    case "weightUpdate": scenario.weightUpdate = try word(WeightUpdate.self)
    case "packetSizes": scenario.packetSizes = try word(PacketSizeDistribution.self)
    case "policyTable":
      switch value {
      case .null: scenario.policyTable = nil
      case let .string(path) where !path.isEmpty: scenario.policyTable = path
      default: throw fail("a CSV file path, or null")
      }
    case "viWeight": scenario.viWeight = try word(VIWeightRule.self)
    case "viGridStep":
      let step = try number("a grid step in packets with 1/step an integer from 1 to 1024", { $0 > 0 && $0 <= 1 })
      let perPacket = (1 / step).rounded()
      guard perPacket >= 1, perPacket <= 1024, abs(1 / step - perPacket) <= 1e-9 * perPacket else {
        throw fail("a grid step in packets with 1/step an integer from 1 to 1024")
      }
      scenario.viGridStep = 1 / perPacket
    case "viMaxQueuePackets": scenario.viMaxQueuePackets = try number("a queue > 0 (packets)", { $0 > 0 && $0 <= 1e6 })
    case "viInterference": scenario.viInterference = try word(VIInterference.self)
    case "viCapacityStep": scenario.viCapacityStep = try number("a capacity step > 0 (packets per slot)", { $0 > 0 && $0 <= 100 })
    case "viMaxCapacityPackets": scenario.viMaxCapacityPackets = try number("a capacity > 0 (packets per slot)", { $0 > 0 && $0 <= 1000 })
    case "viFadingNodes": scenario.viFadingNodes = try integer("an integer from 8 to 4096", 8...4096)
    case "policyCacheDirectory":
      switch value {
      case .null: scenario.policyCacheDirectory = nil
      case let .string(path) where !path.isEmpty: scenario.policyCacheDirectory = path
      default: throw fail("a directory path, or null")
      }
    default:
      let known = Self.keyDocumentation.map(\.key)
      let suggestion = known.min { editDistance($0, key) < editDistance($1, key) }.map { " (did you mean '\($0)'?)" } ?? ""
      throw ScenarioError("\(source): unknown key '\(key)'\(suggestion); known keys: \(known.joined(separator: ", "))")
    }
    explicitKeys.append(key)
  }

  /// Checks the relations between keys (list lengths against `pairs`, warm-up below epochs) and
  /// returns the scenario.
  public func validated() throws(ScenarioError) -> Scenario {
    let s = scenario
    if s.arrivalRate.resolved(pairs: s.pairs) == nil {
      throw ScenarioError("key 'arrivalRate': the list has \(listCount(s.arrivalRate)) entries but pairs = \(s.pairs)")
    }
    if s.directGain.resolved(pairs: s.pairs) == nil {
      throw ScenarioError("key 'directGain': the list has \(listCount(s.directGain)) entries but pairs = \(s.pairs)")
    }
    if case let .matrix(rows) = s.crossGain, rows.count != s.pairs || rows.contains(where: { $0.count != s.pairs }) {
      throw ScenarioError("key 'crossGain': expected a \(s.pairs)×\(s.pairs) matrix (pairs = \(s.pairs)), got \(rows.count) rows of lengths \(rows.map(\.count))")
    }
    if s.warmupEpochs >= s.epochs {
      throw ScenarioError("key 'warmupEpochs': \(s.warmupEpochs) must be less than epochs = \(s.epochs)")
    }
    guard let backlog = s.initialQueuePackets.resolved(pairs: s.pairs) else {
      throw ScenarioError("key 'initialQueuePackets': the list has \(listCount(s.initialQueuePackets)) entries but pairs = \(s.pairs)")
    }
    if s.policy == .table && s.policyTable == nil {
      throw ScenarioError("key 'policyTable': policy table needs a CSV file (set policyTable=PATH)")
    }
    if s.viMaxQueuePackets / s.viGridStep > 200_000 {
      throw ScenarioError("keys 'viMaxQueuePackets'/'viGridStep': \(Int(s.viMaxQueuePackets / s.viGridStep)) grid states exceed the limit of 200000")
    }
    if s.policy == .viDelay {
      if s.packetSizes != .exponential {
        throw ScenarioError(
          "key 'packetSizes': policy vi-delay needs exponential packet sizes (its packet count is an exact state only because sizes are memoryless); use policy vi for deterministic sizes")
      }
      if s.viMaxQueuePackets != s.viMaxQueuePackets.rounded() || s.viMaxQueuePackets < 2 || s.viMaxQueuePackets > 2000 {
        throw ScenarioError("key 'viMaxQueuePackets': policy vi-delay needs a whole number of packets from 2 to 2000, got \(s.viMaxQueuePackets)")
      }
      if s.viInterference == .target && s.targetSNRdB == nil {
        throw ScenarioError("key 'viInterference': 'target' needs targetSNRdB (the mean interference is computed at the target power)")
      }
      let steps = s.viMaxCapacityPackets / s.viCapacityStep
      if steps < 2 || steps > 100_000 || abs(steps - steps.rounded()) > 1e-9 * steps {
        throw ScenarioError(
          "keys 'viMaxCapacityPackets'/'viCapacityStep': the capacity grid must have a whole number of steps from 2 to 100000, got \(steps)")
      }
    }
    if s.arrivalRate.resolved(pairs: s.pairs)!.allSatisfy({ $0 == 0 }) && backlog.allSatisfy({ $0 == 0 }) {
      throw ScenarioError("key 'arrivalRate': every pair has rate 0 and no initial backlog, so there is nothing to simulate")
    }
    return s
  }

  private func listCount(_ p: PerPair) -> Int {
    if case let .each(values) = p { return values.count }
    return 1
  }
}

/// Levenshtein distance, for "did you mean" suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a.lowercased()), b = Array(b.lowercased())
  var previous = Array(0...b.count)
  for i in 1...max(a.count, 1) where !a.isEmpty {
    var current = [i] + Array(repeating: 0, count: b.count)
    for j in 1...max(b.count, 1) where !b.isEmpty {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return a.isEmpty ? b.count : previous[b.count]
}
