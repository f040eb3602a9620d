import DriftSimNumerics
import DriftSimSupport
import Foundation

/// The exact per-flow (K = 1, no interference) queue counted in packets, at the simulator's slot
/// granularity, with mean delay as its objective: the model behind policy `vi-delay`
/// (docs/policies.md, "The delay-optimal benchmark").
///
/// Why packets and not bits: the simulator's mean delay is, by Little's law, the time-average number
/// of packets present divided by λ; policy `vi`'s MDP charges the bits queued instead, so it is
/// optimal for a bit-holding cost, not for delay. With exponential sizes the packet count n at a slot
/// start is an exact state for every policy that decides from n and the slot's fading: the residual
/// size of the packet in service and the sizes of those behind it are i.i.d. Exp(1) packets whatever
/// was served before (memorylessness), so serving a capacity of μ packets completes
/// K = min(n, Poisson(μ)) of them.
///
/// - State n = packets queued at a slot start, 0…n_max (arrivals beyond n_max are dropped).
/// - The slot's direct gain g = L |H|², |H|² ~ Exp(1), is observed; the action is the slot's capacity
///   μ ≥ 0 in packets, i.e. the power p = (e^{aμ} − 1)/g with a = N/κ (a slot carries
///   (κ/N) ln(1 + p g) packets). The simulator never sends more than the queue holds: it caps the
///   power at the level that empties the queue, so the power spent is (e^{a min(μ, B)} − 1)/g with
///   B ~ Gamma(n, 1) the bits queued in packets — the MDP charges exactly that,
///   Φ(n, μ) = E[e^{a min(μ, B)}] − 1 = e^{aμ} Q(n, μ) + (1/Γ(n)) ∫₀^μ b^{n−1} e^{(a−1)b} db − 1.
/// - Departures happen at the slot end and arrivals (Poisson(λ/N) per slot) wait for the next slot,
///   as in the simulator, so the packets present at the slot start are held for the whole slot and an
///   arrival for half a slot on average.
/// - Cost per unit time (per epoch, as the epoch-level MDP of model.md): β n̄/λ + γ p̄, so the average
///   cost is β × mean delay (epochs) + γ × mean power: at a fixed power, minimising it minimises delay.
///
/// Bellman equation (average cost θ per epoch, h(0) = 0), per slot:
///   θ/N + h(n) = β n/(λN) + β/(2N²) + E_g min_μ [ (γ/(N g)) Φ(n, μ) + Σ_k P(K = k | n, μ) W(n − k) ],
///   W(m) = E h(min(m + A, n_max)),  A ~ Poisson(λ/N).
/// The minimum is over the capacity grid μ_i = i δ_μ, i = 0…G. For each n the bracket is a family of
/// lines in x = γ/(N g) with slopes Φ(n, μ_i); its minimum is their lower envelope, and the expectation
/// over Rayleigh fading of a piecewise-linear function of 1/g is exact: on a piece between
/// g-thresholds, E[1/g] and P are differences of E1 and of e^{−g/L} (GSL). So the only
/// discretisation is the capacity grid, checked by refinement (`policy solve --delay --refine`).
public struct PerFlowPacketModel: Sendable, Codable, Equatable, Hashable {
  /// λ, Poisson arrivals per epoch (packets).
  public var arrivalRate: Double
  /// β, delay weight.
  public var beta: Double
  /// γ, power price (per unit of noise-normalised power per epoch).
  public var gamma: Double
  /// L, direct path gain.
  public var directGain: Double
  /// κ, packets per epoch per nat.
  public var kappa: Double
  /// N, slots per epoch.
  public var slotsPerEpoch: Int
  /// n_max, the largest queue of the model (packets).
  public var maxQueuePackets: Int
  /// δ_μ, the step of the capacity grid (packets per slot).
  public var capacityStep: Double
  /// μ_max, the largest capacity of the grid (packets per slot).
  public var maxCapacityPackets: Double

  /// Creates the model description (checked by `PerFlowPacketMDP.init`).
  public init(
    arrivalRate: Double, beta: Double, gamma: Double, directGain: Double, kappa: Double, slotsPerEpoch: Int,
    maxQueuePackets: Int, capacityStep: Double, maxCapacityPackets: Double
  ) {
    self.arrivalRate = arrivalRate
    self.beta = beta
    self.gamma = gamma
    self.directGain = directGain
    self.kappa = kappa
    self.slotsPerEpoch = slotsPerEpoch
    self.maxQueuePackets = maxQueuePackets
    self.capacityStep = capacityStep
    self.maxCapacityPackets = maxCapacityPackets
  }

  /// Capacity grid points G + 1.
  public var capacityPoints: Int { Int((maxCapacityPackets / capacityStep).rounded()) + 1 }

  /// A canonical text of every input (doubles as exact hexadecimal), for cache keys.
  public var canonicalText: String {
    func x(_ v: Double) -> String { String(format: "%a", v) }
    return "perflow-packet-mdp/v1 lambda=\(x(arrivalRate)) beta=\(x(beta)) gamma=\(x(gamma)) L=\(x(directGain)) kappa=\(x(kappa)) "
      + "N=\(slotsPerEpoch) nmax=\(maxQueuePackets) dmu=\(x(capacityStep)) mumax=\(x(maxCapacityPackets))"
  }
}

/// The solved packet-count MDP: θ, h and the continuation value W on n = 0…n_max.
public struct PerFlowPacketSolution: Sendable, Codable, Equatable {
  /// The model solved.
  public var model: PerFlowPacketModel
  /// θ, the optimal average cost per epoch (β × mean delay in epochs + γ × mean power).
  public var theta: Double
  /// h(n), relative value (h(0) = 0), n = 0…n_max.
  public var relativeValue: [Double]
  /// W(n) = E h(min(n + A, n_max)), the continuation value after one slot's arrivals.
  public var continuation: [Double]
  /// Value-iteration sweeps run.
  public var iterations: Int
  /// Final span of T h − h relative to max(1, max |h|).
  public var relativeSpan: Double
  /// Whether the span tolerance was met.
  public var converged: Bool
  /// Wall-clock seconds of the solve (0 when loaded from the cache).
  public var solveSeconds: Double
}

/// One queue length's optimal capacity as a function of x = γ/(N g): the lower envelope of the
/// lines Φ_i x + Ψ_i, as capacity-grid indices and the x from which each is optimal.
public struct PacketDecisionEnvelope: Sendable, Equatable {
  /// Capacity-grid indices of the envelope's pieces, in increasing x (decreasing capacity; the last
  /// is 0, serve nothing).
  public var capacityIndex: [Int]
  /// x at which piece j starts (0 for the first).
  public var start: [Double]

  /// The capacity index optimal at x ≥ 0 (the piece with start ≤ x < next start).
  @inline(__always)
  public func index(at x: Double) -> Int {
    var low = 0, high = start.count - 1
    // Largest j with start[j] ≤ x.
    while low < high {
      let mid = (low + high + 1) >> 1
      if start[mid] <= x { low = mid } else { high = mid - 1 }
    }
    return capacityIndex[low]
  }
}

/// Solves `PerFlowPacketModel` by relative value iteration and evaluates its optimal action.
public struct PerFlowPacketMDP: Sendable {
  /// The model.
  public let model: PerFlowPacketModel
  /// n_max + 1 states.
  public let states: Int
  /// G + 1 capacities μ_i = i δ_μ (packets per slot).
  public let capacities: [Double]
  /// Φ(n, μ_i) at index (n − 1)(G + 1) + i, n = 1…n_max.
  let powerCost: [Double]
  /// P(Poisson(μ_i) = k) at index i n_max + k, k = 0…n_max − 1.
  let completion: [Double]
  /// P(Poisson(μ_i) ≥ n) at index i n_max + n − 1, n = 1…n_max: the probability of emptying n.
  let emptying: [Double]
  /// P(A = j), j = 0…, one slot's arrivals (until the remaining mass is below 1e-16).
  let arrivals: [Double]
  /// a = N/κ: a slot of capacity μ packets needs power (e^{aμ} − 1)/g.
  public let exponent: Double

  /// Checks the model and precomputes the power costs and transition probabilities.
  /// - Throws: `PerFlowModelError` for invalid parameters, `NumericsError` if a GSL call fails.
  public init(_ model: PerFlowPacketModel) throws {
    for (name, value) in [
      ("arrivalRate", model.arrivalRate), ("beta", model.beta), ("gamma", model.gamma), ("directGain", model.directGain),
      ("kappa", model.kappa), ("capacityStep", model.capacityStep), ("maxCapacityPackets", model.maxCapacityPackets),
    ] where !(value > 0 && value.isFinite) {
      throw PerFlowModelError("per-flow packet MDP: \(name) must be positive and finite, got \(value)")
    }
    guard model.slotsPerEpoch >= 1 else { throw PerFlowModelError("per-flow packet MDP: slotsPerEpoch must be ≥ 1") }
    guard (2...2000).contains(model.maxQueuePackets) else {
      throw PerFlowModelError("per-flow packet MDP: maxQueuePackets must be 2…2000 packets, got \(model.maxQueuePackets)")
    }
    let points = model.maxCapacityPackets / model.capacityStep
    guard points >= 2, points <= 100_000, abs(points - points.rounded()) < 1e-9 * points else {
      throw PerFlowModelError(
        "per-flow packet MDP: maxCapacityPackets/capacityStep must be a whole number of steps from 2 to 100000, got \(points)")
    }
    let a = Double(model.slotsPerEpoch) / model.kappa
    guard a * model.maxCapacityPackets < 600 else {
      throw PerFlowModelError(
        "per-flow packet MDP: the largest capacity needs power e^\(a * model.maxCapacityPackets) (N/κ × maxCapacityPackets must stay below 600)")
    }
    self.model = model
    exponent = a
    states = model.maxQueuePackets + 1
    let g = model.capacityPoints
    let nmax = model.maxQueuePackets
    capacities = (0..<g).map { Double($0) * model.capacityStep }
    var phi = [Double](repeating: 0, count: nmax * g)
    var pmf = [Double](repeating: 0, count: nmax * g)
    var tail = [Double](repeating: 0, count: nmax * g)
    for i in 0..<g {
      let mu = capacities[i]
      let p = try poissonProbabilities(mean: mu, count: nmax)
      for k in 0..<nmax { pmf[i * nmax + k] = p[k] }
      for n in 1...nmax {
        tail[i * nmax + n - 1] = try poissonTailAtLeast(n, mean: mu)
        phi[(n - 1) * g + i] = try Self.powerCost(packets: n, capacity: mu, exponent: a)
      }
    }
    powerCost = phi
    completion = pmf
    emptying = tail
    let perSlot = model.arrivalRate / Double(model.slotsPerEpoch)
    var probabilities: [Double] = []
    var mass = 0.0
    var j = 0
    while mass < 1 - 1e-16 && j <= 10 * nmax + 100 {
      let next = try poissonProbabilities(mean: perSlot, count: j + 1)[j]
      probabilities.append(next)
      mass += next
      j += 1
    }
    arrivals = probabilities
  }

  /// Φ(n, μ) = E[e^{a min(μ, B)}] − 1, B ~ Gamma(n, 1): the power × g a slot of capacity μ spends on a
  /// queue of n packets when the power is capped at the level that empties it.
  ///
  /// The integral (1/Γ(n)) ∫₀^μ b^{n−1} e^{r b} db, r = a − 1, is the series
  /// Σ_k r^k μ^{n+k} / (k! (n + k) Γ(n)) (non-negative terms) for r ≥ 0, and (1 − a)^{−n} P(n, (1 − a)μ)
  /// (GSL's regularised incomplete gamma) for r < 0.
  /// - Throws: `NumericsError` if a GSL call fails or the series does not converge.
  public static func powerCost(packets n: Int, capacity mu: Double, exponent a: Double) throws -> Double {
    if mu == 0 { return 0 }
    let shape = Double(n)
    let survival = try gammaUpperRegularized(shape: shape, x: mu)
    let r = a - 1
    var integral: Double
    if r >= 0 {
      var term = exp(shape * log(mu) - lgamma(shape + 1))
      integral = 0
      var k = 0.0
      while true {
        integral += term
        let ratio = r * mu * (shape + k) / ((k + 1) * (shape + k + 1))
        term *= ratio
        k += 1
        if term <= 1e-17 * integral && ratio < 0.5 { break }
        if k > 100_000 { throw NumericsError.noConvergence(routine: "PerFlowPacketMDP.powerCost series", iterations: 100_000) }
      }
    } else {
      let s = 1 - a
      integral = pow(1 / s, shape) * (try gammaLowerRegularized(shape: shape, x: s * mu))
    }
    return exp(a * mu) * survival + integral - 1
  }

  /// W(m) = Σ_j P(A = j) h(min(m + j, n_max)), with the arrivals' missing tail mass on n_max.
  public func continuation(_ h: [Double]) -> [Double] {
    let top = states - 1
    return (0..<states).map { m in
      var sum = 0.0, mass = 0.0
      for (j, p) in arrivals.enumerated() {
        sum += p * h[min(m + j, top)]
        mass += p
      }
      return sum + max(1 - mass, 0) * h[top]
    }
  }

  /// Ψ_i(n) = Σ_k P(K = k | n, μ_i) W(n − k) for every capacity i, into `psi`.
  @inline(__always)
  func continuationAfterService(packets n: Int, w: UnsafeBufferPointer<Double>, psi: UnsafeMutableBufferPointer<Double>) {
    let nmax = model.maxQueuePackets
    completion.withUnsafeBufferPointer { pmf in
      emptying.withUnsafeBufferPointer { tail in
        for i in 0..<capacities.count {
          let row = i * nmax
          var sum = tail[row + n - 1] * w[0]
          for k in 0..<n { sum += pmf[row + k] * w[n - k] }
          psi[i] = sum
        }
      }
    }
  }

  /// The lower envelope over x ≥ 0 of the lines Φ(n, μ_i) x + Ψ_i (slopes increase with i).
  func envelope(packets n: Int, psi: UnsafeBufferPointer<Double>) -> PacketDecisionEnvelope {
    let g = capacities.count
    let base = (n - 1) * g
    var lines: [Int] = []
    var starts: [Double] = []
    lines.reserveCapacity(g)
    starts.reserveCapacity(g)
    powerCost.withUnsafeBufferPointer { phi in
      // Decreasing slopes: each new line is optimal for all large enough x.
      for i in stride(from: g - 1, through: 0, by: -1) {
        let slope = phi[base + i], intercept = psi[i]
        while true {
          guard let top = lines.last else {
            lines.append(i)
            starts.append(-.infinity)
            break
          }
          let x = (intercept - psi[top]) / (phi[base + top] - slope)
          if x <= starts[starts.count - 1] {
            lines.removeLast()
            starts.removeLast()
            continue
          }
          lines.append(i)
          starts.append(x)
          break
        }
      }
    }
    // Keep the pieces that are optimal somewhere in x ≥ 0.
    var first = 0
    while first + 1 < lines.count && starts[first + 1] <= 0 { first += 1 }
    var envelope = PacketDecisionEnvelope(capacityIndex: Array(lines[first...]), start: Array(starts[first...]))
    envelope.start[0] = 0
    return envelope
  }

  /// E_g of the envelope's minimum, g = L·Exp(1), x = γ/(N g): exact for the piecewise-linear
  /// function of 1/g (E1 and exponential differences at the pieces' g-thresholds).
  func expectedMinimum(packets n: Int, envelope: PacketDecisionEnvelope, psi: UnsafeBufferPointer<Double>) throws -> Double {
    let c = model.gamma / (Double(model.slotsPerEpoch) * model.directGain)
    let g = capacities.count
    let base = (n - 1) * g
    var total = 0.0
    // Piece j is optimal for x in [start_j, start_{j+1}), i.e. e = c/x in (c/start_{j+1}, c/start_j].
    var upperE = Double.infinity  // c / start_0 = c / 0
    var upperE1 = 0.0, upperExp = 0.0
    for j in 0..<envelope.capacityIndex.count {
      let i = envelope.capacityIndex[j]
      let lowerE = j + 1 < envelope.start.count ? c / envelope.start[j + 1] : 0
      let lowerExp = exp(-lowerE)
      let slope = powerCost[base + i]
      var piece = psi[i] * (lowerExp - upperExp)
      if slope > 0 {
        guard lowerE > 0 else {
          throw PerFlowModelError("per-flow packet MDP: a capacity above 0 is optimal at zero gain (n = \(n)); the envelope is malformed")
        }
        let lowerE1 = try expintE1(lowerE)
        // Where both thresholds lie beyond E1's underflow the piece has probability 0: skip it, so
        // that a huge γ/(N L) times a zero difference cannot make 0 × ∞.
        let difference = lowerE1 - upperE1
        if difference > 0 { piece += slope * (c * difference) }
        upperE1 = lowerE1
      } else if lowerE > 0 {
        upperE1 = try expintE1(lowerE)
      }
      total += piece
      upperE = lowerE
      upperExp = lowerExp
    }
    _ = upperE
    return total
  }

  /// The Bellman operator (per slot): (T h)(n) = β n/(λN) + β/(2N²) + E_g min_i [ Φ_i x + Ψ_i(n) ].
  public func bellman(_ h: [Double]) throws -> [Double] {
    let w = continuation(h)
    let n1 = Double(model.slotsPerEpoch)
    let holding = model.beta / (model.arrivalRate * n1)
    let arrivalsHeld = model.beta / (2 * n1 * n1)
    var out = [Double](repeating: 0, count: states)
    out[0] = arrivalsHeld + w[0]
    var psi = [Double](repeating: 0, count: capacities.count)
    try w.withUnsafeBufferPointer { wb in
      try psi.withUnsafeMutableBufferPointer { pb in
        for n in 1..<states {
          continuationAfterService(packets: n, w: wb, psi: pb)
          let view = UnsafeBufferPointer(pb)
          let env = envelope(packets: n, psi: view)
          out[n] = holding * Double(n) + arrivalsHeld + (try expectedMinimum(packets: n, envelope: env, psi: view))
          guard out[n].isFinite else {
            throw PerFlowModelError(
              "per-flow packet MDP: the Bellman update is \(out[n]) at n = \(n) (γ = \(model.gamma), L = \(model.directGain), β = \(model.beta)): the parameters are outside the range where the expected cost is a finite double")
          }
        }
      }
    }
    return out
  }

  /// The optimal decision envelopes for every n = 1…n_max from a continuation value W.
  public func envelopes(continuation w: [Double]) -> [PacketDecisionEnvelope] {
    var psi = [Double](repeating: 0, count: capacities.count)
    return w.withUnsafeBufferPointer { wb in
      psi.withUnsafeMutableBufferPointer { pb in
        (1..<states).map { n in
          continuationAfterService(packets: n, w: wb, psi: pb)
          return envelope(packets: n, psi: UnsafeBufferPointer(pb))
        }
      }
    }
  }

  /// Relative value iteration h ← T h − (T h)(0) until span(T h − h) ≤ tolerance · max(1, max|h|).
  /// - Throws: `NumericsError` / `PerFlowModelError` if an evaluation fails.
  ///   The default cap, 20 000 sweeps (a few minutes), is reached only when the power price leaves the
  ///   queue at the truncation n_max most of the time; the cache then reports it as an error.
  public func solve(tolerance: Double = 1e-10, maxIterations: Int = 20_000) throws -> PerFlowPacketSolution {
    let clock = DispatchTime.now()
    var h = [Double](repeating: 0, count: states)
    var iterations = 0, span = Double.infinity, gain = 0.0
    while iterations < maxIterations {
      let t = try bellman(h)
      iterations += 1
      gain = t[0] - h[0]
      var low = Double.infinity, high = -Double.infinity, scale = 1.0
      for n in 0..<states {
        let d = t[n] - h[n]
        low = min(low, d)
        high = max(high, d)
      }
      let offset = t[0]
      for n in 0..<states {
        h[n] = t[n] - offset
        scale = max(scale, abs(h[n]))
      }
      span = (high - low) / scale
      if span <= tolerance { break }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - clock.uptimeNanoseconds) * 1e-9
    return PerFlowPacketSolution(
      model: model, theta: gain * Double(model.slotsPerEpoch), relativeValue: h, continuation: continuation(h),
      iterations: iterations, relativeSpan: span, converged: span <= tolerance, solveSeconds: seconds)
  }
}

/// The optimal action of a solved packet-count model, evaluated in the simulator's slot loop.
public struct PerFlowPacketDecision: Sendable {
  /// The solution.
  public let solution: PerFlowPacketSolution
  /// The capacity grid (packets per slot).
  public let capacities: [Double]
  /// Decision envelopes for n = 1…n_max (index n − 1).
  public let envelopes: [PacketDecisionEnvelope]
  let mdp: PerFlowPacketMDP

  /// Prepares the action for a solution.
  /// - Throws: `PerFlowModelError` / `NumericsError` if the model is invalid.
  public init(_ solution: PerFlowPacketSolution) throws {
    self.solution = solution
    mdp = try PerFlowPacketMDP(solution.model)
    guard solution.continuation.count == mdp.states else {
      throw PerFlowModelError("per-flow packet solution: \(solution.continuation.count) continuation values for \(mdp.states) states")
    }
    capacities = mdp.capacities
    envelopes = mdp.envelopes(continuation: solution.continuation)
  }

  /// The interference-free optimal capacity μ* (packets per slot) for n packets (n > n_max decides as
  /// n_max) and direct gain g (noise-normalised); 0 for an empty queue.
  @inline(__always)
  public func capacity(packets n: Int, directGain g: Double) -> Double {
    guard n > 0 else { return 0 }
    let m = solution.model
    let x = m.gamma / (Double(m.slotsPerEpoch) * g)
    return capacities[envelopes[min(n, envelopes.count) - 1].index(at: x)]
  }

  /// The water-filling weight that reproduces the optimal action: w = (γ/(κ g)) e^{a μ*}, so that
  /// p = κ w/γ − 1/g = (e^{a μ*} − 1)/g (p = 0 when μ* = 0).
  public func actionWeight(packets n: Int, directGain g: Double) -> Double {
    let m = solution.model
    return m.gamma / (m.kappa * g) * exp(mdp.exponent * capacity(packets: n, directGain: g))
  }

  /// W(n) − W(n − 1): the continuation value of one packet less (n clamped to 1…n_max).
  public func slope(packets n: Int) -> Double {
    let w = solution.continuation
    let j = min(max(n, 1), w.count - 1)
    return w[j] - w[j - 1]
  }

  /// (W(n) − E W(n − K))/E K under the interference-free optimal capacity: the value per packet of
  /// the optimal service (the action weight when the optimum serves nothing).
  public func secantWeight(packets n: Int, directGain g: Double) -> Double {
    let mu = capacity(packets: n, directGain: g)
    guard n > 0, mu > 0 else { return actionWeight(packets: n, directGain: g) }
    let w = solution.continuation
    let top = min(n, w.count - 1)
    var expectedW = 0.0, expectedK = 0.0, mass = 0.0
    var p = exp(-mu)
    for k in 0..<top {
      expectedW += p * w[top - k]
      expectedK += p * Double(k)
      mass += p
      p *= mu / Double(k + 1)
    }
    let rest = max(1 - mass, 0)
    expectedW += rest * w[0]
    expectedK += rest * Double(top)
    return expectedK > 0 ? (w[top] - expectedW) / expectedK : actionWeight(packets: n, directGain: g)
  }
}
