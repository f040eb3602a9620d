import Foundation
import DriftSimInterference
import DriftSimNumerics

/// How the fixed fading sample set of `CoupledFluidModel` is drawn.
public enum FadingSampling: String, Sendable, Codable, CaseIterable {
  /// M independent draws of the K² gains |H_kj|² ~ Exp(1).
  case monteCarlo = "monte-carlo"
  /// M/2 independent uniform vectors u, each used twice: |H|² = −ln u and −ln(1 − u). The service is
  /// monotone in every gain, so the two halves are negatively correlated and the variance drops
  /// (measured in docs/coupled-fluid.md).
  case antithetic
}

/// The Monte Carlo estimate of the mean service of every pair at one queue vector.
public struct CoupledServiceEstimate: Sendable, Codable, Equatable {
  /// E_g[r_k] estimated over the fixed sample set, packets per epoch, one per pair.
  public var meanService: [Double]
  /// Its standard error (sample standard deviation / √M, or over antithetic pairs / √(M/2)),
  /// packets per epoch: the Monte Carlo error of the drift.
  public var standardError: [Double]
  /// The standard error of the mean over pairs of the service, (1/K) Σ_k r_k (packets per epoch):
  /// the Monte Carlo error of the drift of the mean queue (smaller than the per-pair errors / √K
  /// when the pairs' rates are negatively correlated through interference).
  public var meanOverPairsStandardError: Double
  /// Fraction of samples in which Algorithm 3 stopped at its iteration cap.
  public var nonConvergedFraction: Double
  /// Mean Algorithm 3 iterations per sample.
  public var meanIterations: Double
}

/// A coupled fluid trajectory on an output grid.
public struct CoupledFluidTrajectory: Sendable, Codable {
  /// Output times (epochs).
  public var times: [Double]
  /// queues[i][k]: q_k(times[i]) in packets.
  public var queues: [[Double]]
  /// Evaluations of the drift (each one Algorithm 3 run per sample).
  public var driftEvaluations: Int

  /// The mean over pairs at each output time (packets).
  public var meanQueue: [Double] { queues.map { $0.reduce(0, +) / Double(max($0.count, 1)) } }
}

/// The coupled fluid (VCTS) model of the K-pair network (docs/coupled-fluid.md):
///
///   dq_k/dt = λ_k − E_g[ r_k(p*(g; w(q)), q) ],   packets per epoch,
///
/// where p*(g; w) is the per-slot allocation of the policy (Algorithm 3 with the scenario's schedule,
/// tolerance and iteration cap, or TDMA) for the K × K fading draw g = L_kj |H_kj|² and the weights
/// w_k(q_k) (fluid: J'_k(q_k); CSI-only: 1; QWTO: q_k), and r_k = min(κ ln(1 + SINR_k), N q_k) is
/// the service per epoch with the slot cap at the queue (a slot of 1/N epoch serves at most the
/// q_k packets present, and Algorithm 3 caps the power at p_up accordingly).
///
/// The expectation over the K² Rayleigh gains is replaced by an average over a FIXED set of M
/// samples drawn once (common random numbers for every q and every t), so the drift is a
/// deterministic, piecewise-smooth function of q and an adaptive Runge–Kutta integrator applies.
/// At q_k = 0 the cap makes the service 0 and the drift λ_k > 0: the boundary repels and the
/// queue never crosses 0 (it settles where the capped service equals λ_k), so no event handling is
/// needed beyond evaluating the drift at max(q, 0).
public struct CoupledFluidModel: Sendable {
  /// K.
  public let pairs: Int
  /// λ_k, packets per epoch.
  public let arrivalRates: [Double]
  /// Path gains L_kj, row-major K × K (diagonal L_kk).
  public let pathGains: [Double]
  /// κ, packets per epoch per nat.
  public let kappa: Double
  /// γ.
  public let gamma: Double
  /// N, slots per epoch (sets the per-slot cap N q_k).
  public let slotsPerEpoch: Int
  /// The power policy.
  public let policy: PolicyName
  /// Algorithm 3 schedule.
  public let update: PowerUpdate
  /// Algorithm 3 stopping tolerance.
  public let tolerance: Double
  /// Algorithm 3 iteration cap.
  public let maxIterations: Int
  /// M, the number of fading samples.
  public let samples: Int
  /// How they were drawn.
  public let sampling: FadingSampling
  /// Per-pair fluid value functions (fluid policy only).
  public let valueFunctions: [FluidValueFunction]
  /// M × K × K gains g_kj = L_kj |H_kj|² (sample-major, then row-major).
  let gains: [Double]

  /// Creates the model of a validated scenario.
  /// - Parameters:
  ///   - scenario: the network (pairs, λ, L, κ, N, γ, powerUpdate, tolerance, maxIterations).
  ///   - policy: the policy whose per-slot allocation drives the drift (nil: the scenario's).
  ///   - samples: M ≥ 2 (even for antithetic).
  ///   - sampling: Monte Carlo or antithetic.
  ///   - seed: seed of the fading sample set (stream 7 of that seed).
  /// - Throws: `FluidValidationError` for bad sizes, `FluidValueFunction.ParameterError`.
  public init(scenario: Scenario, policy: PolicyName? = nil, samples: Int, sampling: FadingSampling = .monteCarlo, seed: UInt64) throws {
    guard samples >= 2, samples <= 1_000_000 else {
      throw FluidValidationError("coupled fluid: the number of fading samples must be in 2…1000000, got \(samples)")
    }
    guard sampling != .antithetic || samples % 2 == 0 else {
      throw FluidValidationError("coupled fluid: antithetic sampling needs an even number of fading samples, got \(samples)")
    }
    let k = scenario.pairs
    guard let lambdas = scenario.arrivalRate.resolved(pairs: k), let direct = scenario.directGain.resolved(pairs: k) else {
      throw FluidValidationError("coupled fluid: arrivalRate and directGain need \(k) values")
    }
    let parameters = NetworkParameters(scenario, gamma: scenario.gamma)
    var path = parameters.crossGain
    for i in 0..<k { path[i * k + i] = direct[i] }
    pairs = k
    arrivalRates = lambdas
    pathGains = path
    kappa = scenario.kappa
    gamma = scenario.gamma
    slotsPerEpoch = scenario.slotsPerEpoch
    self.policy = policy ?? scenario.policy
    switch self.policy {
    case .fluid, .fluidCorrected, .csiOnly, .qwto, .tdma: break
    case .vi, .viDelay, .table:
      throw FluidValidationError(
        "coupled fluid: policy '\(self.policy.rawValue)' has no weight as a function of the fluid queue here; use fluid, fluid-corrected, csi-only, qwto or tdma")
    }
    update = scenario.powerUpdate
    tolerance = scenario.tolerance
    maxIterations = scenario.maxIterations
    self.samples = samples
    self.sampling = sampling
    valueFunctions =
      self.policy == .fluid || self.policy == .fluidCorrected
      ? try (0..<k).map {
        try FluidValueFunction(arrivalRate: max(lambdas[$0], 1e-12), beta: scenario.beta, gamma: scenario.gamma, directGain: direct[$0], kappa: scenario.kappa)
      } : []
    var stream = RandomStream(seed: seed, stream: StreamID(7, 0))
    var g = [Double](repeating: 0, count: samples * k * k)
    let perSample = k * k
    switch sampling {
    case .monteCarlo:
      for s in 0..<samples {
        for e in 0..<perSample { g[s * perSample + e] = path[e] * stream.exponential(mean: 1) }
      }
    case .antithetic:
      for s in stride(from: 0, to: samples, by: 2) {
        for e in 0..<perSample {
          let u = stream.uniformOpen()
          g[s * perSample + e] = path[e] * -Foundation.log(u)
          g[(s + 1) * perSample + e] = path[e] * -Foundation.log1p(-u)
        }
      }
    }
    gains = g
  }

  /// The policy weight w_k at queue q_k ≥ 0 (packets).
  /// - Throws: `NumericsError` if J' cannot be found.
  public func weight(pair: Int, queue: Double) throws -> Double {
    switch policy {
    case .fluid:
      let solver = BrentRootFinder()
      return try valueFunctions[pair].slope(atQueue: max(queue, 0), solver: solver)
    case .fluidCorrected:
      // J'(Q) + β/(2λ), as the packet-level policy (the holding cost of an epoch start).
      let function = valueFunctions[pair]
      return try function.slope(atQueue: max(queue, 0), solver: BrentRootFinder()) + function.beta / (2 * function.arrivalRate)
    case .vi, .viDelay, .table: return 1  // refused by init
    case .csiOnly, .tdma: return 1
    case .qwto: return max(queue, 0)
    }
  }

  /// E_g[r_k] over the fixed samples at queue vector q (packets), with its standard error.
  /// - Throws: `FluidValidationError` for a wrong length or non-finite queue, `NumericsError`.
  public func service(atQueues q: [Double]) throws -> CoupledServiceEstimate {
    let allocator = PowerAllocator(pairs: pairs)
    return try service(atQueues: q, allocator: allocator)
  }

  func service(atQueues q: [Double], allocator: PowerAllocator) throws -> CoupledServiceEstimate {
    guard q.count == pairs, q.allSatisfy(\.isFinite) else {
      throw FluidValidationError("coupled fluid: the queue vector must have \(pairs) finite values, got \(q)")
    }
    let k = pairs
    let queue = q.map { max($0, 0) }
    let weights = try (0..<k).map { try weight(pair: $0, queue: queue[$0]) }
    // Slot cap in "bits" with S̄ = 1: a slot carries (κ ln 2 / N) per unit of log2(1 + SINR), so
    // p_up = (e^(q N/κ) − 1)(1 + I)/g, the power that serves exactly q packets in the slot.
    let bitsPerLog2 = kappa * M_LN2 / Double(slotsPerEpoch)
    let capRate = queue.map { $0 * Double(slotsPerEpoch) }
    let interferenceFree = (0..<k).allSatisfy { i in (0..<k).allSatisfy { j in i == j || pathGains[i * k + j] == 0 } }
    var sum = [Double](repeating: 0, count: k), sumSquares = [Double](repeating: 0, count: k)
    var previous = [Double](repeating: 0, count: k)
    var pooled = 0.0, pooledSquares = 0.0, pooledPrevious = 0.0
    var iterations = 0, nonConverged = 0
    let perSample = k * k
    try gains.withUnsafeBufferPointer { all in
      try weights.withUnsafeBufferPointer { w in
        try queue.withUnsafeBufferPointer { bits in
          for s in 0..<samples {
            let g = UnsafeBufferPointer(rebasing: all[(s * perSample)..<((s + 1) * perSample)])
            if policy == .tdma {
              allocator.orthogonal(gains: g, bits: bits, kappa: kappa, gamma: gamma, bitsPerLog2: bitsPerLog2)
              iterations += 1
            } else {
              let outcome = allocator.waterFill(
                gains: g, weights: w, bits: bits, kappa: kappa, gamma: gamma, bitsPerLog2: bitsPerLog2, tolerance: tolerance,
                maxIterations: maxIterations, update: update, interferenceFree: interferenceFree)
              iterations += outcome.iterations
              if !outcome.converged { nonConverged += 1 }
            }
            let sinr = allocator.sinr
            var total = 0.0
            for i in 0..<k {
              let rate = min(kappa * Foundation.log1p(sinr[i]), capRate[i])
              total += rate
              guard rate.isFinite else {
                throw FluidValidationError("coupled fluid: non-finite service for pair \(i) at queues \(q) (fading sample \(s))")
              }
              if sampling == .antithetic {
                // Pairs of antithetic samples are the independent units of the variance estimate.
                if s % 2 == 0 {
                  previous[i] = rate
                } else {
                  let mean = (previous[i] + rate) / 2
                  sum[i] += mean
                  sumSquares[i] += mean * mean
                }
              } else {
                sum[i] += rate
                sumSquares[i] += rate * rate
              }
            }
            let average = total / Double(k)
            if sampling == .antithetic {
              if s % 2 == 0 {
                pooledPrevious = average
              } else {
                let mean = (pooledPrevious + average) / 2
                pooled += mean
                pooledSquares += mean * mean
              }
            } else {
              pooled += average
              pooledSquares += average * average
            }
          }
        }
      }
    }
    let units = Double(sampling == .antithetic ? samples / 2 : samples)
    let means = sum.map { $0 / units }
    let errors = (0..<k).map { i -> Double in
      let variance = max(sumSquares[i] / units - means[i] * means[i], 0) * units / (units - 1)
      return (variance / units).squareRoot()
    }
    let pooledMean = pooled / units
    let pooledVariance = max(pooledSquares / units - pooledMean * pooledMean, 0) * units / (units - 1)
    return CoupledServiceEstimate(
      meanService: means, standardError: errors, meanOverPairsStandardError: (pooledVariance / units).squareRoot(), nonConvergedFraction: Double(nonConverged) / Double(samples),
      meanIterations: Double(iterations) / Double(samples))
  }

  /// dq/dt at q (packets per epoch).
  public func drift(atQueues q: [Double]) throws -> [Double] {
    let estimate = try service(atQueues: q)
    return (0..<pairs).map { arrivalRates[$0] - estimate.meanService[$0] }
  }

  /// Integrates the coupled ODE from `initialQueues` and samples it at t = 0, step, 2·step, ….
  ///
  /// GSL's embedded Runge–Kutta (`method`, default rkf45) with absolute tolerance
  /// `absoluteTolerance` packets (default 1e-3) and relative 1e-6. The drift is piecewise smooth in
  /// q: each sample's power switches between 0, the water-filling interior and the cap (kinks), and
  /// where Algorithm 3 stops at its cap or picks another equilibrium the sample's rate jumps by
  /// O(rate/M) (small discontinuities). The error estimate rejects steps across them and the step
  /// shrinks until the jump's contribution is below the tolerance; because the samples are fixed,
  /// the right-hand side is the same function at every evaluation and the result is deterministic.
  /// A tight tolerance only buys many tiny steps at every jump, so the default sits far below the
  /// Monte Carlo error but above the jumps (docs/coupled-fluid.md measures both effects).
  /// - Parameters:
  ///   - initialQueues: q(0), packets per pair (≥ 0).
  ///   - horizon: last output time (epochs).
  ///   - step: output spacing (epochs).
  ///   - method: the explicit GSL stepper (implicit ones would need a Jacobian of a rough drift).
  ///   - absoluteTolerance: local error per step, packets (> 0).
  ///   - stop: optional early stop, checked at every output time with the mean queue; the
  ///     trajectory ends at the first output time where it returns true.
  /// - Throws: `FluidValidationError`, `NumericsError` from the integrator (naming the time).
  public func trajectory(
    initialQueues: [Double], horizon: Double, step: Double = 1, method: ODEMethod = .rkf45, absoluteTolerance: Double = 1e-3,
    stop: ((Double, Double) -> Bool)? = nil
  ) throws -> CoupledFluidTrajectory {
    guard initialQueues.count == pairs, initialQueues.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
      throw FluidValidationError("coupled fluid: q(0) must have \(pairs) finite values ≥ 0, got \(initialQueues)")
    }
    guard horizon.isFinite, horizon >= 0, step > 0, step.isFinite else {
      throw FluidValidationError("coupled fluid: horizon must be ≥ 0 and step > 0 (epochs), got \(horizon), \(step)")
    }
    let allocator = PowerAllocator(pairs: pairs)
    var failure: (any Error)? = nil
    var evaluations = 0
    let lambdas = arrivalRates
    let integrator = try ODEIntegrator(
      dimension: pairs, method: method, tolerance: ODETolerance(absolute: absoluteTolerance, relative: 1e-6), initialStep: 0.1
    ) { _, y, dydt in
      evaluations += 1
      do {
        let estimate = try self.service(atQueues: Array(y), allocator: allocator)
        for i in 0..<dydt.count { dydt[i] = lambdas[i] - estimate.meanService[i] }
      } catch {
        if failure == nil { failure = error }
        for i in 0..<dydt.count { dydt[i] = .nan }
      }
    }
    var times: [Double] = [0]
    var queues: [[Double]] = [initialQueues]
    var y = initialQueues
    var t = 0.0
    let meanOf = { (v: [Double]) in v.reduce(0, +) / Double(v.count) }
    if let stop, stop(0, meanOf(y)) {
      return CoupledFluidTrajectory(times: times, queues: queues, driftEvaluations: 0)
    }
    while t + step <= horizon + 1e-9 {
      do { try integrator.integrate(&y, from: t, to: t + step) } catch {
        if let failure { throw failure }
        throw error
      }
      t += step
      for i in 0..<pairs { y[i] = max(y[i], 0) }
      times.append(t)
      queues.append(y)
      if let stop, stop(t, meanOf(y)) { break }
    }
    return CoupledFluidTrajectory(times: times, queues: queues, driftEvaluations: evaluations)
  }
}
