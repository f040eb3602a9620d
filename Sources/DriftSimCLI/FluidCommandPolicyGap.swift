import ArgumentParser
import DriftSimFluidValidation
import Foundation
import DriftSimInterference
import DriftSimNumerics

/// `driftsim fluid policy-gap`: the fluid policy's average cost against the value-iteration optimum.
struct FluidPolicyGapCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "policy-gap",
    abstract: "Compare the fluid policy's average cost per epoch with the optimal θ of value iteration (K = 1).",
    discussion: """
      Three numbers, all in cost per epoch (β Q/λ + γ p, Q in packets at the epoch start):
        θ          the optimum of the discrete-time MDP (relative value iteration, --truncation N);
        θ_fluid    the fluid policy (water level J'(Q) κ/γ, capped at the queue) evaluated exactly in the
                   same MDP (relative value iteration of the fixed policy);
        simulated  the packet-level simulation of one pair (pair 0's λ, L; no interference) under the
                   fluid policy: the time average of β Q/λ + γ p̄ over measured epochs, R replications,
                   95 % CI. The default --set slotsPerEpoch=1 is NOT applied for you: use it to match the
                   MDP's one fading draw per epoch (with N slots the epoch averages N fading draws).
      With --set packetSizes=deterministic and --set slotsPerEpoch=1 the simulation is the MDP like for \
      like (whole packets, one fading draw per epoch). --vi also solves the slot-level per-flow MDP of \
      policy vi (at the scenario's slotsPerEpoch and packetSizes; docs/policies.md) and simulates vi:
      its cost with Q at every slot start must equal that θ within the CI. --vi-delay solves the \
      packet-count MDP of policy vi-delay (exponential sizes; docs/policies.md) and simulates vi-delay: \
      its cost β L/λ + γ p̄ (L the time-average packets present, i.e. β × mean delay + γ × mean power) \
      must equal that θ within the CI.

      JSON: {"model", "theta", "thetaFluid", "relativeGapMDP", "cInf", "simulated": {"meanCostPerEpoch", \
      "ci95", "slotCostPerEpoch", "slotCostCI95", "holdingCostPerEpoch", "powerCostPerEpoch", "meanQueuePackets", \
      "meanDelayMs", …}, "relativeGapSimulated", "vi": {"model", "theta", "simulated", "relativeGapSimulated"}, "viDelay": {same keys; \
      compare with "simulated.delayCostPerEpoch"}}. \
      --compare csi-only,fluid-corrected simulates more policies at the same γ ("compared" in the JSON).

      Example: driftsim fluid policy-gap --set gamma=1 --set slotsPerEpoch=1 --set epochs=20000 --replications 10
      """
  )

  @OptionGroup var source: ScenarioOptions

  @Option(help: "Truncation level N of the MDP (packets).")
  var truncation = 400

  @Option(help: "Span tolerance of value iteration (relative to max|h|).")
  var tolerance = 1e-12

  @Option(help: "Replications of the packet-level simulation (≥ 2; 0 skips the simulation).")
  var replications = 10

  @Flag(help: "Also solve the slot-level per-flow MDP (policy vi, at the scenario's slotsPerEpoch and packetSizes) and simulate vi against its θ.")
  var vi = false

  @Flag(name: .customLong("vi-delay"), help: "Also solve the packet-count MDP of policy vi-delay and simulate vi-delay against its θ (cost β × delay + γ × power).")
  var viDelay = false

  @Option(help: ArgumentHelp("Also simulate these policies at the same γ (one pair, no interference) and report their costs next to θ.", valueName: "p1,p2,…"))
  var compare: String?

  @OptionGroup var parallelism: JobsOption
  /// Worker threads (`--jobs`).
  var jobs: Int { parallelism.count }

  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard truncation >= 2 else { throw ValidationError("--truncation must be ≥ 2") }
    guard replications == 0 || replications >= 2 else { throw ValidationError("--replications must be 0 or ≥ 2") }
    guard tolerance > 0, jobs >= 1 else { throw ValidationError("--tolerance must be > 0 and --jobs ≥ 1") }
  }

  typealias Model = FluidModelReport

  struct Report: Encodable {
    var model: Model
    var theta: Double
    var thetaFluid: Double
    var relativeGapMDP: Double
    var cInf: Double
    var iterations: [Int]
    var simulated: SimulatedCost?
    var relativeGapSimulated: Double?
    var vi: VIReport?
    var viDelay: VIDelayReport?
    var compared: [SimulatedCost]
    var wallSeconds: Double
  }

  /// A per-flow optimum (vi's slot model or vi-delay's packet model) against its simulation.
  struct PerFlowReport<Model: Encodable>: Encodable {
    var model: Model
    var theta: Double
    var iterations: Int
    var simulated: SimulatedCost?
    var relativeGapSimulated: Double?
  }
  typealias VIReport = PerFlowReport<PerFlowSlotModel>
  typealias VIDelayReport = PerFlowReport<PerFlowPacketModel>

  func run() throws {
    let scenario = try source.load()
    let start = Date()
    let p = try pairParameters(scenario, pair: 0)
    let options = ValueIterationOptions(relativeTolerance: tolerance, jobs: jobs)
    let mdp = try SinglePairMDP(arrivalRate: p.lambda, beta: p.beta, gamma: p.gamma, directGain: p.gain, kappa: p.kappa, truncation: truncation)
    output.progress("policy-gap: value iteration (optimal), N = \(truncation)")
    let optimal = try mdp.solve(policy: .optimal, options: options)
    output.progress("policy-gap: value iteration (fluid policy)")
    let fluidPolicy = try mdp.solve(policy: .fluid, options: options)
    let cInf = try mdp.fluidValueFunction().cInf
    var simulated: SimulatedCost? = nil
    if replications > 0 {
      output.progress("policy-gap: \(replications) packet-level replications of \(scenario.epochs) epochs, \(scenario.slotsPerEpoch) slots/epoch")
      simulated = try PolicyGapStudy.simulate(scenario, policy: .fluid, replications: replications, jobs: jobs)
    }
    /// Simulates `policy` against a per-flow solver's θ, comparing the simulated `cost`.
    func perFlowReport<Model: Encodable>(
      _ model: Model, theta: Double, iterations: Int, policy: PolicyName, cost: KeyPath<SimulatedCost, Double>
    ) throws -> PerFlowReport<Model> {
      var simulatedCost: SimulatedCost? = nil
      if replications > 0 {
        output.progress("policy-gap: \(replications) packet-level replications under \(policy.rawValue)")
        simulatedCost = try PolicyGapStudy.simulate(scenario, policy: policy, replications: replications, jobs: jobs)
      }
      return PerFlowReport(
        model: model, theta: theta, iterations: iterations, simulated: simulatedCost,
        relativeGapSimulated: simulatedCost.map { ($0[keyPath: cost] - theta) / theta })
    }
    let cacheDirectory = scenario.policyCacheDirectory ?? PerFlowSolutionCache.defaultDirectory()
    var viReport: VIReport? = nil
    if vi {
      output.progress("policy-gap: slot-level per-flow MDP (policy vi)")
      let model = PolicyRuns.perFlowModel(scenario, gamma: scenario.gamma, pair: 0)
      let solved = try PerFlowSolutionCache.solution(for: model, directory: cacheDirectory).solution
      viReport = try perFlowReport(model, theta: solved.theta, iterations: solved.iterations, policy: .vi, cost: \.slotCostPerEpoch)
    }
    var viDelayReport: VIDelayReport? = nil
    if viDelay {
      guard scenario.packetSizes == .exponential else {
        throw DriftSimError("--vi-delay needs exponential packet sizes (the packet count is an exact state only for memoryless sizes)")
      }
      output.progress("policy-gap: packet-count per-flow MDP (policy vi-delay)")
      let model = PolicyRuns.perFlowPacketModel(scenario, gamma: scenario.gamma, pair: 0)
      let solved = try PerFlowSolutionCache.solution(for: model, directory: cacheDirectory).solution
      viDelayReport = try perFlowReport(
        model, theta: solved.theta, iterations: solved.iterations, policy: .viDelay, cost: \.delayCostPerEpoch)
    }
    var compared: [SimulatedCost] = []
    if let compare, replications > 0 {
      for name in compare.split(separator: ",").map({ String($0).trimmingCharacters(in: .whitespaces) }) {
        guard let policy = PolicyName(rawValue: name) else {
          throw DriftSimError("--compare: unknown policy '\(name)'; known: \(PolicyName.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        output.progress("policy-gap: \(replications) packet-level replications under \(name)")
        compared.append(try PolicyGapStudy.simulate(scenario, policy: policy, replications: replications, jobs: jobs))
      }
    }
    let gap = (fluidPolicy.theta - optimal.theta) / optimal.theta
    output.report(String(format: "γ = %g, λ = %g, κ = %.6g, N = %d", p.gamma, p.lambda, p.kappa, truncation))
    output.report(String(format: "θ (optimal, MDP)          = %.6f", optimal.theta))
    output.report(String(format: "θ_fluid (fluid policy, MDP) = %.6f   gap %+.3f %%", fluidPolicy.theta, 100 * gap))
    output.report(String(format: "c∞ (fluid model)          = %.6f", cInf))
    var simulatedGap: Double? = nil
    if let s = simulated {
      simulatedGap = (s.meanCostPerEpoch - optimal.theta) / optimal.theta
      output.report(
        String(
          format: "simulated fluid policy     = %.6f  95%% CI [%.6f, %.6f]  (holding %.4f + power %.4f; %d slots/epoch)  gap %+.2f %%",
          s.meanCostPerEpoch, s.ci95[0], s.ci95[1], s.holdingCostPerEpoch, s.powerCostPerEpoch, s.slotsPerEpoch, 100 * simulatedGap!))
      output.report(String(format: "  vs θ_fluid: simulated − θ_fluid = %+.6f (CI half-width %.6f)", s.meanCostPerEpoch - fluidPolicy.theta, (s.ci95[1] - s.ci95[0]) / 2))
    }
    if let v = viReport {
      output.report(String(format: "θ_slot (vi, slot-level MDP, δ = %g, x_max = %g, %d nodes) = %.6f  (%d sweeps)", v.model.gridStep, v.model.maxQueuePackets, v.model.fadingNodes, v.theta, v.iterations))
      if let s = v.simulated {
        output.report(
          String(format: "simulated vi (Q at slot starts) = %.6f  95%% CI [%.6f, %.6f]  gap %+.3f %%; mean delay %.4f ms [%.4f, %.4f]",
            s.slotCostPerEpoch, s.slotCostCI95[0], s.slotCostCI95[1], 100 * v.relativeGapSimulated!, s.meanDelayMs, s.meanDelayCI95[0], s.meanDelayCI95[1]))
      }
    }
    if let v = viDelayReport {
      output.report(String(format: "θ_delay (vi-delay, packet-count MDP, n_max = %d, δμ = %g, μ_max = %g) = %.6f  (%d sweeps)", v.model.maxQueuePackets, v.model.capacityStep, v.model.maxCapacityPackets, v.theta, v.iterations))
      if let s = v.simulated {
        output.report(
          String(format: "simulated vi-delay (β L/λ + γ p) = %.6f  95%% CI [%.6f, %.6f]  gap %+.3f %%; mean delay %.4f ms [%.4f, %.4f]",
            s.delayCostPerEpoch, s.delayCostCI95[0], s.delayCostCI95[1], 100 * v.relativeGapSimulated!, s.meanDelayMs, s.meanDelayCI95[0], s.meanDelayCI95[1]))
      }
    }
    for s in compared {
      output.report(
        String(format: "simulated %@ (Q at slot starts) = %.6f  95%% CI [%.6f, %.6f]; β L/λ + γ p = %.6f [%.6f, %.6f]; power cost %.6f; slot-start bits/S̄ %.4f, packets %.4f; mean delay %.4f ms [%.4f, %.4f]",
          s.policy, s.slotCostPerEpoch, s.slotCostCI95[0], s.slotCostCI95[1], s.delayCostPerEpoch, s.delayCostCI95[0], s.delayCostCI95[1], s.powerCostPerEpoch, s.meanSlotQueuePackets, s.meanPacketsAtSlotStart, s.meanDelayMs, s.meanDelayCI95[0], s.meanDelayCI95[1]))
    }
    try output.writeJSON(
      Report(
        model: Model(arrivalRate: p.lambda, beta: p.beta, gamma: p.gamma, directGain: p.gain, kappa: p.kappa, truncation: truncation),
        theta: optimal.theta, thetaFluid: fluidPolicy.theta, relativeGapMDP: gap, cInf: cInf, iterations: [optimal.iterations, fluidPolicy.iterations],
        simulated: simulated, relativeGapSimulated: simulatedGap, vi: viReport, viDelay: viDelayReport, compared: compared, wallSeconds: Date().timeIntervalSince(start)))
    if !optimal.converged || !fluidPolicy.converged { throw DriftSimError("value iteration did not reach the span tolerance") }
  }
}
