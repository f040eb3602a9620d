import Foundation

/// What the policies beyond the paper's four need before a run: the per-flow slot model of a pair
/// and the solved decisions of policy `vi` (`NetworkRun.runReplication` builds every policy).
public enum PolicyRuns {
  /// The per-flow slot model of pair k of a scenario at γ (policy `vi`).
  public static func perFlowModel(_ scenario: Scenario, gamma: Double, pair k: Int) -> PerFlowSlotModel {
    let p = NetworkParameters(scenario, gamma: gamma)
    return PerFlowSlotModel(
      arrivalRate: max(p.arrivalRatePerEpoch[k], 1e-12), beta: scenario.beta, gamma: gamma, directGain: p.directGain[k],
      kappa: p.kappa, slotsPerEpoch: p.slotsPerEpoch, packetSizes: scenario.packetSizes, gridStep: scenario.viGridStep,
      maxQueuePackets: scenario.viMaxQueuePackets, fadingNodes: scenario.viFadingNodes)
  }

  /// The decisions of policy `vi` for every pair, each distinct pair model solved once (and cached
  /// in the scenario's `policyCacheDirectory`, else `PerFlowSolutionCache.defaultDirectory()`).
  /// - Throws: `PerFlowModelError` if a solve fails.
  public static func viDecisions(_ scenario: Scenario, gamma: Double) throws -> [PerFlowDecision] {
    let directory = scenario.policyCacheDirectory ?? PerFlowSolutionCache.defaultDirectory()
    return try solvedOncePerModel(pairs: scenario.pairs, model: { perFlowModel(scenario, gamma: gamma, pair: $0) }) {
      try PerFlowDecision(PerFlowSolutionCache.solution(for: $0, directory: directory).solution)
    }
  }

  /// One decision per pair, built once per distinct model (identical pairs share the solve).
  static func solvedOncePerModel<Model: Hashable, Decision>(
    pairs: Int, model: (Int) -> Model, decide: (Model) throws -> Decision
  ) throws -> [Decision] {
    var byModel: [Model: Decision] = [:]
    return try (0..<pairs).map { k in
      let m = model(k)
      if let known = byModel[m] { return known }
      let decision = try decide(m)
      byModel[m] = decision
      return decision
    }
  }

  /// 1/(1 + Ī_k) for `viInterference = target` (Ī_k = Σ_{j≠k} L_kj 10^{targetSNRdB/10}), else 1: the
  /// factor by which policy `vi-delay`'s per-flow model scales pair k's direct gain.
  public static func viDelayGainScale(_ scenario: Scenario, pair k: Int) -> Double {
    guard scenario.viInterference == .target, let target = scenario.targetSNRdB else { return 1 }
    let p = NetworkParameters(scenario, gamma: scenario.gamma)
    let power = pow(10, target / 10)
    var interference = 0.0
    for j in 0..<p.pairs where j != k { interference += p.crossGain[k * p.pairs + j] * power }
    return 1 / (1 + interference)
  }

  /// The packet-count model of pair k of a scenario at γ (policy `vi-delay`).
  public static func perFlowPacketModel(_ scenario: Scenario, gamma: Double, pair k: Int) -> PerFlowPacketModel {
    let p = NetworkParameters(scenario, gamma: gamma)
    return PerFlowPacketModel(
      arrivalRate: max(p.arrivalRatePerEpoch[k], 1e-12), beta: scenario.beta, gamma: gamma,
      directGain: p.directGain[k] * viDelayGainScale(scenario, pair: k),
      kappa: p.kappa, slotsPerEpoch: p.slotsPerEpoch, maxQueuePackets: Int(scenario.viMaxQueuePackets),
      capacityStep: scenario.viCapacityStep, maxCapacityPackets: scenario.viMaxCapacityPackets)
  }

  /// The decisions of policy `vi-delay` for every pair, each distinct pair model solved once (and
  /// cached like `vi`'s).
  /// - Throws: `PerFlowModelError` / `NumericsError` if a solve fails.
  public static func viDelayDecisions(_ scenario: Scenario, gamma: Double) throws -> [PerFlowPacketDecision] {
    let directory = scenario.policyCacheDirectory ?? PerFlowSolutionCache.defaultDirectory()
    return try solvedOncePerModel(pairs: scenario.pairs, model: { perFlowPacketModel(scenario, gamma: gamma, pair: $0) }) {
      try PerFlowPacketDecision(PerFlowSolutionCache.solution(for: $0, directory: directory).solution)
    }
  }
}
