import Foundation

/// Builds and runs the policies beyond the paper's four (`fluid-corrected`, `vi`, `table`).
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

  /// Runs one replication of `fluid-corrected`, `vi` or `table` (the other policies are run by
  /// `NetworkRun.runReplication`).
  public static func runReplication(
    _ scenario: Scenario, gamma: Double, seed: UInt64, recorder: (any NetworkRecorder)?, progress: ProgressCounter?
  ) throws -> ReplicationResult {
    let parameters = NetworkParameters(scenario, gamma: gamma)
    switch scenario.policy {
    case .fluidCorrected:
      let functions = try (0..<parameters.pairs).map { k in
        try FluidValueFunction(
          arrivalRate: max(parameters.arrivalRatePerEpoch[k], 1e-12), beta: scenario.beta, gamma: gamma,
          directGain: parameters.directGain[k], kappa: parameters.kappa)
      }
      var simulation = NetworkSimulation(
        scenario: scenario, parameters: parameters, policy: FluidCorrectedPolicy(valueFunctions: functions), seed: seed,
        recorder: recorder, progress: progress)
      return try simulation.run()
    case .vi:
      let policy = VIPolicy(
        decisions: try viDecisions(scenario, gamma: gamma), rule: scenario.viWeight, interferenceFree: parameters.interferenceFree)
      var simulation = NetworkSimulation(
        scenario: scenario, parameters: parameters, policy: policy, seed: seed, recorder: recorder, progress: progress)
      return try simulation.run()
    case .table:
      guard let path = scenario.policyTable else {
        throw ScenarioError("key 'policyTable': policy table needs a CSV file (set policyTable=PATH)")
      }
      let policy = TablePolicy(tables: try WeightTableFile.load(path: path, pairs: parameters.pairs))
      var simulation = NetworkSimulation(
        scenario: scenario, parameters: parameters, policy: policy, seed: seed, recorder: recorder, progress: progress)
      return try simulation.run()
    case .fluid, .csiOnly, .qwto, .tdma:
      return try NetworkRun.runReplication(scenario, gamma: gamma, seed: seed, recorder: recorder, progress: progress)
    }
  }
}
