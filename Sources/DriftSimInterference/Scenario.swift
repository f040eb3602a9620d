import DriftSimSupport
import Foundation

/// Which power-control policy a scenario runs (model.md, "Power policies").
public enum PolicyName: String, CaseIterable, Sendable, Codable {
  /// Water level from the fluid value function J'_k(Q_k) at each epoch start (paper Algorithms 2+3).
  case fluid
  /// Weight 1: water-filling on the channel only.
  case csiOnly = "csi-only"
  /// Weight Q_k (packets at the epoch start): queue-weighted throughput-optimal.
  case qwto
  /// Orthogonal: the non-empty pair with the largest direct gain transmits alone each slot.
  case tdma
  /// Weight J'_k(Q_k) + β/(2λ_k): the fluid slope plus the half-holding term the epoch-level MDP
  /// charges at the epoch start (model.md, "How well J approximates…").
  case fluidCorrected = "fluid-corrected"
  /// The optimal per-flow policy of the slot-level MDP solved by relative value iteration
  /// (`PerFlowSlotMDP`); exact at K = 1 without interference, a weight derived from h otherwise.
  case vi
  /// The delay-optimal per-flow policy of the packet-count slot MDP (`PerFlowPacketMDP`): minimises
  /// β × mean delay + γ × mean power exactly at K = 1 without interference (exponential sizes).
  case viDelay = "vi-delay"
  /// Piecewise-linear weights read from a CSV file (`policyTable`, columns queuePackets,weight).
  case table
}

extension PolicyName {
  /// The paper's four policies: the default set of sweeps and benchmarks (`table` needs a file, and
  /// `fluid-corrected` and `vi` are compared in docs/policies.md).
  public static let paperPolicies: [PolicyName] = [.fluid, .csiOnly, .qwto, .tdma]
}

/// When queue-aware policies recompute their weight from the queue.
public enum WeightUpdate: String, CaseIterable, Sendable, Codable {
  /// At each epoch start only (the paper's Algorithm 2).
  case epoch
  /// At every slot start (slot-level queue-state information).
  case slot
}

/// The distribution of packet sizes.
public enum PacketSizeDistribution: String, CaseIterable, Sendable, Codable {
  /// Exponential with mean S̄ (model.md Part A).
  case exponential
  /// Every packet has exactly S̄ bits (matches the integer packets of the epoch-level MDP).
  case deterministic
}

/// How policy `vi` turns the solved per-flow value function into a weight when pairs interfere.
public enum VIWeightRule: String, CaseIterable, Sendable, Codable {
  /// w = W̃'(r*): the marginal continuation value at the residual r* of the interference-free
  /// optimal action for this slot's direct gain (= the exact optimal action without interference).
  case action
  /// w = W̃'(Q): the slope of the continuation value at the slot-start queue (the default: at 6 dB
  /// on the paper preset it gave the lowest delay of the three, docs/policies.md).
  case slope
  /// w = (W̃(Q) − W̃(r*))/(Q − r*): the secant over the interference-free optimal service.
  case secant
}

/// What interference policy `vi-delay`'s per-flow model assumes.
public enum VIInterference: String, CaseIterable, Sendable, Codable {
  /// None: the per-flow model is the interference-free link (exact at K = 1).
  case none
  /// The mean interference at the target power, treated as noise: the model's direct gain is
  /// L_kk/(1 + Σ_{j≠k} L_kj p̄) with p̄ = 10^{targetSNRdB/10} (the average power every pair spends
  /// at equal power), and the slot's decision uses g_kk/(1 + that mean interference).
  case target
}

/// How the per-slot distributed power iteration updates the transmitters.
public enum PowerUpdate: String, CaseIterable, Sendable, Codable {
  /// Every transmitter updates from the messages of iteration n (Jacobi; the paper's Algorithm 3).
  case simultaneous
  /// Transmitters update one after another in pair order, each seeing the latest powers (Gauss–Seidel).
  case sequential
}

/// Which trace records a run writes.
public enum NetworkTraceLevel: String, CaseIterable, Sendable, Codable {
  /// No trace, even with --trace.
  case off
  /// Packet arrivals and departures.
  case packets
  /// Packets plus per-epoch queue and weight records.
  case epochs
  /// Everything: packets, epochs and per-slot power, SINR and bits served.
  case slots
}

/// A value given for every pair, or one per pair.
public enum PerPair: Sendable, Equatable, Codable {
  /// The same value for every pair.
  case all(Double)
  /// One value per pair, in pair order.
  case each([Double])

  /// The values for `pairs` pairs (nil if a list has the wrong length).
  public func resolved(pairs: Int) -> [Double]? {
    switch self {
    case let .all(value): return Array(repeating: value, count: pairs)
    case let .each(values): return values.count == pairs ? values : nil
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case let .all(value): try container.encode(value)
    case let .each(values): try container.encode(values)
    }
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let value = try? container.decode(Double.self) { self = .all(value) } else { self = .each(try container.decode([Double].self)) }
  }
}

/// A cross-gain specification: one value for every j ≠ k, or a full K × K matrix (row k = receiver,
/// column j = transmitter; the diagonal is ignored because `directGain` gives L_kk).
public enum CrossGain: Sendable, Equatable, Codable {
  /// L_kj = value for all k ≠ j.
  case all(Double)
  /// L_kj = matrix[k][j].
  case matrix([[Double]])

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case let .all(value): try container.encode(value)
    case let .matrix(rows): try container.encode(rows)
    }
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let value = try? container.decode(Double.self) { self = .all(value) } else { self = .matrix(try container.decode([[Double]].self)) }
  }
}

/// A packet-level interference-network scenario: every parameter of a run (model.md Part A).
///
/// Units: rates in packets per epoch, gains dimensionless (noise-normalised), bandwidth in Hz, epoch
/// in seconds, packet sizes in bits, power in noise units. Build one from a preset, a file and
/// `--set` overrides with `ScenarioBuilder`, which validates every key.
public struct Scenario: Sendable, Equatable, Codable {
  /// K, the number of transmitter–receiver pairs.
  public var pairs = 5
  /// λ_k, Poisson arrival rate, packets per epoch.
  public var arrivalRate: PerPair = .all(1)
  /// L_kk, direct long-term path gain.
  public var directGain: PerPair = .all(1)
  /// L_kj (k ≠ j), cross path gain from transmitter j to receiver k.
  public var crossGain: CrossGain = .all(0.1)
  /// W, bandwidth in Hz.
  public var bandwidthHz = 10e6
  /// τ, epoch length in seconds.
  public var epochSeconds = 0.005
  /// N, slots per epoch (fading is redrawn every slot).
  public var slotsPerEpoch = 10
  /// S̄, mean packet size in bits (sizes are exponential).
  public var meanPacketBits = 30_000.0
  /// β, delay weight in the per-stage cost.
  public var beta = 1.0
  /// γ, power price (ignored when `targetSNRdB` is set: then γ is calibrated).
  public var gamma = 1.0
  /// If set, γ is chosen so that the average transmit SNR hits this value (dB).
  public var targetSNRdB: Double? = nil
  /// The policy.
  public var policy: PolicyName = .fluid
  /// Epochs simulated per replication, warm-up included.
  public var epochs = 20_000
  /// Epochs at the start of each replication excluded from statistics.
  public var warmupEpochs = 1_000
  /// Base seed of all random streams.
  public var seed: UInt64 = 1
  /// Independent replications (seeds derived from (seed, replication)).
  public var replications = 1
  /// Which records `--trace` writes.
  public var traceLevel: NetworkTraceLevel = .packets
  /// Relative tolerance of the per-slot power iteration.
  public var tolerance = 1e-9
  /// Iteration cap of the per-slot power iteration.
  public var maxIterations = 200
  /// Simultaneous (paper) or sequential updates in the power iteration.
  public var powerUpdate: PowerUpdate = .simultaneous
  /// A queue above this many packets stops the run as unstable.
  public var maxQueuePackets = 100_000.0
  /// Epochs of each pilot run when calibrating γ (capped at `epochs`; at `epochs`, the pilot is
  /// replication 0 itself).
  public var pilotEpochs = 20_000
  /// Replications whose power each calibration pilot pools (1…replications; the first ones, with
  /// their own seeds). Equal to `replications` (with `pilotEpochs ≥ epochs`), the run itself hits
  /// the target SNR within `calibrationToleranceDB`, at `calibrationReplications` times the cost.
  public var calibrationReplications = 1
  /// Accepted |achieved − target| SNR of the calibration's pilot runs, in dB.
  public var calibrationToleranceDB = 0.02
  /// Packets in each queue at time 0 (sizes exponential, arrival time 0): a backlog to drain.
  public var initialQueuePackets: PerPair = .all(0)
  /// Whether queue-aware policies refresh their weight every epoch (paper) or every slot.
  public var weightUpdate: WeightUpdate = .epoch
  /// Exponential (default) or deterministic packet sizes of mean S̄ bits.
  public var packetSizes: PacketSizeDistribution = .exponential
  /// The CSV file of policy `table` (columns queuePackets,weight[,pair]); nil for other policies.
  public var policyTable: String? = nil
  /// How policy `vi` derives its weight when pairs interfere.
  public var viWeight: VIWeightRule = .slope
  /// Grid step of policy `vi`'s slot-level MDP, in packets (1/viGridStep must be an integer).
  public var viGridStep = 1.0 / 16
  /// Largest queue of policy `vi`'s slot-level MDP, in packets (arrivals beyond are dropped).
  public var viMaxQueuePackets = 48.0
  /// Fading quadrature nodes of policy `vi`'s slot-level MDP (midpoint rule in the Exp(1) quantile).
  public var viFadingNodes = 96
  /// What interference policy `vi-delay`'s per-flow model assumes.
  public var viInterference: VIInterference = .none
  /// Capacity-grid step of policy `vi-delay`'s packet-count MDP, in packets per slot.
  public var viCapacityStep = 1.0 / 128
  /// Largest capacity of policy `vi-delay`'s packet-count MDP, in packets per slot.
  public var viMaxCapacityPackets = 12.0
  /// Where policy `vi` caches its solutions; nil for `PerFlowSolutionCache.defaultDirectory()`
  /// ($DRIFTSIM_CACHE_DIR, $XDG_CACHE_HOME/driftsim or ~/.cache/driftsim).
  public var policyCacheDirectory: String? = nil

  /// The defaults (= the `paper` preset).
  public init() {}

  /// κ = W τ / (S̄ ln 2): packets per epoch per nat of spectral efficiency.
  public var kappa: Double { bandwidthHz * epochSeconds / (meanPacketBits * M_LN2) }

  /// Slot length τ/N in seconds.
  public var slotSeconds: Double { epochSeconds / Double(slotsPerEpoch) }
}

/// A bad scenario: says which key (and where it came from) and what was expected.
public struct ScenarioError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The message, naming the key and its source.
  public var description: String
  /// Creates an error.
  public init(_ description: String) { self.description = description }
}

/// Reported by the command runner as one line, exit status 1.
extension ScenarioError: ReportableError {}
