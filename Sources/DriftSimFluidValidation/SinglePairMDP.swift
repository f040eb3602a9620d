import DriftSimSupport
import Foundation
import DriftSimNumerics

/// The per-flow discrete-time queue of one transmitter–receiver pair (K = 1), exactly as
/// model.md ("How well J approximates the true relative value function") states it.
///
/// - State Q ∈ {0, 1, …, N} packets at an epoch start.
/// - Each epoch the fading g = |H|² ~ Exp(1) is observed, then a power p ≥ 0 (noise units) is chosen.
///   Capacity C = κ ln(1 + p L g) packets; served s = min(Q, C); residual r = Q − s is rounded at
///   random (to ⌈r⌉ with probability frac(r)), i.e. the continuation value is interpolated linearly.
/// - Arrivals A ~ Poisson(λ) per epoch; Q' = min(N, round(r) + A).
/// - Per-stage cost β Q/λ + γ p, charged at the epoch start.
///
/// Average-cost Bellman equation (h(0) = 0):
///   θ + h(Q) = β Q/λ + E_g min_{0≤s≤Q} [ (γ/(L g))(e^(s/κ) − 1) + W̃(Q − s) ],
///   W(m) = E h(min(N, m + A)), W̃ its linear interpolation.
///
/// The g-expectation is evaluated in closed form with E1 when the slopes of W̃ that can matter are
/// non-decreasing (W̃ convex there): the minimiser is then monotone in g and on each unit segment of
/// s it is either a kink (an integer residual) or the interior water-filling point
/// s = κ ln(a d g), a = κL/γ, d the slope of W̃ on the segment. Otherwise (only within a few tens of
/// states of N, where truncation flattens W) the minimum over segments is integrated numerically
/// by composite Gauss–Legendre quadrature split at every segment's switch points
/// (`quadratureOptimal`).
public struct SinglePairMDP: Sendable {
  /// λ, Poisson arrivals per epoch (packets).
  public let arrivalRate: Double
  /// β, delay weight.
  public let beta: Double
  /// γ, power price (cost per unit of noise-normalised power per epoch).
  public let gamma: Double
  /// L, direct path gain.
  public let directGain: Double
  /// κ, packets per epoch per nat.
  public let kappa: Double
  /// N, the truncation level (largest queue, packets).
  public let truncation: Int
  /// a = κ L / γ.
  public let a: Double
  /// P(A = k) for k = 0…(count − 1); the tail beyond is below 1e-18 (or lumped into N).
  public let arrivalPMF: [Double]

  /// Largest g (Exp(1) fading) that can contribute: e^(−745) underflows to 0 in double precision.
  static let gMax = 745.0

  /// Creates the model.
  /// - Parameters:
  ///   - arrivalRate: λ > 0, packets per epoch.
  ///   - beta: β > 0.
  ///   - gamma: γ > 0.
  ///   - directGain: L > 0.
  ///   - kappa: κ > 0, packets per epoch per nat.
  ///   - truncation: N ≥ 1, packets.
  /// - Throws: `FluidValidationError` for invalid parameters.
  /// The largest truncation N accepted (packets): a Bellman sweep costs O(N²) (the continuation
  /// sums), so N = 5000 already takes minutes per hundred sweeps; the paper's figures use N ≤ 900.
  public static let maximumTruncation = 5000

  public init(arrivalRate: Double, beta: Double, gamma: Double, directGain: Double, kappa: Double, truncation: Int) throws {
    for (name, value) in [("arrivalRate", arrivalRate), ("beta", beta), ("gamma", gamma), ("directGain", directGain), ("kappa", kappa)]
    where !(value > 0 && value.isFinite) {
      throw FluidValidationError("value iteration: \(name) must be positive and finite, got \(value)")
    }
    guard (1...Self.maximumTruncation).contains(truncation) else {
      throw FluidValidationError(
        "value iteration: truncation N must be in 1…\(Self.maximumTruncation) packets, got \(truncation) (a sweep costs about N² operations)")
    }
    self.arrivalRate = arrivalRate
    self.beta = beta
    self.gamma = gamma
    self.directGain = directGain
    self.kappa = kappa
    self.truncation = truncation
    a = kappa * directGain / gamma
    arrivalPMF = poissonPMF(mean: arrivalRate, limit: truncation)
  }

  /// The holding cost β Q/λ charged at the start of an epoch with Q packets.
  public func holdingCost(_ queue: Int) -> Double { beta * Double(queue) / arrivalRate }

  /// W(m) = E h(min(N, m + A)) for m = 0…N.
  /// - Complexity: O(N · number of Poisson terms).
  public func continuation(_ h: [Double]) -> [Double] {
    expectedAfterArrivals(h, pmf: arrivalPMF)
  }

  /// The g-expectation of the optimal one-epoch cost from queue Q given the continuation W:
  /// E_g min_s [(γ/(L g))(e^(s/κ) − 1) + W̃(Q − s)] (without the holding cost β Q/λ).
  /// - Parameters:
  ///   - queue: Q in 0…N.
  ///   - w: W(0…N).
  ///   - forceQuadrature: use numerical integration even where the closed form applies (tests).
  /// - Returns: the expectation and whether the closed form was used.
  /// - Throws: `NumericsError` if the quadrature fails.
  public func optimalExpectation(queue: Int, w: [Double], forceQuadrature: Bool = false) throws -> (value: Double, closedForm: Bool) {
    if queue == 0 { return (w[0], true) }
    let window = relevantSegments(queue: queue, w: w)
    if !forceQuadrature, isConvex(queue: queue, lowestSegment: window, w: w) {
      return (closedFormOptimal(queue: queue, lowestSegment: window, w: w), true)
    }
    return (quadratureOptimal(queue: queue, lowestSegment: window, w: w), false)
  }

  /// The lowest segment index j (residual r ∈ [j, j+1]) that any g ≤ gMax can reach from Q.
  func relevantSegments(queue: Int, w: [Double]) -> Int {
    var maxSlope = 0.0
    for j in 0..<queue { maxSlope = max(maxSlope, w[j + 1] - w[j]) }
    guard maxSlope > 0 else { return queue - 1 }
    // Serving s needs g ≥ e^(s/κ)/(a d) at slope d, so s ≤ κ ln(a d gMax) (+2 for the segment).
    let sMax = kappa * Foundation.log(max(a * maxSlope * Self.gMax, 1)) + 2
    // With extreme a (γ → 0) sMax overflows: then every segment is reachable.
    guard sMax.isFinite, sMax < Double(queue) else { return 0 }
    return max(0, queue - Int(sMax.rounded(.up)) - 1)
  }

  /// Whether the slopes of W̃ on segments lowest…Q−1 are non-decreasing.
  func isConvex(queue: Int, lowestSegment: Int, w: [Double]) -> Bool {
    var previous = -Double.infinity
    for j in lowestSegment..<queue {
      let d = w[j + 1] - w[j]
      if d < previous { return false }
      previous = d
    }
    return true
  }

  /// ∫_{g1}^{g2} e^(−g) dg, accurate for nearby limits.
  @inline(__always) static func expMass(_ g1: Double, _ g2: Double) -> Double {
    if g1 >= gMax { return 0 }
    if g2.isInfinite { return Foundation.exp(-g1) }
    return Foundation.exp(-g1) * -Foundation.expm1(g1 - g2)
  }

  /// ∫_{g1}^{g2} e^(−g)/g dg = E1(g1) − E1(g2).
  @inline(__always) static func e1Mass(_ g1: Double, _ g2: Double) -> Double {
    if g1 >= gMax { return 0 }
    let upper = g2.isInfinite || g2 >= gMax ? 0 : ((try? expintE1(g2)) ?? 0)
    return ((try? expintE1(g1)) ?? 0) - upper
  }

  /// ∫_{g1}^{g2} ln(g) e^(−g) dg = [−e^(−g) ln g − E1(g)]_{g1}^{g2}.
  @inline(__always) static func logMass(_ g1: Double, _ g2: Double) -> Double {
    if g1 >= gMax { return 0 }
    func antiderivative(_ g: Double) -> Double {
      if g.isInfinite || g >= gMax { return 0 }
      return -Foundation.exp(-g) * Foundation.log(g) - ((try? expintE1(g)) ?? 0)
    }
    return antiderivative(g2) - antiderivative(g1)
  }

  /// ∫_{g1}^{g2} [(γ/(L g))(e^(s/κ) − 1) + value] e^(−g) dg: serving exactly s at every g in [g1, g2].
  @inline(__always) func kinkMass(_ g1: Double, _ g2: Double, served s: Double, value: Double) -> Double {
    guard g2 > g1 else { return 0 }
    let powerPart = s == 0 ? 0 : (gamma / directGain) * Foundation.expm1(s / kappa) * Self.e1Mass(g1, g2)
    return powerPart + value * Self.expMass(g1, g2)
  }

  /// ∫_{g1}^{g2} [κ y − γ/(L g) + w_j + d (Q − j − κ ln(a y g))] e^(−g) dg: water-filling at level
  /// y κ/γ (s = κ ln(a y g)) with the residual on segment j of slope d.
  @inline(__always) func interiorMass(_ g1: Double, _ g2: Double, level y: Double, slope d: Double, base wj: Double, offset: Double) -> Double {
    guard g2 > g1 else { return 0 }
    let constant = kappa * y + wj + d * (offset - kappa * Foundation.log(a * y))
    return constant * Self.expMass(g1, g2) - (gamma / directGain) * Self.e1Mass(g1, g2) - d * kappa * Self.logMass(g1, g2)
  }

  /// The closed form for convex W̃: walk s upward through kinks and segment interiors.
  func closedFormOptimal(queue q: Int, lowestSegment: Int, w: [Double]) -> Double {
    var total = 0.0
    // No service (kink at r = Q) until water-filling on segment Q−1 starts.
    let dTop = w[q] - w[q - 1]
    var gLow = 0.0
    var gHigh = dTop > 0 ? 1 / (a * dTop) : .infinity
    total += kinkMass(gLow, gHigh, served: 0, value: w[q])
    var j = q - 1
    while j >= lowestSegment, gHigh < Self.gMax {
      let d = w[j + 1] - w[j]
      // Interior of segment j: s ∈ (Q−j−1, Q−j).
      let offset = Double(q - j)
      gLow = gHigh
      gHigh = Foundation.exp(offset / kappa) / (a * d)
      total += interiorMass(gLow, gHigh, level: d, slope: d, base: w[j], offset: offset)
      // Kink at r = j: s = Q − j until the slope of the next segment down makes serving more pay.
      gLow = gHigh
      if j > 0 {
        let below = w[j] - w[j - 1]
        gHigh = below > 0 ? Foundation.exp(offset / kappa) / (a * below) : .infinity
      } else {
        gHigh = .infinity
      }
      total += kinkMass(gLow, gHigh, served: offset, value: w[j])
      j -= 1
    }
    return total
  }

  /// min over s of the one-epoch cost at fading g, searching segments lowest…Q−1.
  func pointwiseOptimal(queue q: Int, lowestSegment: Int, w: [Double], g: Double) -> Double {
    var best = w[q]  // s = 0
    for j in lowestSegment..<q {
      let d = w[j + 1] - w[j]
      let sLow = Double(q - j - 1), sHigh = Double(q - j)
      var s = sLow
      if d > 0 {
        let interior = kappa * Foundation.log(a * d * g)
        if interior.isFinite { s = min(max(interior, sLow), sHigh) } else if interior > 0 { s = sHigh }
      }
      let value = (gamma / (directGain * g)) * Foundation.expm1(s / kappa) + w[j] + d * (Double(q - j) - s)
      if value < best { best = value }
    }
    return best
  }

  /// E_g of `pointwiseOptimal` by composite 20-point Gauss–Legendre quadrature on [0, 80], split at
  /// every segment's interior/kink switch point (where the integrand has kinks when W̃ is convex)
  /// and into pieces at most 0.25 wide below g = 10 and 1 wide above; the mass beyond g = 80
  /// (e^(−80) ≈ 2e−35 relative) is dropped. Exact to rounding for convex W̃ (all kinks are
  /// breakpoints); for non-convex W̃ the envelope's extra switch points cost O(width²) locally.
  func quadratureOptimal(queue q: Int, lowestSegment: Int, w: [Double]) -> Double {
    let gEnd = 80.0
    var breaks: [Double] = [0, gEnd]
    for j in lowestSegment..<q {
      let d = w[j + 1] - w[j]
      guard d > 0 else { continue }
      for offset in [Double(q - j - 1), Double(q - j)] {
        let g = Foundation.exp(offset / kappa) / (a * d)
        if g > 0 && g < gEnd { breaks.append(g) }
      }
    }
    var grid = stride(from: 0.25, to: 10, by: 0.25).map { $0 } + stride(from: 10.0, to: gEnd, by: 1).map { $0 }
    grid += breaks
    grid.sort()
    let rule = GaussLegendre.twenty
    var total = 0.0
    var previous = 0.0
    for point in grid where point > previous {
      let half = (point - previous) / 2, middle = (point + previous) / 2
      var piece = 0.0
      for (x, weight) in zip(rule.nodes, rule.weights) {
        let g = middle + half * x
        piece += weight * pointwiseOptimal(queue: q, lowestSegment: lowestSegment, w: w, g: g) * Foundation.exp(-g)
      }
      total += half * piece
      previous = point
    }
    return total
  }

  /// The g-expectation of the one-epoch cost under the fluid (water-filling) action at level y κ/γ:
  /// s(g) = min(Q, (κ ln(a y g))⁺), E_g[γ p(g) + W̃(Q − s(g))] (closed form; W̃ need not be convex).
  /// - Parameters:
  ///   - queue: Q in 0…N.
  ///   - level: y = J'(Q) > 0, the slope that sets the water level y κ/γ.
  ///   - w: W(0…N).
  public func waterFillingExpectation(queue q: Int, level y: Double, w: [Double]) -> Double {
    if q == 0 { return w[0] }
    // s = 0 for g < 1/(a y); s = κ ln(a y g) crosses residual j + 1 → j on [e^((Q−j−1)/κ), e^((Q−j)/κ)]/(a y).
    var total = kinkMass(0, 1 / (a * y), served: 0, value: w[q])
    var gHigh = 1 / (a * y)
    var j = q - 1
    while j >= 0, gHigh < Self.gMax {
      let offset = Double(q - j)
      let gLow = gHigh
      gHigh = Foundation.exp(offset / kappa) / (a * y)
      total += interiorMass(gLow, gHigh, level: y, slope: w[j + 1] - w[j], base: w[j], offset: offset)
      j -= 1
    }
    // Whole queue served (p capped at p_up) above the last threshold.
    if j < 0, gHigh < Self.gMax { total += kinkMass(gHigh, .infinity, served: Double(q), value: w[0]) }
    return total
  }
}

/// Poisson(mean) probabilities P(A = k), k = 0…, until the tail is below 1e-18 or k reaches `limit`.
func poissonPMF(mean: Double, limit: Int) -> [Double] {
  var pmf: [Double] = []
  var term = Foundation.exp(-mean)
  var cumulative = 0.0
  var k = 0
  while k <= limit {
    pmf.append(term)
    cumulative += term
    if 1 - cumulative < 1e-18 && Double(k) > mean { break }
    k += 1
    term *= mean / Double(k)
  }
  return pmf
}

/// E h(min(N, m + A)) for m = 0…N, A with the given pmf (its missing tail mass goes to N).
func expectedAfterArrivals(_ h: [Double], pmf: [Double]) -> [Double] {
  let n = h.count - 1
  var w = [Double](repeating: 0, count: n + 1)
  h.withUnsafeBufferPointer { hb in
    pmf.withUnsafeBufferPointer { pb in
      for m in 0...n {
        var sum = 0.0, mass = 0.0
        var k = 0
        while k < pb.count, m + k < n {
          sum += pb[k] * hb[m + k]
          mass += pb[k]
          k += 1
        }
        w[m] = sum + (1 - mass) * hb[n]
      }
    }
  }
  return w
}

/// An invalid parameter or a failed computation in a fluid validation study (the message names it).
public struct FluidValidationError: Error, CustomStringConvertible, Sendable {
  /// What is wrong.
  public var description: String
  /// Creates an error.
  public init(_ description: String) { self.description = description }
}

/// Gauss–Legendre nodes and weights on [−1, 1], computed by Newton's method on P_n.
struct GaussLegendre: Sendable {
  /// Nodes x_i.
  let nodes: [Double]
  /// Weights w_i (Σ w_i = 2).
  let weights: [Double]

  /// The n-point rule (exact for polynomials of degree ≤ 2n − 1).
  init(points n: Int) {
    var nodes = [Double](repeating: 0, count: n), weights = [Double](repeating: 0, count: n)
    for i in 0..<n {
      var x = Foundation.cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
      var derivative = 0.0
      for _ in 0..<100 {
        var p0 = 1.0, p1 = x
        for k in 2...max(n, 2) {
          let p2 = ((2 * Double(k) - 1) * x * p1 - (Double(k) - 1) * p0) / Double(k)
          p0 = p1
          p1 = p2
        }
        if n == 1 { p1 = x; p0 = 1 }
        derivative = Double(n) * (x * p1 - p0) / (x * x - 1)
        let step = p1 / derivative
        x -= step
        if abs(step) < 1e-16 { break }
      }
      nodes[i] = x
      weights[i] = 2 / ((1 - x * x) * derivative * derivative)
    }
    self.nodes = nodes
    self.weights = weights
  }

  /// The 20-point rule.
  static let twenty = GaussLegendre(points: 20)
}

/// Reported by the command runner as one line, exit status 1.
extension FluidValidationError: ReportableError {}
