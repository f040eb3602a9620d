import DriftSimInterference
import DriftSimNumerics
import Foundation

/// The K = 2 study of `driftsim fluid two-pair`: relative value iteration of two interfering
/// queues, V(q1, q2) − V(0, 0), against J1(q1) + J2(q2), with two controls that separate the
/// interference effect from the discretisation error: the exact single-pair solutions h1 + h2
/// (closed-form fading expectation) and the same discretisation without interference.
public enum TwoPairStudy {
  /// What to compute.
  public struct Configuration: Sendable {
    /// N per queue (packets, 2…`TwoPairMDP.maximumTruncation`).
    public var truncation: Int
    /// Gauss–Laguerre points per direct gain (1…40).
    public var directNodes: Int
    /// Gauss–Laguerre points per cross gain (1…40).
    public var crossNodes: Int
    /// δ, the served-amount grid step (packets, `TwoPairMDP.minimumStep`…1).
    public var actionStep: Double
    /// Span tolerance, sweep cap, threads.
    public var options: ValueIterationOptions

    /// Creates a configuration.
    public init(truncation: Int, directNodes: Int, crossNodes: Int, actionStep: Double, options: ValueIterationOptions) {
      self.truncation = truncation
      self.directNodes = directNodes
      self.crossNodes = crossNodes
      self.actionStep = actionStep
      self.options = options
    }
  }

  /// The two pairs' parameters.
  public struct Parameters: Sendable, Codable, Equatable {
    /// λ1, λ2 (packets/epoch, > 0).
    public var arrivalRates: [Double]
    /// L11, L22.
    public var directGains: [Double]
    /// L12, L21 (≥ 0).
    public var crossGains: [Double]
    /// γ.
    public var gamma: Double
    /// β.
    public var beta: Double
    /// κ, packets per epoch per nat.
    public var kappa: Double

    /// Creates the parameters.
    public init(arrivalRates: [Double], directGains: [Double], crossGains: [Double], gamma: Double, beta: Double, kappa: Double) {
      self.arrivalRates = arrivalRates
      self.directGains = directGains
      self.crossGains = crossGains
      self.gamma = gamma
      self.beta = beta
      self.kappa = kappa
    }
  }

  /// One state (q1, q2) of the tables.
  public struct Point: Sendable, Codable, Equatable {
    /// q1, packets.
    public var q1: Int
    /// q2, packets.
    public var q2: Int
    /// V(q1, q2) − V(0, 0).
    public var h: Double
    /// J1(q1) + J2(q2).
    public var J1PlusJ2: Double
    /// h1(q1) + h2(q2), the exact single-pair solutions.
    public var singlePairSum: Double
    /// h of the same discretisation without interference.
    public var uncoupledSameNodes: Double
    /// h1 + h2 + (h − h_uncoupled): the interference effect on the exact baseline.
    public var couplingCorrected: Double
    /// (h − J)/J (0 where J = 0).
    public var relativeGap: Double
    /// (h − Σh)/Σh (0 where Σh = 0).
    public var relativeGapToSinglePair: Double
    /// (corrected − J)/J (0 where J = 0).
    public var relativeGapCorrected: Double
  }

  /// The study's result (the JSON of `driftsim fluid two-pair`).
  public struct Report: Sendable, Codable, Equatable {
    /// λ1, λ2.
    public var arrivalRates: [Double]
    /// L11, L22.
    public var directGains: [Double]
    /// L12, L21.
    public var crossGains: [Double]
    /// γ.
    public var gamma: Double
    /// β.
    public var beta: Double
    /// κ.
    public var kappa: Double
    /// N per queue.
    public var truncation: Int
    /// Fading nodes in the product rule.
    public var fadingNodes: Int
    /// δ (packets).
    public var actionStep: Double
    /// Span tolerance.
    public var tolerance: Double
    /// θ of the coupled model.
    public var theta: Double
    /// Span bounds of θ.
    public var thetaBounds: [Double]
    /// θ1 + θ2 of the exact single-pair models.
    public var singlePairThetaSum: Double
    /// θ of the same discretisation without interference.
    public var uncoupledSameNodesTheta: Double
    /// θ1 + θ2 + θ − θ_uncoupled.
    public var couplingCorrectedTheta: Double
    /// c∞1 + c∞2.
    public var cInfSum: Double
    /// Sweeps of the coupled solve.
    public var iterations: Int
    /// Whether the coupled solve met the tolerance.
    public var converged: Bool
    /// Whether the uncoupled control met the tolerance.
    public var uncoupledConverged: Bool
    /// Sweeps of the uncoupled control.
    public var uncoupledIterations: Int
    /// Wall-clock seconds of the coupled solve.
    public var wallSeconds: Double
    /// Wall-clock seconds of the uncoupled control.
    public var uncoupledWallSeconds: Double
    /// States (q, 0) on the grid.
    public var alongQ1Axis: [Point]
    /// States (q, q) on the grid.
    public var diagonal: [Point]
  }

  /// The queues tabulated: a fixed grid up to 2N/3 (far enough from the truncation edge).
  public static func grid(truncation n: Int) -> [Int] {
    [0, 1, 2, 5, 10, 15, 20, 30, 40, 60, 80, 100].filter { $0 <= n * 2 / 3 }
  }

  /// Runs the study.
  /// - Parameter progress: called with a line per solve and every 10 sweeps.
  /// - Throws: `FluidValidationError` for parameters or settings outside the documented ranges
  ///   or a failed solve; `FluidValueFunction.ParameterError` for parameters J cannot be computed for.
  public static func run(parameters p: Parameters, configuration c: Configuration, progress: @escaping (String) -> Void = { _ in }) throws -> Report {
    guard p.arrivalRates.count == 2, p.directGains.count == 2, p.crossGains.count == 2 else {
      throw FluidValidationError("two-pair study: needs two arrival rates, direct gains and cross gains")
    }
    guard p.arrivalRates.allSatisfy({ $0 > 0 }) else {
      throw FluidValidationError("two-pair study: pairs 0 and 1 need arrivalRate > 0, got \(p.arrivalRates)")
    }
    let n = c.truncation
    // Build the coupled model first: it checks N, the nodes and δ before any long solve.
    let mdp = try TwoPairMDP(
      arrivalRates: p.arrivalRates, beta: p.beta, gamma: p.gamma, directGains: p.directGains, crossGains: p.crossGains, kappa: p.kappa,
      truncation: n, fadingNodes: (c.directNodes, c.crossNodes), step: c.actionStep)
    let fluids = try (0..<2).map {
      try FluidValueFunction(arrivalRate: p.arrivalRates[$0], beta: p.beta, gamma: p.gamma, directGain: p.directGains[$0], kappa: p.kappa)
    }
    do {
      let solver = BrentRootFinder()
      let jValues = try fluids.map { f in try (0...n).map { try f.value(atQueue: Double($0), solver: solver) } }
      // Exact single-pair solutions (closed-form fading expectation) with the same N.
      let singles = try (0..<2).map { i in
        try SinglePairMDP(
          arrivalRate: p.arrivalRates[i], beta: p.beta, gamma: p.gamma, directGain: p.directGains[i], kappa: p.kappa, truncation: n
        ).solve(options: c.options)
      }
      var initial = [Double](repeating: 0, count: (n + 1) * (n + 1))
      for q1 in 0...n {
        for q2 in 0...n { initial[mdp.index(q1, q2)] = singles[0].h[q1] + singles[1].h[q2] }
      }
      progress(
        "two-pair value iteration: N = \(n) per queue, \(mdp.nodes.count) fading nodes, L12 = \(p.crossGains[0]), L21 = \(p.crossGains[1]), γ = \(p.gamma)"
      )
      let sweepLine: (Int, Double) -> Void = { sweep, span in progress(String(format: "  sweep %d: span(Th − h) = %.3e", sweep, span)) }
      let solution = try mdp.solve(options: c.options, initial: initial, progress: sweepLine)
      // The same discretisation without interference: its difference from the exact single-pair sum
      // is the fading-quadrature and action-grid error, which largely cancels in h − h_uncoupled.
      let uncoupledMDP = try TwoPairMDP(
        arrivalRates: p.arrivalRates, beta: p.beta, gamma: p.gamma, directGains: p.directGains, crossGains: [0, 0], kappa: p.kappa,
        truncation: n, fadingNodes: (c.directNodes, c.crossNodes), step: c.actionStep)
      progress("two-pair value iteration without interference (same nodes): \(uncoupledMDP.nodes.count) fading nodes")
      let uncoupled = try uncoupledMDP.solve(options: c.options, initial: initial)
      func point(_ q1: Int, _ q2: Int) -> Point {
        let h = solution.h[mdp.index(q1, q2)]
        let j = jValues[0][q1] + jValues[1][q2]
        let single = singles[0].h[q1] + singles[1].h[q2]
        let free = uncoupled.h[mdp.index(q1, q2)]
        let corrected = single + (h - free)
        return Point(
          q1: q1, q2: q2, h: h, J1PlusJ2: j, singlePairSum: single, uncoupledSameNodes: free, couplingCorrected: corrected,
          relativeGap: j == 0 ? 0 : (h - j) / j, relativeGapToSinglePair: single == 0 ? 0 : (h - single) / single,
          relativeGapCorrected: j == 0 ? 0 : (corrected - j) / j)
      }
      let grid = grid(truncation: n)
      let singleSum = singles[0].theta + singles[1].theta
      return Report(
        arrivalRates: p.arrivalRates, directGains: p.directGains, crossGains: p.crossGains, gamma: p.gamma, beta: p.beta, kappa: p.kappa,
        truncation: n, fadingNodes: mdp.nodes.count, actionStep: c.actionStep, tolerance: c.options.relativeTolerance,
        theta: solution.theta, thetaBounds: [solution.thetaBounds.0, solution.thetaBounds.1], singlePairThetaSum: singleSum,
        uncoupledSameNodesTheta: uncoupled.theta, couplingCorrectedTheta: singleSum + solution.theta - uncoupled.theta,
        cInfSum: fluids[0].cInf + fluids[1].cInf, iterations: solution.iterations, converged: solution.converged,
        uncoupledConverged: uncoupled.converged, uncoupledIterations: uncoupled.iterations, wallSeconds: solution.wallSeconds,
        uncoupledWallSeconds: uncoupled.wallSeconds, alongQ1Axis: grid.map { point($0, 0) }, diagonal: grid.map { point($0, $0) })
    } catch let error as FluidValidationError {
      throw error
    } catch {
      throw FluidValidationError("two-pair value iteration (N = \(n)): \(error)")
    }
  }
}
