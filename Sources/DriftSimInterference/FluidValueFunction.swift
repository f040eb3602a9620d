import DriftSimSupport
import Foundation
import DriftSimNumerics

/// The per-flow fluid value function J(Q) of one transmitter–receiver pair and its derivative
/// J'(Q), the water level of the fluid power-control policy (model.md, "Per-flow fluid value
/// function"; paper eq. 131 with τ → κ).
///
/// Units: queue Q in packets, fluid time in epochs, power in noise units; κ = W τ / (S̄ ln 2) is the
/// number of packets an epoch carries per nat of spectral efficiency. With a = κL/γ and
/// z = 1/(a y), the solution is parametric in y = J'(q) ≥ v:
///
///     q(y) = (λκ/β) [ (1/a + y) E1(z) − (λ/κ) y − y e^(−z) + c∞/κ ]
///     J(y) = (λκ/β) [ (1 − a y)/(4a) · y e^(−z) − (λ/(2κ)) y² + (y²/2 − 1/(4a²)) E1(z) ] + b
///
/// where v solves κ E1(1/(a v)) = λ, c∞ = v κ e^(−1/(a v)) − (γ/L) E1(1/(a v)) and b makes J(v) = 0.
/// J'(Q) is found by inverting q(y) = Q on [v, y_hi] with Brent's method (bracket from a Lambert-W
/// asymptote, warm-started from the previous call), to a relative tolerance of 4 ulp in y.
public struct FluidValueFunction: Sendable {
  /// Arrival rate λ, packets per epoch.
  public let arrivalRate: Double
  /// Delay weight β (cost per packet-epoch of delay... per unit of Q/λ).
  public let beta: Double
  /// Power price γ (cost per unit of noise-normalised power per epoch).
  public let gamma: Double
  /// Direct path gain L = L_kk.
  public let directGain: Double
  /// κ, packets per epoch per nat.
  public let kappa: Double
  /// a = κL/γ.
  public let a: Double
  /// v = J'(0): the water-level derivative at an empty queue, v = 1/(a z0).
  public let v: Double
  /// z0 = 1/(a v), the root of κ E1(z0) = λ.
  public let z0: Double
  /// The fluid average cost per epoch, c∞.
  public let cInf: Double
  /// The constant that makes J(0) = 0.
  public let b: Double
  /// q″(v)/2 = (λκ/β) e^(−z0)/(2v): q(y) ≈ q″(v)/2 · (y − v)² near the empty queue.
  let halfCurvatureAtV: Double

  /// Errors in the parameters of a fluid value function.
  public struct ParameterError: Error, CustomStringConvertible, Sendable {
    /// What is wrong.
    public var description: String
  }

  /// The largest λκ/β accepted: the closed form for J cancels terms of that size (see `init`).
  public static let maximumCancellation = 1e8

  /// Computes v, c∞ and b for one pair.
  /// - Parameters:
  ///   - arrivalRate: λ > 0, packets per epoch.
  ///   - beta: β > 0.
  ///   - gamma: γ > 0.
  ///   - directGain: L > 0.
  ///   - kappa: κ > 0, packets per epoch per nat.
  /// - Throws: `ParameterError` for non-positive parameters, for λκ/β above
  ///   `maximumCancellation`, or when a derived constant (a, v, c∞, b) is not a finite double;
  ///   `NumericsError` if E1 or Brent fail.
  public init(arrivalRate: Double, beta: Double, gamma: Double, directGain: Double, kappa: Double) throws {
    for (name, value) in [("arrivalRate", arrivalRate), ("beta", beta), ("gamma", gamma), ("directGain", directGain), ("kappa", kappa)]
    where !(value > 0 && value.isFinite) {
      throw ParameterError(description: "fluid value function: \(name) must be positive and finite, got \(value)")
    }
    self.arrivalRate = arrivalRate
    self.beta = beta
    self.gamma = gamma
    self.directGain = directGain
    self.kappa = kappa
    // J = (λκ/β)·bracket + b subtracts terms of size λκ/β: past 1e8 fewer than 8 of the 16 digits
    // of J survive (β = 1e-300 gives J(1) = 0 exactly), so refuse instead of printing noise.
    guard arrivalRate * kappa / beta <= Self.maximumCancellation else {
      throw ParameterError(
        description: "fluid value function: beta = \(beta) is too small against arrivalRate·κ = \(arrivalRate * kappa): the closed form subtracts terms of size λκ/β, so it needs beta ≥ \(arrivalRate * kappa / Self.maximumCancellation)")
    }
    a = kappa * directGain / gamma
    guard a.isFinite, a > 0, a >= 1e-300 else {
      throw ParameterError(
        description: "fluid value function: a = κ·directGain/gamma = \(a) (κ = \(kappa), directGain = \(directGain), gamma = \(gamma)) is outside the range a double can hold; bring gamma and directGain within about 1e±250 of each other")
    }
    // E1 decreases from +∞ (z → 0) to 0, so E1(z) = λ/κ has exactly one root. E1(z) ≤ e^(−z) ln(1 + 1/z)
    // bounds it: bracket [1e-300, 750] covers λ/κ ∈ (0, 690].
    let target = arrivalRate / kappa
    guard target < 690 else {
      throw ParameterError(description: "fluid value function: λ/κ = \(target) is too large (needs E1(z) = λ/κ with z > 1e-300)")
    }
    z0 = try findRoot(in: 1e-300...750, tolerance: .machine) { z in
      (try? expintE1(z)).map { $0 - target } ?? .nan
    }
    v = 1 / (a * z0)
    let e1 = try expintE1(z0)
    cInf = v * kappa * exp(-z0) - (gamma / directGain) * e1
    b = -(arrivalRate * kappa / beta) * Self.valueBracket(y: v, a: a, arrivalRate: arrivalRate, kappa: kappa)
    halfCurvatureAtV = (arrivalRate * kappa / beta) * exp(-z0) / (2 * v)
    // Extreme but finite inputs (γ = 1e-300, β = 1e300, …) can still overflow or underflow the
    // closed form; name the derived constant and the inputs instead of returning NaN values.
    for (name, value) in [("v = J'(0)", v), ("c∞", cInf), ("b", b), ("z0", z0)] where !value.isFinite || (name == "v = J'(0)" && !(value > 0)) {
      throw ParameterError(
        description: "fluid value function: \(name) = \(value) is not a finite number for arrivalRate = \(arrivalRate), beta = \(beta), gamma = \(gamma), directGain = \(directGain), κ = \(kappa); these parameters are outside the range J can be computed in double precision")
    }
  }

  /// q(y): the queue (packets) at which J'(q) = y, for y ≥ v.
  public func queue(atSlope y: Double) -> Double {
    let z = 1 / (a * y)
    let e1 = (try? expintE1(z)) ?? 0
    return (arrivalRate * kappa / beta)
      * ((1 / a + y) * e1 - (arrivalRate / kappa) * y - y * exp(-z) + cInf / kappa)
  }

  /// J at the queue q(y), for y ≥ v.
  public func value(atSlope y: Double) -> Double { jOf(y: y) }

  private func jOf(y: Double) -> Double {
    (arrivalRate * kappa / beta) * Self.valueBracket(y: y, a: a, arrivalRate: arrivalRate, kappa: kappa) + b
  }

  /// The bracketed term of J(y) (without the factor λκ/β and the constant b).
  private static func valueBracket(y: Double, a: Double, arrivalRate: Double, kappa: Double) -> Double {
    let z = 1 / (a * y)
    let e1 = (try? expintE1(z)) ?? 0
    return (1 - a * y) / (4 * a) * y * exp(-z) - (arrivalRate / (2 * kappa)) * y * y
      + (y * y / 2 - 1 / (4 * a * a)) * e1
  }

  /// The starting guess for J'(Q) from the large-Q asymptote q(y) ≈ (λκ/β) y (ln(a y) − c),
  /// c = γ_Euler + 1 + λ/κ, inverted with Lambert W0: y ≈ R / W0(a R e^(−c)), R = βQ/(λκ).
  public func asymptoticSlope(queue: Double) -> Double {
    let eulerGamma = 0.577_215_664_901_532_860_606_512_090_082
    let r = beta * queue / (arrivalRate * kappa)
    let c = eulerGamma + 1 + arrivalRate / kappa
    guard let w = try? lambertW0(a * r * exp(-c)), w > 0 else { return v }
    return r / w
  }

  /// J'(Q), the water-level slope at queue Q ≥ 0 packets, by Brent on q(y) = Q over y ∈ [v, y_hi].
  /// - Parameters:
  ///   - queue: Q in packets (≥ 0).
  ///   - hint: a previous (Q, J'(Q)) pair to narrow the bracket (warm start), or nil.
  ///   - solver: the root finder to use (reuse one per simulation).
  /// - Throws: `NumericsError` only if the bracket cannot be built (non-finite Q).
  public func slope(
    atQueue queue: Double, hint: (queue: Double, slope: Double)? = nil, solver: BrentRootFinder
  ) throws -> Double {
    guard queue.isFinite, queue >= 0 else {
      throw NumericsError.domain(function: "FluidValueFunction.slope", argument: queue, expected: "finite Q ≥ 0")
    }
    if queue == 0 { return v }
    var lower = v
    var upper = max(v, asymptoticSlope(queue: queue))
    if let hint, hint.slope >= v {
      if hint.queue == queue { return hint.slope }
      if hint.queue < queue { lower = max(lower, hint.slope) } else { upper = hint.slope }
    }
    // Rounding in q near a previous root can put q(lower) a hair above Q: then fall back to v.
    let atLower = self.queue(atSlope: lower) - queue
    if atLower == 0 { return lower }
    if atLower > 0 {
      lower = v
      // Q below the rounding noise of q near its double root at v: J'(Q) = v to working precision.
      if self.queue(atSlope: v) - queue >= 0 { return v }
    }
    // Grow the upper end until it brackets: q is increasing on [v, ∞).
    var steps = 0
    while self.queue(atSlope: upper) < queue {
      lower = max(lower, upper)
      upper *= 2
      steps += 1
      if steps > 2000 || !upper.isFinite {
        throw NumericsError.noConvergence(routine: "FluidValueFunction.slope bracket", iterations: steps)
      }
    }
    if lower >= upper { return upper }
    return try solver.findRoot(in: lower...upper, tolerance: RootTolerance(absolute: 0, relative: 4 * .ulpOfOne)) {
      self.queue(atSlope: $0) - queue
    }
  }

  /// q(y) with its first two derivatives, from one E1 and one exp: with C = λκ/β and z = 1/(a y),
  /// q′(y) = C (E1(z) − λ/κ) (zero at y = v, positive above) and q″(y) = C e^(−z)/y.
  @inline(__always)
  func queueWithDerivatives(atSlope y: Double) -> (queue: Double, first: Double, second: Double) {
    let z = 1 / (a * y)
    let e1 = (try? expintE1(z)) ?? 0
    let ez = exp(-z)
    let c = arrivalRate * kappa / beta
    let queue = c * ((1 / a + y) * e1 - (arrivalRate / kappa) * y - y * ez + cInf / kappa)
    return (queue, c * (e1 - arrivalRate / kappa), c * ez / y)
  }

  /// J'(Q) by Halley's method on q(y) = Q from a starting slope, for the fluid policy's per-epoch
  /// weights: typically 2–4 evaluations of q (one E1 each) where Brent from a bracket needs 10–40.
  ///
  /// q is increasing and convex on [v, ∞) with q(v) = 0, so the iteration keeps a bracket
  /// [lower, upper] of the root from the signs of q − Q, takes Halley's step (Newton's when
  /// Halley's correction factor 1/(1 − t), t = f f″/(2 f′²), would more than double the Newton
  /// step or reverse it) and bisects when a step leaves the bracket. It stops when the step is at
  /// most 10⁻⁶ of y − v: Halley's error then shrinks cubically, so the returned slope is within
  /// about 10⁻¹⁶ relative of the root (tested against `slope(atQueue:hint:solver:)`, the Brent
  /// root, to 10⁻¹² on random queues from 10⁻⁶ to 10⁵ packets). Near Q = 0, where q's own rounding
  /// (of the order of ulps of its terms) hides the root, or when 12 steps do not converge, it
  /// returns the Brent root instead.
  /// - Parameters:
  ///   - queue: Q in packets (≥ 0).
  ///   - start: a starting slope (e.g. the previous epoch's J'); values below v start from v.
  ///   - solver: the Brent solver for the fallback.
  /// - Returns: J'(Q) and q′ there (for the next call's extrapolation).
  /// - Throws: `NumericsError` for a negative or non-finite Q, as `slope(atQueue:hint:solver:)`.
  public func halleySlope(
    atQueue queue: Double, start: Double, solver: BrentRootFinder
  ) throws -> (slope: Double, derivative: Double) {
    guard queue.isFinite, queue >= 0 else {
      throw NumericsError.domain(function: "FluidValueFunction.halleySlope", argument: queue, expected: "finite Q ≥ 0")
    }
    if queue == 0 { return (v, 0) }
    var lower = v, upper = Double.infinity
    // Near v, q(y) ≈ A (y − v)² with A = q″(v)/2: the starting point when `start` is unusable.
    let nearV = v + (queue / halfCurvatureAtV).squareRoot()
    var y = start > v && start.isFinite ? start : nearV
    for _ in 0..<12 {
      let (q, d1, d2) = queueWithDerivatives(atSlope: y)
      let f = q - queue
      if f == 0 { return (y, d1) }
      if f < 0 { lower = max(lower, y) } else { upper = min(upper, y) }
      guard d1 > 0, d1.isFinite, d2.isFinite else {
        // At y = v (q′ = 0) or past overflow: step into the bracket instead.
        y = upper.isFinite ? 0.5 * (lower + upper) : max(2 * y - v, nearV)
        continue
      }
      let newton = f / d1
      let t = f * d2 / (2 * d1 * d1)
      let step = t < 0.5 && t > -1 ? newton / (1 - t) : newton
      let candidate = y - step
      let width = y - v
      if abs(step) <= 1e-6 * width && candidate > lower && candidate < upper {
        return (candidate, d1)
      }
      y = candidate > lower && candidate < upper ? candidate : (upper.isFinite ? 0.5 * (lower + upper) : 2 * max(y, lower))
    }
    let root = try slope(atQueue: queue, solver: solver)
    return (root, queueWithDerivatives(atSlope: root).first)
  }

  /// Whether `other` was built from the same λ, β, γ, L and κ (so every derived value is equal).
  public func hasSameParameters(as other: FluidValueFunction) -> Bool {
    arrivalRate == other.arrivalRate && beta == other.beta && gamma == other.gamma && directGain == other.directGain
      && kappa == other.kappa
  }

  /// J(Q), the fluid value function at queue Q ≥ 0 packets (J(0) = 0).
  public func value(atQueue queue: Double, solver: BrentRootFinder) throws -> Double {
    queue == 0 ? 0 : value(atSlope: try slope(atQueue: queue, solver: solver))
  }
}

/// Reported by the command runner as one line, exit status 1.
extension FluidValueFunction.ParameterError: ReportableError {}
