import ArgumentParser
import DriftSimInterference
import Foundation

/// `driftsim policy solve-delay`: the packet-count MDP of policy vi-delay for one pair.
struct PolicySolveDelayCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "solve-delay",
    abstract: "Solve the packet-count per-flow MDP of policy vi-delay for one pair and print θ, the value table and timing.",
    discussion: """
      The model is pair --pair of the scenario without interference, counted in packets: state = packets queued at a slot start (0…viMaxQueuePackets), per-slot Rayleigh fading, Poisson(λ/N) arrivals per slot, exponential sizes (so the residual sizes are i.i.d. Exp and the count is an exact state), action = the slot's capacity μ on the grid 0, viCapacityStep, …, viMaxCapacityPackets (packets per slot), power capped at the level that empties the queue as in the simulator, departures at the slot end. Cost per epoch β L/λ + γ p̄ (L the time-average packets present), i.e. β × mean delay (epochs) + γ × mean power. The expectation over fading is exact for the capacity grid (E1 differences at the decision thresholds), so the grid is the only discretisation; --refine halves viCapacityStep (and raises viMaxCapacityPackets by a third) and multiplies viMaxQueuePackets by 1.5, and reports how much θ moves. γ is the scenario's gamma (targetSNRdB is not calibrated here). Cached like policy solve (--cache-dir, --no-cache).

      JSON: {"model", "theta", "iterations", "relativeSpan", "converged", "solveSeconds", "source", "cacheFile", "peakResidentMB", "table": [{"packets", "relativeValue", "continuation", "slope", "capacityAtMeanGain"}], "refinement": [{"change", "theta", "deltaTheta", "iterations", "solveSeconds"}]}.

      Example: driftsim policy solve-delay --set gamma=0.02 --set arrivalRate=1 --refine --json -
      """
  )

  @OptionGroup var source: ScenarioOptions

  @OptionGroup var solve: PerFlowSolveOptions

  @Flag(help: "Also solve refined models (viCapacityStep/2, 1.5 × viMaxQueuePackets) and report the change in θ.")
  var refine = false

  @OptionGroup var output: OutputOptions

  struct Row: Encodable {
    var packets: Int
    var relativeValue: Double
    var continuation: Double
    var slope: Double
    var capacityAtMeanGain: Double
  }

  typealias Refinement = PerFlowRefinement

  struct Report: Encodable {
    var model: PerFlowPacketModel
    var theta: Double
    var iterations: Int
    var relativeSpan: Double
    var converged: Bool
    var solveSeconds: Double
    var source: String
    var cacheFile: String?
    var peakResidentMB: Double
    var table: [Row]
    var refinement: [Refinement]
  }

  func run() throws {
    var scenario = try source.load()
    let pair = try solve.checkedPair(scenario)
    let tolerance = solve.tolerance, rows = solve.rows
    guard scenario.packetSizes == .exponential else {
      throw DriftSimError("policy solve-delay needs exponential packet sizes (the packet count is an exact state only for memoryless sizes)")
    }
    scenario.policy = .viDelay
    let model = PolicyRuns.perFlowPacketModel(scenario, gamma: scenario.gamma, pair: pair)
    let directory = solve.cacheDirectory(scenario)
    output.progress("policy solve-delay: \(model.maxQueuePackets + 1) states × \(model.capacityPoints) capacities, N = \(model.slotsPerEpoch)")
    let (solution, origin) = try PerFlowSolutionCache.solution(for: model, directory: directory, tolerance: tolerance)
    let decision = try PerFlowPacketDecision(solution)
    var refinements: [Refinement] = []
    if refine {
      var changes: [(String, PerFlowPacketModel)] = []
      var m = model
      m.capacityStep = model.capacityStep / 2
      m.maxCapacityPackets = model.maxCapacityPackets * 4 / 3
      if (m.maxCapacityPackets / m.capacityStep).rounded() != m.maxCapacityPackets / m.capacityStep { m.maxCapacityPackets = model.maxCapacityPackets }
      changes.append(("capacityStep/2", m))
      m = model
      m.maxQueuePackets = Int((Double(model.maxQueuePackets) * 1.5).rounded())
      changes.append(("maxQueuePackets×1.5", m))
      for (name, refined) in changes {
        output.progress("policy solve-delay: refinement \(name)")
        let s = try PerFlowSolutionCache.solution(for: refined, directory: directory, tolerance: tolerance).solution
        refinements.append(Refinement(change: name, theta: s.theta, deltaTheta: s.theta - solution.theta, iterations: s.iterations, solveSeconds: s.solveSeconds))
      }
    }
    let peakMB = peakResidentMegabytes()
    let table = (0...model.maxQueuePackets).map { n -> Row in
      Row(
        packets: n, relativeValue: solution.relativeValue[n], continuation: solution.continuation[n], slope: decision.slope(packets: n),
        capacityAtMeanGain: decision.capacity(packets: n, directGain: model.directGain))
    }
    output.report(String(format: "per-flow packet MDP: λ = %g, γ = %g, L = %g, κ = %.6g, N = %d, exponential sizes", model.arrivalRate, model.gamma, model.directGain, model.kappa, model.slotsPerEpoch))
    output.report(String(format: "grid: n = 0…%d packets, capacity 0…%g packets/slot in steps of %g (%d points)", model.maxQueuePackets, model.maxCapacityPackets, model.capacityStep, model.capacityPoints))
    output.report(String(format: "θ = %.9f cost/epoch   (%d sweeps, span %.2e, %@; %.2f s, %@, peak RSS %.0f MB)", solution.theta, solution.iterations, solution.relativeSpan, solution.converged ? "converged" : "NOT converged", solution.solveSeconds, origin.rawValue, peakMB))
    for r in refinements { output.report(String(format: "refinement %-20@ θ = %.9f  Δθ = %+.2e", r.change, r.theta, r.deltaTheta)) }
    if rows > 0 {
      output.report("   n          h(n)          W(n)   W(n)−W(n−1)   μ* at g = L")
      let stride = max(1, table.count / rows)
      for i in Swift.stride(from: 0, to: table.count, by: stride) {
        let r = table[i]
        output.report(String(format: "%4d  %12.6f  %12.6f  %12.6f  %10.4f", r.packets, r.relativeValue, r.continuation, r.slope, r.capacityAtMeanGain))
      }
    }
    try output.writeJSON(
      Report(
        model: model, theta: solution.theta, iterations: solution.iterations, relativeSpan: solution.relativeSpan, converged: solution.converged,
        solveSeconds: solution.solveSeconds, source: origin.rawValue,
        cacheFile: directory.map { PerFlowSolutionCache.path(for: model, directory: $0) }, peakResidentMB: peakMB, table: table,
        refinement: refinements))
  }
}
