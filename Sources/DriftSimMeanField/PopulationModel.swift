import DriftSimSupport
import Foundation

/// A problem with a mean-field model, its parameters or a computation on it; the message names
/// what is wrong and where (transition, parameter, key, file position).
public struct MeanFieldError: Error, Equatable, Sendable, CustomStringConvertible {
  /// One line saying what is wrong and where.
  public var message: String
  /// Creates an error.
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// One transition of a population model: X → X + jump at rate M · β(X/M).
public struct PopulationTransition: Sendable, Equatable {
  /// A name for messages and traces (e.g. "infection").
  public let name: String
  /// The jump vector ℓ in object counts (one entry per state).
  public let jump: [Int]
  /// β(x): the rate per object (1/s) as a function of the occupancy x.
  public let rate: RateExpression

  /// Creates a transition.
  public init(name: String, jump: [Int], rate: RateExpression) {
    self.name = name
    self.jump = jump
    self.rate = rate
  }
}

/// Hand-written rate code for the built-in models (the fast path of the simulator); the
/// expression programs of the same model compute the same values, more slowly.
public enum BuiltinRates: Sendable, Equatable {
  /// SIS with external infection: infection α x0 + β x0 x1, recovery x1.
  case sis(alpha: Double, beta: Double)
  /// Power-of-d supermarket with buffer B: arrival to a server with k jobs λ(s_k^d − s_{k+1}^d)
  /// (k < B, s_k = Σ_{j≥k} x_j), departure from a server with k ≥ 1 jobs x_k.
  case supermarket(lambda: Double, choices: Int, buffer: Int)
}

/// A density-dependent population model: n states, transitions with integer jump vectors and
/// rate functions of the occupancy. The CTMC with M objects jumps X → X + ℓ at rate M · β_ℓ(X/M);
/// the mean-field ODE is dx/dt = f(x) = Σ_ℓ ℓ β_ℓ(x).
public struct PopulationModel: Sendable {
  /// Model name ("sis", "supermarket", or the model file's name).
  public let name: String
  /// State names, one per state.
  public let stateNames: [String]
  /// Parameter values by name, as bound into the rates.
  public let parameters: [String: Double]
  /// The transitions.
  public let transitions: [PopulationTransition]
  /// The default initial occupancy x(0) (sums to 1 for conserving models).
  public let initialOccupancy: [Double]
  /// Hand-written rates for built-ins; nil for models from files (expression programs are used).
  public let builtin: BuiltinRates?
  /// Whether every jump conserves the number of objects (Σ_i ℓ_i = 0).
  public let conservesPopulation: Bool

  /// Number of states n.
  public var stateCount: Int { stateNames.count }
  /// Number of transitions.
  public var transitionCount: Int { transitions.count }

  /// All programs concatenated, with each transition's range; used by the expression evaluator.
  let programs: [RateInstruction]
  let programRanges: [Range<Int>]
  let stackDepth: Int
  /// The non-zero jump entries, transition k's at `jumpOffsets[k]..<jumpOffsets[k + 1]`.
  let jumpOffsets: [Int]
  let jumpStates: [Int]
  let jumpDeltas: [Int]

  /// The most states a model may have (the equilibrium analysis is dense, O(n³)).
  public static let maximumStates = 2000
  /// The bound on validation work: (2n + 65) × (rate instructions + jump entries). 4·10⁸ takes
  /// a few seconds in a release build.
  public static let maximumValidationWork = 4e8

  /// Creates and validates a model.
  /// - Parameters:
  ///   - requireConservation: when true, every jump must sum to 0 (the number of objects M is
  ///     conserved); a jump that does not is an error naming the transition.
  /// - Throws: `MeanFieldError` for inconsistent sizes, a non-conserving jump, a negative or
  ///   non-finite rate, or a positive rate that would make a count negative (checked at the
  ///   vertices, face points and interior sample points of the simplex).
  public init(
    name: String, stateNames: [String], parameters: [String: Double], transitions: [PopulationTransition],
    initialOccupancy: [Double]? = nil, builtin: BuiltinRates? = nil, requireConservation: Bool = true
  ) throws(MeanFieldError) {
    let n = stateNames.count
    guard n >= 1 else { throw MeanFieldError("model '\(name)': at least one state is needed") }
    guard !transitions.isEmpty else { throw MeanFieldError("model '\(name)': at least one transition is needed") }
    guard n <= Self.maximumStates else { throw MeanFieldError("model '\(name)': \(n) states; at most \(Self.maximumStates) are supported") }
    guard Set(stateNames).count == n else { throw MeanFieldError("model '\(name)': state names must be distinct") }
    for t in transitions {
      guard t.jump.count == n else {
        throw MeanFieldError("transition '\(t.name)': jump has \(t.jump.count) entries, the model has \(n) states")
      }
      guard t.jump.contains(where: { $0 != 0 }) else {
        throw MeanFieldError("transition '\(t.name)': jump vector is all zeros")
      }
      if requireConservation, t.jump.reduce(0, +) != 0 {
        throw MeanFieldError(
          "transition '\(t.name)': jump \(t.jump) does not conserve the number of objects (sums to \(t.jump.reduce(0, +)))")
      }
    }
    let initial = initialOccupancy ?? [1] + Array(repeating: 0, count: n - 1)
    guard initial.count == n else {
      throw MeanFieldError("model '\(name)': initial occupancy has \(initial.count) entries, expected \(n)")
    }
    guard initial.allSatisfy({ $0 >= 0 && $0 <= 1 && $0.isFinite }) else {
      throw MeanFieldError("model '\(name)': initial occupancy \(initial) must lie in [0, 1]")
    }
    self.name = name
    self.stateNames = stateNames
    self.parameters = parameters
    self.transitions = transitions
    self.initialOccupancy = initial
    self.builtin = builtin
    self.conservesPopulation = transitions.allSatisfy { $0.jump.reduce(0, +) == 0 }
    if conservesPopulation, abs(initial.reduce(0, +) - 1) > 1e-9 {
      throw MeanFieldError("model '\(name)': initial occupancy \(initial) must sum to 1")
    }
    var all: [RateInstruction] = []
    var ranges: [Range<Int>] = []
    for t in transitions {
      ranges.append(all.count..<(all.count + t.rate.program.count))
      all += t.rate.program
    }
    programs = all
    programRanges = ranges
    var offsets = [0], states: [Int] = [], deltas: [Int] = []
    for t in transitions {
      for (i, d) in t.jump.enumerated() where d != 0 {
        states.append(i)
        deltas.append(d)
      }
      offsets.append(states.count)
    }
    jumpOffsets = offsets
    jumpStates = states
    jumpDeltas = deltas
    stackDepth = transitions.map(\.rate.stackDepth).max() ?? 1
    try validateRates()
  }

  /// Checks an occupancy vector given from outside (an `--initial`, a start point) against the
  /// rules a model file's `initial` obeys: one entry per state, every entry finite and in [0, 1],
  /// and — when every jump conserves the number of objects — entries summing to 1 (within 1e-9).
  /// - Parameters:
  ///   - x: the occupancy fractions.
  ///   - what: how to name `x` in the message (e.g. "--initial").
  /// - Returns: `x`, unchanged.
  /// - Throws: `MeanFieldError` naming `what`, the model and the rule broken.
  @discardableResult
  public func validateOccupancy(_ x: [Double], what: String) throws(MeanFieldError) -> [Double] {
    guard x.count == stateCount else {
      throw MeanFieldError(
        "\(what): \(x.count) entr\(x.count == 1 ? "y" : "ies"), but model '\(name)' has \(stateCount) states (\(stateNames.joined(separator: ", ")))")
    }
    if let i = x.firstIndex(where: { !($0.isFinite && $0 >= 0 && $0 <= 1) }) {
      throw MeanFieldError("\(what): entry \(i) (state '\(stateNames[i])') is \(x[i]); occupancy fractions must lie in [0, 1]")
    }
    if conservesPopulation {
      let total = x.reduce(0, +)
      guard abs(total - 1) <= 1e-9 else {
        throw MeanFieldError(
          "\(what): entries sum to \(total); model '\(name)' conserves the number of objects, so the occupancy fractions must sum to 1")
      }
    }
    return x
  }

  /// The rates β_ℓ(x) per transition (per object, 1/s), in transition order.
  public func rates(at x: [Double]) -> [Double] {
    precondition(x.count == stateCount, "rates(at:): x has \(x.count) entries, expected \(stateCount)")
    var out = [Double](repeating: 0, count: transitionCount)
    var stack = [Double](repeating: 0, count: stackDepth)
    x.withUnsafeBufferPointer { xs in
      out.withUnsafeMutableBufferPointer { o in
        stack.withUnsafeMutableBufferPointer { s in
          evaluateRates(x: xs.baseAddress!, into: o.baseAddress!, stack: s.baseAddress!)
        }
      }
    }
    return out
  }

  /// The rates computed by the expression programs, ignoring any hand-written fast path (to
  /// cross-check the two).
  public func expressionRates(at x: [Double]) -> [Double] {
    transitions.map { $0.rate.evaluate(at: x) }
  }

  /// Writes β_ℓ(x) for every transition into `rates`; `stack` needs `stackDepth` elements.
  func evaluateRates(x: UnsafePointer<Double>, into rates: UnsafeMutablePointer<Double>, stack: UnsafeMutablePointer<Double>) {
    switch builtin {
    case let .sis(alpha, beta):
      rates[0] = alpha * x[0] + beta * x[0] * x[1]
      rates[1] = x[1]
    case let .supermarket(lambda, d, buffer):
      SupermarketRates.evaluate(lambda: lambda, choices: d, buffer: buffer, x: x, into: rates)
    case nil:
      for k in 0..<programRanges.count {
        rates[k] = RateExpression.run(programs[programRanges[k]], x: x, stack: stack)
      }
    }
  }

  /// The mean-field drift f(x) = Σ_ℓ ℓ β_ℓ(x), over the non-zero jump entries only.
  public func drift(at x: [Double]) -> [Double] {
    let r = rates(at: x)
    var f = [Double](repeating: 0, count: stateCount)
    for k in 0..<transitionCount {
      for e in jumpOffsets[k]..<jumpOffsets[k + 1] { f[jumpStates[e]] += Double(jumpDeltas[e]) * r[k] }
    }
    return f
  }

  /// The stoichiometry as an n × K matrix of jumps (column k is transition k's jump).
  public var jumpMatrix: [[Double]] {
    (0..<stateCount).map { i in transitions.map { Double($0.jump[i]) } }
  }

  /// Checks rates on a deterministic set of points of the simplex (vertices, face centres, the
  /// initial occupancy, and pseudo-random interior points). The cost is (2n + 65) evaluations of
  /// every rate plus the non-zero jump entries at each point: linear in the model's size for a
  /// fixed n, and bounded by `maximumValidationWork` overall.
  private func validateRates() throws(MeanFieldError) {
    let n = stateCount
    let programSize = max(programs.count, transitionCount)
    let work = Double(2 * n + 65) * Double(programSize + jumpStates.count)
    guard work <= Self.maximumValidationWork else {
      throw MeanFieldError(
        "model '\(name)': \(n) states × \(programSize) rate instructions is too large to validate (\(String(format: "%.2g", work)) operations, limit \(String(format: "%.0e", Self.maximumValidationWork)))")
    }
    var rates = [Double](repeating: 0, count: transitionCount)
    var stack = [Double](repeating: 0, count: stackDepth)
    func check(_ p: [Double]) throws(MeanFieldError) {
      p.withUnsafeBufferPointer { xs in
        rates.withUnsafeMutableBufferPointer { o in
          stack.withUnsafeMutableBufferPointer { s in evaluateRates(x: xs.baseAddress!, into: o.baseAddress!, stack: s.baseAddress!) }
        }
      }
      for k in 0..<transitionCount {
        let r = rates[k]
        guard r.isFinite, r >= 0 else {
          let t = transitions[k]
          throw MeanFieldError(
            "transition '\(t.name)': rate \"\(t.rate.source.prefix(200))\" is \(r) at x = \(Self.describe(p)); rates must be finite and ≥ 0")
        }
        guard r > 0 else { continue }
        for e in jumpOffsets[k]..<jumpOffsets[k + 1] where jumpDeltas[e] < 0 && p[jumpStates[e]] == 0 {
          let t = transitions[k]
          throw MeanFieldError(
            "transition '\(t.name)': rate \"\(t.rate.source.prefix(200))\" is \(r) > 0 at x = \(Self.describe(p)) where state "
              + "'\(stateNames[jumpStates[e]])' is empty, so its jump would make a count negative")
        }
      }
    }
    try check(initialOccupancy)
    var vertex = [Double](repeating: 0, count: n)
    var face = [Double](repeating: n > 1 ? 1 / Double(n - 1) : 0, count: n)
    for i in 0..<n {
      vertex[i] = 1
      try check(vertex)
      vertex[i] = 0
      if n > 1 {
        face[i] = 0
        try check(face)
        face[i] = 1 / Double(n - 1)
      }
    }
    var state: UInt64 = 0x5EED
    for _ in 0..<64 {
      var p = (0..<n).map { _ -> Double in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return -Foundation.log(Double((state >> 11) + 1) / 9007199254740993.0)
      }
      let total = p.reduce(0, +)
      p = p.map { $0 / total }
      try check(p)
    }
  }

  /// A point for a message: in full for small models, else its non-zero entries (at most 8).
  static func describe(_ p: [Double]) -> String {
    if p.count <= 8 { return "\(p)" }
    let nonZero = p.indices.filter { p[$0] != 0 }
    let shown = nonZero.prefix(8).map { "x\($0) = \(p[$0])" }.joined(separator: ", ")
    return "(\(shown)\(nonZero.count > 8 ? ", …" : ""); other entries 0)"
  }
}

/// The supermarket model's hand-written rates.
enum SupermarketRates {
  /// Arrivals 0..<B then departures 1...B, as in `BuiltinModel.supermarket`.
  static func evaluate(lambda: Double, choices d: Int, buffer: Int, x: UnsafePointer<Double>, into rates: UnsafeMutablePointer<Double>) {
    var tail = 0.0  // s_{k+1}
    var tailPower = 0.0  // s_{k+1}^d
    var k = buffer
    // Departures use x_k directly; arrivals need tails, accumulated from the top.
    while k >= 1 {
      rates[buffer + k - 1] = x[k]
      let newTail = tail + x[k]
      let newPower = integerPower(newTail, d)
      if k < buffer { rates[k] = lambda * (newPower - tailPower) }
      tail = newTail
      tailPower = newPower
      k -= 1
    }
    let s0 = tail + x[0]
    rates[0] = lambda * (integerPower(s0, d) - tailPower)
  }
}

/// Reported by the command runner as one line, exit status 1.
extension MeanFieldError: ReportableError {}
