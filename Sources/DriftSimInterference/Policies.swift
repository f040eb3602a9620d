import DriftSimNumerics

/// A power-control policy: the epoch-start weight of each pair, and whether pairs share slots
/// (distributed water-filling) or take turns (TDMA). The simulation is generic over the policy, so
/// the per-slot code is specialised and has no dynamic dispatch.
public protocol PowerPolicy: SendableMetatype {
  /// The policy's name in results and messages: a built-in policy's spelling in scenarios
  /// (`PolicyName.rawValue`), or any name a policy defined outside DriftSim chooses.
  static var name: String { get }
  /// Whether one pair transmits alone per slot (TDMA) instead of the weighted iteration.
  static var isOrthogonal: Bool { get }
  /// Whether the weight depends on the queue (then `weightUpdate = slot` refreshes it every slot).
  static var isQueueAware: Bool { get }
  /// Whether the policy decides every slot from the queue and the slot's direct gain (policy `vi`):
  /// then `slotWeight` replaces the weight after the fading draw of every slot.
  static var decidesEachSlot: Bool { get }
  /// The weight w_k for the coming epoch (or slot, with `weightUpdate = slot`), from pair k's queue
  /// (packets) at its start.
  mutating func weight(pair: Int, queuePackets: Double) throws -> Double
  /// The weight of pair k for one slot, from its queue at the slot start — in packets of mean size
  /// (bits / S̄) and as a count of whole packets — and its direct gain g_kk = L_kk |H_kk|² in the
  /// slot; called only when `decidesEachSlot`.
  mutating func slotWeight(pair: Int, queuePackets: Double, packetCount: Int, directGain: Double) -> Double
}

extension PowerPolicy {
  /// Queue-aware unless a policy says otherwise.
  public static var isQueueAware: Bool { true }
  /// Only `vi` and `vi-delay` decide from the slot's fading.
  public static var decidesEachSlot: Bool { false }
  /// Unused unless `decidesEachSlot`.
  public func slotWeight(pair: Int, queuePackets: Double, packetCount: Int, directGain: Double) -> Double { 1 }
}

/// Weight J'_k(Q_k): the fluid value function's slope (paper Algorithm 2).
///
/// Each weight comes from the pair's `FluidSlopeTable` (a quintic piece on a geometric grid in Q,
/// checked against a direct solve to 10⁻¹³ relative when the policy is built). Where the table has
/// no piece (Q beyond 65 536 packets or below 10⁻⁹, a piece that failed its check), the weight is
/// one Halley solve of q(y) = Q (`FluidValueFunction.halleySlope`), started from the tangent of q at
/// the pair's previous direct solve (Q_prev, J'(Q_prev)): y₀ = y_prev + (Q − Q_prev)/q′(y_prev).
/// Pairs with the same parameters share one table; copies of the policy (one per replication)
/// share the tables too, which are immutable.
public struct FluidPolicy: PowerPolicy {
  public static let name = PolicyName.fluid.rawValue
  public static let isOrthogonal = false
  /// One fluid value function per pair.
  public let valueFunctions: [FluidValueFunction]
  /// One slope table per pair (shared between pairs with equal parameters).
  public let slopeTables: [FluidSlopeTable]
  /// Per pair, the last direct solve: queue (packets), slope J'(Q) and q′ at that slope.
  private var hints: [(queue: Double, slope: Double, derivative: Double)?]
  private let solver = BrentRootFinder()

  /// Creates the policy from each pair's fluid value function, building one slope table per
  /// distinct set of parameters (a few ms each).
  public init(valueFunctions: [FluidValueFunction]) {
    self.valueFunctions = valueFunctions
    var built: [(function: FluidValueFunction, table: FluidSlopeTable)] = []
    slopeTables = valueFunctions.map { function in
      if let shared = built.first(where: { $0.function.hasSameParameters(as: function) }) { return shared.table }
      let table = FluidSlopeTable(function)
      built.append((function, table))
      return table
    }
    hints = Array(repeating: nil, count: valueFunctions.count)
  }

  public mutating func weight(pair: Int, queuePackets: Double) throws -> Double {
    if queuePackets == 0 { return valueFunctions[pair].v }
    if let slope = slopeTables[pair].slope(atQueue: queuePackets) { return slope }
    // No usable start (first call, or q′ = 0): halleySlope starts near v.
    var start = -Double.infinity
    if let hint = hints[pair] {
      if hint.queue == queuePackets { return hint.slope }
      if hint.derivative > 0 { start = hint.slope + (queuePackets - hint.queue) / hint.derivative }
    }
    let solved = try valueFunctions[pair].halleySlope(atQueue: queuePackets, start: start, solver: solver)
    hints[pair] = (queuePackets, solved.slope, solved.derivative)
    return solved.slope
  }
}

/// Weight 1: CSI-only water-filling.
public struct CSIOnlyPolicy: PowerPolicy {
  public static let name = PolicyName.csiOnly.rawValue
  public static let isOrthogonal = false
  public static let isQueueAware = false
  /// Creates the policy.
  public init() {}
  public func weight(pair: Int, queuePackets: Double) -> Double { 1 }
}

/// Weight Q_k (packets at the epoch start): queue-weighted throughput-optimal.
public struct QWTOPolicy: PowerPolicy {
  public static let name = PolicyName.qwto.rawValue
  public static let isOrthogonal = false
  /// Creates the policy.
  public init() {}
  public func weight(pair: Int, queuePackets: Double) -> Double { queuePackets }
}

/// TDMA: the non-empty pair with the strongest direct channel sends alone (weight 1 water level).
public struct TDMAPolicy: PowerPolicy {
  public static let name = PolicyName.tdma.rawValue
  public static let isOrthogonal = true
  public static let isQueueAware = false
  /// Creates the policy.
  public init() {}
  public func weight(pair: Int, queuePackets: Double) -> Double { 1 }
}

/// Weight J'_k(Q_k) + β/(2λ_k): the fluid slope plus the half-holding term (model.md, "How well J
/// approximates…": the epoch-level MDP charges β Q/λ at the epoch start, the fluid spreads it over
/// the drain, and adding β Q/(2λ) to J closes most of the gap).
public struct FluidCorrectedPolicy: PowerPolicy {
  public static let name = PolicyName.fluidCorrected.rawValue
  public static let isOrthogonal = false
  private var fluid: FluidPolicy
  /// β/(2λ_k) per pair.
  public let offsets: [Double]

  /// Creates the policy from each pair's fluid value function (its β and λ give the offset).
  public init(valueFunctions: [FluidValueFunction]) {
    fluid = FluidPolicy(valueFunctions: valueFunctions)
    offsets = valueFunctions.map { $0.beta / (2 * $0.arrivalRate) }
  }

  public mutating func weight(pair: Int, queuePackets: Double) throws -> Double {
    try fluid.weight(pair: pair, queuePackets: queuePackets) + offsets[pair]
  }
}

/// Weights from a piecewise-linear table per pair (`WeightTable`, read from the scenario's
/// `policyTable` CSV).
public struct TablePolicy: PowerPolicy {
  public static let name = PolicyName.table.rawValue
  public static let isOrthogonal = false
  /// One table per pair.
  public let tables: [WeightTable]
  /// Creates the policy.
  public init(tables: [WeightTable]) { self.tables = tables }
  public func weight(pair: Int, queuePackets: Double) -> Double { tables[pair].weight(atQueue: queuePackets) }
}

/// The optimal per-flow policy of the slot-level MDP (`PerFlowSlotMDP`), decided every slot from the
/// queue at the slot start and the slot's direct gain.
///
/// Without interference the weight is the one whose water-filling reproduces the exact minimiser of
/// the solved Bellman equation (so at K = 1 the policy is optimal for the simulated model). With
/// interference the weight enters Algorithm 3 by `rule`.
public struct VIPolicy: PowerPolicy {
  public static let name = PolicyName.vi.rawValue
  public static let isOrthogonal = false
  public static let decidesEachSlot = true
  /// One decision per pair.
  public let decisions: [PerFlowDecision]
  /// The weight rule used when pairs interfere (`action` is forced when they do not).
  public let rule: VIWeightRule

  /// Creates the policy.
  public init(decisions: [PerFlowDecision], rule: VIWeightRule, interferenceFree: Bool) {
    self.decisions = decisions
    self.rule = interferenceFree ? .action : rule
  }

  /// The epoch-start weight (recorded in traces): W̃'(Q).
  public func weight(pair: Int, queuePackets: Double) -> Double { decisions[pair].slope(queuePackets: queuePackets) }

  public func slotWeight(pair: Int, queuePackets: Double, packetCount: Int, directGain: Double) -> Double {
    switch rule {
    case .action: return decisions[pair].actionWeight(queuePackets: queuePackets, directGain: directGain)
    case .slope: return decisions[pair].slope(queuePackets: queuePackets)
    case .secant: return decisions[pair].secantWeight(queuePackets: queuePackets, directGain: directGain)
    }
  }
}

/// The delay-optimal per-flow policy of the packet-count slot MDP (`PerFlowPacketMDP`), decided every
/// slot from the packets queued at the slot start and the slot's direct gain.
///
/// Without interference the weight reproduces the exact minimiser of the solved Bellman equation, so
/// at K = 1 the policy minimises β × mean delay + γ × mean power over all policies that decide from
/// the packet count and the fading (csi-only among them). With interference the weight enters
/// Algorithm 3 by `rule` (`vi-delay` reads the scenario's `viWeight`).
public struct VIDelayPolicy: PowerPolicy {
  public static let name = PolicyName.viDelay.rawValue
  public static let isOrthogonal = false
  public static let decidesEachSlot = true
  /// One decision per pair.
  public let decisions: [PerFlowPacketDecision]
  /// The weight rule used when pairs interfere (`action` is forced when they do not).
  public let rule: VIWeightRule
  /// Per pair, the factor 1/(1 + Ī_k) the per-flow model applies to the direct gain (1 unless
  /// `viInterference = target`): the slot's decision is taken at g_kk/(1 + Ī_k), and the action
  /// weight (γ/(κ g_eff)) e^{aμ*} then gives p = (1 + Ī_k)(e^{aμ*} − 1)/g_kk when I_k = Ī_k.
  public let gainScale: [Double]

  /// Creates the policy.
  public init(decisions: [PerFlowPacketDecision], rule: VIWeightRule, interferenceFree: Bool, gainScale: [Double]? = nil) {
    self.decisions = decisions
    self.rule = interferenceFree ? .action : rule
    self.gainScale = gainScale ?? Array(repeating: 1, count: decisions.count)
  }

  /// The epoch-start weight, recorded in traces only (every slot replaces it): W(n) − W(n − 1) at the
  /// queue rounded up to whole packets.
  public func weight(pair: Int, queuePackets: Double) -> Double {
    decisions[pair].slope(packets: Int(min(queuePackets, 1e9).rounded(.up)))
  }

  public func slotWeight(pair: Int, queuePackets: Double, packetCount: Int, directGain: Double) -> Double {
    let g = directGain * gainScale[pair]
    switch rule {
    case .action: return decisions[pair].actionWeight(packets: packetCount, directGain: g)
    case .slope: return decisions[pair].slope(packets: packetCount)
    case .secant: return decisions[pair].secantWeight(packets: packetCount, directGain: g)
    }
  }
}
