import Dispatch
import Foundation
import Numerics

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
/// **Approximations (stated in the docs):** the expectation over the four fading gains is replaced by
/// the average over a fixed set of S quasi-random nodes (Halton sequence, bases 2, 3, 5, 7, mapped by
/// −ln(1 − u)), common to every state and sweep, so value iteration solves the MDP with that discrete
/// fading law exactly. The per-node minimisation over (s1, s2) is done by coordinate descent on the
/// served amounts (powers follow in closed form from the 2 × 2 linear SINR equations): three rounds,
/// each a grid search with step 1/4 packet refined by golden section. The coupled per-node problem
/// need not be convex, so this finds a local minimum (the same caveat as the paper's Algorithm 3).
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
  /// Fading nodes (g11, g12, g21, g22), already multiplied by the path gains.
  public let nodes: [(Double, Double, Double, Double)]
  let pmfs: [[Double]]

  /// Creates the model.
  /// - Parameters: see the type; `fadingSamples` = S ≥ 1 quasi-random fading nodes.
  /// - Throws: `FluidValidationError` for invalid parameters.
  public init(
    arrivalRates: [Double], beta: Double, gamma: Double, directGains: [Double], crossGains: [Double], kappa: Double, truncation: Int,
    fadingSamples: Int
  ) throws {
    guard arrivalRates.count == 2, directGains.count == 2, crossGains.count == 2 else {
      throw FluidValidationError("two-pair value iteration needs two arrival rates, direct gains and cross gains")
    }
    guard arrivalRates.allSatisfy({ $0 > 0 }), directGains.allSatisfy({ $0 > 0 }), crossGains.allSatisfy({ $0 >= 0 }), beta > 0, gamma > 0,
      kappa > 0
    else { throw FluidValidationError("two-pair value iteration: rates, gains, β, γ, κ must be positive (cross gains ≥ 0)") }
    guard truncation >= 2, fadingSamples >= 1 else { throw FluidValidationError("two-pair value iteration: N ≥ 2 and S ≥ 1") }
    self.arrivalRates = arrivalRates
    self.beta = beta
    self.gamma = gamma
    self.directGains = directGains
    self.crossGains = crossGains
    self.kappa = kappa
    self.truncation = truncation
    pmfs = arrivalRates.map { poissonPMF(mean: $0, limit: truncation) }
    func halton(_ index: Int, _ base: Int) -> Double {
      var f = 1.0, r = 0.0, i = index
      while i > 0 {
        f /= Double(base)
        r += f * Double(i % base)
        i /= base
      }
      return r
    }
    nodes = (1...fadingSamples).map { i in
      let e = [2, 3, 5, 7].map { -Foundation.log1p(-halton(i, $0)) }
      return (directGains[0] * e[0], crossGains[0] * e[1], crossGains[1] * e[2], directGains[1] * e[3])
    }
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

  /// The one-epoch cost after the holding cost at one fading node, minimised by coordinate descent.
  func nodeMinimum(_ w: UnsafeBufferPointer<Double>, _ q1: Int, _ q2: Int, _ g: (Double, Double, Double, Double)) -> Double {
    let r1 = Double(q1), r2 = Double(q2)
    func objective(_ s1: Double, _ s2: Double) -> Double {
      guard let p = powers(s1, s2, g) else { return .infinity }
      return gamma * (p.0 + p.1) + interpolate(w, r1 - s1, r2 - s2)
    }
    let range = w[index(q1, q2)] - w[0]
    // Serving more than what would pay for the whole continuation range alone is never optimal.
    let cap1 = min(r1, kappa * Foundation.log1p(g.0 * max(range, 0) / gamma))
    let cap2 = min(r2, kappa * Foundation.log1p(g.3 * max(range, 0) / gamma))
    var s = (0.0, 0.0)
    var best = objective(0, 0)
    for _ in 0..<3 {
      for coordinate in 0..<2 {
        let cap = coordinate == 0 ? cap1 : cap2
        guard cap > 0 else { continue }
        func f(_ x: Double) -> Double { coordinate == 0 ? objective(x, s.1) : objective(s.0, x) }
        let step = 0.25
        let count = Int((cap / step).rounded(.up))
        var bestX = coordinate == 0 ? s.0 : s.1, bestValue = f(bestX)
        for i in 0...count {
          let x = min(Double(i) * step, cap)
          let value = f(x)
          if value < bestValue {
            bestValue = value
            bestX = x
          }
        }
        // Golden-section refinement on [bestX − step, bestX + step].
        var lo = max(0, bestX - step), hi = min(cap, bestX + step)
        let ratio = 0.381_966_011_250_105
        var x1 = lo + ratio * (hi - lo), x2 = hi - ratio * (hi - lo)
        var f1 = f(x1), f2 = f(x2)
        for _ in 0..<30 {
          if f1 < f2 {
            hi = x2
            x2 = x1
            f2 = f1
            x1 = lo + ratio * (hi - lo)
            f1 = f(x1)
          } else {
            lo = x1
            x1 = x2
            f1 = f2
            x2 = hi - ratio * (hi - lo)
            f2 = f(x2)
          }
        }
        if f1 < bestValue {
          bestValue = f1
          bestX = x1
        }
        if bestValue < best {
          best = bestValue
          if coordinate == 0 { s.0 = bestX } else { s.1 = bestX }
        }
      }
    }
    return best
  }

  /// One Bellman sweep T h (flattened), on `jobs` threads.
  public func bellman(_ h: [Double], jobs: Int = 1) -> [Double] {
    let w = continuation(h)
    let n = truncation
    let out = UnsafeMutableBufferPointer<Double>.allocate(capacity: h.count)
    defer { out.deallocate() }
    let box = UncheckedSendable(out)
    let workers = max(1, min(jobs, 8))
    w.withUnsafeBufferPointer { wb in
      let wBox = UncheckedSendable(wb)
      DispatchQueue.concurrentPerform(iterations: workers) { worker in
        var q1 = worker
        while q1 <= n {
          for q2 in 0...n {
            var sum = 0.0
            for g in nodes { sum += nodeMinimum(wBox.value, q1, q2, g) }
            box.value[index(q1, q2)] =
              beta * (Double(q1) / arrivalRates[0] + Double(q2) / arrivalRates[1]) + sum / Double(nodes.count)
          }
          q1 += workers
        }
      }
    }
    return Array(out)
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
      let t = bellman(h, jobs: options.jobs)
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
