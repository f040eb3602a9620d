import DriftSimSupport
import Foundation

/// How a sweep point (one scenario, one policy) ended; programs test this, never message text.
public enum SweepPointStatus: String, Codable, Sendable, CaseIterable {
  /// Measured, nothing to report.
  case ok
  /// Measured, with warnings (see `RunWarning.Kind`).
  case warning
  /// Refused before the run: the load exceeds what the policy serves at γ.
  case unstable
  /// The simulation stopped early (a queue exceeded maxQueuePackets, a policy failed).
  case stopped
  /// Ran, but measured nothing usable (no packet delivered, non-finite statistics).
  case invalid
  /// No γ reaches targetSNRdB.
  case calibrationFailed
  /// Another error, e.g. from the numerics of the policy.
  case failed
  /// Only in a `--partial` merge: the point's tasks have not all finished.
  case missing

  /// Whether the point has numbers (ok or warning).
  public var isMeasured: Bool { self == .ok || self == .warning }
}

/// The outcome of a block of replications of one scenario (a sweep task): the digests, or why
/// there are none. Encoded in task result files.
public struct ReplicationBlockOutcome: Codable, Sendable, Equatable {
  /// `ok` when `digests` holds every replication of the block; otherwise why not.
  public var status: SweepPointStatus
  /// Why the block has no result (nil when ok).
  public var reason: String?
  /// The γ used.
  public var gamma: Double
  /// One digest per replication of the block, in order (empty unless ok).
  public var digests: [ReplicationDigest]

  /// Creates an outcome.
  public init(status: SweepPointStatus, reason: String?, gamma: Double, digests: [ReplicationDigest]) {
    self.status = status
    self.reason = reason
    self.gamma = gamma
    self.digests = digests
  }
}

extension NetworkRun {
  /// Runs replications `replications` of `scenario` at γ (seeds from (scenario.seed, point, r), as
  /// `runReplications` derives them) one after the other, and classifies the outcome by error type:
  /// a `RunRefusal` of kind unstable → `.unstable`, a `SimulationError` → `.stopped`, any other
  /// error → `.failed`.
  /// - Parameters:
  ///   - scenario: the validated scenario.
  ///   - gamma: the power price (calibrated, or the scenario's).
  ///   - point: the sweep point index (part of the seed).
  ///   - replications: which replications (0-based indices, each < scenario.replications).
  /// - Returns: the outcome (never throws for a property of the scenario).
  public static func runBlock(_ scenario: Scenario, gamma: Double, point: Int, replications: Range<Int>)
    -> ReplicationBlockOutcome
  {
    do {
      try checkStability(scenario, gamma: gamma)
      var digests: [ReplicationDigest] = []
      for r in replications {
        let seed = replicationSeed(base: scenario.seed, point: point, replication: r)
        digests.append(ReplicationDigest(try runReplication(scenario, gamma: gamma, seed: seed)))
      }
      return ReplicationBlockOutcome(status: .ok, reason: nil, gamma: gamma, digests: digests)
    } catch let refusal as RunRefusal {
      let status: SweepPointStatus = refusal.reason == .unstable ? .unstable : refusal.reason == .calibrationUnreachable ? .calibrationFailed : .invalid
      return ReplicationBlockOutcome(status: status, reason: refusal.description, gamma: gamma, digests: [])
    } catch let error as SimulationError {
      return ReplicationBlockOutcome(status: .stopped, reason: error.description, gamma: gamma, digests: [])
    } catch let error as any ReportableError {
      return ReplicationBlockOutcome(status: .failed, reason: error.message, gamma: gamma, digests: [])
    } catch {
      return ReplicationBlockOutcome(status: .failed, reason: "\(error)", gamma: gamma, digests: [])
    }
  }
}
