import ArgumentParser
import DriftSimFluidValidation
import Foundation
import DriftSimInterference

/// `driftsim fluid two-pair`: the K = 2 relative value iteration against J1 + J2.
struct FluidTwoPairCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "two-pair",
    abstract: "Relative value iteration of two interfering queues (K = 2) against J1(q1) + J2(q2).",
    discussion: """
      Uses pairs 0 and 1 of the scenario with its crossGain (use a small one, e.g. --set crossGain=0.05): state (q1, q2) ∈ {0…--truncation}², V(q1, q2) − V(0, 0) against J1(q1) + J2(q2). Two controls separate interference from discretisation error: the exact single-pair solutions h1 + h2, and the same fading nodes and action grid without interference; 'corrected' is h1 + h2 + (h − h_uncoupled).

      Limits: N ≤ \(TwoPairMDP.maximumTruncation) per queue ((N+1)² states; N = 40 took 7–14 min in release on 2 shared cores with the default nodes, and the cost grows faster than N²), 1…40 nodes per gain, \(TwoPairMDP.minimumStep) ≤ --action-step ≤ 1.

      JSON: {"arrivalRates", "directGains", "crossGains", "gamma", "beta", "kappa", "truncation", "fadingNodes", "actionStep", "tolerance", "theta", "thetaBounds", "singlePairThetaSum", "uncoupledSameNodesTheta", "couplingCorrectedTheta", "cInfSum", "iterations", "converged", "uncoupledConverged", "uncoupledIterations", "wallSeconds", "uncoupledWallSeconds", "alongQ1Axis": [points], "diagonal": [points]}.

      Example: driftsim fluid two-pair --set crossGain=0.05 --truncation 20 --json two-pair.json
      """
  )

  @OptionGroup var source: ScenarioOptions

  @Option(help: "Truncation per queue N (packets, 2…\(TwoPairMDP.maximumTruncation)).")
  var truncation = 40

  @Option(help: "Gauss–Laguerre points per direct gain (1…40; the fading expectation is a product rule).")
  var directNodes = 6

  @Option(help: "Gauss–Laguerre points per cross gain (1…40).")
  var crossNodes = 2

  @Option(help: "Step δ (packets) of the served-amount grid the per-node action is chosen from (\(TwoPairMDP.minimumStep) ≤ δ ≤ 1).")
  var actionStep = 0.25

  @OptionGroup var convergence: ConvergenceOptions
  /// `--tolerance`.
  var tolerance: Double { convergence.tolerance }
  /// `--max-iterations`.
  var maxIterations: Int { convergence.maxIterations }

  @OptionGroup var parallelism: JobsOption
  /// Worker threads (`--jobs`).
  var jobs: Int { parallelism.count }

  @Option(help: ArgumentHelp("Write an SVG of V against J1 + J2 along the q1 axis and the diagonal.", valueName: "PATH"))
  var svg: String?

  @OptionGroup var output: OutputOptions

  func validate() throws {
    if let svg { try checkOutputFile(svg, option: "--svg") }  // before any work
    guard (2...TwoPairMDP.maximumTruncation).contains(truncation) else {
      throw ValidationError("--truncation must be in 2…\(TwoPairMDP.maximumTruncation) packets, got \(truncation)")
    }
    guard (1...40).contains(directNodes), (1...40).contains(crossNodes) else {
      throw ValidationError("--direct-nodes and --cross-nodes must be in 1…40")
    }
    guard actionStep.isFinite, actionStep >= TwoPairMDP.minimumStep, actionStep <= 1 else {
      throw ValidationError("--action-step must be in \(TwoPairMDP.minimumStep)…1 packets, got \(actionStep)")
    }
    guard tolerance > 0, tolerance.isFinite else { throw ValidationError("--tolerance must be a positive number, got \(tolerance)") }
    guard maxIterations >= 1 else { throw ValidationError("--max-iterations must be ≥ 1") }
    guard jobs >= 1 else { throw ValidationError("--jobs must be ≥ 1") }
  }

  func run() throws {
    let scenario = try source.load()
    guard scenario.pairs >= 2 else { throw DriftSimError("two-pair needs a scenario with at least 2 pairs (pairs 0 and 1 are used)") }
    let k = scenario.pairs
    guard let lambdas = scenario.arrivalRate.resolved(pairs: k), let gains = scenario.directGain.resolved(pairs: k) else {
      throw DriftSimError("the scenario's arrivalRate and directGain lists must have one entry per pair (\(k))")
    }
    let cross: [Double]
    switch scenario.crossGain {
    case let .all(value): cross = [value, value]
    case let .matrix(rows): cross = [rows[0][1], rows[1][0]]
    }
    let parameters = TwoPairStudy.Parameters(
      arrivalRates: Array(lambdas.prefix(2)), directGains: Array(gains.prefix(2)), crossGains: cross, gamma: scenario.gamma,
      beta: scenario.beta, kappa: scenario.kappa)
    let configuration = TwoPairStudy.Configuration(
      truncation: truncation, directNodes: directNodes, crossNodes: crossNodes, actionStep: actionStep,
      options: ValueIterationOptions(relativeTolerance: tolerance, maxIterations: maxIterations, jobs: jobs))
    let report = try TwoPairStudy.run(parameters: parameters, configuration: configuration) { output.progress($0) }
    output.report(
      String(
        format:
          "K = 2: θ = %.6f (bounds %.8f…%.8f); same nodes without interference θ0 = %.6f; exact single-pair θ1 + θ2 = %.6f; corrected θ = %.6f; c∞1 + c∞2 = %.6f; %d + %d sweeps in %.1f s%@",
        report.theta, report.thetaBounds[0], report.thetaBounds[1], report.uncoupledSameNodesTheta, report.singlePairThetaSum,
        report.couplingCorrectedTheta, report.cInfSum, report.iterations, report.uncoupledIterations,
        report.wallSeconds + report.uncoupledWallSeconds, report.converged && report.uncoupledConverged ? "" : " (NOT converged)"))
    output.report("   q1    q2     V−V(0,0)    h0 (L=0)  h1+h2 (K=1)  corrected      J1+J2  (h−J)/J  (hc−J)/J  (h−Σh)/Σh")
    for p in report.alongQ1Axis + report.diagonal {
      output.report(
        String(
          format: "%5d %5d %12.4f %11.4f %12.4f %10.4f %10.4f %8.4f %9.4f %10.4f", p.q1, p.q2, p.h, p.uncoupledSameNodes, p.singlePairSum,
          p.couplingCorrected, p.J1PlusJ2, p.relativeGap, p.relativeGapCorrected, p.relativeGapToSinglePair))
    }
    if let svg { try writeSVG(FluidCharts.twoPair(report), to: svg) }
    try output.writeJSON(report)
    if !report.converged || !report.uncoupledConverged {
      throw DriftSimError("two-pair value iteration did not reach the span tolerance in \(maxIterations) sweeps (--max-iterations)")
    }
  }
}
