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
    let cacheDirectory = scenario.policyCacheDirectory ?? PerFlowSolutionCache.defaultDirectory()
    var byModel: [PerFlowSlotModel: PerFlowDecision] = [:]
    var decisions: [PerFlowDecision] = []
    for k in 0..<scenario.pairs {
      let model = perFlowModel(scenario, gamma: gamma, pair: k)
      if let known = byModel[model] {
        decisions.append(known)
        continue
      }
      let decision = try PerFlowDecision(PerFlowSolutionCache.solution(for: model, directory: cacheDirectory).solution)
      byModel[model] = decision
      decisions.append(decision)
    }
    return decisions
  }
}
