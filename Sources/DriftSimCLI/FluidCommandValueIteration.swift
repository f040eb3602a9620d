import ArgumentParser
import DriftSimFluidValidation
import Foundation
import DriftSimInterference

/// `driftsim fluid value-iteration`: h(Q) = V(Q) − V(0) of the exact discrete-time queue against J(Q).
struct FluidValueIterationCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "value-iteration",
    abstract: "Relative value iteration of the discrete-time queue against the fluid value function J (paper Fig. 5).",
    discussion: """
      The model of docs/fluid-validation.md with the scenario's λ, β, γ, L_kk and κ of --pair: Q ∈ {0…N} packets, fading g ~ Exp(1) per epoch, capacity κ ln(1 + p L g), residual rounded at random, Poisson(λ) arrivals, cost βQ/λ + γp at the epoch start. Prints h(Q) next to J(Q) and J(Q) + βQ/(2λ), the largest relative gap on --range, θ next to c∞, and h from a second truncation level (--check-truncation) to show the range is unbiased.

      Limits: N ≤ \(SinglePairMDP.maximumTruncation) packets (a sweep costs about N² operations); every --queues entry must lie in 0…N (the default list is cut at N); --range must lie in 1…N. The K = 2 model is 'driftsim fluid two-pair' (the former --two-pair flag).

      JSON: {"model", "theta", "thetaBounds", "cInf", "iterations", "converged", "quadratureStates", "wallSeconds", "points": [{"queue", "h", "J", "JHalfHolding", "relativeGap", "relativeGapHalfHolding", "hCheck"}], "maxRelativeGap", "maxRelativeGapHalfHolding", "truncationCheck"}.

      Example: driftsim fluid value-iteration --set gamma=0.05 --svg fig5.svg --json vi.json
      """
  )

  /// The table's queues when --queues is not given (cut at N).
  static let defaultQueues = [0, 1, 2, 5, 10, 20, 50, 100, 150, 200]

  @OptionGroup var source: ScenarioOptions

  @Option(help: "Which pair's parameters to use (0-based).")
  var pair = 0

  @Option(help: "Truncation level N (largest queue, packets; 1…\(SinglePairMDP.maximumTruncation)).")
  var truncation = 600

  @Option(help: "A second truncation level to compare h with on --range (0: skip).")
  var checkTruncation = 900

  @OptionGroup var convergence: ConvergenceOptions
  /// `--tolerance`.
  var tolerance: Double { convergence.tolerance }
  /// `--max-iterations`.
  var maxIterations: Int { convergence.maxIterations }

  @OptionGroup var parallelism: JobsOption
  /// Worker threads (`--jobs`).
  var jobs: Int { parallelism.count }

  @Option(help: ArgumentHelp("Queues Q (packets, 0…N) to print, comma-separated (default 0,1,2,5,10,20,50,100,150,200 up to N).", valueName: "q1,q2,…"))
  var queues: String?

  @Option(help: ArgumentHelp("Q range lo,hi (packets, 1 ≤ lo ≤ hi ≤ N) over which the largest relative gap is reported (default 20,200 cut at N).", valueName: "lo,hi"))
  var range: String?

  @Option(help: ArgumentHelp("Write an SVG of h and J against Q (like the paper's Fig. 5).", valueName: "PATH"))
  var svg: String?

  @OptionGroup var output: OutputOptions

  func validate() throws {
    if let svg { try checkOutputFile(svg, option: "--svg") }  // before any work
    guard (1...SinglePairMDP.maximumTruncation).contains(truncation) else {
      throw ValidationError("--truncation must be in 1…\(SinglePairMDP.maximumTruncation) packets, got \(truncation)")
    }
    guard checkTruncation == 0 || (checkTruncation > truncation && checkTruncation <= SinglePairMDP.maximumTruncation) else {
      throw ValidationError("--check-truncation must be 0 or in \(truncation + 1)…\(SinglePairMDP.maximumTruncation) (larger than --truncation)")
    }
    guard tolerance > 0, tolerance.isFinite else { throw ValidationError("--tolerance must be a positive number, got \(tolerance)") }
    guard maxIterations >= 1 else { throw ValidationError("--max-iterations must be ≥ 1") }
    guard jobs >= 1 else { throw ValidationError("--jobs must be ≥ 1") }
  }

  func run() throws {
    let scenario = try source.load()
    let p = try pairParameters(scenario, pair: pair)
    let bounds = try range.map { try parseIntegerList($0, option: "--range", range: 1...truncation) } ?? [min(20, truncation), min(200, truncation)]
    guard bounds.count == 2, bounds[0] <= bounds[1] else {
      throw DriftSimError("--range '\(range ?? "")': expected lo,hi with 1 ≤ lo ≤ hi ≤ N = \(truncation) (--truncation)")
    }
    let table = try queues.map { try parseIntegerList($0, option: "--queues", range: 0...truncation) }
      ?? Self.defaultQueues.filter { $0 <= truncation }
    let configuration = ValueIterationStudy.Configuration(
      truncation: truncation, checkTruncation: checkTruncation > 0 ? checkTruncation : nil, queues: table, range: bounds[0]...bounds[1],
      options: ValueIterationOptions(relativeTolerance: tolerance, maxIterations: maxIterations, jobs: jobs))
    let outcome = try ValueIterationStudy.run(
      arrivalRate: p.lambda, beta: p.beta, gamma: p.gamma, directGain: p.gain, kappa: p.kappa, configuration: configuration
    ) { output.progress($0) }
    let report = outcome.report
    output.report(
      String(
        format: "θ = %.8f (bounds %.10f…%.10f), c∞ = %.8f; %d sweeps in %.2f s%@, N = %d", report.theta, report.thetaBounds[0],
        report.thetaBounds[1], report.cInf, report.iterations, report.wallSeconds, report.converged ? "" : " (NOT converged)", truncation))
    output.report("     Q              h(Q)              J(Q)   (h−J)/J    J+βQ/2λ  (h−J₂)/J₂   h (N=\(checkTruncation))")
    for point in report.points {
      output.report(
        String(
          format: "%6d  %16.6f  %16.6f  %8.4f  %10.4f  %8.4f  %@", point.queue, point.h, point.J, point.relativeGap, point.JHalfHolding,
          point.relativeGapHalfHolding, point.hCheck.map { String(format: "%14.6f", $0) } ?? "-"))
    }
    let worst = report.maxRelativeGap, worstHalf = report.maxRelativeGapHalfHolding
    output.report(
      String(
        format: "max |h−J|/J on Q∈[%d,%d]: %.4f at Q = %d;  with βQ/(2λ) added to J: %.4f at Q = %d", bounds[0], bounds[1], worst.value,
        worst.atQueue, worstHalf.value, worstHalf.atQueue))
    if let check = report.truncationCheck {
      output.report(
        String(
          format: "truncation check: N = %d gives θ = %.8f; max |Δh|/h on Q∈[%d,%d] = %.2e", check.truncation, check.theta, bounds[0], bounds[1],
          check.maxRelativeDifference))
    }
    if let svg { try writeSVG(FluidCharts.valueIteration(outcome, gamma: p.gamma, upTo: bounds[1]), to: svg) }
    try output.writeJSON(report)
    if !report.converged { throw DriftSimError("value iteration did not reach the span tolerance in \(maxIterations) sweeps (--max-iterations)") }
  }
}
