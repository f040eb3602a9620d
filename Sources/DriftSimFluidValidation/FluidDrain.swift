import Dispatch
import Foundation
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
/// to `jobs` threads (replication r uses `replicationSeed(base: scenario.seed, point: point, replication: r)`).
func runRecorded(
  _ scenario: Scenario, gamma: Double, replications: Int, point: Int, jobs: Int, recordSlots: Bool
) throws -> [EpochQueueRecorder] {
  let recorders = (0..<replications).map { _ in
    EpochQueueRecorder(pairs: scenario.pairs, epochSeconds: scenario.epochSeconds, meanPacketBits: scenario.meanPacketBits, recordSlots: recordSlots)
  }
  let box = UncheckedSendable(recorders)
  let failure = LockedError()
  let workers = max(1, min(jobs, replications))
  DispatchQueue.concurrentPerform(iterations: workers) { worker in
    var r = worker
    while r < replications {
      do {
        _ = try NetworkRun.runReplication(
          scenario, gamma: gamma, seed: replicationSeed(base: scenario.seed, point: point, replication: r), recorder: box.value[r])
      } catch { failure.set(error) }
      r += workers
    }
  }
  if let error = failure.error { throw error }
  return recorders
}

/// One initial backlog of a drain study: simulated mean queue with its CI against the fluid ODE.
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
  /// The fluid ODE solution (mean over pairs), packets.
  public var fluidQueuePackets: [Double]
  /// sup_t |q̄_sim(t) − q_fluid(t)| / Q(0).
  public var supDistanceScaled: Double
  /// The epoch where the sup is attained.
  public var supAtEpoch: Double
  /// Fluid drain time (epochs) of the mean-over-pairs fluid queue (first t with q = 0), by quadrature.
  public var fluidDrainTimeEpochs: Double
  /// First epoch at which the simulated mean queue falls below λ (a rough "drained" mark), or null.
  public var simulatedDrainEpoch: Double?
}

/// The drain study: for each Q(0), R replications of the packet-level network under the fluid policy
/// (every pair starts with Q(0) packets, scenario key initialQueuePackets) against the fluid ODE.
public enum DrainStudy {
  /// Runs one Q(0).
  /// - Parameters:
  ///   - scenario: a validated scenario (its policy is forced to fluid, γ = scenario.gamma).
  ///   - initialQueue: Q(0) packets per pair (integer ≥ 1).
  ///   - horizonEpochs: epochs simulated (nil: 1.5 × the fluid drain time + 20).
  ///   - replications: R ≥ 2.
  ///   - point: the seed's sweep point (distinct per Q(0)).
  ///   - jobs: threads.
  /// - Throws: `FluidValidationError`, simulation and numerical errors.
  public static func run(
    _ scenario: Scenario, initialQueue: Int, horizonEpochs: Int? = nil, replications: Int, point: Int, jobs: Int
  ) throws -> DrainCase {
    guard replications >= 2 else { throw FluidValidationError("drain: need ≥ 2 replications for a confidence band, got \(replications)") }
    guard initialQueue >= 1 else { throw FluidValidationError("drain: Q(0) must be ≥ 1 packet, got \(initialQueue)") }
    let k = scenario.pairs
    let lambdas = scenario.arrivalRate.resolved(pairs: k)!
    let gains = scenario.directGain.resolved(pairs: k)!
    let models = try (0..<k).map { pair in
      FluidDrainModel(
        fluid: try FluidValueFunction(
          arrivalRate: max(lambdas[pair], 1e-12), beta: scenario.beta, gamma: scenario.gamma, directGain: gains[pair], kappa: scenario.kappa))
    }
    let drainTimes = try models.map { try $0.drainTime(initialQueue: Double(initialQueue)) }
    let horizon = horizonEpochs ?? Int((1.5 * (drainTimes.max() ?? 0)).rounded(.up)) + 20
    var fluidMean = [Double](repeating: 0, count: horizon + 1)
    var times: [Double] = []
    for model in models {
      let path = try model.trajectory(initialQueue: Double(initialQueue), horizon: Double(horizon))
      times = path.times
      for i in 0...horizon { fluidMean[i] += path.queue[i] / Double(k) }
    }
    var run = scenario
    run.policy = .fluid
    run.targetSNRdB = nil
    run.initialQueuePackets = .all(Double(initialQueue))
    run.epochs = horizon + 1
    run.warmupEpochs = 0
    run.replications = replications
    run.maxQueuePackets = max(run.maxQueuePackets, 10 * Double(initialQueue))
    let recorders = try runRecorded(run, gamma: scenario.gamma, replications: replications, point: point, jobs: jobs, recordSlots: false)
    var means: [Double] = [], lower: [Double] = [], upper: [Double] = []
    var sup = 0.0, supAt = 0.0
    var drained: Double? = nil
    let meanArrival = lambdas.reduce(0, +) / Double(k)
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
      let distance = abs(interval.mean - fluidMean[epoch]) / Double(initialQueue)
      if distance > sup {
        sup = distance
        supAt = Double(epoch)
      }
      if drained == nil, interval.mean < max(meanArrival, 1) { drained = Double(epoch) }
    }
    return DrainCase(
      initialQueuePackets: Double(initialQueue), timesEpochs: times, meanQueuePackets: means, ci95Lower: lower, ci95Upper: upper,
      fluidQueuePackets: fluidMean, supDistanceScaled: sup, supAtEpoch: supAt, fluidDrainTimeEpochs: drainTimes.max() ?? 0,
      simulatedDrainEpoch: drained)
  }
}
