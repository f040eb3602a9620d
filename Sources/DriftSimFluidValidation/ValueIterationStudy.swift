import DriftSimInterference
import DriftSimNumerics
import Foundation

/// The single-pair parameters of a value-iteration study: λ (packets/epoch), β, γ, L and κ
/// (packets per epoch per nat), with the truncation N (packets) and the span tolerance.
public struct ValueIterationModel: Sendable, Codable, Equatable {
  /// λ, packets per epoch.
  public var arrivalRate: Double
  /// β, cost per epoch of delay.
  public var beta: Double
  /// γ, cost per unit power.
  public var gamma: Double
  /// L_kk, the direct path gain.
  public var directGain: Double
  /// κ = bandwidth · epoch / (packet bits · ln 2), packets per epoch per nat.
  public var kappa: Double
  /// N, the largest queue (packets).
  public var truncation: Int
  /// The relative span tolerance of value iteration.
  public var tolerance: Double?

  /// Creates the parameters.
  public init(arrivalRate: Double, beta: Double, gamma: Double, directGain: Double, kappa: Double, truncation: Int, tolerance: Double? = nil) {
    self.arrivalRate = arrivalRate
    self.beta = beta
    self.gamma = gamma
    self.directGain = directGain
    self.kappa = kappa
    self.truncation = truncation
    self.tolerance = tolerance
  }
}

/// The K = 1 study of `driftsim fluid value-iteration` (paper Fig. 5): the relative value h(Q) of
/// the exact discrete-time queue against the fluid value function J(Q), the largest relative gap
/// on a range of queues, and h from a second truncation to show the range is unbiased.
public enum ValueIterationStudy {
  /// What to compute.
  public struct Configuration: Sendable {
    /// N, packets (1…`SinglePairMDP.maximumTruncation`).
    public var truncation: Int
    /// A second N (> truncation) whose h is compared on `range`; nil skips the check.
    public var checkTruncation: Int?
    /// Queues (packets, 0…N) to tabulate.
    public var queues: [Int]
    /// lo…hi (packets, 1 ≤ lo ≤ hi ≤ N) over which the largest relative gap is reported.
    public var range: ClosedRange<Int>
    /// Span tolerance, sweep cap, threads.
    public var options: ValueIterationOptions

    /// Creates a configuration.
    public init(truncation: Int, checkTruncation: Int?, queues: [Int], range: ClosedRange<Int>, options: ValueIterationOptions) {
      self.truncation = truncation
      self.checkTruncation = checkTruncation
      self.queues = queues
      self.range = range
      self.options = options
    }
  }

  /// One tabulated queue.
  public struct Point: Sendable, Codable, Equatable {
    /// Q, packets.
    public var queue: Int
    /// h(Q) = V(Q) − V(0) (cost units).
    public var h: Double
    /// The fluid value J(Q).
    public var J: Double
    /// J(Q) + βQ/(2λ): J with the half-epoch holding cost of the discrete model.
    public var JHalfHolding: Double
    /// (h − J)/J (0 at Q = 0).
    public var relativeGap: Double
    /// (h − J₂)/J₂ with J₂ = `JHalfHolding` (0 at Q = 0).
    public var relativeGapHalfHolding: Double
    /// h(Q) at the check truncation, when computed.
    public var hCheck: Double?
  }

  /// The largest |gap| on the range and where it occurs.
  public struct Extreme: Sendable, Codable, Equatable {
    /// The signed gap of largest magnitude.
    public var value: Double
    /// Where (packets).
    public var atQueue: Int
    /// The range [lo, hi] searched (packets).
    public var range: [Int]
  }

  /// The second-truncation comparison.
  public struct TruncationCheck: Sendable, Codable, Equatable {
    /// The second N (packets).
    public var truncation: Int
    /// θ at that N.
    public var theta: Double
    /// Sweeps used.
    public var iterations: Int
    /// Whether it met the tolerance.
    public var converged: Bool
    /// max |h_check − h| / |h| on the range.
    public var maxRelativeDifference: Double
    /// The range [lo, hi] (packets).
    public var range: [Int]
  }

  /// The study's result (the JSON of `driftsim fluid value-iteration`).
  public struct Report: Sendable, Codable, Equatable {
    /// The parameters.
    public var model: ValueIterationModel
    /// θ, the optimal average cost per epoch.
    public var theta: Double
    /// The span bounds [min, max] of T h − h at the last sweep, which bracket θ.
    public var thetaBounds: [Double]
    /// c∞, the fluid's average cost rate.
    public var cInf: Double
    /// Sweeps used.
    public var iterations: Int
    /// Whether the span tolerance was met.
    public var converged: Bool
    /// States that needed quadrature at the last sweep.
    public var quadratureStates: Int
    /// Wall-clock seconds of the main solve.
    public var wallSeconds: Double
    /// The tabulated queues.
    public var points: [Point]
    /// Largest |h − J|/J on the range.
    public var maxRelativeGap: Extreme
    /// Largest |h − J₂|/J₂ on the range.
    public var maxRelativeGapHalfHolding: Extreme
    /// The second truncation's comparison, when requested.
    public var truncationCheck: TruncationCheck?
  }

  /// The report with the full curves h(Q) and J(Q), Q = 0…N, for plots.
  public struct Outcome: Sendable {
    /// The report.
    public var report: Report
    /// h(Q), Q = 0…N.
    public var h: [Double]
    /// J(Q), Q = 0…N.
    public var fluidValue: [Double]
  }

  /// Runs the study.
  /// - Parameters:
  ///   - model: the pair's parameters (`truncation` and `tolerance` are taken from `configuration`).
  ///   - progress: called with a line per solve and every 100 sweeps.
  /// - Throws: `FluidValidationError` for a configuration outside the rules above or a solve
  ///   that fails; `FluidValueFunction.ParameterError` for parameters J cannot be computed for.
  public static func run(
    arrivalRate: Double, beta: Double, gamma: Double, directGain: Double, kappa: Double, configuration c: Configuration,
    progress: @escaping (String) -> Void = { _ in }
  ) throws -> Outcome {
    let n = c.truncation
    guard (1...SinglePairMDP.maximumTruncation).contains(n) else {
      throw FluidValidationError("value iteration: truncation N must be in 1…\(SinglePairMDP.maximumTruncation) packets, got \(n)")
    }
    if let check = c.checkTruncation, !(check > n && check <= SinglePairMDP.maximumTruncation) {
      throw FluidValidationError(
        "value iteration: the check truncation must exceed N = \(n) and be at most \(SinglePairMDP.maximumTruncation), got \(check)")
    }
    guard c.range.lowerBound >= 1, c.range.upperBound <= n else {
      throw FluidValidationError("value iteration: the gap range \(c.range.lowerBound),\(c.range.upperBound) must lie in 1…N = \(n) packets")
    }
    if let q = c.queues.first(where: { !(0...n).contains($0) }) {
      throw FluidValidationError("value iteration: queue \(q) is outside 0…N = \(n) packets (raise the truncation or drop it)")
    }
    let fluid = try FluidValueFunction(arrivalRate: arrivalRate, beta: beta, gamma: gamma, directGain: directGain, kappa: kappa)
    func solve(_ truncation: Int) throws -> SinglePairSolution {
      let mdp = try SinglePairMDP(
        arrivalRate: arrivalRate, beta: beta, gamma: gamma, directGain: directGain, kappa: kappa, truncation: truncation)
      progress("value iteration: N = \(truncation), λ = \(arrivalRate), γ = \(gamma), κ = \(String(format: "%.6g", kappa))")
      do {
        return try mdp.solve(options: c.options) { sweep, span in progress(String(format: "  sweep %d: span(Th − h) = %.3e", sweep, span)) }
      } catch let error as FluidValidationError {
        throw error
      } catch {
        throw FluidValidationError("value iteration (N = \(truncation)): \(error)")
      }
    }
    let main = try solve(n)
    let check = try c.checkTruncation.map { try solve($0) }
    let solver = BrentRootFinder()
    let jValues: [Double]
    do {
      jValues = try (0...n).map { try fluid.value(atQueue: Double($0), solver: solver) }
    } catch {
      throw FluidValidationError("fluid value function J(Q), Q = 0…\(n): \(error)")
    }
    if let q = jValues.firstIndex(where: { !$0.isFinite }) {
      throw FluidValidationError("fluid value function: J(\(q)) is not finite for λ = \(arrivalRate), β = \(beta), γ = \(gamma)")
    }
    func half(_ q: Int) -> Double { jValues[q] + beta * Double(q) / (2 * arrivalRate) }
    let range = [c.range.lowerBound, c.range.upperBound]
    var worst = Extreme(value: 0, atQueue: range[0], range: range)
    var worstHalf = Extreme(value: 0, atQueue: range[0], range: range)
    var worstTruncation = 0.0
    for q in c.range {
      let gap = (main.h[q] - jValues[q]) / jValues[q]
      if abs(gap) > abs(worst.value) { worst = Extreme(value: gap, atQueue: q, range: range) }
      let gapHalf = (main.h[q] - half(q)) / half(q)
      if abs(gapHalf) > abs(worstHalf.value) { worstHalf = Extreme(value: gapHalf, atQueue: q, range: range) }
      if let check { worstTruncation = max(worstTruncation, abs(check.h[q] - main.h[q]) / abs(main.h[q])) }
    }
    let points = c.queues.map { q in
      Point(
        queue: q, h: main.h[q], J: jValues[q], JHalfHolding: half(q), relativeGap: q == 0 ? 0 : (main.h[q] - jValues[q]) / jValues[q],
        relativeGapHalfHolding: q == 0 ? 0 : (main.h[q] - half(q)) / half(q), hCheck: check?.h[q])
    }
    let report = Report(
      model: ValueIterationModel(
        arrivalRate: arrivalRate, beta: beta, gamma: gamma, directGain: directGain, kappa: kappa, truncation: n,
        tolerance: c.options.relativeTolerance),
      theta: main.theta, thetaBounds: [main.thetaBounds.lower, main.thetaBounds.upper], cInf: fluid.cInf, iterations: main.iterations,
      converged: main.converged, quadratureStates: main.quadratureStates, wallSeconds: main.wallSeconds, points: points,
      maxRelativeGap: worst, maxRelativeGapHalfHolding: worstHalf,
      truncationCheck: zip(c.checkTruncation, check).map { truncation, solution in
        TruncationCheck(
          truncation: truncation, theta: solution.theta, iterations: solution.iterations, converged: solution.converged,
          maxRelativeDifference: worstTruncation, range: range)
      })
    return Outcome(report: report, h: main.h, fluidValue: jValues)
  }
}

/// `Optional` pairs: both values or nil.
private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
  guard let a, let b else { return nil }
  return (a, b)
}
