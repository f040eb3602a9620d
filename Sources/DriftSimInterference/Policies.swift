import DriftSimNumerics

/// A power-control policy: the epoch-start weight of each pair, and whether pairs share slots
/// (distributed water-filling) or take turns (TDMA). The simulation is generic over the policy, so
/// the per-slot code is specialised and has no dynamic dispatch.
public protocol PowerPolicy {
  /// The policy's name as scenarios spell it.
  static var name: PolicyName { get }
  /// Whether one pair transmits alone per slot (TDMA) instead of the weighted iteration.
  static var isOrthogonal: Bool { get }
  /// The weight w_k for the coming epoch, from pair k's queue at the epoch start (packets).
  mutating func weight(pair: Int, queuePackets: Double) throws -> Double
}

/// Weight J'_k(Q_k): the fluid value function's slope (paper Algorithm 2).
public struct FluidPolicy: PowerPolicy {
  public static let name = PolicyName.fluid
  public static let isOrthogonal = false
  /// One fluid value function per pair.
  public let valueFunctions: [FluidValueFunction]
  private var hints: [(queue: Double, slope: Double)?]
  private let solver = BrentRootFinder()

  /// Creates the policy from each pair's fluid value function.
  public init(valueFunctions: [FluidValueFunction]) {
    self.valueFunctions = valueFunctions
    hints = Array(repeating: nil, count: valueFunctions.count)
  }

  public mutating func weight(pair: Int, queuePackets: Double) throws -> Double {
    if queuePackets == 0 { return valueFunctions[pair].v }
    let slope = try valueFunctions[pair].slope(atQueue: queuePackets, hint: hints[pair], solver: solver)
    hints[pair] = (queuePackets, slope)
    return slope
  }
}

/// Weight 1: CSI-only water-filling.
public struct CSIOnlyPolicy: PowerPolicy {
  public static let name = PolicyName.csiOnly
  public static let isOrthogonal = false
  /// Creates the policy.
  public init() {}
  public func weight(pair: Int, queuePackets: Double) -> Double { 1 }
}

/// Weight Q_k (packets at the epoch start): queue-weighted throughput-optimal.
public struct QWTOPolicy: PowerPolicy {
  public static let name = PolicyName.qwto
  public static let isOrthogonal = false
  /// Creates the policy.
  public init() {}
  public func weight(pair: Int, queuePackets: Double) -> Double { queuePackets }
}

/// TDMA: the non-empty pair with the strongest direct channel sends alone (weight 1 water level).
public struct TDMAPolicy: PowerPolicy {
  public static let name = PolicyName.tdma
  public static let isOrthogonal = true
  /// Creates the policy.
  public init() {}
  public func weight(pair: Int, queuePackets: Double) -> Double { 1 }
}
