import Foundation
import DriftSimInterference
import DriftSimStats

/// The simulated average cost per epoch of a packet-level run: time average over measured epochs of
/// β Q/λ + γ p̄, Q = packets (bits/S̄) at the epoch start, p̄ = the epoch's mean power over its slots.
public struct SimulatedCost: Sendable, Codable {
  /// Mean over replications of the per-replication time average (cost per epoch).
  public var meanCostPerEpoch: Double
  /// 95 % Student-t interval over replications.
  public var ci95: [Double]
  /// The holding part β Q̄/λ (mean over replications).
  public var holdingCostPerEpoch: Double
  /// The power part γ p̄ (mean over replications).
  public var powerCostPerEpoch: Double
  /// Mean queue at epoch starts, packets.
  public var meanQueuePackets: Double
  /// Replications, epochs per replication, warm-up epochs, slots per epoch.
  public var replications: Int
  /// Epochs per replication (warm-up included).
  public var epochs: Int
  /// Warm-up epochs excluded.
  public var warmupEpochs: Int
  /// Fading slots per epoch in the simulation (1 matches the MDP's one draw per epoch).
  public var slotsPerEpoch: Int
}

/// The fluid policy's cost against the optimum for one pair.
public enum PolicyGapStudy {
  /// Simulates pair 0 of a one-pair version of `scenario` under the fluid policy at `scenario.gamma`.
  /// - Parameters:
  ///   - scenario: validated; `pairs` is forced to 1, `policy` to fluid, `targetSNRdB` ignored.
  ///   - replications: R ≥ 2.
  ///   - jobs: threads.
  /// - Throws: simulation errors.
  public static func simulate(_ scenario: Scenario, replications: Int, jobs: Int) throws -> SimulatedCost {
    guard replications >= 2 else { throw FluidValidationError("policy-gap: need ≥ 2 replications, got \(replications)") }
    var run = scenario
    let lambda = scenario.arrivalRate.resolved(pairs: scenario.pairs)![0]
    let gain = scenario.directGain.resolved(pairs: scenario.pairs)![0]
    run.pairs = 1
    run.arrivalRate = .all(lambda)
    run.directGain = .all(gain)
    run.crossGain = .all(0)
    run.initialQueuePackets = .all(0)
    run.policy = .fluid
    run.targetSNRdB = nil
    run.replications = replications
    let recorders = try runRecorded(run, gamma: scenario.gamma, replications: replications, point: 0, jobs: jobs, recordSlots: true)
    var costs: [Double] = [], holding: [Double] = [], power: [Double] = [], queue: [Double] = []
    let slots = Double(run.slotsPerEpoch)
    for recorder in recorders {
      var h = 0.0, p = 0.0, q = 0.0, count = 0
      // Epoch e's slots are complete only if the next epoch started, so stop one short of the last record.
      for epoch in run.warmupEpochs..<min(run.epochs, recorder.queue.count) where recorder.slotsSeen[epoch] == run.slotsPerEpoch {
        q += recorder.queue[epoch][0]
        h += scenario.beta * recorder.queue[epoch][0] / lambda
        p += scenario.gamma * recorder.powerSum[epoch][0] / slots
        count += 1
      }
      guard count > 0 else { throw FluidValidationError("policy-gap: a replication measured no complete epoch") }
      holding.append(h / Double(count))
      power.append(p / Double(count))
      costs.append((h + p) / Double(count))
      queue.append(q / Double(count))
    }
    let interval = ConfidenceInterval(samples: costs)
    func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }
    return SimulatedCost(
      meanCostPerEpoch: mean(costs), ci95: interval?.bounds ?? [.nan, .nan], holdingCostPerEpoch: mean(holding), powerCostPerEpoch: mean(power),
      meanQueuePackets: mean(queue), replications: replications, epochs: run.epochs, warmupEpochs: run.warmupEpochs, slotsPerEpoch: run.slotsPerEpoch)
  }
}
