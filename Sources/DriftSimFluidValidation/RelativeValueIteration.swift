import DriftSimSupport
import Dispatch
import Foundation
import DriftSimInterference
import DriftSimNumerics

/// Which action a value-iteration run uses each epoch.
public enum MDPPolicy: Sendable, Equatable {
  /// Minimise the Bellman right-hand side (the optimal average cost θ).
  case optimal
  /// The fluid policy: water-filling at level J'(Q) κ/γ, J the per-flow fluid value function
  /// (relative value iteration then evaluates this fixed policy).
  case fluid
}

/// Stopping rule and start of relative value iteration.
public struct ValueIterationOptions: Sendable {
  /// Stop when span(T h − h) ≤ relativeTolerance · max|h| (model.md suggests 1e-13).
  public var relativeTolerance: Double
  /// Give up (converged = false) after this many sweeps.
  public var maxIterations: Int
  /// Threads for the per-state loop (≥ 1).
  public var jobs: Int
  /// Creates options.
  public init(relativeTolerance: Double = 1e-13, maxIterations: Int = 200_000, jobs: Int = 1) {
    self.relativeTolerance = relativeTolerance
    self.maxIterations = maxIterations
    self.jobs = jobs
  }
}

/// The outcome of relative value iteration on `SinglePairMDP`.
public struct SinglePairSolution: Sendable {
  /// θ, the average cost per epoch (the value of T h − h at Q = 0 at the last sweep).
  public var theta: Double
  /// min and max over Q of (T h − h)(Q) at the last sweep: θ lies between them.
  public var thetaBounds: (lower: Double, upper: Double)
  /// h(Q) = V(Q) − V(0), Q = 0…N.
  public var h: [Double]
  /// Sweeps done.
  public var iterations: Int
  /// Whether the span tolerance was met.
  public var converged: Bool
  /// States whose g-expectation needed quadrature at the last sweep (non-convex W̃ near N).
  public var quadratureStates: Int
  /// Wall-clock seconds.
  public var wallSeconds: Double
}

extension SinglePairMDP {
  /// One Bellman sweep: (T h)(Q) = β Q/λ + E_g min_s[…] (or the fluid action's cost) for Q = 0…N.
  /// - Parameters:
  ///   - h: the current relative values.
  ///   - policy: optimal or fluid.
  ///   - levels: J'(Q) for Q = 0…N (fluid policy only).
  ///   - jobs: threads.
  /// - Returns: T h and the number of states that needed quadrature.
  /// - Throws: a quadrature failure.
  public func bellman(_ h: [Double], policy: MDPPolicy, levels: [Double] = [], jobs: Int = 1) throws -> (values: [Double], quadratureStates: Int) {
    let w = continuation(h)
    // Each state's value depends only on w, so the sweep is the same on any number of threads.
    let states = try parallelMap(count: truncation + 1, jobs: min(jobs, 8)) { q -> (value: Double, quadrature: Int) in
      switch policy {
      case .optimal:
        let (value, closed) = try optimalExpectation(queue: q, w: w)
        return (holdingCost(q) + value, closed ? 0 : 1)
      case .fluid:
        return (holdingCost(q) + waterFillingExpectation(queue: q, level: levels[q], w: w), 0)
      }
    }
    return (states.map(\.value), states.reduce(0) { $0 + $1.quadrature })
  }

  /// J'(Q) for Q = 0…N from the fluid value function with this model's parameters.
  public func fluidLevels(_ fluid: FluidValueFunction) throws -> [Double] {
    let solver = BrentRootFinder()
    var levels: [Double] = []
    var hint: (queue: Double, slope: Double)? = nil
    for q in 0...truncation {
      let y = try fluid.slope(atQueue: Double(q), hint: hint, solver: solver)
      levels.append(y)
      hint = (Double(q), y)
    }
    return levels
  }

  /// The fluid value function with this model's λ, β, γ, L, κ.
  public func fluidValueFunction() throws -> FluidValueFunction {
    try FluidValueFunction(arrivalRate: arrivalRate, beta: beta, gamma: gamma, directGain: directGain, kappa: kappa)
  }

  /// Relative value iteration h ← T h − (T h)(0) from `initial` (J by default) until
  /// span(T h − h) ≤ relativeTolerance · max|h|.
  /// - Parameters:
  ///   - policy: optimal (θ) or the fluid policy's own average cost.
  ///   - options: tolerance, iteration cap, threads.
  ///   - initial: starting h (N + 1 values); nil starts from J(Q) + β Q/(2λ).
  ///   - progress: called every 100 sweeps with (sweep, span).
  /// - Throws: `FluidValidationError` for a bad `initial`, numerical failures.
  public func solve(
    policy: MDPPolicy = .optimal, options: ValueIterationOptions = ValueIterationOptions(), initial: [Double]? = nil,
    progress: ((Int, Double) -> Void)? = nil
  ) throws -> SinglePairSolution {
    let start = DispatchTime.now()
    let fluid = try fluidValueFunction()
    let levels = policy == .fluid ? try fluidLevels(fluid) : []
    var h: [Double]
    if let initial {
      guard initial.count == truncation + 1 else {
        throw FluidValidationError("value iteration: initial h has \(initial.count) values, expected N + 1 = \(truncation + 1)")
      }
      h = initial
    } else {
      let solver = BrentRootFinder()
      h = try (0...truncation).map { q in
        try fluid.value(atQueue: Double(q), solver: solver) + beta * Double(q) / (2 * arrivalRate)
      }
    }
    var iterations = 0
    var converged = false
    var bounds = (lower: Double.nan, upper: Double.nan)
    var theta = Double.nan
    var quadrature = 0
    while iterations < options.maxIterations {
      let (t, quad) = try bellman(h, policy: policy, levels: levels, jobs: options.jobs)
      quadrature = quad
      iterations += 1
      var lower = Double.infinity, upper = -Double.infinity, largest = 0.0
      var next = [Double](repeating: 0, count: t.count)
      for q in 0..<t.count {
        let difference = t[q] - h[q]
        lower = min(lower, difference)
        upper = max(upper, difference)
        next[q] = t[q] - t[0]
        largest = max(largest, abs(next[q]))
      }
      guard lower.isFinite, upper.isFinite else {
        throw FluidValidationError("value iteration: non-finite values at sweep \(iterations)")
      }
      theta = t[0]
      bounds = (lower, upper)
      h = next
      let span = upper - lower
      if iterations % 100 == 0 { progress?(iterations, span) }
      if span <= options.relativeTolerance * max(largest, 1e-300) {
        converged = true
        break
      }
    }
    let wall = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) * 1e-9
    return SinglePairSolution(
      theta: theta, thetaBounds: bounds, h: h, iterations: iterations, converged: converged, quadratureStates: quadrature,
      wallSeconds: wall)
  }
}

/// Collects the first error thrown on any thread. Only `FluidDrain.swift` still uses it (the
/// value-iteration sweeps use `parallelMap`); its lock makes the unchecked Sendable sound.
final class LockedError: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: (any Error)?
  func set(_ error: any Error) {
    lock.lock()
    if stored == nil { stored = error }
    lock.unlock()
  }
  var error: (any Error)? {
    lock.lock()
    defer { lock.unlock() }
    return stored
  }
}

/// Moves a value across a concurrency boundary the caller has made safe (disjoint writes). Only
/// `FluidDrain.swift` still uses it.
struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
