import ArgumentParser
import DriftSimFluidValidation
import Foundation
import DriftSimInterference

/// `driftsim fluid decoupling`: how the two-pair relative value function departs from J1 + J2 as the cross gain grows.
struct FluidDecouplingCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "decoupling",
    abstract: "Measure the decoupling error h(q1,q2) − J1(q1) − J2(q2) of two-pair value iteration against the cross gain L, and its order in L.",
    discussion: """
      For pairs 0 and 1 of the scenario (λ, L_kk, β, γ, κ; the scenario's crossGain is ignored) the two-pair MDP of docs/fluid-validation.md section 2 is solved by relative value iteration at L12 = L21 = 0 and at every --cross-gains value, on the same fading nodes and action grid. At each --queues state it reports h, J1 + J2, the gap h − (J1 + J2), and the coupling gap h_L − h_0, in which the single-pair (Theorem 1) gap and the discretisation error cancel. The order of the coupling gap in L is the least-squares slope of log(h_L − h_0) on log L with a 95 % Student-t interval.

      Grid check: unless --check-truncation 0, L = 0 and --check-cross-gain are solved again at the check N and the coupling gaps compared. The defaults (N = 16, check N = 24, 4 × 4 × 2 × 2 = 64 fading nodes, δ = 1/2) take a few minutes on two cores; docs/coupled-fluid.md has the measured table.

      JSON: {"arrivalRates", "beta", "gamma", "directGains", "kappa", "truncation", "fadingNodes", "actionStep", "solves": [{"crossGain", "truncation", "theta", "iterations", "converged", "wallSeconds"}], "points": [{"crossGain", "q1", "q2", "h", "J1PlusJ2", "gap", "relativeGap", "couplingGap", "relativeCouplingGap"}], "fits": [{"q1", "q2", "order", "order95", "crossGains", "maxResidual"}], "truncationCheck": [{"crossGain", "q1", "q2", "couplingGap", "couplingGapCheck", "relativeDifference"}], "wallSeconds"}.

      Example: driftsim fluid decoupling --set gamma=1 --cross-gains 0.01,0.03,0.1,0.3 --json decoupling.json
      """
  )

  @OptionGroup var source: ScenarioOptions

  @Option(
    help: ArgumentHelp("Cross gains L = L12 = L21 (≥ 0, ≤ 10; L = 0 is always solved as the reference).", valueName: "l1,l2,…"),
    transform: { try parseNumberList($0, option: "--cross-gains", minimum: 0) })
  var crossGains: [Double] = [0.01, 0.03, 0.1, 0.3]

  @Option(
    help: ArgumentHelp("Queue states q1:q2 (packets), comma-separated, e.g. 4:4,8:0.", valueName: "q1:q2,…"),
    transform: parseQueuePairs)
  var queues: [[Int]] = [[3, 3], [6, 6], [9, 9], [6, 0], [9, 0]]

  @Option(help: "N per queue of the two-pair MDP (4…200).")
  var truncation = 16

  @Option(help: "N of the grid check (0: no check; else 4…200, ≠ N).")
  var checkTruncation = 24

  @Option(help: "Cross gain of the grid check (> 0).")
  var checkCrossGain = 0.1

  @Option(help: "Gauss–Laguerre nodes per direct gain (1…40).")
  var directNodes = 4

  @Option(help: "Gauss–Laguerre nodes per cross gain (1…40).")
  var crossNodes = 2

  @Option(help: "Step δ of the served-amount grid, packets (1/64…1).")
  var actionStep = 0.5

  @Option(help: "Span tolerance of relative value iteration (relative to max|h|, 1e-15…1e-3).")
  var tolerance = 1e-10

  @Option(help: "Sweep cap per solve (1…1000000).")
  var maxIterations = 100_000

  @OptionGroup var parallelism: JobsOption
  /// Worker threads (`--jobs`).
  var jobs: Int { parallelism.count }

  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard (4...200).contains(truncation) else { throw ValidationError("--truncation must be in 4…200") }
    guard checkTruncation == 0 || ((4...200).contains(checkTruncation) && checkTruncation != truncation) else {
      throw ValidationError("--check-truncation must be 0 or in 4…200 and differ from --truncation")
    }
    guard checkCrossGain > 0, checkCrossGain <= 10 else { throw ValidationError("--check-cross-gain must be in (0, 10]") }
    guard (1...40).contains(directNodes), (1...40).contains(crossNodes) else { throw ValidationError("--direct-nodes and --cross-nodes must be in 1…40") }
    guard actionStep >= 1.0 / 64, actionStep <= 1 else { throw ValidationError("--action-step must be in 1/64…1 packets") }
    guard tolerance >= 1e-15, tolerance <= 1e-3 else { throw ValidationError("--tolerance must be in 1e-15…1e-3") }
    guard (1...1_000_000).contains(maxIterations) else { throw ValidationError("--max-iterations must be in 1…1000000") }
    guard (1...1024).contains(jobs) else { throw ValidationError("--jobs must be in 1…1024") }
    guard crossGains.allSatisfy({ $0 <= 10 }) else { throw ValidationError("--cross-gains must be ≤ 10") }
    guard crossGains.contains(where: { $0 > 0 }) else { throw ValidationError("--cross-gains needs at least one value > 0") }
    let limit = min(truncation, checkTruncation == 0 ? truncation : checkTruncation)
    guard queues.allSatisfy({ $0.allSatisfy { $0 <= limit } }) else { throw ValidationError("--queues must be ≤ \(limit) (the smaller N)") }
  }

  func run() throws {
    let scenario = try source.load()
    let options = DecouplingStudyOptions(
      crossGains: crossGains, queues: queues, truncation: truncation, checkTruncation: checkTruncation == 0 ? nil : checkTruncation,
      checkCrossGain: checkCrossGain, fadingNodes: (directNodes, crossNodes), actionStep: actionStep,
      valueIteration: ValueIterationOptions(relativeTolerance: tolerance, maxIterations: maxIterations, jobs: jobs))
    let result = try DecouplingStudy.run(scenario, options: options) { self.output.progress($0) }
    output.report(
      String(
        format: "two-pair value iteration, γ = %g, N = %d, %d fading nodes, δ = %g, %.0f s", result.gamma, result.truncation, result.fadingNodes,
        result.actionStep, result.wallSeconds))
    output.report("      L   q1   q2            h      J1+J2     h−J   (h−J)/J   h_L−h_0   (h_L−h_0)/J")
    for p in result.points {
      output.report(
        String(
          format: "%7g %4d %4d %12.4f %10.4f %7.3f %9.4f %9.4f %13.5f", p.crossGain, p.q1, p.q2, p.h, p.J1PlusJ2, p.gap, p.relativeGap, p.couplingGap,
          p.relativeCouplingGap))
    }
    output.report("order of h_L − h_0 in L (log-log least squares, 95 % CI):")
    for f in result.fits {
      let ci = f.order95.map { String(format: "[%.3f, %.3f]", $0[0], $0[1]) } ?? "(no CI: < 3 points)"
      output.report(String(format: "  (%d, %d): %.3f %@ over L = %@, max residual %.3f", f.q1, f.q2, f.order, ci, f.crossGains.map { "\($0)" }.joined(separator: ","), f.maxResidual))
    }
    for c in result.truncationCheck {
      output.report(
        String(
          format: "grid check L = %g (%d, %d): h_L − h_0 = %.5f at N = %d, %.5f at N = %d (relative difference %.2e)", c.crossGain, c.q1, c.q2,
          c.couplingGap, truncation, c.couplingGapCheck, checkTruncation, c.relativeDifference))
    }
    try output.writeJSON(result)
  }
}

/// Parses "q1:q2,q1:q2,…" (whole packets ≥ 0, ≤ 200).
/// - Throws: `DriftSimError` naming `--queues` and the entry.
func parseQueuePairs(_ text: String) throws -> [[Int]] {
  let items = text.split(separator: ",", omittingEmptySubsequences: false)
  guard !items.isEmpty else { throw DriftSimError("--queues: empty list") }
  return try items.map { item in
    let parts = item.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    guard parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), (0...200).contains(a), (0...200).contains(b) else {
      throw DriftSimError("--queues: '\(item)' is not q1:q2 with whole numbers of packets in 0…200")
    }
    return [a, b]
  }
}
