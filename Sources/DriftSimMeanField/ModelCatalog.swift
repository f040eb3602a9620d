import Foundation

/// A model parameter: name, default value, and what it means.
public struct ModelParameterSpec: Sendable, Equatable {
  /// The name used in rates and in `--set name=value`.
  public let name: String
  /// Default value.
  public let defaultValue: Double
  /// One line of help with units.
  public let help: String
  /// Whether the value must be a positive integer (e.g. the number of choices d).
  public let isInteger: Bool
}

/// The built-in models.
public enum BuiltinModel: String, CaseIterable, Sendable {
  /// SIS with external infection (Ying, section II): states S, I.
  case sis
  /// Power-of-d choices load balancing with a finite buffer (Mitzenmacher; Vvedenskaya et al.).
  case supermarket

  /// The parameters and their defaults.
  public var parameterSpecs: [ModelParameterSpec] {
    switch self {
    case .sis:
      return [
        ModelParameterSpec(name: "alpha", defaultValue: 0.5, help: "external infection rate per susceptible (1/s)", isInteger: false),
        ModelParameterSpec(name: "beta", defaultValue: 0.5, help: "internal infection rate per susceptible-infected pair (1/s)", isInteger: false),
      ]
    case .supermarket:
      return [
        ModelParameterSpec(name: "lambda", defaultValue: 0.9, help: "arrival rate per server, in jobs/s (service rate 1)", isInteger: false),
        ModelParameterSpec(name: "d", defaultValue: 2, help: "servers sampled per arrival (the job joins the shortest)", isInteger: true),
        ModelParameterSpec(name: "buffer", defaultValue: 10, help: "jobs a server holds at most (arrivals finding d full servers are lost)", isInteger: true),
      ]
    }
  }

  /// One line describing the model.
  public var summary: String {
    switch self {
    case .sis: return "SIS with external infection: S→I at alpha*x0 + beta*x0*x1, I→S at x1"
    case .supermarket: return "power-of-d supermarket: states = servers with 0…buffer jobs"
    }
  }

  /// Builds the model with `overrides` applied to the defaults.
  /// - Throws: `MeanFieldError` naming an unknown parameter or an invalid value.
  public func model(overrides: [String: Double] = [:]) throws(MeanFieldError) -> PopulationModel {
    let values = try resolveParameters(specs: parameterSpecs, overrides: overrides, modelName: rawValue)
    switch self {
    case .sis:
      let alpha = values["alpha"]!, beta = values["beta"]!
      guard alpha >= 0, beta >= 0 else { throw MeanFieldError("sis: alpha and beta must be ≥ 0, got alpha=\(alpha) beta=\(beta)") }
      let states = ["S", "I"]
      return try PopulationModel(
        name: "sis", stateNames: states, parameters: values,
        transitions: [
          PopulationTransition(name: "infection", jump: [-1, 1], rate: try compile("alpha*x0 + beta*x0*x1", states, values)),
          PopulationTransition(name: "recovery", jump: [1, -1], rate: try compile("x1", states, values)),
        ],
        initialOccupancy: [1, 0], builtin: .sis(alpha: alpha, beta: beta))
    case .supermarket:
      let lambda = values["lambda"]!, d = Int(values["d"]!), buffer = Int(values["buffer"]!)
      guard lambda > 0 else { throw MeanFieldError("supermarket: lambda must be > 0, got \(lambda)") }
      guard d >= 1, d <= 16 else { throw MeanFieldError("supermarket: d must be in 1…16, got \(d)") }
      guard buffer >= 1, buffer <= 200 else { throw MeanFieldError("supermarket: buffer must be in 1…200, got \(buffer)") }
      let states = (0...buffer).map { "Q\($0)" }
      func tail(_ k: Int) -> String { "(" + (k...buffer).map { "x\($0)" }.joined(separator: "+") + ")" }
      var transitions: [PopulationTransition] = []
      for k in 0..<buffer {
        var jump = [Int](repeating: 0, count: buffer + 1)
        jump[k] = -1
        jump[k + 1] = 1
        let text = "lambda*(\(tail(k))^d - \(tail(k + 1))^d)"
        transitions.append(PopulationTransition(name: "arrival\(k)", jump: jump, rate: try compile(text, states, values)))
      }
      for k in 1...buffer {
        var jump = [Int](repeating: 0, count: buffer + 1)
        jump[k] = -1
        jump[k - 1] = 1
        transitions.append(PopulationTransition(name: "departure\(k)", jump: jump, rate: try compile("x\(k)", states, values)))
      }
      return try PopulationModel(
        name: "supermarket", stateNames: states, parameters: values, transitions: transitions,
        initialOccupancy: [1] + Array(repeating: 0, count: buffer),
        builtin: .supermarket(lambda: lambda, choices: d, buffer: buffer))
    }
  }

  private func compile(_ text: String, _ states: [String], _ values: [String: Double]) throws(MeanFieldError) -> RateExpression {
    do {
      return try RateExpression(text, stateNames: states, parameters: values)
    } catch {
      throw MeanFieldError("built-in model \(rawValue): \(error)")
    }
  }
}

/// Applies `overrides` to the defaults of `specs`.
/// - Throws: `MeanFieldError` naming an unknown key (and listing the known ones) or a non-integer
///   value for an integer parameter.
func resolveParameters(specs: [ModelParameterSpec], overrides: [String: Double], modelName: String) throws(MeanFieldError)
  -> [String: Double]
{
  var values: [String: Double] = [:]
  for spec in specs { values[spec.name] = spec.defaultValue }
  for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
    guard let spec = specs.first(where: { $0.name == key }) else {
      let known = specs.map(\.name).joined(separator: ", ")
      throw MeanFieldError("unknown parameter '\(key)' for model \(modelName) (known: \(known.isEmpty ? "none" : known))")
    }
    guard value.isFinite else { throw MeanFieldError("parameter '\(key)' must be finite, got \(value)") }
    // Integer parameters become Int: bound them first (Int(1e20) would trap).
    if spec.isInteger, value != value.rounded() || abs(value) > 1e9 {
      throw MeanFieldError("parameter '\(key)' must be an integer in −1e9…1e9, got \(value)")
    }
    values[key] = value
  }
  return values
}

/// A model read from a JSON model file, before parameters are bound.
///
/// Format (unknown keys are errors naming the key):
/// ```json
/// {
///   "name": "sis-file",
///   "states": ["S", "I"],
///   "parameters": {"alpha": 0.5, "beta": 0.5},
///   "initial": [1, 0],
///   "conserved": true,
///   "transitions": [
///     {"name": "infection", "jump": [-1, 1], "rate": "alpha*S + beta*S*I"},
///     {"name": "recovery", "jump": {"S": 1, "I": -1}, "rate": "x1"}
///   ]
/// }
/// ```
/// `jump` is a full integer vector or an object {state: change}; `initial` defaults to all
/// objects in the first state; `conserved` (default true) requires every jump to sum to 0.
public struct ModelFile: Sendable {
  /// The model's name.
  public var name: String
  /// State names.
  public var states: [String]
  /// Parameters with their default values, in file order.
  public var parameters: [(name: String, value: Double)]
  /// Initial occupancy, if given.
  public var initial: [Double]?
  /// Whether jumps must conserve the number of objects.
  public var conserved: Bool
  /// (name, jump, rate text) per transition.
  public var transitions: [(name: String, jump: [Int], rate: String)]

  /// The largest model file accepted (bytes): 16 MiB, far above any hand-written model, small
  /// enough that parsing and validation stay within seconds.
  public static let maximumBytes = 16 << 20

  /// Reads and checks a model file.
  /// - Throws: `MeanFieldError` naming the file and the key or value at fault.
  public init(contentsOf path: String) throws(MeanFieldError) {
    let data: Data
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw MeanFieldError("cannot read model file '\(path)': no such file")
    }
    guard !isDirectory.boolValue else { throw MeanFieldError("cannot read model file '\(path)': it is a directory") }
    let attributes = try? FileManager.default.attributesOfItem(atPath: path)
    // A FIFO would block the read forever and a device is no model: only regular files.
    guard (attributes?[.type] as? FileAttributeType) == .typeRegular else {
      throw MeanFieldError("cannot read model file '\(path)': not a regular file (a device, FIFO or socket)")
    }
    if let size = attributes?[.size] as? Int, size > Self.maximumBytes {
      throw MeanFieldError("model file '\(path)' has \(size) bytes; model files are limited to \(Self.maximumBytes) bytes")
    }
    // FileHandle rather than Data(contentsOf:): a failure to open is reported in our words, not
    // Foundation's.
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw MeanFieldError("cannot read model file '\(path)': it cannot be opened for reading (permissions?)")
    }
    defer { try? handle.close() }
    do {
      data = try handle.read(upToCount: Self.maximumBytes + 1) ?? Data()
    } catch {
      throw MeanFieldError("cannot read model file '\(path)': the read failed")
    }
    guard data.count <= Self.maximumBytes else {
      throw MeanFieldError("model file '\(path)' has more than \(Self.maximumBytes) bytes; model files are limited to \(Self.maximumBytes) bytes")
    }
    try self.init(json: data, origin: path)
  }

  /// Parses a model from JSON text.
  /// - Parameter origin: the file name used in messages.
  public init(json data: Data, origin: String = "model") throws(MeanFieldError) {
    guard data.count <= Self.maximumBytes else {
      throw MeanFieldError("\(origin): \(data.count) bytes; model files are limited to \(Self.maximumBytes) bytes")
    }
    guard !data.isEmpty else { throw MeanFieldError("\(origin): the file is empty; a model file is a JSON object") }
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: data, options: [])
    } catch {
      // Foundation's localizedDescription says only "not in the correct format"; its debug
      // description says where.
      let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "malformed JSON"
      throw MeanFieldError("\(origin): not valid JSON (model files are JSON objects): \(detail.prefix(200))")
    }
    guard let root = object as? [String: Any] else { throw MeanFieldError("\(origin): the top level must be a JSON object") }
    let knownKeys: Set<String> = ["name", "states", "parameters", "initial", "conserved", "transitions", "description"]
    for key in root.keys.sorted() where !knownKeys.contains(key) {
      throw MeanFieldError("\(origin): unknown key '\(key)' (known: \(knownKeys.sorted().joined(separator: ", ")))")
    }
    name = (root["name"] as? String) ?? URL(fileURLWithPath: origin).deletingPathExtension().lastPathComponent
    guard let states = root["states"] as? [String], !states.isEmpty else {
      throw MeanFieldError("\(origin): 'states' must be a non-empty array of names")
    }
    guard states.count <= PopulationModel.maximumStates else {
      throw MeanFieldError("\(origin): \(states.count) states; a model may have at most \(PopulationModel.maximumStates)")
    }
    for s in states where !Self.isIdentifier(s) {
      throw MeanFieldError("\(origin): state name '\(s)' must be an identifier (letters, digits, _)")
    }
    self.states = states
    var parameters: [(String, Double)] = []
    if let raw = root["parameters"] {
      guard let dictionary = raw as? [String: Any] else { throw MeanFieldError("\(origin): 'parameters' must be an object {name: number}") }
      for (key, value) in dictionary.sorted(by: { $0.key < $1.key }) {
        guard let number = Self.number(value), number.isFinite else {
          throw MeanFieldError("\(origin): parameter '\(key)' must be a number")
        }
        guard Self.isIdentifier(key), !states.contains(key) else {
          throw MeanFieldError("\(origin): parameter name '\(key)' must be an identifier distinct from the state names")
        }
        parameters.append((key, number))
      }
    }
    self.parameters = parameters
    if let raw = root["initial"] {
      guard let array = raw as? [Any], let values = Optional(array.compactMap(Self.number)), values.count == array.count else {
        throw MeanFieldError("\(origin): 'initial' must be an array of numbers")
      }
      initial = values
    } else {
      initial = nil
    }
    if let raw = root["conserved"] {
      guard let flag = raw as? Bool else { throw MeanFieldError("\(origin): 'conserved' must be true or false") }
      conserved = flag
    } else {
      conserved = true
    }
    guard let rawTransitions = root["transitions"] as? [Any], !rawTransitions.isEmpty else {
      throw MeanFieldError("\(origin): 'transitions' must be a non-empty array")
    }
    // State name → index once, so a jump object costs O(entries), not O(entries × states).
    var stateIndex: [String: Int] = [:]
    for (i, s) in states.enumerated() { stateIndex[s] = i }
    var transitions: [(String, [Int], String)] = []
    for (index, raw) in rawTransitions.enumerated() {
      let whereText = "\(origin): transitions[\(index)]"
      guard let t = raw as? [String: Any] else { throw MeanFieldError("\(whereText) must be an object") }
      for key in t.keys.sorted() where !["name", "jump", "rate"].contains(key) {
        throw MeanFieldError("\(whereText): unknown key '\(key)' (known: jump, name, rate)")
      }
      let name = (t["name"] as? String) ?? "t\(index)"
      guard let rate = t["rate"] as? String else { throw MeanFieldError("\(whereText) ('\(name)'): 'rate' must be a string expression") }
      var jump = [Int](repeating: 0, count: states.count)
      if let array = t["jump"] as? [Any] {
        guard array.count == states.count else {
          throw MeanFieldError("\(whereText) ('\(name)'): 'jump' has \(array.count) entries, expected \(states.count)")
        }
        for (i, entry) in array.enumerated() {
          guard let v = Self.number(entry), v == v.rounded(), abs(v) < 1e6 else {
            throw MeanFieldError("\(whereText) ('\(name)'): jump[\(i)] must be an integer")
          }
          jump[i] = Int(v)
        }
      } else if let dictionary = t["jump"] as? [String: Any] {
        for (state, entry) in dictionary.sorted(by: { $0.key < $1.key }) {
          guard let i = stateIndex[state] else {
            throw MeanFieldError("\(whereText) ('\(name)'): jump names unknown state '\(state)'")
          }
          guard let v = Self.number(entry), v == v.rounded(), abs(v) < 1e6 else {
            throw MeanFieldError("\(whereText) ('\(name)'): jump of '\(state)' must be an integer")
          }
          jump[i] = Int(v)
        }
      } else {
        throw MeanFieldError("\(whereText) ('\(name)'): 'jump' must be an integer array or an object {state: change}")
      }
      transitions.append((name, jump, rate))
    }
    self.transitions = transitions
  }

  /// Binds parameters (defaults overridden by `overrides`) and compiles the rates.
  /// - Throws: `MeanFieldError` for unknown parameters, rate syntax errors (with the column), or
  ///   model validation failures.
  public func model(overrides: [String: Double] = [:]) throws(MeanFieldError) -> PopulationModel {
    let specs = parameters.map { ModelParameterSpec(name: $0.name, defaultValue: $0.value, help: "", isInteger: false) }
    let values = try resolveParameters(specs: specs, overrides: overrides, modelName: name)
    var compiled: [PopulationTransition] = []
    for t in transitions {
      do {
        let rate = try RateExpression(t.rate, stateNames: states, parameters: values)
        compiled.append(PopulationTransition(name: t.name, jump: t.jump, rate: rate))
      } catch {
        throw MeanFieldError("transition '\(t.name)': \(error)")
      }
    }
    return try PopulationModel(
      name: name, stateNames: states, parameters: values, transitions: compiled, initialOccupancy: initial,
      builtin: nil, requireConservation: conserved)
  }

  private static func number(_ value: Any) -> Double? {
    // JSONSerialization gives NSNumber; reject booleans, which bridge to NSNumber too.
    guard let n = value as? NSNumber, String(cString: n.objCType) != "c" else { return nil }
    return n.doubleValue
  }

  private static func isIdentifier(_ s: String) -> Bool {
    guard let first = s.first, first.isLetter || first == "_" else { return false }
    return s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
  }
}

/// Loads a model: a built-in by name, or a model file, with parameter overrides.
/// - Parameters:
///   - builtin: name of a built-in model (`sis`, `supermarket`), or nil.
///   - file: path of a JSON model file, or nil (exactly one of the two must be given).
///   - overrides: `--set name=value` pairs.
/// - Throws: `MeanFieldError`.
public func loadPopulationModel(builtin: String?, file: String?, overrides: [String: Double]) throws(MeanFieldError)
  -> PopulationModel
{
  switch (builtin, file) {
  case let (name?, nil):
    guard let model = BuiltinModel(rawValue: name) else {
      throw MeanFieldError(
        "unknown model '\(name)' (built-in: \(BuiltinModel.allCases.map(\.rawValue).joined(separator: ", ")); use --model-file for your own)")
    }
    return try model.model(overrides: overrides)
  case let (nil, path?):
    return try ModelFile(contentsOf: path).model(overrides: overrides)
  case (nil, nil):
    throw MeanFieldError("give a model: --model NAME or --model-file PATH")
  case (_?, _?):
    throw MeanFieldError("give either --model or --model-file, not both")
  }
}
