import ArgumentParser
import DriftSimFluidValidation
import Foundation
import DriftSimInterference
import DriftSimMeanField
import DriftSimNumerics

/// `driftsim fluid value-iteration`: h(Q) = V(Q) − V(0) of the exact discrete-time queue against J(Q).
struct FluidValueIterationCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "value-iteration",
    abstract: "Relative value iteration of the discrete-time queue against the fluid value function J (paper Fig. 5).",
    discussion: """
      K = 1 (default): the model of docs/fluid-validation.md with the scenario's λ, β, γ, L_kk and
      κ of --pair: Q ∈ {0…N} packets, fading g ~ Exp(1) per epoch, capacity κ ln(1 + p L g), residual
      rounded at random, Poisson(λ) arrivals, cost βQ/λ + γp at the epoch start. Prints h(Q) next
      to J(Q) and J(Q) + βQ/(2λ), the largest relative gap on --range, θ next to c∞, and h from a
      second truncation level (--check-truncation) to show the range is unbiased.
      --two-pair: K = 2 with the scenario's crossGain (use a small one, e.g. --set crossGain=0.05),
      state (q1, q2) ∈ {0…--two-pair-truncation}², V(q1,q2) − V(0,0) against J1(q1) + J2(q2).
      JSON (K = 1): {"model", "theta", "thetaBounds", "cInf", "iterations", "converged",
      "wallSeconds", "points": [{"queue", "h", "J", "JHalfHolding", "relativeGap",
      "relativeGapHalfHolding", "hCheck"}], "maxRelativeGap", "maxRelativeGapHalfHolding",
      "truncationCheck"}; with --two-pair: {"twoPair": {...}}.
      Example: driftsim fluid value-iteration --set gamma=0.05 --svg fig5.svg --json vi.json
      """
  )

  @OptionGroup var source: ScenarioOptions

  @Option(help: "Which pair's parameters to use (0-based).")
  var pair = 0

  @Option(help: "Truncation level N (largest queue, packets).")
  var truncation = 600

  @Option(help: "A second truncation level to compare h with on --range (0: skip).")
  var checkTruncation = 900

  @Option(help: "Stop when span(Th − h) ≤ tolerance · max|h|.")
  var tolerance = 1e-13

  @Option(help: "Give up after this many sweeps.")
  var maxIterations = 200_000

  @Option(help: "Threads for the per-state loop.")
  var jobs = ProcessInfo.processInfo.activeProcessorCount

  @Option(
    help: ArgumentHelp("Queues Q (packets) to print, comma-separated.", valueName: "q1,q2,…"),
    transform: { try parseNumberList($0, option: "--queues").map { Int($0) } })
  var queues: [Int] = [0, 1, 2, 5, 10, 20, 50, 100, 150, 200]

  @Option(
    help: ArgumentHelp("Q range lo,hi (packets) over which the largest relative gap is reported.", valueName: "lo,hi"),
    transform: { text in
      let values = try parseNumberList(text, option: "--range", minimum: 1)
      guard values.count == 2, values[0] <= values[1] else { throw ValidationError("--range: expected lo,hi with 1 ≤ lo ≤ hi") }
      return values.map { Int($0) }
    })
  var range: [Int] = [20, 200]

  @Option(help: ArgumentHelp("Write an SVG of h and J against Q (like the paper's Fig. 5).", valueName: "PATH"))
  var svg: String?

  @Flag(help: "Solve the two-pair (K = 2) model instead.")
  var twoPair = false

  @Option(help: "K = 2: truncation per queue (N = 40 took 7–14 min in release on 2 shared cores with the default nodes; cost grows faster than N^2).")
  var twoPairTruncation = 40

  @Option(help: "K = 2: Gauss–Laguerre points per direct gain (the fading expectation is a product rule).")
  var directNodes = 6

  @Option(help: "K = 2: Gauss–Laguerre points per cross gain.")
  var crossNodes = 2

  @Option(help: "K = 2: step δ (packets) of the served-amount grid the per-node action is chosen from (0 < δ ≤ 1).")
  var actionStep = 0.25

  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard actionStep > 0, actionStep <= 1 else { throw ValidationError("--action-step must be in (0, 1]") }
    guard truncation >= 2 else { throw ValidationError("--truncation must be ≥ 2") }
    guard checkTruncation == 0 || checkTruncation > truncation else {
      throw ValidationError("--check-truncation must be 0 or larger than --truncation")
    }
    guard tolerance > 0 else { throw ValidationError("--tolerance must be > 0") }
    guard jobs >= 1 else { throw ValidationError("--jobs must be ≥ 1") }
    guard twoPairTruncation >= 2, (1...40).contains(directNodes), (1...40).contains(crossNodes) else {
      throw ValidationError("--two-pair-truncation must be ≥ 2 and --direct-nodes, --cross-nodes in 1…40")
    }
  }

  typealias Model = FluidModelReport

  struct Point: Encodable {
    var queue: Int
    var h: Double
    var J: Double
    var JHalfHolding: Double
    var relativeGap: Double
    var relativeGapHalfHolding: Double
    var hCheck: Double?
  }

  struct Extreme: Encodable {
    var value: Double
    var atQueue: Int
    var range: [Int]
  }

  struct TruncationCheck: Encodable {
    var truncation: Int
    var theta: Double
    var iterations: Int
    var converged: Bool
    var maxRelativeDifference: Double
    var range: [Int]
  }

  struct Report: Encodable {
    var model: Model
    var theta: Double
    var thetaBounds: [Double]
    var cInf: Double
    var iterations: Int
    var converged: Bool
    var quadratureStates: Int
    var wallSeconds: Double
    var points: [Point]
    var maxRelativeGap: Extreme
    var maxRelativeGapHalfHolding: Extreme
    var truncationCheck: TruncationCheck?
  }

  func run() throws {
    let scenario = try source.load()
    if twoPair {
      try runTwoPair(scenario)
      return
    }
    let p = try pairParameters(scenario, pair: pair)
    guard range[1] <= truncation else {
      throw DriftSimError("--range \(range[0]),\(range[1]) must lie in 0…N = \(truncation) (--truncation)")
    }
    // Queues beyond N are dropped from the table (the default list goes to 200).
    let queues = self.queues.filter { $0 <= truncation }
    let options = ValueIterationOptions(relativeTolerance: tolerance, maxIterations: maxIterations, jobs: jobs)
    func solve(_ n: Int) throws -> SinglePairSolution {
      do {
        let mdp = try SinglePairMDP(arrivalRate: p.lambda, beta: p.beta, gamma: p.gamma, directGain: p.gain, kappa: p.kappa, truncation: n)
        output.progress("value iteration: N = \(n), λ = \(p.lambda), γ = \(p.gamma), κ = \(String(format: "%.6g", p.kappa))")
        return try mdp.solve(options: options) { sweep, span in
          self.output.progress(String(format: "  sweep %d: span(Th − h) = %.3e", sweep, span))
        }
      } catch let error as FluidValidationError {
        throw DriftSimError(error.description)
      } catch let error as NumericsError {
        throw DriftSimError("value iteration (N = \(n)): \(error)")
      }
    }
    let main = try solve(truncation)
    let check = checkTruncation > 0 ? try solve(checkTruncation) : nil
    let fluid = try FluidValueFunction(arrivalRate: p.lambda, beta: p.beta, gamma: p.gamma, directGain: p.gain, kappa: p.kappa)
    let solver = BrentRootFinder()
    let jValues = try (0...truncation).map { try fluid.value(atQueue: Double($0), solver: solver) }
    func half(_ q: Int) -> Double { jValues[q] + p.beta * Double(q) / (2 * p.lambda) }
    var worst = Extreme(value: 0, atQueue: range[0], range: range)
    var worstHalf = Extreme(value: 0, atQueue: range[0], range: range)
    var worstTruncation = 0.0
    for q in range[0]...range[1] {
      let gap = (main.h[q] - jValues[q]) / jValues[q]
      if abs(gap) > abs(worst.value) { worst = Extreme(value: gap, atQueue: q, range: range) }
      let gapHalf = (main.h[q] - half(q)) / half(q)
      if abs(gapHalf) > abs(worstHalf.value) { worstHalf = Extreme(value: gapHalf, atQueue: q, range: range) }
      if let check { worstTruncation = max(worstTruncation, abs(check.h[q] - main.h[q]) / abs(main.h[q])) }
    }
    let points = queues.map { q in
      Point(
        queue: q, h: main.h[q], J: jValues[q], JHalfHolding: half(q), relativeGap: q == 0 ? 0 : (main.h[q] - jValues[q]) / jValues[q],
        relativeGapHalfHolding: q == 0 ? 0 : (main.h[q] - half(q)) / half(q), hCheck: check?.h[q])
    }
    output.report(
      String(
        format: "θ = %.8f (bounds %.10f…%.10f), c∞ = %.8f; %d sweeps in %.2f s%@, N = %d", main.theta, main.thetaBounds.lower,
        main.thetaBounds.upper, fluid.cInf, main.iterations, main.wallSeconds, main.converged ? "" : " (NOT converged)", truncation))
    output.report("     Q              h(Q)              J(Q)   (h−J)/J    J+βQ/2λ  (h−J₂)/J₂   h (N=\(checkTruncation))")
    for point in points {
      output.report(
        String(
          format: "%6d  %16.6f  %16.6f  %8.4f  %10.4f  %8.4f  %@", point.queue, point.h, point.J, point.relativeGap, point.JHalfHolding,
          point.relativeGapHalfHolding, point.hCheck.map { String(format: "%14.6f", $0) } ?? "-"))
    }
    output.report(
      String(
        format: "max |h−J|/J on Q∈[%d,%d]: %.4f at Q = %d;  with βQ/(2λ) added to J: %.4f at Q = %d", range[0], range[1], worst.value,
        worst.atQueue, worstHalf.value, worstHalf.atQueue))
    if let check {
      output.report(
        String(
          format: "truncation check: N = %d gives θ = %.8f; max |Δh|/h on Q∈[%d,%d] = %.2e", checkTruncation, check.theta, range[0], range[1],
          worstTruncation))
    }
    if let svg {
      var chart = SVGChart(
        title: String(format: "Relative value h(Q) vs fluid J(Q), γ = %g (θ = %.4g, c∞ = %.4g)", p.gamma, main.theta, fluid.cInf),
        xLabel: "queue Q (packets)", yLabel: "cost")
      let upper = min(truncation, max(range[1], 1))
      let xs = (0...upper).map(Double.init)
      chart.series.append(SVGChart.Series(name: "h(Q) (value iteration)", x: xs, y: (0...upper).map { main.h[$0] }))
      chart.series.append(SVGChart.Series(name: "J(Q) (fluid)", x: xs, y: (0...upper).map { jValues[$0] }, dashed: true))
      chart.series.append(SVGChart.Series(name: "J(Q) + βQ/(2λ)", x: xs, y: (0...upper).map { half($0) }, dashed: true))
      try writeSVG(chart.render(), to: svg)
    }
    try output.writeJSON(
      Report(
        model: Model(arrivalRate: p.lambda, beta: p.beta, gamma: p.gamma, directGain: p.gain, kappa: p.kappa, truncation: truncation, tolerance: tolerance),
        theta: main.theta, thetaBounds: [main.thetaBounds.lower, main.thetaBounds.upper], cInf: fluid.cInf, iterations: main.iterations,
        converged: main.converged, quadratureStates: main.quadratureStates, wallSeconds: main.wallSeconds, points: points,
        maxRelativeGap: worst, maxRelativeGapHalfHolding: worstHalf,
        truncationCheck: check.map {
          TruncationCheck(
            truncation: checkTruncation, theta: $0.theta, iterations: $0.iterations, converged: $0.converged,
            maxRelativeDifference: worstTruncation, range: range)
        }))
    if !main.converged { throw DriftSimError("value iteration did not reach the span tolerance in \(maxIterations) sweeps") }
  }

  struct TwoPairPoint: Encodable {
    var q1: Int
    var q2: Int
    var h: Double
    var J1PlusJ2: Double
    var singlePairSum: Double
    var uncoupledSameNodes: Double
    var couplingCorrected: Double
    var relativeGap: Double
    var relativeGapToSinglePair: Double
    var relativeGapCorrected: Double
  }

  struct TwoPairReport: Encodable {
    var arrivalRates: [Double]
    var directGains: [Double]
    var crossGains: [Double]
    var gamma: Double
    var beta: Double
    var kappa: Double
    var truncation: Int
    var fadingNodes: Int
    var actionStep: Double
    var tolerance: Double
    var theta: Double
    var thetaBounds: [Double]
    var singlePairThetaSum: Double
    var uncoupledSameNodesTheta: Double
    var couplingCorrectedTheta: Double
    var cInfSum: Double
    var iterations: Int
    var converged: Bool
    var wallSeconds: Double
    var alongQ1Axis: [TwoPairPoint]
    var diagonal: [TwoPairPoint]
  }

  struct TwoPairWrapper: Encodable { var twoPair: TwoPairReport }

  func runTwoPair(_ scenario: Scenario) throws {
    guard scenario.pairs >= 2 else { throw DriftSimError("--two-pair needs a scenario with at least 2 pairs (pairs 0 and 1 are used)") }
    let k = scenario.pairs
    let lambdas = Array(scenario.arrivalRate.resolved(pairs: k)!.prefix(2))
    let gains = Array(scenario.directGain.resolved(pairs: k)!.prefix(2))
    let cross: [Double]
    switch scenario.crossGain {
    case let .all(value): cross = [value, value]
    case let .matrix(rows): cross = [rows[0][1], rows[1][0]]
    }
    guard lambdas.allSatisfy({ $0 > 0 }) else { throw DriftSimError("--two-pair: pairs 0 and 1 need arrivalRate > 0") }
    let n = twoPairTruncation
    let options = ValueIterationOptions(relativeTolerance: tolerance, maxIterations: maxIterations, jobs: jobs)
    do {
      let fluids = try (0..<2).map {
        try FluidValueFunction(arrivalRate: lambdas[$0], beta: scenario.beta, gamma: scenario.gamma, directGain: gains[$0], kappa: scenario.kappa)
      }
      let solver = BrentRootFinder()
      let jValues = try fluids.map { f in try (0...n).map { try f.value(atQueue: Double($0), solver: solver) } }
      // Exact single-pair solutions (closed-form fading expectation) with the same N.
      let singles = try (0..<2).map { i in
        try SinglePairMDP(arrivalRate: lambdas[i], beta: scenario.beta, gamma: scenario.gamma, directGain: gains[i], kappa: scenario.kappa, truncation: n)
          .solve(options: options)
      }
      let mdp = try TwoPairMDP(
        arrivalRates: lambdas, beta: scenario.beta, gamma: scenario.gamma, directGains: gains, crossGains: cross, kappa: scenario.kappa,
        truncation: n, fadingNodes: (directNodes, crossNodes), step: actionStep)
      var initial = [Double](repeating: 0, count: (n + 1) * (n + 1))
      for q1 in 0...n {
        for q2 in 0...n { initial[mdp.index(q1, q2)] = singles[0].h[q1] + singles[1].h[q2] }
      }
      output.progress("two-pair value iteration: N = \(n) per queue, \(mdp.nodes.count) fading nodes, L12 = \(cross[0]), L21 = \(cross[1]), γ = \(scenario.gamma)")
      let solution = try mdp.solve(options: options, initial: initial) { sweep, span in
        self.output.progress(String(format: "  sweep %d: span(Th − h) = %.3e", sweep, span))
      }
      // The same discretisation without interference: its difference from the exact single-pair sum
      // is the fading-quadrature and action-grid error, which largely cancels in h − h_uncoupled.
      let uncoupledMDP = try TwoPairMDP(
        arrivalRates: lambdas, beta: scenario.beta, gamma: scenario.gamma, directGains: gains, crossGains: [0, 0], kappa: scenario.kappa,
        truncation: n, fadingNodes: (directNodes, crossNodes), step: actionStep)
      output.progress("two-pair value iteration without interference (same nodes): \(uncoupledMDP.nodes.count) fading nodes")
      let uncoupled = try uncoupledMDP.solve(options: options, initial: initial)
      let grid = [0, 1, 2, 5, 10, 15, 20, 30, 40, 60, 80, 100].filter { $0 <= n * 2 / 3 }
      func point(_ q1: Int, _ q2: Int) -> TwoPairPoint {
        let h = solution.h[mdp.index(q1, q2)]
        let j = jValues[0][q1] + jValues[1][q2]
        let single = singles[0].h[q1] + singles[1].h[q2]
        let free = uncoupled.h[mdp.index(q1, q2)]
        let corrected = single + (h - free)
        return TwoPairPoint(
          q1: q1, q2: q2, h: h, J1PlusJ2: j, singlePairSum: single, uncoupledSameNodes: free, couplingCorrected: corrected,
          relativeGap: j == 0 ? 0 : (h - j) / j, relativeGapToSinglePair: single == 0 ? 0 : (h - single) / single,
          relativeGapCorrected: j == 0 ? 0 : (corrected - j) / j)
      }
      let axis = grid.map { point($0, 0) }
      let diagonal = grid.map { point($0, $0) }
      output.report(
        String(
          format:
            "K = 2: θ = %.6f (bounds %.8f…%.8f); same nodes without interference θ0 = %.6f; exact single-pair θ1 + θ2 = %.6f; corrected θ = %.6f; c∞1 + c∞2 = %.6f; %d + %d sweeps in %.1f s%@",
          solution.theta, solution.thetaBounds.0, solution.thetaBounds.1, uncoupled.theta, singles[0].theta + singles[1].theta,
          singles[0].theta + singles[1].theta + solution.theta - uncoupled.theta, fluids[0].cInf + fluids[1].cInf, solution.iterations,
          uncoupled.iterations, solution.wallSeconds + uncoupled.wallSeconds, solution.converged && uncoupled.converged ? "" : " (NOT converged)"))
      output.report("   q1    q2     V−V(0,0)    h0 (L=0)  h1+h2 (K=1)  corrected      J1+J2  (h−J)/J  (hc−J)/J  (h−Σh)/Σh")
      for p in axis + diagonal {
        output.report(
          String(
            format: "%5d %5d %12.4f %11.4f %12.4f %10.4f %10.4f %8.4f %9.4f %10.4f", p.q1, p.q2, p.h, p.uncoupledSameNodes, p.singlePairSum,
            p.couplingCorrected, p.J1PlusJ2, p.relativeGap, p.relativeGapCorrected, p.relativeGapToSinglePair))
      }
      if let svg {
        var chart = SVGChart(
          title: String(format: "K = 2 (L12 = %g): V − V(0,0) vs J1 + J2, γ = %g", cross[0], scenario.gamma), xLabel: "q1 (packets)", yLabel: "cost")
        let xs = grid.map(Double.init)
        chart.series.append(SVGChart.Series(name: "V(q1,0) (VI)", x: xs, y: axis.map(\.h), markers: true))
        chart.series.append(SVGChart.Series(name: "J1(q1)+J2(0)", x: xs, y: axis.map(\.J1PlusJ2), dashed: true))
        chart.series.append(SVGChart.Series(name: "V(q,q) (VI)", x: xs, y: diagonal.map(\.h), markers: true))
        chart.series.append(SVGChart.Series(name: "J1(q)+J2(q)", x: xs, y: diagonal.map(\.J1PlusJ2), dashed: true))
        chart.series.append(SVGChart.Series(name: "h1(q)+h2(q) (K=1 VI)", x: xs, y: diagonal.map(\.singlePairSum), dashed: true))
        chart.series.append(SVGChart.Series(name: "V(q,q) corrected", x: xs, y: diagonal.map(\.couplingCorrected), markers: true))
        try writeSVG(chart.render(), to: svg)
      }
      try output.writeJSON(
        TwoPairWrapper(
          twoPair: TwoPairReport(
            arrivalRates: lambdas, directGains: gains, crossGains: cross, gamma: scenario.gamma, beta: scenario.beta, kappa: scenario.kappa,
            truncation: n, fadingNodes: mdp.nodes.count, actionStep: actionStep, tolerance: tolerance, theta: solution.theta,
            thetaBounds: [solution.thetaBounds.0, solution.thetaBounds.1], singlePairThetaSum: singles[0].theta + singles[1].theta,
            uncoupledSameNodesTheta: uncoupled.theta, couplingCorrectedTheta: singles[0].theta + singles[1].theta + solution.theta - uncoupled.theta,
            cInfSum: fluids[0].cInf + fluids[1].cInf, iterations: solution.iterations, converged: solution.converged,
            wallSeconds: solution.wallSeconds, alongQ1Axis: axis, diagonal: diagonal)))
      if !solution.converged || !uncoupled.converged { throw DriftSimError("two-pair value iteration did not reach the span tolerance in \(maxIterations) sweeps") }
    } catch let error as FluidValidationError {
      throw DriftSimError(error.description)
    } catch let error as NumericsError {
      throw DriftSimError("two-pair value iteration: \(error)")
    }
  }
}
