import Dispatch
import DriftSimSupport
import Foundation
import DriftSimNumerics

/// The two-pair (K = 2) discrete-time queue with interference, the coupled analogue of
/// `SinglePairMDP` (docs/fluid-validation.md, "K = 2").
///
/// - State (q1, q2) ∈ {0…N}² packets at an epoch start.
/// - Each epoch the four power gains g_kj = L_kj |H_kj|² (|H_kj|² ~ Exp(1), receiver k, transmitter j)
///   are observed, then powers (p1, p2) are chosen; interference is noise:
///   SINR1 = p1 g11 / (1 + p2 g12), SINR2 = p2 g22 / (1 + p1 g21). Served s_k = min(q_k, κ ln(1 + SINR_k)).
/// - Each residual q_k − s_k is rounded at random independently (bilinear interpolation of W);
///   arrivals A_k ~ Poisson(λ_k) independent; q_k' = min(N, round(r_k) + A_k).
/// - Cost per epoch β (q1/λ1 + q2/λ2) + γ (p1 + p2), at the epoch start.
///
/// **Approximations (stated in the docs):** the expectation over the four Exp(1) fading gains is
/// replaced by a product Gauss–Laguerre rule (n_d points per direct gain, n_c per cross gain; default
/// 6 and 2, i.e. 144 nodes), common to every state and sweep, so value iteration solves the MDP with
/// that discrete fading law exactly. The action at each node is chosen from a finite grid of served amounts
/// (s1, s2) with step δ (default 1/4 packet; powers follow in closed form from the 2 × 2 linear SINR
/// equations) by exhaustive search, so value iteration solves a finite-action MDP exactly and
/// converges; the grid restriction is the only approximation of the inner minimisation (a
/// coordinate-descent search was tried first and made value iteration cycle, because a local search
/// is not a monotone Bellman operator on this non-convex per-node problem).
public struct TwoPairMDP: Sendable {
  /// λ1, λ2 (packets per epoch).
  public let arrivalRates: [Double]
  /// β.
  public let beta: Double
  /// γ.
  public let gamma: Double
  /// L11, L22.
  public let directGains: [Double]
  /// L12 (transmitter 2 → receiver 1) and L21.
  public let crossGains: [Double]
  /// κ, packets per epoch per nat.
  public let kappa: Double
  /// N per queue.
  public let truncation: Int
  /// δ, the step (packets) of the served-amount grid each action is chosen from.
  public let step: Double
  /// Fading nodes (g11, g12, g21, g22), already multiplied by the path gains.
  public let nodes: [(Double, Double, Double, Double)]
  /// Probability weight of each node (Σ = 1).
  public let nodeWeights: [Double]
  let pmfs: [[Double]]

  /// The largest truncation per queue accepted (packets).
  public static let maximumTruncation = 200
  /// The finest action step δ accepted (packets): 1/1000 packet already gives 10⁶·q² actions per
  /// state, far below any effect the study can resolve.
  public static let minimumStep = 1e-3

  /// Creates the model.
  /// - Parameters: see the type; `fadingNodes` = Gauss–Laguerre points per direct gain and per
  ///   cross gain (a zero cross gain uses one point); `step` = δ in packets.
  /// - Throws: `FluidValidationError` for invalid parameters.
  public init(
    arrivalRates: [Double], beta: Double, gamma: Double, directGains: [Double], crossGains: [Double], kappa: Double, truncation: Int,
    fadingNodes: (direct: Int, cross: Int) = (6, 2), step: Double = 0.25
  ) throws {
    guard arrivalRates.count == 2, directGains.count == 2, crossGains.count == 2 else {
      throw FluidValidationError("two-pair value iteration needs two arrival rates, direct gains and cross gains")
    }
    guard arrivalRates.allSatisfy({ $0 > 0 }), directGains.allSatisfy({ $0 > 0 }), crossGains.allSatisfy({ $0 >= 0 }), beta > 0, gamma > 0,
      kappa > 0
    else { throw FluidValidationError("two-pair value iteration: rates, gains, β, γ, κ must be positive (cross gains ≥ 0)") }
    guard (2...Self.maximumTruncation).contains(truncation) else {
      throw FluidValidationError(
        "two-pair value iteration: truncation N must be in 2…\(Self.maximumTruncation) packets per queue, got \(truncation) ((N+1)² states; N = 40 already takes minutes)")
    }
    guard (1...40).contains(fadingNodes.direct), (1...40).contains(fadingNodes.cross) else {
      throw FluidValidationError(
        "two-pair value iteration: fading nodes must be in 1…40 per gain, got \(fadingNodes.direct) direct and \(fadingNodes.cross) cross")
    }
    guard step.isFinite, step >= Self.minimumStep, step <= 1 else {
      throw FluidValidationError(
        "two-pair value iteration: action step δ must be in \(Self.minimumStep)…1 packet, got \(step) (the action grid has (q/δ)² points per state)")
    }
    self.step = step
    self.arrivalRates = arrivalRates
    self.beta = beta
    self.gamma = gamma
    self.directGains = directGains
    self.crossGains = crossGains
    self.kappa = kappa
    self.truncation = truncation
    pmfs = arrivalRates.map { poissonPMF(mean: $0, limit: truncation) }
    let direct = GaussLaguerre(points: fadingNodes.direct)
    let crossRules = crossGains.map { $0 == 0 ? GaussLaguerre(points: 1) : GaussLaguerre(points: fadingNodes.cross) }
    var nodes: [(Double, Double, Double, Double)] = [], weights: [Double] = []
    for (x11, w11) in zip(direct.nodes, direct.weights) {
      for (x22, w22) in zip(direct.nodes, direct.weights) {
        for (x12, w12) in zip(crossRules[0].nodes, crossRules[0].weights) {
          for (x21, w21) in zip(crossRules[1].nodes, crossRules[1].weights) {
            nodes.append((directGains[0] * x11, crossGains[0] * x12, crossGains[1] * x21, directGains[1] * x22))
            weights.append(w11 * w22 * w12 * w21)
          }
        }
      }
    }
    self.nodes = nodes
    self.nodeWeights = weights
  }

  /// Index of (q1, q2) in the flattened value array.
  @inline(__always) public func index(_ q1: Int, _ q2: Int) -> Int { q1 * (truncation + 1) + q2 }

  /// W(m1, m2) = E h(min(N, m1 + A1), min(N, m2 + A2)) (separable: one axis after the other).
  public func continuation(_ h: [Double]) -> [Double] {
    let n = truncation
    var stage = h
    for q1 in 0...n {  // along q2
      let row = Array(h[index(q1, 0)...index(q1, n)])
      let w = expectedAfterArrivals(row, pmf: pmfs[1])
      for q2 in 0...n { stage[index(q1, q2)] = w[q2] }
    }
    var out = stage
    for q2 in 0...n {  // along q1
      let column = (0...n).map { stage[index($0, q2)] }
      let w = expectedAfterArrivals(column, pmf: pmfs[0])
      for q1 in 0...n { out[index(q1, q2)] = w[q1] }
    }
    return out
  }

  /// Powers (p1, p2) that serve (s1, s2) at node gains, or nil if infeasible (interference too strong).
  @inline(__always) func powers(_ s1: Double, _ s2: Double, _ g: (Double, Double, Double, Double)) -> (Double, Double)? {
    let x1 = Foundation.expm1(s1 / kappa) / g.0, x2 = Foundation.expm1(s2 / kappa) / g.3
    let denominator = 1 - x1 * x2 * g.1 * g.2
    guard denominator > 0 else { return nil }
    return (x1 * (1 + g.1 * x2) / denominator, x2 * (1 + g.2 * x1) / denominator)
  }

  /// Bilinear interpolation of W at real residuals (r1, r2) ∈ [0, N]².
  @inline(__always) func interpolate(_ w: UnsafeBufferPointer<Double>, _ r1: Double, _ r2: Double) -> Double {
    let n = truncation
    let m1 = min(Int(r1), n - 1), m2 = min(Int(r2), n - 1)
    let f1 = r1 - Double(m1), f2 = r2 - Double(m2)
    let base = m1 * (n + 1) + m2
    let w00 = w[base], w01 = w[base + 1], w10 = w[base + n + 1], w11 = w[base + n + 2]
    return (1 - f1) * ((1 - f2) * w00 + f2 * w01) + f1 * ((1 - f2) * w10 + f2 * w11)
  }

  /// The one-epoch cost after the holding cost at one fading node, minimised over the finite action
  /// set of served amounts (s1, s2) ∈ (δℤ ∩ [0, q1]) × (δℤ ∩ [0, q2]) (plus s_k = q_k), δ = `step`.
  /// The scan stops along each direction once γ(p1 + p2) + min W already exceeds the best value
  /// (power grows with both served amounts), so only the near-optimal corner is visited.
  func nodeMinimum(_ w: UnsafeBufferPointer<Double>, _ q1: Int, _ q2: Int, _ g: (Double, Double, Double, Double)) -> Double {
    let r1 = Double(q1), r2 = Double(q2)
    let floor = w[0]  // W is smallest at (0, 0) (h increases with both queues)
    var best = w[index(q1, q2)]
    let count1 = Int((r1 / step).rounded(.up)), count2 = Int((r2 / step).rounded(.up))
    var i = 0
    while i <= count1 {
      let s1 = min(Double(i) * step, r1)
      var j = 0
      var anyBelow = false
      while j <= count2 {
        let s2 = min(Double(j) * step, r2)
        guard let p = powers(s1, s2, g) else { break }
        let power = gamma * (p.0 + p.1)
        if power + floor >= best { break }
        anyBelow = true
        let value = power + interpolate(w, r1 - s1, r2 - s2)
        if value < best { best = value }
        j += 1
      }
      if !anyBelow { break }
      i += 1
    }
    return best
  }

  /// One Bellman sweep T h (flattened), on `jobs` threads.
  public func bellman(_ h: [Double], jobs: Int = 1) throws -> [Double] {
    let w = continuation(h)
    let n = truncation
    // One row q1 per work item; rows depend only on w, so the result is thread-count independent.
    let rows = try parallelMap(count: n + 1, jobs: min(jobs, 8)) { q1 -> [Double] in
      w.withUnsafeBufferPointer { wb in
        (0...n).map { q2 in
          var sum = 0.0
          for (g, weight) in zip(nodes, nodeWeights) { sum += weight * nodeMinimum(wb, q1, q2, g) }
          return beta * (Double(q1) / arrivalRates[0] + Double(q2) / arrivalRates[1]) + sum
        }
      }
    }
    return rows.flatMap { $0 }
  }

  /// Relative value iteration until span(T h − h) ≤ relativeTolerance · max|h|.
  /// - Parameters:
  ///   - options: tolerance, iteration cap, threads.
  ///   - initial: starting h (flattened (N+1)²), e.g. J1(q1) + J2(q2) + β(q1/λ1 + q2/λ2)/2.
  ///   - progress: called every 10 sweeps with (sweep, span).
  public func solve(options: ValueIterationOptions, initial: [Double], progress: ((Int, Double) -> Void)? = nil) throws -> TwoPairSolution {
    guard initial.count == (truncation + 1) * (truncation + 1) else {
      throw FluidValidationError("two-pair value iteration: initial h has \(initial.count) values, expected (N+1)²")
    }
    let start = DispatchTime.now()
    var h = initial
    var iterations = 0, converged = false
    var theta = Double.nan, bounds = (Double.nan, Double.nan)
    while iterations < options.maxIterations {
      let t = try bellman(h, jobs: options.jobs)
      iterations += 1
      var lower = Double.infinity, upper = -Double.infinity, largest = 0.0
      for i in 0..<t.count {
        let d = t[i] - h[i]
        lower = min(lower, d)
        upper = max(upper, d)
        h[i] = t[i] - t[0]
        largest = max(largest, abs(h[i]))
      }
      guard lower.isFinite, upper.isFinite else { throw FluidValidationError("two-pair value iteration: non-finite values at sweep \(iterations)") }
      theta = t[0]
      bounds = (lower, upper)
      if iterations % 10 == 0 { progress?(iterations, upper - lower) }
      if upper - lower <= options.relativeTolerance * largest {
        converged = true
        break
      }
    }
    let wall = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) * 1e-9
    return TwoPairSolution(theta: theta, thetaBounds: bounds, h: h, iterations: iterations, converged: converged, wallSeconds: wall)
  }
}

/// The outcome of relative value iteration on `TwoPairMDP`.
public struct TwoPairSolution: Sendable {
  /// θ, average cost per epoch (both pairs).
  public var theta: Double
  /// Bounds on θ from the last sweep.
  public var thetaBounds: (Double, Double)
  /// h(q1, q2) = V(q1, q2) − V(0, 0), flattened (index q1·(N+1) + q2).
  public var h: [Double]
  /// Sweeps.
  public var iterations: Int
  /// Whether the span tolerance was met.
  public var converged: Bool
  /// Wall-clock seconds.
  public var wallSeconds: Double
}

/// Gauss–Laguerre nodes and weights for ∫_0^∞ f(x) e^(−x) dx (Newton on L_n, as in Numerical
/// Recipes' gaulag with α = 0). Σ weights = 1 and Σ w x = 1 (the Exp(1) mean).
struct GaussLaguerre: Sendable {
  /// Nodes x_i > 0.
  let nodes: [Double]
  /// Weights w_i.
  let weights: [Double]

  /// The n-point rule (exact for polynomials of degree ≤ 2n − 1 against e^(−x)).
  init(points n: Int) {
    var x = [Double](repeating: 0, count: n), w = [Double](repeating: 0, count: n)
    var z = 0.0
    for i in 0..<n {
      if i == 0 {
        z = 3 / (1 + 2.4 * Double(n))
      } else if i == 1 {
        z += 15 / (1 + 2.5 * Double(n))
      } else {
        let ai = Double(i - 1)
        z += ((1 + 2.55 * ai) / (1.9 * ai)) * (z - x[i - 2])
      }
      var pp = 0.0, p2 = 0.0
      for _ in 0..<100 {
        var p1 = 1.0
        p2 = 0
        for j in 1...n {
          let p3 = p2
          p2 = p1
          p1 = ((2 * Double(j) - 1 - z) * p2 - (Double(j) - 1) * p3) / Double(j)
        }
        pp = Double(n) * (p1 - p2) / z
        let z1 = z
        z = z1 - p1 / pp
        if abs(z - z1) <= 3e-14 * max(1, abs(z)) { break }
      }
      x[i] = z
      w[i] = -1 / (pp * Double(n) * p2)
    }
    nodes = x
    weights = w
  }
}
