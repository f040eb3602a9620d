import Foundation
import DriftSimNumerics

/// Receives the path of a CTMC simulation. Implementations are concrete structs; the simulation
/// loop is generic over them and specialised, so observing costs no dynamic dispatch.
protocol CTMCObserver {
  /// The state `counts` held on [from, to) (seconds).
  mutating func hold(from: Double, to: Double, counts: UnsafePointer<Int>)
  /// Transition `transition` fired at `time`; `counts` is the state after the jump.
  mutating func jumped(at time: Double, transition: Int, counts: UnsafePointer<Int>)
}

/// Observes nothing (benchmarks, warm-up).
struct NullObserver: CTMCObserver {
  func hold(from: Double, to: Double, counts: UnsafePointer<Int>) {}
  func jumped(at time: Double, transition: Int, counts: UnsafePointer<Int>) {}
}

/// Why a CTMC run stopped.
public enum CTMCStopReason: String, Sendable, Codable {
  /// The time horizon was reached.
  case horizonReached
  /// The jump budget of the call was used up.
  case jumpBudgetExhausted
  /// The total rate is 0: the chain is absorbed (the clock is moved to the horizon).
  case absorbed
}

/// An exact simulation of the population CTMC with M objects by Gillespie's direct method.
///
/// Per jump: all rates β_ℓ(X/M) are evaluated (hand-written code for built-ins, the compiled
/// expression programs otherwise), the holding time is Exp(M Σβ) (−log U / (M Σβ) with U from
/// `uniformOpen`, exact to the generator's 2^−32 resolution), and the transition is chosen with
/// probability β_ℓ/Σβ by a linear scan with a second uniform. Two taus2 draws per jump.
///
/// Why the direct method and not next-reaction on the Kernel's event queue: with K transitions
/// whose rates all depend on the whole state, every jump changes every rate, so next-reaction
/// would reschedule K events per jump (K heap operations and K exponential draws) where the
/// direct method needs two uniforms and an O(K) scan. For the models here (K = 2 for sis,
/// 2·buffer for supermarket) the direct method wins.
public struct CTMCSimulation {
  /// The model.
  public let model: PopulationModel
  /// Number of objects M.
  public let population: Int
  /// The current counts X (objects per state).
  public private(set) var counts: [Int]
  /// The current time (seconds).
  public private(set) var time: Double = 0
  /// Jumps simulated so far.
  public private(set) var jumps: UInt64 = 0
  /// The random stream (taus2 by default).
  public private(set) var random: RandomStream

  /// Sparse jump vectors: transition k changes state jumpStates[j] by jumpDeltas[j] for j in
  /// jumpOffsets[k]..<jumpOffsets[k+1].
  let jumpOffsets: [Int]
  let jumpStates: [Int]
  let jumpDeltas: [Int]

  /// Starts a simulation.
  /// - Parameters:
  ///   - model: the model.
  ///   - population: M ≥ 1.
  ///   - initialOccupancy: x(0); counts are M·x(0) rounded by largest remainders, so that they
  ///     sum to M when x(0) sums to 1. Defaults to the model's initial occupancy.
  ///   - seed: base seed; the stream is `StreamID(0x4354_4D43, population)` ("CTMC", M).
  /// - Throws: `MeanFieldError` for M < 1 or an x(0) of the wrong size.
  public init(model: PopulationModel, population: Int, initialOccupancy: [Double]? = nil, seed: UInt64) throws(MeanFieldError) {
    // Counts are rounded from M·x in Double, exact only up to 2^53.
    guard population >= 1, population <= 1 << 53 else {
      throw MeanFieldError("population M must be in 1…2^53 (\(1 << 53)), got \(population)")
    }
    let x0 = initialOccupancy ?? model.initialOccupancy
    // A computed x* carries rounding noise of ~1e-16, far inside the 1e-9 tolerance; a given x(0)
    // that does not sum to 1 would otherwise run round(M·Σx) ≠ M objects.
    if model.conservesPopulation, x0.count == model.stateCount, abs(x0.reduce(0, +) - 1) > 1e-9 {
      throw MeanFieldError(
        "initial occupancy sums to \(x0.reduce(0, +)); model '\(model.name)' conserves the number of objects, so it must sum to 1 (M = \(population) objects)")
    }
    self.model = model
    self.population = population
    self.counts = try Self.counts(for: x0, population: population, stateCount: model.stateCount)
    self.random = RandomStream(seed: seed, stream: StreamID(0x4354_4D43, UInt64(population)))
    var offsets = [0], states: [Int] = [], deltas: [Int] = []
    for t in model.transitions {
      for (i, d) in t.jump.enumerated() where d != 0 {
        states.append(i)
        deltas.append(d)
      }
      offsets.append(states.count)
    }
    jumpOffsets = offsets
    jumpStates = states
    jumpDeltas = deltas
  }

  /// Object counts for occupancy `x` with M objects (largest-remainder rounding).
  /// - Throws: `MeanFieldError` for a wrong size or entries outside [0, 1].
  public static func counts(for x: [Double], population: Int, stateCount: Int) throws(MeanFieldError) -> [Int] {
    guard x.count == stateCount else {
      throw MeanFieldError("initial occupancy has \(x.count) entries, the model has \(stateCount) states")
    }
    // Rounding noise from a computed x* (e.g. −1e−18) is tolerated and clamped.
    guard x.allSatisfy({ $0 >= -1e-9 && $0 <= 1 + 1e-9 }) else { throw MeanFieldError("initial occupancy \(x) must lie in [0, 1]") }
    let scaled = x.map { min(max($0, 0), 1) * Double(population) }
    var counts = scaled.map { Int($0.rounded(.down)) }
    let target = Int((scaled.reduce(0, +)).rounded())
    let order = scaled.indices.sorted { (scaled[$0] - scaled[$0].rounded(.down)) > (scaled[$1] - scaled[$1].rounded(.down)) }
    var missing = target - counts.reduce(0, +)
    var index = 0
    while missing > 0, index < order.count {
      counts[order[index]] += 1
      missing -= 1
      index += 1
    }
    return counts
  }

  /// The occupancy X/M.
  public var occupancy: [Double] { counts.map { Double($0) / Double(population) } }

  /// Simulates without observing until `horizon` seconds (or `maxJumps` jumps).
  /// - Throws: `MeanFieldError` if a rate becomes negative or non-finite, or a count negative.
  @discardableResult
  public mutating func advance(until horizon: Double, maxJumps: UInt64 = .max) throws(MeanFieldError) -> CTMCStopReason {
    var observer = NullObserver()
    return try run(until: horizon, maxJumps: maxJumps, observer: &observer)
  }

  /// The Gillespie loop. Allocates its buffers once per call, never per jump.
  @discardableResult
  mutating func run<Observer: CTMCObserver>(until horizon: Double, maxJumps: UInt64 = .max, observer: inout Observer)
    throws(MeanFieldError) -> CTMCStopReason
  {
    switch model.builtin {
    case let .sis(alpha, beta):
      return sisLoop(alpha: alpha, beta: beta, until: horizon, maxJumps: maxJumps, observer: &observer)
    case let .supermarket(lambda, d, buffer):
      return try loop(
        until: horizon, maxJumps: maxJumps, observer: &observer,
        rates: SupermarketRateCode(lambda: lambda, choices: d, buffer: buffer))
    case nil:
      return try loop(until: horizon, maxJumps: maxJumps, observer: &observer, rates: ExpressionRateCode(model: model))
    }
  }

  private mutating func loop<Observer: CTMCObserver, Rates: RateCode>(
    until horizon: Double, maxJumps: UInt64, observer: inout Observer, rates code: Rates
  ) throws(MeanFieldError) -> CTMCStopReason {
    let n = model.stateCount, k = model.transitionCount
    let m = Double(population), inverseM = 1 / Double(population)
    let countsPointer = UnsafeMutablePointer<Int>.allocate(capacity: n)
    let x = UnsafeMutablePointer<Double>.allocate(capacity: n)
    let rates = UnsafeMutablePointer<Double>.allocate(capacity: k)
    let stack = UnsafeMutablePointer<Double>.allocate(capacity: model.stackDepth + 1)
    let offsets = UnsafeMutablePointer<Int>.allocate(capacity: k + 1)
    let states = UnsafeMutablePointer<Int>.allocate(capacity: max(jumpStates.count, 1))
    let deltas = UnsafeMutablePointer<Int>.allocate(capacity: max(jumpStates.count, 1))
    defer {
      for p in [countsPointer, offsets, states, deltas] { p.deallocate() }
      for p in [x, rates, stack] { p.deallocate() }
    }
    for i in 0..<n { countsPointer[i] = counts[i] }
    for i in 0...k { offsets[i] = jumpOffsets[i] }
    for i in 0..<jumpStates.count {
      states[i] = jumpStates[i]
      deltas[i] = jumpDeltas[i]
    }
    var t = time
    var done: UInt64 = 0
    var reason = CTMCStopReason.horizonReached
    var failure: MeanFieldError? = nil
    while true {
      if done == maxJumps {
        reason = .jumpBudgetExhausted
        break
      }
      for i in 0..<n { x[i] = Double(countsPointer[i]) * inverseM }
      let total = code.evaluate(x: x, into: rates, count: k, stack: stack)
      guard total.isFinite, total >= 0 else {
        failure = rateFailure(x: x, rates: rates)
        break
      }
      if total == 0 {
        observer.hold(from: t, to: horizon, counts: countsPointer)
        t = horizon
        reason = .absorbed
        break
      }
      let next = t - Foundation.log(random.uniformOpen()) / (m * total)
      if next > horizon {
        observer.hold(from: t, to: horizon, counts: countsPointer)
        t = horizon
        break
      }
      observer.hold(from: t, to: next, counts: countsPointer)
      let target = random.uniformOpen() * total
      var chosen = 0
      var cumulative = rates[0]
      while cumulative < target, chosen < k - 1 {
        chosen += 1
        cumulative += rates[chosen]
      }
      // Rounding can leave the scan on a trailing zero rate: step back to the last positive one.
      while rates[chosen] <= 0, chosen > 0 { chosen -= 1 }
      var negative = false
      for j in offsets[chosen]..<offsets[chosen + 1] {
        let c = countsPointer[states[j]] + deltas[j]
        countsPointer[states[j]] = c
        negative = negative || c < 0
      }
      t = next
      done += 1
      if negative {
        failure = MeanFieldError(
          "transition '\(model.transitions[chosen].name)' fired at t = \(t) s and made a count negative: its rate must vanish when the state it empties is empty")
        break
      }
      observer.jumped(at: t, transition: chosen, counts: countsPointer)
    }
    for i in 0..<n { counts[i] = countsPointer[i] }
    time = t
    jumps += done
    if let failure { throw failure }
    return reason
  }

  /// The SIS model as a birth–death loop with the two counts in registers: the same draws, the
  /// same arithmetic and the same choices as the generic loop with `SISRates` (a unit test checks
  /// that the paths coincide), about 25 % faster.
  private mutating func sisLoop<Observer: CTMCObserver>(
    alpha: Double, beta: Double, until horizon: Double, maxJumps: UInt64, observer: inout Observer
  ) -> CTMCStopReason {
    let m = Double(population), inverseM = 1 / Double(population)
    let countsPointer = UnsafeMutablePointer<Int>.allocate(capacity: 2)
    defer { countsPointer.deallocate() }
    var susceptible = counts[0], infected = counts[1]
    countsPointer[0] = susceptible
    countsPointer[1] = infected
    var t = time
    var done: UInt64 = 0
    var reason = CTMCStopReason.horizonReached
    while true {
      if done == maxJumps {
        reason = .jumpBudgetExhausted
        break
      }
      let x0 = Double(susceptible) * inverseM, x1 = Double(infected) * inverseM
      let infection = x0 * (alpha + beta * x1)
      let total = infection + x1
      if total == 0 {
        observer.hold(from: t, to: horizon, counts: countsPointer)
        t = horizon
        reason = .absorbed
        break
      }
      let next = t - Foundation.log(random.uniformOpen()) / (m * total)
      if next > horizon {
        observer.hold(from: t, to: horizon, counts: countsPointer)
        t = horizon
        break
      }
      observer.hold(from: t, to: next, counts: countsPointer)
      let target = random.uniformOpen() * total
      let chosen: Int
      if infection < target, x1 > 0 {
        chosen = 1
        susceptible += 1
        infected -= 1
      } else {
        chosen = 0
        susceptible -= 1
        infected += 1
      }
      countsPointer[0] = susceptible
      countsPointer[1] = infected
      t = next
      done += 1
      observer.jumped(at: t, transition: chosen, counts: countsPointer)
    }
    counts[0] = susceptible
    counts[1] = infected
    time = t
    jumps += done
    return reason
  }

  /// Runs the generic loop even for built-ins that have a dedicated one (for tests).
  mutating func advanceGeneric(until horizon: Double, maxJumps: UInt64) throws(MeanFieldError) {
    var observer = NullObserver()
    guard case let .sis(alpha, beta) = model.builtin else {
      try run(until: horizon, maxJumps: maxJumps, observer: &observer)
      return
    }
    _ = try loop(until: horizon, maxJumps: maxJumps, observer: &observer, rates: SISRates(alpha: alpha, beta: beta))
  }

  private func rateFailure(x: UnsafeMutablePointer<Double>, rates: UnsafeMutablePointer<Double>) -> MeanFieldError {
    let occupancy = (0..<model.stateCount).map { x[$0] }
    for k in 0..<model.transitionCount where !(rates[k].isFinite && rates[k] >= 0) {
      return MeanFieldError(
        "transition '\(model.transitions[k].name)': rate \"\(model.transitions[k].rate.source)\" is \(rates[k]) at x = \(occupancy) (t = \(time) s); rates must be finite and ≥ 0")
    }
    return MeanFieldError("the total rate is not finite at x = \(occupancy)")
  }
}

/// Rate code for the simulation loop: writes β_ℓ(x) per transition and returns Σβ. Concrete
/// types only (the loop is specialised for each).
protocol RateCode {
  func evaluate(x: UnsafePointer<Double>, into rates: UnsafeMutablePointer<Double>, count: Int, stack: UnsafeMutablePointer<Double>)
    -> Double
}

/// SIS: two transitions, hand-written.
struct SISRates: RateCode {
  let alpha: Double
  let beta: Double

  @inline(__always)
  func evaluate(x: UnsafePointer<Double>, into rates: UnsafeMutablePointer<Double>, count: Int, stack: UnsafeMutablePointer<Double>)
    -> Double
  {
    let infection = x[0] * (alpha + beta * x[1])
    let recovery = x[1]
    rates[0] = infection
    rates[1] = recovery
    return infection + recovery
  }
}

/// The supermarket model, hand-written.
struct SupermarketRateCode: RateCode {
  let lambda: Double
  let choices: Int
  let buffer: Int

  @inline(__always)
  func evaluate(x: UnsafePointer<Double>, into rates: UnsafeMutablePointer<Double>, count: Int, stack: UnsafeMutablePointer<Double>)
    -> Double
  {
    SupermarketRates.evaluate(lambda: lambda, choices: choices, buffer: buffer, x: x, into: rates)
    var total = 0.0
    for i in 0..<count { total += rates[i] }
    return total
  }
}

/// Any model: the compiled expression programs.
struct ExpressionRateCode: RateCode {
  let model: PopulationModel

  func evaluate(x: UnsafePointer<Double>, into rates: UnsafeMutablePointer<Double>, count: Int, stack: UnsafeMutablePointer<Double>)
    -> Double
  {
    model.evaluateRates(x: x, into: rates, stack: stack)
    var total = 0.0
    for i in 0..<count {
      // A negative or NaN rate poisons the total, which the loop reports.
      total += rates[i] >= 0 ? rates[i] : .nan
    }
    return total
  }
}
