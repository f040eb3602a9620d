import DriftSimInterference
import DriftSimStats
import DriftSimSupport
import Foundation

/// The simulated average cost per epoch of a packet-level run of one pair, in two conventions:
/// the epoch-level MDP's (β Q/λ with Q = packets at the epoch start, + γ p̄ over the epoch's slots)
/// and the slot-level MDP's (β Q/λ + γ p averaged over slot starts). With slotsPerEpoch = 1 they
/// coincide.
public struct SimulatedCost: Sendable, Codable {
  /// The policy simulated.
  public var policy: String
  /// Mean over replications of the per-replication average cost per epoch, Q at epoch starts.
  public var meanCostPerEpoch: Double
  /// 95 % Student-t interval over replications.
  public var ci95: [Double]
  /// The holding part β Q̄/λ (Q at epoch starts; mean over replications).
  public var holdingCostPerEpoch: Double
  /// The power part γ p̄ (mean over replications).
  public var powerCostPerEpoch: Double
  /// Mean queue at epoch starts, packets.
  public var meanQueuePackets: Double
  /// Mean over replications of the average cost per epoch with Q at every slot start (the
  /// slot-level MDP's convention, which `vi` minimises).
  public var slotCostPerEpoch: Double
  /// Its 95 % Student-t interval.
  public var slotCostCI95: [Double]
  /// Mean number of packets (whole or partly served) queued at slot starts; above `meanSlotQueueBits`
  /// when partial service leaves slivers of packets behind (delay counts packets, the cost bits).
  public var meanPacketsAtSlotStart: Double
  /// Mean bits queued at slot starts / S̄ (packets).
  public var meanSlotQueuePackets: Double
  /// Mean delay per packet (ms) over replications, and its 95 % interval.
  public var meanDelayMs: Double
  /// 95 % interval of the mean delay (ms).
  public var meanDelayCI95: [Double]
  /// Mean over replications of β L/λ + γ p̄ per epoch, with L the time-average number of packets
  /// present (arrival to departure): by Little's law β × mean delay (epochs) + γ × mean power, the
  /// cost policy `vi-delay` minimises.
  public var delayCostPerEpoch: Double
  /// Its 95 % Student-t interval.
  public var delayCostCI95: [Double]
  /// Replications.
  public var replications: Int
  /// Epochs per replication (warm-up included).
  public var epochs: Int
  /// Warm-up epochs excluded.
  public var warmupEpochs: Int
  /// Fading slots per epoch in the simulation (1 matches the MDP's one draw per epoch).
  public var slotsPerEpoch: Int
  /// Packet sizes simulated.
  public var packetSizes: String
}

/// Accumulates, for pair 0, the queue at every slot start (arrivals minus service) and the slot's
/// power over the measurement window.
final class SlotCostRecorder: NetworkRecorder {
  let recordsPackets = true
  let recordsEpochs = false
  let recordsSlots = true
  let stopRequested = false
  let windowStart: Double
  let slotSeconds: Double
  let slotsPerEpoch: Int
  let meanPacketBits: Double
  var queueBits = 0.0
  var pendingBits = 0.0
  var slots = 0
  var slotQueueSum = 0.0
  var epochQueueSum = 0.0
  var epochs = 0
  var powerSum = 0.0

  init(windowStart: Double, slotSeconds: Double, slotsPerEpoch: Int, meanPacketBits: Double) {
    self.windowStart = windowStart
    self.slotSeconds = slotSeconds
    self.slotsPerEpoch = slotsPerEpoch
    self.meanPacketBits = meanPacketBits
  }

  var packets = 0
  var pendingPackets = 0
  var departedPackets = 0
  var slotPacketSum = 0.0

  func packetArrived(pair: Int, packetID: UInt64, time: Double, bits: Double) {
    if pair == 0 {
      pendingBits += bits
      pendingPackets += 1
    }
  }
  func packetDeparted(pair: Int, packetID: UInt64, time: Double, delay: Double) { if pair == 0 { departedPackets += 1 } }
  func epochStarted(pair: Int, time: Double, queueBits: Double, weight: Double) {}

  /// Called at the end of the slot that started at `time`: packets recorded since the previous
  /// slot's end arrived during this slot, so the slot-start queue excludes them.
  func slotServed(pair: Int, time: Double, power: Double, sinr: Double, bitsServed: Double) {
    guard pair == 0 else { return }
    let start = queueBits
    queueBits = max(start - bitsServed, 0) + pendingBits
    pendingBits = 0
    let startPackets = packets
    packets += pendingPackets - departedPackets
    pendingPackets = 0
    departedPackets = 0
    let index = Int((time / slotSeconds).rounded())
    guard Double(index) * slotSeconds >= windowStart - 0.5 * slotSeconds else { return }
    slots += 1
    slotQueueSum += start / meanPacketBits
    slotPacketSum += Double(startPackets)
    powerSum += power
    if index % slotsPerEpoch == 0 {
      epochs += 1
      epochQueueSum += start / meanPacketBits
    }
  }
}

/// A policy's cost against the optimum for one pair.
public enum PolicyGapStudy {
  /// Simulates pair 0 of a one-pair version of `scenario` (no interference, no backlog) under
  /// `policy` at `scenario.gamma`.
  /// - Parameters:
  ///   - scenario: validated; `pairs` is forced to 1, `targetSNRdB` ignored.
  ///   - policy: the policy to simulate (fluid by default).
  ///   - replications: R ≥ 2.
  ///   - jobs: threads.
  /// - Throws: `FluidValidationError`, simulation errors.
  public static func simulate(_ scenario: Scenario, policy: PolicyName = .fluid, replications: Int, jobs: Int) throws -> SimulatedCost {
    guard replications >= 2 else { throw FluidValidationError("policy-gap: need ≥ 2 replications, got \(replications)") }
    var configured = scenario
    let lambda = scenario.arrivalRate.resolved(pairs: scenario.pairs)![0]
    let gain = scenario.directGain.resolved(pairs: scenario.pairs)![0]
    configured.pairs = 1
    configured.arrivalRate = .all(lambda)
    configured.directGain = .all(gain)
    configured.crossGain = .all(0)
    configured.initialQueuePackets = .all(0)
    configured.policy = policy
    configured.targetSNRdB = nil
    configured.replications = replications
    let windowStart = Double(configured.warmupEpochs) * configured.epochSeconds
    let run = configured
    let outcomes = try parallelMap(count: replications, jobs: jobs) { r -> (SlotCostRecorderSummary, Double) in
      let recorder = SlotCostRecorder(windowStart: windowStart, slotSeconds: run.slotSeconds, slotsPerEpoch: run.slotsPerEpoch, meanPacketBits: run.meanPacketBits)
      let result = try NetworkRun.runReplication(
        run, gamma: scenario.gamma, seed: replicationSeed(base: run.seed, point: 0, replication: r), recorder: recorder, progress: nil)
      guard recorder.slots > 0, recorder.epochs > 0 else { throw FluidValidationError("policy-gap: a replication measured no slot") }
      return (
        SlotCostRecorderSummary(
          slotQueue: recorder.slotQueueSum / Double(recorder.slots), epochQueue: recorder.epochQueueSum / Double(recorder.epochs),
          power: recorder.powerSum / Double(recorder.slots), packets: recorder.slotPacketSum / Double(recorder.slots),
          present: result.pairs[0].packetsPresent.average(upTo: result.finalTime)), result.pooledDelay.mean * 1000)
    }
    var packetCounts: [Double] = [], slotQueues: [Double] = []
    var delayCosts: [Double] = []
    var costs: [Double] = [], slotCosts: [Double] = [], holding: [Double] = [], power: [Double] = [], queue: [Double] = [], delays: [Double] = []
    for (s, delay) in outcomes {
      let powerCost = scenario.gamma * s.power
      holding.append(scenario.beta * s.epochQueue / lambda)
      power.append(powerCost)
      costs.append(scenario.beta * s.epochQueue / lambda + powerCost)
      slotCosts.append(scenario.beta * s.slotQueue / lambda + powerCost)
      delayCosts.append(scenario.beta * s.present / lambda + powerCost)
      queue.append(s.epochQueue)
      packetCounts.append(s.packets)
      slotQueues.append(s.slotQueue)
      delays.append(delay)
    }
    func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }
    func ci(_ x: [Double]) -> [Double] { ConfidenceInterval(samples: x)?.bounds ?? [.nan, .nan] }
    return SimulatedCost(
      policy: policy.rawValue, meanCostPerEpoch: mean(costs), ci95: ci(costs), holdingCostPerEpoch: mean(holding), powerCostPerEpoch: mean(power),
      meanQueuePackets: mean(queue), slotCostPerEpoch: mean(slotCosts), slotCostCI95: ci(slotCosts), meanPacketsAtSlotStart: mean(packetCounts),
      meanSlotQueuePackets: mean(slotQueues), meanDelayMs: mean(delays),
      meanDelayCI95: ci(delays), delayCostPerEpoch: mean(delayCosts), delayCostCI95: ci(delayCosts), replications: replications, epochs: run.epochs, warmupEpochs: run.warmupEpochs,
      slotsPerEpoch: run.slotsPerEpoch, packetSizes: run.packetSizes.rawValue)
  }
}

struct SlotCostRecorderSummary: Sendable {
  var slotQueue: Double
  var epochQueue: Double
  var power: Double
  var packets: Double
  /// Time-average packets present over the measurement window.
  var present: Double
}
