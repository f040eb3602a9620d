import ArgumentParser
import DriftSimInterference
import Foundation

/// `driftsim policy`: tools for the power policies beyond the paper.
struct PolicyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "policy",
    abstract: "Solve and inspect the policies beyond the paper (the per-flow optima vi and vi-delay).",
    discussion: """
      solve: the slot-level per-flow MDP behind policy vi (bits queued, cost β Q/λ + γ p), by relative value iteration. solve-delay: the packet-count MDP behind policy vi-delay (cost β × delay + γ × power). See docs/policies.md.
      """,
    subcommands: [PolicySolveCommand.self, PolicySolveDelayCommand.self]
  )
}

/// `driftsim policy solve`: the per-flow slot MDP of one pair, with its table, θ and timing.
struct PolicySolveCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "solve",
    abstract: "Solve the per-flow slot-level MDP of policy vi for one pair and print θ, the value table and timing.",
    discussion: """
      The model is pair --pair of the scenario without interference, at the scenario's own granularity: state = bits queued at a slot start / S̄ (packets) on the grid 0, δ, …, viMaxQueuePackets (δ = viGridStep), per-slot Rayleigh fading (viFadingNodes quadrature nodes), Poisson(λ/N) arrivals per slot with packetSizes sizes, cost β Q/λ + γ p per epoch. γ is the scenario's gamma (targetSNRdB is not calibrated here). The solution is cached in --cache-dir (default $DRIFTSIM_CACHE_DIR, else $XDG_CACHE_HOME/driftsim, else ~/.cache/driftsim), keyed by a hash of every input; --no-cache solves afresh and writes nothing. --refine also solves with half the grid step, 1.5 × the largest queue and twice the fading nodes, and reports how much θ moves (the discretisation check).

      JSON: {"model", "theta", "iterations", "relativeSpan", "converged", "gridPoints", "convexityViolations", "solveSeconds", "source", "peakResidentMB", "table": [{"queuePackets", "relativeValue", "continuation", "slope"}], "refinement": [{"change", "theta", "deltaTheta"}]}.

      Example: driftsim policy solve --set gamma=0.05 --set arrivalRate=1 --refine --json -
      """
  )

  @OptionGroup var source: ScenarioOptions

  @OptionGroup var solve: PerFlowSolveOptions

  @Flag(help: "Also solve refined models (δ/2, 1.5 × viMaxQueuePackets, 2 × viFadingNodes) and report the change in θ.")
  var refine = false

  @OptionGroup var output: OutputOptions

  struct Row: Encodable {
    var queuePackets: Double
    var relativeValue: Double
    var continuation: Double
    var slope: Double
  }

  typealias Refinement = PerFlowRefinement

  struct Report: Encodable {
    var model: PerFlowSlotModel
    var theta: Double
    var iterations: Int
    var relativeSpan: Double
    var converged: Bool
    var gridPoints: Int
    var convexityViolations: Int
    var solveSeconds: Double
    var source: String
    var cacheFile: String?
    var peakResidentMB: Double
    var table: [Row]
    var refinement: [Refinement]
  }

  func run() throws {
    let scenario = try source.load()
    let pair = try solve.checkedPair(scenario)
    let tolerance = solve.tolerance, rows = solve.rows
    let model = PolicyRuns.perFlowModel(scenario, gamma: scenario.gamma, pair: pair)
    let directory = solve.cacheDirectory(scenario)
    output.progress("policy solve: \(model.gridPoints) grid points × \(model.fadingNodes) fading nodes, N = \(model.slotsPerEpoch)")
    let (solution, origin) = try PerFlowSolutionCache.solution(for: model, directory: directory, tolerance: tolerance)
    let decision = try PerFlowDecision(solution)
    var refinements: [Refinement] = []
    if refine {
      var changes: [(String, PerFlowSlotModel)] = []
      var m = model
      m.gridStep = model.gridStep / 2
      changes.append(("gridStep/2", m))
      m = model
      m.maxQueuePackets = (model.maxQueuePackets * 1.5).rounded()
      changes.append(("maxQueuePackets×1.5", m))
      m = model
      m.fadingNodes = model.fadingNodes * 2
      changes.append(("fadingNodes×2", m))
      for (name, refined) in changes {
        output.progress("policy solve: refinement \(name)")
        let s = try PerFlowSolutionCache.solution(for: refined, directory: directory, tolerance: tolerance).solution
        refinements.append(Refinement(change: name, theta: s.theta, deltaTheta: s.theta - solution.theta, iterations: s.iterations, solveSeconds: s.solveSeconds))
      }
    }
    let peakMB = peakResidentMegabytes()
    let table = (0..<model.gridPoints).map { i -> Row in
      let x = Double(i) * model.gridStep
      return Row(
        queuePackets: x, relativeValue: solution.relativeValue[i], continuation: solution.continuation[i],
        slope: decision.slope(queuePackets: x))
    }
    output.report(String(format: "per-flow slot MDP: λ = %g, γ = %g, L = %g, κ = %.6g, N = %d, %@ sizes", model.arrivalRate, model.gamma, model.directGain, model.kappa, model.slotsPerEpoch, model.packetSizes.rawValue))
    output.report(String(format: "grid: δ = %g packets, x_max = %g (%d points), %d fading nodes", model.gridStep, model.maxQueuePackets, model.gridPoints, model.fadingNodes))
    output.report(String(format: "θ = %.9f cost/epoch   (%d sweeps, span %.2e, %@; %.2f s, %@, peak RSS %.0f MB)", solution.theta, solution.iterations, solution.relativeSpan, solution.converged ? "converged" : "NOT converged", solution.solveSeconds, origin.rawValue, peakMB))
    if solution.convexityViolations > 0 { output.report("warning: W is not convex on \(solution.convexityViolations) grid segments below x_max − 10") }
    for r in refinements { output.report(String(format: "refinement %-20@ θ = %.9f  Δθ = %+.2e", r.change, r.theta, r.deltaTheta)) }
    if rows > 0 {
      output.report("   Q (packets)          h(Q)          W(Q)        W'(Q)")
      let stride = max(1, model.gridPoints / rows)
      for i in Swift.stride(from: 0, to: model.gridPoints, by: stride) {
        let r = table[i]
        output.report(String(format: "%12.4f  %12.6f  %12.6f  %11.6f", r.queuePackets, r.relativeValue, r.continuation, r.slope))
      }
    }
    try output.writeJSON(
      Report(
        model: model, theta: solution.theta, iterations: solution.iterations, relativeSpan: solution.relativeSpan, converged: solution.converged,
        gridPoints: model.gridPoints, convexityViolations: solution.convexityViolations, solveSeconds: solution.solveSeconds,
        source: origin.rawValue, cacheFile: directory.map { PerFlowSolutionCache.path(for: model, directory: $0) }, peakResidentMB: peakMB,
        table: table, refinement: refinements))
  }
}

/// Options shared by `policy solve` and `policy solve-delay`.
struct PerFlowSolveOptions: ParsableArguments {
  @Option(help: "The pair whose model is solved (0-based).")
  var pair = 0

  @Option(help: ArgumentHelp("Cache directory for solutions.", valueName: "DIR"))
  var cacheDir: String?

  @Flag(help: "Solve afresh and do not read or write the cache.")
  var noCache = false

  @Option(help: "Span tolerance of relative value iteration (relative to max |h|).")
  var tolerance = 1e-10

  @Option(help: "Rows of the printed table (the JSON has all of them).")
  var rows = 12

  func validate() throws {
    guard pair >= 0 else { throw ValidationError("--pair must be ≥ 0") }
    guard tolerance > 0 && tolerance < 1 else { throw ValidationError("--tolerance must be in (0, 1)") }
    guard rows >= 0 else { throw ValidationError("--rows must be ≥ 0") }
  }

  /// `pair`, checked against the scenario.
  func checkedPair(_ scenario: Scenario) throws -> Int {
    guard pair < scenario.pairs else { throw DriftSimError("--pair \(pair): the scenario has \(scenario.pairs) pairs (0…\(scenario.pairs - 1))") }
    return pair
  }

  /// The cache directory: none with --no-cache, else --cache-dir, the scenario's, or the default.
  func cacheDirectory(_ scenario: Scenario) -> String? {
    noCache ? nil : (cacheDir ?? scenario.policyCacheDirectory ?? PerFlowSolutionCache.defaultDirectory())
  }
}

/// One refined solve of a per-flow model and how far θ moved.
struct PerFlowRefinement: Encodable {
  var change: String
  var theta: Double
  var deltaTheta: Double
  var iterations: Int
  var solveSeconds: Double
}

/// The process's peak resident memory in MB (Linux `ru_maxrss` is in kilobytes).
func peakResidentMegabytes() -> Double {
  var usage = rusage()
  getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
  return Double(usage.ru_maxrss) / 1024
}
