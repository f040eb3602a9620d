import DriftSimNumerics
import DriftSimSupport
import Foundation

/// The exact per-flow (K = 1, no interference) queue at the simulator's own granularity, solved by
/// relative value iteration: the model behind policy `vi` (docs/policies.md).
///
/// - State x = bits queued at a slot start / S̄, in packets (real), on the grid x_i = i δ,
///   i = 0…n−1, x_max = (n−1) δ. The value function between grid points is linear (so the model is
///   exact for a continuous queue whose continuation value is the linear interpolation).
/// - Each slot (1/N epoch) the direct gain g = L |H|² (|H|² ~ Exp(1), i.i.d. per slot) is observed,
///   then a power p ≥ 0 (noise units) is chosen. The slot serves s = min(x, (κ/N) ln(1 + p g))
///   packets; the residual is r = x − s.
/// - Arrivals during the slot: Poisson(λ/N) packets, each of size Exp(1) packets (exponential sizes)
///   or exactly 1 (deterministic); they are served from the next slot on. Arrivals that would take
///   the queue above x_max are truncated at x_max.
/// - Cost per unit time (per epoch, as the epoch-level MDP of model.md): β x/λ + γ p, so a slot
///   costs (β x/λ + γ p)/N.
///
/// Bellman equation (average cost θ per epoch, h(0) = 0):
///   θ/N + h(x) = β x/(λN) + E_g min_{0 ≤ r ≤ x} [ (γ/(N g))(e^{N(x−r)/κ} − 1) + W̃(r) ],
///   W(y) = E h(y + B),  B = the slot's arrivals (packets).
/// W at grid points is exact for piecewise-linear h: W_i = Σ_m c_m h_{i+m} with c_m = E[tent_m(B)].
/// For convex W̃ the minimiser is where the marginal power cost (γ/(κ g)) e^{N(x−r)/κ} meets the
/// slope of W̃: water-filling p = κ w/γ − 1/g with w = W̃'(r*), found by bisection over grid
/// segments (`optimalResidual`). The g-expectation uses the midpoint rule in the Exp(1) quantile
/// with `fadingNodes` nodes. Grid, truncation and nodes are checked by refinement (`policy solve
/// --refine`).
public struct PerFlowSlotModel: Sendable, Codable, Equatable, Hashable {
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
  /// Packet-size distribution of the arrivals.
  public var packetSizes: PacketSizeDistribution
  /// δ, grid step in packets (1/δ an integer).
  public var gridStep: Double
  /// x_max, the largest queue of the grid (packets).
  public var maxQueuePackets: Double
  /// Fading quadrature nodes M.
  public var fadingNodes: Int

  /// Creates the model description (checked by `PerFlowSlotMDP.init`).
  public init(
    arrivalRate: Double, beta: Double, gamma: Double, directGain: Double, kappa: Double, slotsPerEpoch: Int,
    packetSizes: PacketSizeDistribution, gridStep: Double, maxQueuePackets: Double, fadingNodes: Int
  ) {
    self.arrivalRate = arrivalRate
    self.beta = beta
    self.gamma = gamma
    self.directGain = directGain
    self.kappa = kappa
    self.slotsPerEpoch = slotsPerEpoch
    self.packetSizes = packetSizes
    self.gridStep = gridStep
    self.maxQueuePackets = maxQueuePackets
    self.fadingNodes = fadingNodes
  }

  /// Grid points n = x_max/δ + 1.
  public var gridPoints: Int { Int((maxQueuePackets / gridStep).rounded()) + 1 }

  /// A canonical text of every input (doubles as exact hexadecimal), for cache keys.
  public var canonicalText: String {
    func x(_ v: Double) -> String { String(format: "%a", v) }
    return "perflow-slot-mdp/v1 lambda=\(x(arrivalRate)) beta=\(x(beta)) gamma=\(x(gamma)) L=\(x(directGain)) kappa=\(x(kappa)) "
      + "N=\(slotsPerEpoch) sizes=\(packetSizes.rawValue) step=\(x(gridStep)) xmax=\(x(maxQueuePackets)) nodes=\(fadingNodes)"
  }
}

/// A bad per-flow model or a solve that failed.
public struct PerFlowModelError: Error, CustomStringConvertible, Sendable, Equatable {
  /// What is wrong, naming the parameter.
  public var description: String
  /// Creates an error.
  public init(_ description: String) { self.description = description }
}

extension PerFlowModelError: ReportableError {}

/// The solved slot-level MDP: θ, h and the continuation value W on the grid.
public struct PerFlowSlotSolution: Sendable, Codable, Equatable {
  /// The model solved.
  public var model: PerFlowSlotModel
  /// θ, the optimal average cost per epoch.
  public var theta: Double
  /// h(x_i), relative value (h(0) = 0), i = 0…n−1.
  public var relativeValue: [Double]
  /// W(x_i) = E h(x_i + B), the continuation value after one slot's arrivals.
  public var continuation: [Double]
  /// Value-iteration sweeps run.
  public var iterations: Int
  /// Final span of T h − h relative to max |h|.
  public var relativeSpan: Double
  /// Whether the span tolerance was met.
  public var converged: Bool
  /// Grid segments (below x_max − 10 packets) where W's slope decreases (0 when W is convex there,
  /// which the bisection in `optimalResidual` assumes).
  public var convexityViolations: Int
  /// Wall-clock seconds of the solve (0 when loaded from the cache).
  public var solveSeconds: Double
}

/// Solves `PerFlowSlotModel` by relative value iteration and evaluates its optimal action.
public struct PerFlowSlotMDP: Sendable {
  /// The model.
  public let model: PerFlowSlotModel
  /// n grid points.
  public let n: Int
  /// c_m = E[tent_m(B)], m = 0…(count−1): one slot's arrivals spread on the grid.
  public let arrivalKernel: [Double]
  /// ln(κ g_q/γ) at the fading nodes g_q = L·(−ln(1 − (q + ½)/M)), increasing in q.
  let logLevel: [Double]
  /// γ/(N g_q).
  let powerScale: [Double]

  /// Checks the model and precomputes the arrival kernel and fading nodes.
  /// - Throws: `PerFlowModelError` for invalid parameters, `NumericsError` if a kernel integral fails.
  public init(_ model: PerFlowSlotModel) throws {
    for (name, value) in [
      ("arrivalRate", model.arrivalRate), ("beta", model.beta), ("gamma", model.gamma), ("directGain", model.directGain),
      ("kappa", model.kappa), ("gridStep", model.gridStep), ("maxQueuePackets", model.maxQueuePackets),
    ] where !(value > 0 && value.isFinite) {
      throw PerFlowModelError("per-flow slot MDP: \(name) must be positive and finite, got \(value)")
    }
    guard model.slotsPerEpoch >= 1, model.fadingNodes >= 2 else {
      throw PerFlowModelError("per-flow slot MDP: slotsPerEpoch must be ≥ 1 and fadingNodes ≥ 2")
    }
    let perPacket = (1 / model.gridStep).rounded()
    guard perPacket >= 1, abs(perPacket * model.gridStep - 1) < 1e-12 else {
      throw PerFlowModelError("per-flow slot MDP: 1/gridStep must be an integer, got gridStep = \(model.gridStep)")
    }
    guard model.maxQueuePackets >= 2, model.gridPoints <= 200_001 else {
      throw PerFlowModelError("per-flow slot MDP: need 2 ≤ maxQueuePackets and at most 200000 grid states, got \(model.gridPoints)")
    }
    self.model = model
    n = model.gridPoints
    arrivalKernel = try Self.kernel(model, points: n)
    var levels: [Double] = [], scales: [Double] = []
    let m = Double(model.fadingNodes)
    for q in 0..<model.fadingNodes {
      let u = (Double(q) + 0.5) / m
      let g = model.directGain * -log1p(-u)
      levels.append(log(model.kappa * g / model.gamma))
      scales.append(model.gamma / (Double(model.slotsPerEpoch) * g))
    }
    logLevel = levels
    powerScale = scales
  }

  /// One slot's arrivals B (packets) as grid weights: c_m = E[tent_m(B)], tent_m the linear
  /// interpolation weight of grid point m δ. Deterministic sizes put Poisson masses on whole packets;
  /// exponential sizes integrate the compound-Poisson density
  /// f(b) = e^(−μ−b) Σ_{k≥1} μ^k b^(k−1)/(k!(k−1)!) (plus the atom e^(−μ) at 0) by adaptive quadrature.
  static func kernel(_ model: PerFlowSlotModel, points n: Int) throws -> [Double] {
    let mu = model.arrivalRate / Double(model.slotsPerEpoch)
    let delta = model.gridStep
    let perPacket = Int((1 / delta).rounded())
    var c: [Double] = []
    switch model.packetSizes {
    case .deterministic:
      var term = exp(-mu), k = 0, mass = 0.0
      while mass < 1 - 1e-16 && k * perPacket < n {
        let index = k * perPacket
        if c.count <= index { c.append(contentsOf: repeatElement(0, count: index + 1 - c.count)) }
        c[index] += term
        mass += term
        k += 1
        term *= mu / Double(k)
      }
    case .exponential:
      func density(_ b: Double) -> Double {
        // Σ_{k≥1} μ^k b^(k−1)/(k!(k−1)!), summed until the terms stop mattering.
        var term = mu, sum = 0.0, k = 1
        while k < 10_000 {
          sum += term
          if term < 1e-18 * sum { break }
          term *= mu * b / (Double(k) * Double(k + 1))
          k += 1
        }
        return exp(-mu - b) * sum
      }
      c = [exp(-mu)]
      var mass = exp(-mu)
      var cell = 0
      while cell < n - 1 {
        let left = Double(cell) * delta
        let lowerPart = try integrate(from: left, to: left + delta, absoluteTolerance: 1e-17, relativeTolerance: 1e-12) {
          (1 - ($0 - left) / delta) * density($0)
        }.value
        let upperPart = try integrate(from: left, to: left + delta, absoluteTolerance: 1e-17, relativeTolerance: 1e-12) {
          (($0 - left) / delta) * density($0)
        }.value
        c[cell] += lowerPart
        c.append(upperPart)
        mass += lowerPart + upperPart
        cell += 1
        if 1 - mass < 1e-15 { break }
      }
    }
    return c
  }

  /// W_i = Σ_m c_m h_{min(i+m, n−1)}, with the kernel's missing tail mass put on x_max.
  public func continuation(_ h: [Double]) -> [Double] {
    var w = [Double](repeating: 0, count: n)
    // tail[m] = 1 − Σ_{j<m} c_j: the mass of arrivals that reach past x_max from n − m.
    var tail = [Double](repeating: 0, count: arrivalKernel.count + 1)
    tail[0] = 1
    for m in 0..<arrivalKernel.count { tail[m + 1] = tail[m] - arrivalKernel[m] }
    h.withUnsafeBufferPointer { hb in
      arrivalKernel.withUnsafeBufferPointer { cb in
        for i in 0..<n {
          var sum = 0.0
          let limit = min(cb.count, n - i)
          for m in 0..<limit { sum += cb[m] * hb[i + m] }
          w[i] = sum + max(tail[limit], 0) * hb[n - 1]
        }
      }
    }
    return w
  }

  /// The minimising residual r* (packets) of the Bellman equation at queue x (packets, any real
  /// ≥ 0, also off the grid) and log level ln(κ g/γ), given ln of W̃'s segment slopes.
  ///
  /// The condition "serve no further than x_j" is ln W̃'_j + ln(κ g/γ) ≥ (N/κ)(x − x_j): monotone in
  /// j when W̃ is convex, so the first such grid point is found by bisection; the optimum then lies
  /// in the segment before it, at the water-filling point r = x − (κ/N)(ln W̃'_j + ln(κ g/γ)) or at
  /// the segment's right end. Past the grid W̃ is extended with its last slope.
  /// - Parameters:
  ///   - x: the queue at the slot start, packets.
  ///   - logLevel: ln(κ g/γ) for the slot's direct gain g.
  ///   - logSlopes: ln((W_{j+1} − W_j)/δ), j = 0…n−2 (−∞ for non-positive slopes).
  /// - Returns: r* ∈ [0, x].
  @inline(__always)
  func optimalResidual(x: Double, logLevel: Double, logSlopes: UnsafeBufferPointer<Double>) -> Double {
    if x <= 0 { return 0 }
    let delta = model.gridStep
    let rate = Double(model.slotsPerEpoch) / model.kappa
    let last = logSlopes.count - 1
    // Grid points x_j ≤ x: j = 0…J (J can exceed the grid; slopes beyond it are the last one).
    let top = Int((x / delta).rounded(.down))
    let jMax = (Double(top) * delta < x) ? top : top - 1  // strictly below x: x itself is the end point
    @inline(__always) func stop(_ j: Int) -> Bool { logSlopes[min(j, last)] + logLevel >= rate * (x - Double(j) * delta) }
    // Smallest j in 0…jMax with stop(j), or jMax + 1 (the end point x) if none.
    var low = 0, high = jMax + 1
    while low < high {
      let mid = (low + high) >> 1
      if stop(mid) { high = mid } else { low = mid + 1 }
    }
    if low == 0 { return 0 }
    let segment = low - 1
    let right = low <= jMax ? Double(low) * delta : x
    let stationary = x - (logSlopes[min(segment, last)] + logLevel) / rate
    return min(stationary, right)
  }

  /// ln of W's segment slopes (−∞ where the slope is ≤ 0).
  public func logSlopes(_ w: [Double]) -> [Double] {
    let inverse = 1 / model.gridStep
    return (0..<(n - 1)).map { j in
      let d = (w[j + 1] - w[j]) * inverse
      return d > 0 ? log(d) : -.infinity
    }
  }

  /// W̃(r), the linear interpolation of W (extended with its last slope past x_max).
  @inline(__always)
  static func interpolate(_ w: UnsafeBufferPointer<Double>, at r: Double, step: Double) -> Double {
    let position = r / step
    let n = w.count
    var j = Int(position.rounded(.down))
    if j >= n - 1 { j = n - 2 }
    if j < 0 { j = 0 }
    let t = position - Double(j)
    return w[j] + t * (w[j + 1] - w[j])
  }

  /// The Bellman operator: (T h)(x_i) = β x_i/(λN) + E_g min_r [ (γ/(Ng))(e^{N(x_i−r)/κ} − 1) + W̃(r) ].
  public func bellman(_ h: [Double]) -> [Double] {
    let w = continuation(h)
    let slopes = logSlopes(w)
    var out = [Double](repeating: 0, count: n)
    let rate = Double(model.slotsPerEpoch) / model.kappa
    let holding = model.beta / (model.arrivalRate * Double(model.slotsPerEpoch))
    let inverseNodes = 1 / Double(model.fadingNodes)
    w.withUnsafeBufferPointer { wb in
      slopes.withUnsafeBufferPointer { sb in
        for i in 0..<n {
          let x = Double(i) * model.gridStep
          var expected = 0.0
          if i == 0 {
            expected = wb[0]
          } else {
            for q in 0..<model.fadingNodes {
              let r = optimalResidual(x: x, logLevel: logLevel[q], logSlopes: sb)
              expected += powerScale[q] * expm1(rate * (x - r)) + Self.interpolate(wb, at: r, step: model.gridStep)
            }
            expected *= inverseNodes
          }
          out[i] = holding * x + expected
        }
      }
    }
    return out
  }

  /// Relative value iteration h ← T h − (T h)(0) until span(T h − h) ≤ tolerance · max(1, max|h|).
  /// - Parameters:
  ///   - tolerance: relative span tolerance.
  ///   - maxIterations: cap on sweeps.
  ///   - start: an initial h (e.g. a solution at a nearby γ), or nil for h = 0.
  public func solve(tolerance: Double = 1e-10, maxIterations: Int = 200_000, start: [Double]? = nil) -> PerFlowSlotSolution {
    let clock = DispatchTime.now()
    var h = (start?.count == n) ? start! : [Double](repeating: 0, count: n)
    var iterations = 0, span = Double.infinity, gain = 0.0
    while iterations < maxIterations {
      let t = bellman(h)
      iterations += 1
      gain = t[0]
      var low = Double.infinity, high = -Double.infinity, scale = 1.0
      for i in 0..<n {
        let d = t[i] - h[i]
        low = min(low, d)
        high = max(high, d)
        h[i] = t[i] - gain
        scale = max(scale, abs(h[i]))
      }
      span = (high - low) / scale
      if span <= tolerance { break }
    }
    let w = continuation(h)
    let delta = model.gridStep
    var violations = 0
    let checked = max(0, n - 2 - Int((10 / delta).rounded()))
    if checked > 1 {
      for j in 1..<checked where (w[j + 1] - w[j]) < (w[j] - w[j - 1]) - 1e-12 * max(1, abs(w[j])) { violations += 1 }
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - clock.uptimeNanoseconds) * 1e-9
    return PerFlowSlotSolution(
      model: model, theta: gain * Double(model.slotsPerEpoch), relativeValue: h, continuation: w, iterations: iterations,
      relativeSpan: span, converged: span <= tolerance, convexityViolations: violations, solveSeconds: seconds)
  }
}

/// The optimal action of a solved per-flow model, evaluated fast in the simulator's slot loop.
public struct PerFlowDecision: Sendable {
  /// The solution.
  public let solution: PerFlowSlotSolution
  let mdp: PerFlowSlotMDP
  let slopes: [Double]

  /// Prepares the action for a solution.
  /// - Throws: `PerFlowModelError` / `NumericsError` if the model is invalid.
  public init(_ solution: PerFlowSlotSolution) throws {
    self.solution = solution
    mdp = try PerFlowSlotMDP(solution.model)
    guard solution.continuation.count == mdp.n else {
      throw PerFlowModelError("per-flow solution: \(solution.continuation.count) continuation values for \(mdp.n) grid points")
    }
    slopes = mdp.logSlopes(solution.continuation)
  }

  /// The interference-free optimal residual r* (packets) at queue x (packets) and direct gain g.
  public func residual(queuePackets x: Double, directGain g: Double) -> Double {
    let level = log(solution.model.kappa * g / solution.model.gamma)
    return slopes.withUnsafeBufferPointer { mdp.optimalResidual(x: x, logLevel: level, logSlopes: $0) }
  }

  /// The water-filling weight that reproduces the optimal action at (x, g):
  /// w = (γ/(κ g)) e^{N(x − r*)/κ}, so that p = κ w/γ − 1/g = (e^{N s*/κ} − 1)/g (w = W̃'(r*) at an
  /// interior optimum, a subgradient at a kink; p = 0 when r* = x).
  public func actionWeight(queuePackets x: Double, directGain g: Double) -> Double {
    let m = solution.model
    let r = residual(queuePackets: x, directGain: g)
    return m.gamma / (m.kappa * g) * exp(Double(m.slotsPerEpoch) / m.kappa * (x - r))
  }

  /// W̃'(x): the right slope of the continuation value at x (the last slope past x_max).
  public func slope(queuePackets x: Double) -> Double {
    let w = solution.continuation
    let j = min(max(Int((x / solution.model.gridStep).rounded(.down)), 0), w.count - 2)
    return (w[j + 1] - w[j]) / solution.model.gridStep
  }

  /// W̃(x), linear interpolation (extended linearly past x_max).
  public func continuationValue(queuePackets x: Double) -> Double {
    solution.continuation.withUnsafeBufferPointer { PerFlowSlotMDP.interpolate($0, at: x, step: solution.model.gridStep) }
  }

  /// The secant (W̃(x) − W̃(r*))/(x − r*) over the interference-free optimal service; the action
  /// weight when the optimum serves nothing.
  public func secantWeight(queuePackets x: Double, directGain g: Double) -> Double {
    let r = residual(queuePackets: x, directGain: g)
    if x - r <= 1e-12 * max(1, x) { return actionWeight(queuePackets: x, directGain: g) }
    return (continuationValue(queuePackets: x) - continuationValue(queuePackets: r)) / (x - r)
  }
}
