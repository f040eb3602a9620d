import Foundation
import DriftSimInterference
import DriftSimNumerics
import DriftSimStats

/// What the decoupling study solves (docs/coupled-fluid.md, "Decoupling error").
public struct DecouplingStudyOptions: Sendable {
  /// Cross gains L = L12 = L21 (≥ 0; 0 is always added: it is the reference).
  public var crossGains: [Double]
  /// Queue states (q1, q2) at which the gap is reported (packets, ≤ 2N/3 to stay clear of truncation).
  public var queues: [[Int]]
  /// N per queue.
  public var truncation: Int
  /// A second N for the grid check (nil: no check); solved at L = 0 and at `checkCrossGain`.
  public var checkTruncation: Int?
  /// The cross gain at which the truncation check is made.
  public var checkCrossGain: Double
  /// Gauss–Laguerre nodes per direct and per cross gain (see `TwoPairMDP`).
  public var fadingNodes: (direct: Int, cross: Int)
  /// δ, the served-amount grid step (packets).
  public var actionStep: Double
  /// Value-iteration stopping rule and threads.
  public var valueIteration: ValueIterationOptions

  /// Creates the options; the defaults finish in a few minutes on two cores (measured in the docs).
  public init(
    crossGains: [Double] = [0, 0.01, 0.03, 0.1, 0.3], queues: [[Int]] = [[3, 3], [6, 6], [9, 9], [6, 0], [9, 0]], truncation: Int = 16,
    checkTruncation: Int? = 24, checkCrossGain: Double = 0.1, fadingNodes: (direct: Int, cross: Int) = (4, 2), actionStep: Double = 0.5,
    valueIteration: ValueIterationOptions = ValueIterationOptions(relativeTolerance: 1e-10)
  ) {
    self.crossGains = crossGains
    self.queues = queues
    self.truncation = truncation
    self.checkTruncation = checkTruncation
    self.checkCrossGain = checkCrossGain
    self.fadingNodes = fadingNodes
    self.actionStep = actionStep
    self.valueIteration = valueIteration
  }
}

/// h and the decoupled approximation at one state and one cross gain.
public struct DecouplingPoint: Sendable, Codable {
  /// L12 = L21.
  public var crossGain: Double
  /// q1, packets.
  public var q1: Int
  /// q2, packets.
  public var q2: Int
  /// h(q1, q2) = V(q1, q2) − V(0, 0) from two-pair value iteration.
  public var h: Double
  /// J1(q1) + J2(q2), the per-flow fluid value functions.
  public var J1PlusJ2: Double
  /// h − (J1 + J2).
  public var gap: Double
  /// (h − (J1 + J2)) / (J1 + J2).
  public var relativeGap: Double
  /// gap(L) − gap(0) = h_L − h_0 (same fading nodes and action grid): the part of the gap that the
  /// coupling adds; the discretisation error and the single-pair (Theorem 1) gap cancel in it.
  public var couplingGap: Double
  /// couplingGap / (J1 + J2).
  public var relativeCouplingGap: Double
}

/// The fitted order of the coupling gap in L at one state: log(h_L − h_0) ≈ c + order · log L.
public struct DecouplingOrderFit: Sendable, Codable {
  /// q1, packets.
  public var q1: Int
  /// q2, packets.
  public var q2: Int
  /// The least-squares slope of log(couplingGap) on log L over the L > 0 with a positive gap.
  public var order: Double
  /// 95 % Student-t interval of the slope (n − 2 degrees of freedom); nil with < 3 points.
  public var order95: [Double]?
  /// The cross gains used.
  public var crossGains: [Double]
  /// The largest |residual| of the log-log fit (a curved log-log line means no single order).
  public var maxResidual: Double
}

/// Truncation check at one state: the coupling gap at N and at the check N.
public struct DecouplingTruncationCheck: Sendable, Codable {
  /// The cross gain of the check.
  public var crossGain: Double
  /// q1, q2.
  public var q1: Int
  /// q2.
  public var q2: Int
  /// couplingGap at N.
  public var couplingGap: Double
  /// couplingGap at the check N.
  public var couplingGapCheck: Double
  /// |difference| / |couplingGap at the check N|.
  public var relativeDifference: Double
}

/// One value-iteration solve of the study.
public struct DecouplingSolve: Sendable, Codable {
  /// L.
  public var crossGain: Double
  /// N.
  public var truncation: Int
  /// θ, average cost per epoch (both pairs).
  public var theta: Double
  /// Sweeps.
  public var iterations: Int
  /// Whether the span tolerance was met.
  public var converged: Bool
  /// Wall-clock seconds.
  public var wallSeconds: Double
}

/// The result of the decoupling study.
public struct DecouplingStudyResult: Sendable, Codable {
  /// λ1, λ2, β, γ, L11, L22, κ of the two pairs.
  public var arrivalRates: [Double]
  /// β.
  public var beta: Double
  /// γ.
  public var gamma: Double
  /// L11, L22.
  public var directGains: [Double]
  /// κ.
  public var kappa: Double
  /// N.
  public var truncation: Int
  /// Fading nodes (product rule size).
  public var fadingNodes: Int
  /// δ.
  public var actionStep: Double
  /// Every solve (L ascending, then the check solves).
  public var solves: [DecouplingSolve]
  /// Points, L ascending, then the queue list order.
  public var points: [DecouplingPoint]
  /// One order fit per queue state.
  public var fits: [DecouplingOrderFit]
  /// The truncation check (empty without one).
  public var truncationCheck: [DecouplingTruncationCheck]
  /// Wall-clock seconds of the whole study.
  public var wallSeconds: Double
}

/// How the gap between the two-pair relative value function h(q1, q2) and the decoupled
/// approximation J1(q1) + J2(q2) grows with the cross gain L = L12 = L21 (the perturbation claim of
/// the paper's Theorem 2), and its order in L.
public enum DecouplingStudy {
  /// Runs the study for pairs 0 and 1 of `scenario` (λ, L_kk, β, γ, κ; its crossGain is ignored).
  /// - Parameter progress: a line per solve (for stderr).
  /// - Throws: `FluidValidationError` for bad options, numerical errors.
  public static func run(
    _ scenario: Scenario, options: DecouplingStudyOptions, progress: ((String) -> Void)? = nil
  ) throws -> DecouplingStudyResult {
    let clock = Date()
    guard scenario.pairs >= 2, let lambdas = scenario.arrivalRate.resolved(pairs: scenario.pairs),
      let direct = scenario.directGain.resolved(pairs: scenario.pairs)
    else { throw FluidValidationError("decoupling study: the scenario needs pairs ≥ 2 (pairs 0 and 1 are used)") }
    let rates = Array(lambdas.prefix(2)), gains = Array(direct.prefix(2))
    guard rates.allSatisfy({ $0 > 0 }) else { throw FluidValidationError("decoupling study: pairs 0 and 1 need arrivalRate > 0") }
    guard options.crossGains.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 10 }) else {
      throw FluidValidationError("decoupling study: cross gains must be in [0, 10], got \(options.crossGains)")
    }
    let n = options.truncation
    guard (4...200).contains(n) else { throw FluidValidationError("decoupling study: N must be in 4…200, got \(n)") }
    if let check = options.checkTruncation, !(4...200).contains(check) || check == n {
      throw FluidValidationError("decoupling study: the check N must be in 4…200 and differ from N = \(n), got \(check)")
    }
    let limit = min(n, options.checkTruncation ?? n)
    for q in options.queues {
      guard q.count == 2, q.allSatisfy({ $0 >= 0 && $0 <= limit }) else {
        throw FluidValidationError("decoupling study: queue states must be pairs (q1, q2) in 0…\(limit), got \(q)")
      }
    }
    let positive = Array(Set(options.crossGains.filter { $0 > 0 })).sorted()
    guard !positive.isEmpty else { throw FluidValidationError("decoupling study: give at least one cross gain > 0") }
    let fluids = try (0..<2).map {
      try FluidValueFunction(arrivalRate: rates[$0], beta: scenario.beta, gamma: scenario.gamma, directGain: gains[$0], kappa: scenario.kappa)
    }
    let solver = BrentRootFinder()

    var solves: [DecouplingSolve] = []
    /// Solves L = 0 and then every L in `crossGains` at truncation `size`, warm-started from h_0.
    func solveAll(_ crossGains: [Double], size: Int) throws -> (h0: [Double], h: [Double: [Double]], index: (Int, Int) -> Int) {
      func model(_ l: Double) throws -> TwoPairMDP {
        try TwoPairMDP(
          arrivalRates: rates, beta: scenario.beta, gamma: scenario.gamma, directGains: gains, crossGains: [l, l], kappa: scenario.kappa,
          truncation: size, fadingNodes: options.fadingNodes, step: options.actionStep)
      }
      let free = try model(0)
      var initial = [Double](repeating: 0, count: (size + 1) * (size + 1))
      for q1 in 0...size {
        for q2 in 0...size {
          initial[free.index(q1, q2)] =
            try fluids[0].value(atQueue: Double(q1), solver: solver) + fluids[1].value(atQueue: Double(q2), solver: solver)
            + scenario.beta * (Double(q1) / rates[0] + Double(q2) / rates[1]) / 2
        }
      }
      func record(_ l: Double, _ s: TwoPairSolution) throws {
        guard s.converged else {
          throw FluidValidationError(
            "decoupling study: value iteration at L = \(l), N = \(size) did not converge in \(s.iterations) sweeps (raise the iteration cap or loosen the tolerance)")
        }
        solves.append(DecouplingSolve(crossGain: l, truncation: size, theta: s.theta, iterations: s.iterations, converged: s.converged, wallSeconds: s.wallSeconds))
        progress?(String(format: "  L = %g, N = %d: θ = %.6f, %d sweeps, %.1f s", l, size, s.theta, s.iterations, s.wallSeconds))
      }
      progress?("decoupling study: N = \(size), \(free.nodes.count) fading nodes without interference, L = 0")
      let h0 = try free.solve(options: options.valueIteration, initial: initial)
      try record(0, h0)
      var values: [Double: [Double]] = [:]
      for l in crossGains {
        let m = try model(l)
        progress?("decoupling study: N = \(size), \(m.nodes.count) fading nodes, L = \(l)")
        let s = try m.solve(options: options.valueIteration, initial: h0.h)
        try record(l, s)
        values[l] = s.h
      }
      return (h0.h, values, free.index)
    }

    let main = try solveAll(positive, size: n)
    var points: [DecouplingPoint] = []
    var jCache: [[Int]: Double] = [:]
    for q in options.queues {
      jCache[q] = try fluids[0].value(atQueue: Double(q[0]), solver: solver) + fluids[1].value(atQueue: Double(q[1]), solver: solver)
    }
    for l in [0] + positive {
      for q in options.queues {
        let i = main.index(q[0], q[1])
        let h = l == 0 ? main.h0[i] : main.h[l]![i]
        let j = jCache[q]!
        let coupling = h - main.h0[i]
        points.append(
          DecouplingPoint(
            crossGain: l, q1: q[0], q2: q[1], h: h, J1PlusJ2: j, gap: h - j, relativeGap: j == 0 ? 0 : (h - j) / j, couplingGap: coupling,
            relativeCouplingGap: j == 0 ? 0 : coupling / j))
      }
    }
    var fits: [DecouplingOrderFit] = []
    for q in options.queues {
      let usable = points.filter { $0.q1 == q[0] && $0.q2 == q[1] && $0.crossGain > 0 && $0.couplingGap > 0 }
      guard usable.count >= 2 else { continue }
      let x = usable.map { Foundation.log($0.crossGain) }, y = usable.map { Foundation.log($0.couplingGap) }
      guard let fit = LinearFit(x: x, y: y) else { continue }
      let residual = zip(x, y).map { abs($1 - fit.intercept - fit.slope * $0) }.max() ?? 0
      fits.append(
        DecouplingOrderFit(
          q1: q[0], q2: q[1], order: fit.slope, order95: fit.slopeInterval()?.bounds, crossGains: usable.map(\.crossGain), maxResidual: residual))
    }
    var checks: [DecouplingTruncationCheck] = []
    if let size = options.checkTruncation {
      let l = options.checkCrossGain
      guard l > 0 else { throw FluidValidationError("decoupling study: the check cross gain must be > 0") }
      let other = try solveAll([l], size: size)
      let reference = positive.contains(l) ? main.h[l]! : try solveAll([l], size: n).h[l]!
      for q in options.queues {
        let a = reference[main.index(q[0], q[1])] - main.h0[main.index(q[0], q[1])]
        let b = other.h[l]![other.index(q[0], q[1])] - other.h0[other.index(q[0], q[1])]
        checks.append(
          DecouplingTruncationCheck(
            crossGain: l, q1: q[0], q2: q[1], couplingGap: a, couplingGapCheck: b, relativeDifference: b == 0 ? abs(a) : abs(a - b) / abs(b)))
      }
    }
    let nodeCount = options.fadingNodes.direct * options.fadingNodes.direct * options.fadingNodes.cross * options.fadingNodes.cross
    return DecouplingStudyResult(
      arrivalRates: rates, beta: scenario.beta, gamma: scenario.gamma, directGains: gains, kappa: scenario.kappa, truncation: n,
      fadingNodes: nodeCount, actionStep: options.actionStep, solves: solves, points: points, fits: fits, truncationCheck: checks,
      wallSeconds: Date().timeIntervalSince(clock))
  }
}
