import Foundation
import DriftSimSupport
import DriftSimInterference
import DriftSimNumerics
import DriftSimStats

/// The fluid (VCTS) drain of one pair under the fluid policy (model.md, per-flow fluid model):
///
///   dq/dt = λ − κ E[ln(1 + p* L g)] = λ − κ E1(z(q)),  z(q) = γ / (κ L J'(q)) = 1/(a J'(q)),
///
/// with p* = (J'(q) κ/γ − 1/(L g))⁺ and g ~ Exp(1). At q = 0, J'(0) = v and κ E1(z0) = λ, so the
/// drift vanishes there; near 0 it behaves like −c √q, so the queue empties in finite time and stays
/// at 0. Time in epochs, q in packets.
public struct FluidDrainModel {
  /// The per-flow fluid value function that sets the water level.
  public let fluid: FluidValueFunction
  private let solver = BrentRootFinder()

  /// Creates the drain model of a pair.
  public init(fluid: FluidValueFunction) { self.fluid = fluid }

  /// Mean service κ E1(1/(a J'(q))) in packets per epoch at queue q ≥ 0 under the fluid policy.
  /// - Throws: `NumericsError` if J'(q) cannot be found.
  public func service(atQueue q: Double) throws -> Double {
    let y = try fluid.slope(atQueue: max(q, 0), solver: solver)
    return fluid.kappa * (try expintE1(1 / (fluid.a * y)))
  }

  /// dq/dt at q (0 for q ≤ 0).
  public func drift(atQueue q: Double) throws -> Double {
    q <= 0 ? 0 : fluid.arrivalRate - (try service(atQueue: q))
  }

  /// q(t) at t = 0, step, 2·step, … up to `horizon` epochs (clamped at 0 once empty), integrated with
  /// GSL's rk8pd (relative and absolute tolerance 1e-10 packets).
  /// - Parameters:
  ///   - initialQueue: Q(0) in packets (> 0).
  ///   - horizon: last time in epochs.
  ///   - step: output spacing in epochs.
  /// - Returns: the times and the queue at each.
  /// - Throws: `NumericsError` from the integrator or the slope inversion.
  public func trajectory(initialQueue: Double, horizon: Double, step: Double = 1) throws -> (times: [Double], queue: [Double]) {
    var failure: (any Error)? = nil
    let integrator = try ODEIntegrator(dimension: 1, method: .rk8pd, tolerance: ODETolerance(absolute: 1e-10, relative: 1e-10), initialStep: 1e-3) {
      _, y, dydt in
      do { dydt[0] = try self.drift(atQueue: y[0]) } catch {
        failure = error
        dydt[0] = .nan
      }
    }
    var times: [Double] = [0]
    var queue: [Double] = [initialQueue]
    var y = [initialQueue]
    var t = 0.0
    while t + step <= horizon + 1e-9 {
      if y[0] > 0 {
        do { try integrator.integrate(&y, from: t, to: t + step) } catch {
          if let failure { throw failure }
          throw error
        }
      }
      t += step
      times.append(t)
      queue.append(max(y[0], 0))
    }
    return (times, queue)
  }

  /// The time (epochs) at which the fluid queue empties from Q(0), by quadrature of
  /// ∫_0^{Q(0)} dq / (κ E1(z(q)) − λ) (an independent check of `trajectory`).
  public func drainTime(initialQueue: Double) throws -> Double {
    try integrate(from: 0, to: initialQueue, relativeTolerance: 1e-10) { q in
      (try? 1 / (self.service(atQueue: q) - self.fluid.arrivalRate)) ?? .nan
    }.value
  }
}

/// Per-epoch queue samples of one replication (a `NetworkRecorder` receiving epoch records).
final class EpochQueueRecorder: NetworkRecorder {
  let recordsPackets = false
  let recordsEpochs = true
  let recordsSlots: Bool
  let stopRequested = false
  let epochSeconds: Double
  let meanPacketBits: Double
  let pairs: Int
  /// queue[epoch][pair] in packets at the epoch start.
  var queue: [[Double]] = []
  /// power[epoch][pair]: Σ power over the epoch's slots (noise units · slots).
  var powerSum: [[Double]] = []
  var slotsSeen: [Int] = []

  init(pairs: Int, epochSeconds: Double, meanPacketBits: Double, recordSlots: Bool) {
    self.pairs = pairs
    self.epochSeconds = epochSeconds
    self.meanPacketBits = meanPacketBits
    recordsSlots = recordSlots
  }

  private func epochIndex(_ time: Double) -> Int { Int((time / epochSeconds + 1e-6).rounded(.down)) }

  private func ensure(_ epoch: Int) {
    while queue.count <= epoch {
      queue.append([Double](repeating: 0, count: pairs))
      powerSum.append([Double](repeating: 0, count: pairs))
      slotsSeen.append(0)
    }
  }

  func packetArrived(pair: Int, packetID: UInt64, time: Double, bits: Double) {}
  func packetDeparted(pair: Int, packetID: UInt64, time: Double, delay: Double) {}
  func epochStarted(pair: Int, time: Double, queueBits: Double, weight: Double) {
    let epoch = epochIndex(time)
    ensure(epoch)
    queue[epoch][pair] = queueBits / meanPacketBits
  }
  func slotServed(pair: Int, time: Double, power: Double, sinr: Double, bitsServed: Double) {
    let epoch = epochIndex(time)
    ensure(epoch)
    powerSum[epoch][pair] += power
    if pair == 0 { slotsSeen[epoch] += 1 }
  }
}

/// Runs `replications` packet-level replications of `scenario` at `gamma`, one recorder each, on up
/// to `jobs` threads (replication r uses `replicationSeed(base: scenario.seed, point: point, replication: r)`),
/// in replication order whatever the thread count.
func runRecorded(
  _ scenario: Scenario, gamma: Double, replications: Int, point: Int, jobs: Int, recordSlots: Bool
) throws -> [EpochQueueRecorder] {
  try parallelMap(count: replications, jobs: jobs) { r in
    let recorder = EpochQueueRecorder(
      pairs: scenario.pairs, epochSeconds: scenario.epochSeconds, meanPacketBits: scenario.meanPacketBits, recordSlots: recordSlots)
    _ = try NetworkRun.runReplication(
      scenario, gamma: gamma, seed: replicationSeed(base: scenario.seed, point: point, replication: r), recorder: recorder)
    return UncheckedSendable(recorder)
  }.map(\.value)
}

/// Which fluid model(s) a drain study compares with the simulation.
public enum DrainFluidModel: String, Sendable, Codable, CaseIterable {
  /// The per-flow ODE dq/dt = λ − κ E1(γ/(κ L J'(q))), interference ignored (cheap).
  case decoupled
  /// The coupled ODE of `CoupledFluidModel` (interference, Algorithm 3 per fading sample).
  case coupled
  /// Both.
  case both

  /// Whether the coupled ODE is integrated.
  public var includesCoupled: Bool { self != .decoupled }
}

/// How the coupled fluid of a drain study estimates E_g (see `CoupledFluidModel`).
public struct CoupledDrainOptions: Sendable {
  /// M, fading samples.
  public var samples: Int
  /// Monte Carlo or antithetic.
  public var sampling: FadingSampling
  /// Seed of the sample set.
  public var seed: UInt64
  /// Also integrate with a second, independent sample set (seed + 1) and report the distance
  /// between the two trajectories: a direct measurement of the Monte Carlo error of the trajectory.
  public var monteCarloCheck: Bool
  /// The ODE stepper and its absolute tolerance (packets); see `CoupledFluidModel.trajectory`.
  public var method: ODEMethod
  /// Absolute local error per step, packets.
  public var absoluteTolerance: Double

  /// Creates the options.
  public init(
    samples: Int = 1024, sampling: FadingSampling = .antithetic, seed: UInt64 = 1, monteCarloCheck: Bool = true, method: ODEMethod = .rkf45,
    absoluteTolerance: Double = 1e-3
  ) {
    self.method = method
    self.absoluteTolerance = absoluteTolerance
    self.samples = samples
    self.sampling = sampling
    self.seed = seed
    self.monteCarloCheck = monteCarloCheck
  }
}

/// The coupled fluid of one drain case against the simulation.
public struct CoupledDrainFluid: Sendable, Codable {
  /// Mean over pairs of the coupled fluid queue at each epoch start (packets).
  public var fluidQueuePackets: [Double]
  /// sup_t |q̄_sim(t) − q̄_coupled(t)| / Q(0).
  public var supDistanceScaled: Double
  /// The epoch where that sup is attained.
  public var supAtEpoch: Double
  /// First epoch at which the coupled fluid's mean queue is below the drain mark (nil: not within the horizon).
  public var drainMarkEpoch: Double?
  /// M and the sampling scheme.
  public var samples: Int
  /// Sampling scheme.
  public var sampling: FadingSampling
  /// Mean over pairs of the drift at t = 0 (packets per epoch).
  public var driftAtStart: Double
  /// Mean over pairs of the standard error of the service estimate at t = 0 (packets per epoch).
  public var driftStandardErrorAtStart: Double
  /// The standard error at t = 0 of the drift of the mean-over-pairs queue (packets per epoch).
  public var meanDriftStandardErrorAtStart: Double
  /// The Monte Carlo error of the scaled trajectory this predicts: the drift's sample-set bias is
  /// persistent, so the error grows like SE · t up to the drain; SE(0) · (coupled drain mark) / Q(0).
  public var predictedMonteCarloErrorScaled: Double?
  /// Fraction of samples at t = 0 where Algorithm 3 hit its iteration cap.
  public var nonConvergedFractionAtStart: Double
  /// Mean Algorithm 3 iterations per sample at t = 0.
  public var meanIterationsAtStart: Double
  /// Drift evaluations of the integration.
  public var driftEvaluations: Int
  /// sup_t |q̄_coupled(t; samples A) − q̄_coupled(t; samples B)| / Q(0) for two independent sample
  /// sets of the same size (nil when not requested): the Monte Carlo error of the trajectory, scaled.
  public var monteCarloCheckSupScaled: Double?
  /// Wall-clock seconds of the coupled integration(s).
  public var wallSeconds: Double
}

/// One initial backlog of a drain study: simulated mean queue with its CI against the fluid ODE(s).
public struct DrainCase: Sendable, Codable {
  /// Q(0), packets per pair.
  public var initialQueuePackets: Double
  /// Epoch starts t = 0, 1, … (epochs).
  public var timesEpochs: [Double]
  /// Mean over pairs and replications of the queue at each epoch start (packets).
  public var meanQueuePackets: [Double]
  /// 95 % Student-t interval over replications (of the per-replication pair average), lower ends.
  public var ci95Lower: [Double]
  /// Upper ends.
  public var ci95Upper: [Double]
  /// The decoupled fluid ODE solution (mean over pairs), packets.
  public var fluidQueuePackets: [Double]
  /// sup_t |q̄_sim(t) − q_fluid(t)| / Q(0) for the decoupled fluid.
  public var supDistanceScaled: Double
  /// The epoch where the sup is attained.
  public var supAtEpoch: Double
  /// Decoupled fluid drain time (epochs) of the mean-over-pairs fluid queue (first t with q = 0), by quadrature.
  public var fluidDrainTimeEpochs: Double
  /// The drain mark max(mean λ, 1) packets: a queue below it counts as drained (all three curves).
  public var drainMarkPackets: Double
  /// First epoch at which the simulated mean queue falls below the drain mark, or null.
  public var simulatedDrainEpoch: Double?
  /// First epoch at which the decoupled fluid falls below the drain mark, or null.
  public var decoupledDrainMarkEpoch: Double?
  /// The coupled fluid (nil with model = decoupled).
  public var coupled: CoupledDrainFluid?
}

/// The drain study: for each Q(0), R replications of the packet-level network under the fluid policy
/// (every pair starts with Q(0) packets, scenario key initialQueuePackets) against the fluid ODE(s).
public enum DrainStudy {
  /// The largest Q(0) accepted (packets per pair): the simulation holds every packet as a record.
  public static let maximumInitialQueue = 100_000
  /// The longest horizon accepted (epochs).
  public static let maximumHorizon = 1_000_000

  /// Runs one Q(0).
  /// - Parameters:
  ///   - scenario: a validated scenario (its policy is forced to fluid, γ = scenario.gamma).
  ///   - initialQueue: Q(0) packets per pair (integer in 1…`maximumInitialQueue`).
  ///   - horizonEpochs: epochs simulated (nil: 1.5 × the latest fluid drain time + 20).
  ///   - replications: R ≥ 2.
  ///   - point: the seed's sweep point (distinct per Q(0)).
  ///   - jobs: threads.
  ///   - model: which fluid(s) to compare.
  ///   - coupledOptions: the coupled fluid's fading samples.
  /// - Throws: `FluidValidationError`, simulation and numerical errors.
  public static func run(
    _ scenario: Scenario, initialQueue: Int, horizonEpochs: Int? = nil, replications: Int, point: Int, jobs: Int,
    model: DrainFluidModel = .decoupled, coupledOptions: CoupledDrainOptions = CoupledDrainOptions()
  ) throws -> DrainCase {
    guard replications >= 2 else { throw FluidValidationError("drain: need ≥ 2 replications for a confidence band, got \(replications)") }
    guard (1...maximumInitialQueue).contains(initialQueue) else {
      throw FluidValidationError("drain: Q(0) must be an integer in 1…\(maximumInitialQueue) packets, got \(initialQueue)")
    }
    if let horizonEpochs, !(1...maximumHorizon).contains(horizonEpochs) {
      throw FluidValidationError("drain: the horizon must be in 1…\(maximumHorizon) epochs, got \(horizonEpochs)")
    }
    let k = scenario.pairs
    guard let lambdas = scenario.arrivalRate.resolved(pairs: k), let gains = scenario.directGain.resolved(pairs: k) else {
      throw FluidValidationError("drain: arrivalRate and directGain need \(k) values")
    }
    let q0 = Double(initialQueue)
    let models = try (0..<k).map { pair in
      FluidDrainModel(
        fluid: try FluidValueFunction(
          arrivalRate: max(lambdas[pair], 1e-12), beta: scenario.beta, gamma: scenario.gamma, directGain: gains[pair], kappa: scenario.kappa))
    }
    let drainTimes = try models.map { try $0.drainTime(initialQueue: q0) }
    let decoupledDrain = drainTimes.max() ?? 0
    let meanArrival = lambdas.reduce(0, +) / Double(k)
    let mark = max(meanArrival, 1)

    // The coupled fluid first: it usually drains later, and sets the default horizon.
    var coupledPath: CoupledFluidTrajectory? = nil
    var coupledStart: CoupledServiceEstimate? = nil
    var coupledModel: CoupledFluidModel? = nil
    let coupledClock = Date()
    var horizon: Int
    if model.includesCoupled {
      var fluidScenario = scenario
      fluidScenario.policy = .fluid
      let coupled = try CoupledFluidModel(
        scenario: fluidScenario, policy: .fluid, samples: coupledOptions.samples, sampling: coupledOptions.sampling, seed: coupledOptions.seed)
      coupledModel = coupled
      coupledStart = try coupled.service(atQueues: [Double](repeating: q0, count: k))
      if let horizonEpochs {
        horizon = horizonEpochs
        coupledPath = try coupled.trajectory(
          initialQueues: [Double](repeating: q0, count: k), horizon: Double(horizonEpochs), method: coupledOptions.method,
          absoluteTolerance: coupledOptions.absoluteTolerance)
      } else {
        // Integrate until the mean queue is below the mark, then on to 1.5 × the later drain + 20;
        // a network that never drains (unstable) stops at 20 × the decoupled drain + 200 epochs.
        var markTime: Double? = nil
        let limit = min(Double(maximumHorizon), (20 * decoupledDrain).rounded(.up) + 200)
        let path = try coupled.trajectory(
          initialQueues: [Double](repeating: q0, count: k), horizon: limit, method: coupledOptions.method,
          absoluteTolerance: coupledOptions.absoluteTolerance
        ) { t, mean in
          if markTime == nil, mean < mark { markTime = t }
          guard let markTime else { return false }
          return t >= (1.5 * max(markTime, decoupledDrain)).rounded(.up) + 20
        }
        coupledPath = path
        horizon = Int(path.times.last ?? 0)
        if markTime == nil { horizon = min(horizon, Int((1.5 * decoupledDrain).rounded(.up)) + 20) }
      }
    } else {
      horizon = horizonEpochs ?? Int((1.5 * decoupledDrain).rounded(.up)) + 20
    }
    let coupledWall = Date().timeIntervalSince(coupledClock)

    var fluidMean = [Double](repeating: 0, count: horizon + 1)
    var times: [Double] = []
    for model in models {
      let path = try model.trajectory(initialQueue: q0, horizon: Double(horizon))
      times = path.times
      for i in 0...horizon { fluidMean[i] += path.queue[i] / Double(k) }
    }
    var run = scenario
    run.policy = .fluid
    run.targetSNRdB = nil
    run.initialQueuePackets = .all(q0)
    run.epochs = horizon + 1
    run.warmupEpochs = 0
    run.replications = replications
    run.maxQueuePackets = max(run.maxQueuePackets, 10 * q0)
    let recorders = try runRecorded(run, gamma: scenario.gamma, replications: replications, point: point, jobs: jobs, recordSlots: false)
    var means: [Double] = [], lower: [Double] = [], upper: [Double] = []
    for epoch in 0...horizon {
      let samples = recorders.map { recorder in
        epoch < recorder.queue.count ? recorder.queue[epoch].reduce(0, +) / Double(k) : .nan
      }
      guard samples.allSatisfy(\.isFinite), let interval = ConfidenceInterval(samples: samples) else {
        throw FluidValidationError("drain: replication records are missing epoch \(epoch)")
      }
      means.append(interval.mean)
      lower.append(interval.lower)
      upper.append(interval.upper)
    }
    let decoupledFit = supDistance(means, fluidMean, scale: q0)
    var coupledResult: CoupledDrainFluid? = nil
    if let coupledPath, let coupledStart, let coupledModel {
      let coupledMean = Array(coupledPath.meanQueue.prefix(horizon + 1))
      let fit = supDistance(means, coupledMean, scale: q0)
      var check: Double? = nil
      var wall = coupledWall
      if coupledOptions.monteCarloCheck {
        let clock = Date()
        let other = try CoupledFluidModel(
          scenario: scenario, policy: .fluid, samples: coupledModel.samples, sampling: coupledModel.sampling, seed: coupledOptions.seed &+ 1)
        let second = try other.trajectory(
          initialQueues: [Double](repeating: q0, count: k), horizon: Double(coupledMean.count - 1), method: coupledOptions.method,
          absoluteTolerance: coupledOptions.absoluteTolerance)
        check = supDistance(coupledMean, second.meanQueue, scale: q0).value
        wall += Date().timeIntervalSince(clock)
      }
      let perPair = Double(k)
      coupledResult = CoupledDrainFluid(
        fluidQueuePackets: coupledMean, supDistanceScaled: fit.value, supAtEpoch: fit.at,
        drainMarkEpoch: firstBelow(coupledMean, mark), samples: coupledModel.samples, sampling: coupledModel.sampling,
        driftAtStart: (0..<k).map { lambdas[$0] - coupledStart.meanService[$0] }.reduce(0, +) / perPair,
        driftStandardErrorAtStart: coupledStart.standardError.reduce(0, +) / perPair,
        meanDriftStandardErrorAtStart: coupledStart.meanOverPairsStandardError,
        predictedMonteCarloErrorScaled: firstBelow(coupledMean, mark).map { coupledStart.meanOverPairsStandardError * $0 / q0 },
        nonConvergedFractionAtStart: coupledStart.nonConvergedFraction, meanIterationsAtStart: coupledStart.meanIterations,
        driftEvaluations: coupledPath.driftEvaluations, monteCarloCheckSupScaled: check, wallSeconds: wall)
    }
    return DrainCase(
      initialQueuePackets: q0, timesEpochs: times, meanQueuePackets: means, ci95Lower: lower, ci95Upper: upper,
      fluidQueuePackets: fluidMean, supDistanceScaled: decoupledFit.value, supAtEpoch: decoupledFit.at, fluidDrainTimeEpochs: decoupledDrain,
      drainMarkPackets: mark, simulatedDrainEpoch: firstBelow(means, mark), decoupledDrainMarkEpoch: firstBelow(fluidMean, mark),
      coupled: coupledResult)
  }

  /// sup_i |a_i − b_i| / scale over the common length, and the index where it is attained.
  static func supDistance(_ a: [Double], _ b: [Double], scale: Double) -> (value: Double, at: Double) {
    var sup = 0.0, at = 0.0
    for i in 0..<min(a.count, b.count) {
      let d = abs(a[i] - b[i]) / scale
      if d > sup {
        sup = d
        at = Double(i)
      }
    }
    return (sup, at)
  }

  /// The first index (epoch) at which `values` is below `mark`, or nil.
  static func firstBelow(_ values: [Double], _ mark: Double) -> Double? {
    values.firstIndex { $0 < mark }.map(Double.init)
  }
}
