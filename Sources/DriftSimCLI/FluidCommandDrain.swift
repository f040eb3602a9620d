import ArgumentParser
import DriftSimFluidValidation
import Foundation
import DriftSimInterference
import DriftSimNumerics

extension DrainFluidModel: ExpressibleByArgument {}
extension FadingSampling: ExpressibleByArgument {}

/// The explicit GSL steppers the coupled fluid may use (implicit ones need a Jacobian of a rough drift).
enum CoupledODEMethod: String, ExpressibleByArgument, CaseIterable {
  case rkf45, rkck, rk8pd
  var method: ODEMethod {
    switch self {
    case .rkf45: return .rkf45
    case .rkck: return .rkck
    case .rk8pd: return .rk8pd
    }
  }
}

/// Parses `--initial-queues`: whole numbers of packets in 1…`DrainStudy.maximumInitialQueue`
/// (a fractional backlog cannot be simulated, and `Int(1e20)` would trap).
/// - Throws: `DriftSimError` naming the option and the entry.
func parseInitialQueues(_ text: String) throws -> [Int] {
  let limit = DrainStudy.maximumInitialQueue
  return try parseNumberList(text, option: "--initial-queues", minimum: 1).map { value in
    guard value <= Double(limit) else {
      throw DriftSimError("--initial-queues: \(value) is above the limit of \(limit) packets per pair")
    }
    guard value == value.rounded() else {
      throw DriftSimError("--initial-queues: \(value) is not a whole number of packets (the backlog is a count of packets)")
    }
    return Int(value)
  }
}

/// `driftsim fluid drain`: packet-level drains from a backlog against the decoupled and coupled fluid ODEs.
struct FluidDrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "drain",
    abstract: "Simulate drains from a backlog Q(0) under the fluid policy and compare the mean queue with the fluid ODEs.",
    discussion: """
      Every pair starts with Q(0) packets (for each value of --initial-queues, whole numbers in 1…100000); the scenario's arrivals, gains and γ (key gamma; targetSNRdB is ignored) are used with the fluid policy; R replications give the mean queue per epoch start (mean over pairs) with a 95 % Student-t band.

      Two fluid models (--model decoupled|coupled|both). The decoupled (per-flow) ODE dq/dt = λ − κ E1(γ/(κ L J'(q))) ignores interference. The coupled ODE dq_k/dt = λ_k − E_g[min(κ ln(1 + SINR_k), N q_k)] runs Algorithm 3 (the scenario's powerUpdate, tolerance, maxIterations) at weights J'_k(q_k) on a fixed set of --fading-samples draws of the K² Rayleigh gains (--sampling antithetic or monte-carlo, seed --fading-seed); the decoupled ODE is integrated with GSL rk8pd (tolerance 1e-10), the coupled one with --ode-method (default rkf45) at --ode-tolerance packets per step. The decoupled columns are always in the JSON (they cost nothing); the table and the SVG show the selected model(s).

      Reported per Q(0): sup_t |q̄_sim(t) − q̄_fluid(t)| / Q(0) for each fluid, and the epoch at which the simulated and the fluid mean queues first fall below the drain mark max(λ, 1). With the coupled model the Monte Carlo error is stated twice: predicted (the standard error at t = 0 of the mean queue's drift times the coupled drain time, over Q(0): the sample set's bias is persistent, so the error grows linearly until the drain) and measured (unless --no-mc-check: the scaled sup-distance between the trajectories of two independent sample sets of the same size, expected ≈ √2 × predicted × |N(0,1)|).

      JSON: {"gamma", "pairs", "crossGain", "replications", "slotsPerEpoch", "kappa", "model", "fadingSamples", "sampling", "wallSeconds", "cases": [{"initialQueuePackets", "timesEpochs", "meanQueuePackets", "ci95Lower", "ci95Upper", "fluidQueuePackets", "supDistanceScaled", "supAtEpoch", "fluidDrainTimeEpochs", "drainMarkPackets", "simulatedDrainEpoch", "decoupledDrainMarkEpoch", "coupled": {"fluidQueuePackets", "supDistanceScaled", "supAtEpoch", "drainMarkEpoch", "samples", "sampling", "driftAtStart", "driftStandardErrorAtStart", "meanDriftStandardErrorAtStart", "predictedMonteCarloErrorScaled", "nonConvergedFractionAtStart", "meanIterationsAtStart", "driftEvaluations", "monteCarloCheckSupScaled", "wallSeconds"}}]}. Method and measurements: docs/coupled-fluid.md.

      Example: driftsim fluid drain --model both --set gamma=1 --set crossGain=0.1 --initial-queues 50,100,200,400 --svg drain.svg
      """
  )

  @OptionGroup var source: ScenarioOptions

  @Option(
    help: ArgumentHelp("Backlogs Q(0) in packets per pair, comma-separated whole numbers (1…100000).", valueName: "q1,q2,…"),
    transform: parseInitialQueues)
  var initialQueues: [Int] = [50, 100, 200, 400]

  @Option(help: "Replications per Q(0) (2…10000).")
  var replications = 20

  @Option(help: "Epochs simulated per drain (1…1000000; default: 1.5 × the later fluid drain time + 20).")
  var horizon: Int?

  @Option(help: "Fluid model(s) compared with the simulation: decoupled, coupled or both.")
  var model: DrainFluidModel = .decoupled

  @Option(help: "Fading samples M of the coupled fluid's expectation (2…1000000; even for antithetic).")
  var fadingSamples = 1024

  @Option(help: "How the coupled fluid's fading samples are drawn: antithetic or monte-carlo.")
  var sampling: FadingSampling = .antithetic

  @Option(help: "Seed of the coupled fluid's fading sample set (default: the scenario's seed).")
  var fadingSeed: UInt64?

  @Option(help: "Absolute local error per ODE step of the coupled fluid, packets (rkf45).")
  var odeTolerance = 1e-3

  @Option(help: "The coupled fluid's GSL stepper: rkf45, rkck or rk8pd.")
  var odeMethod: CoupledODEMethod = .rkf45

  @Flag(help: "Skip the second coupled integration with an independent sample set (the trajectory's Monte Carlo error check).")
  var noMcCheck = false

  @OptionGroup var parallelism: JobsOption
  /// Worker threads (`--jobs`).
  var jobs: Int { parallelism.count }

  @Option(help: ArgumentHelp("Write an SVG of the trajectories, scaled by Q(0), with CI bands.", valueName: "PATH"))
  var svg: String?

  @OptionGroup var output: OutputOptions

  func validate() throws {
    if let svg { try checkOutputFile(svg, option: "--svg") }  // before any work
    guard (2...10_000).contains(replications) else { throw ValidationError("--replications must be in 2…10000 (≥ 2 for the confidence band)") }
    guard (1...1024).contains(jobs) else { throw ValidationError("--jobs must be in 1…1024") }
    if let horizon, !(1...DrainStudy.maximumHorizon).contains(horizon) {
      throw ValidationError("--horizon must be in 1…\(DrainStudy.maximumHorizon) epochs")
    }
    guard odeTolerance > 0, odeTolerance.isFinite, odeTolerance <= 1 else { throw ValidationError("--ode-tolerance must be in (0, 1] packets") }
    guard (2...1_000_000).contains(fadingSamples) else { throw ValidationError("--fading-samples must be in 2…1000000") }
    if sampling == .antithetic && fadingSamples % 2 != 0 {
      throw ValidationError("--fading-samples must be even with --sampling antithetic (samples come in pairs)")
    }
  }

  struct Report: Encodable {
    var gamma: Double
    var pairs: Int
    var crossGain: CrossGain
    var replications: Int
    var slotsPerEpoch: Int
    var kappa: Double
    var model: DrainFluidModel
    var fadingSamples: Int?
    var sampling: FadingSampling?
    var wallSeconds: Double
    var cases: [DrainCase]
  }

  func run() throws {
    let scenario = try source.load()
    let start = Date()
    let options = CoupledDrainOptions(
      samples: fadingSamples, sampling: sampling, seed: fadingSeed ?? scenario.seed, monteCarloCheck: !noMcCheck,
      method: odeMethod.method, absoluteTolerance: odeTolerance)
    var cases: [DrainCase] = []
    for (index, q0) in initialQueues.enumerated() {
      output.progress("drain: Q(0) = \(q0), K = \(scenario.pairs), γ = \(scenario.gamma), \(replications) replications, model \(model.rawValue)")
      cases.append(
        try DrainStudy.run(
          scenario, initialQueue: q0, horizonEpochs: horizon, replications: replications, point: index, jobs: jobs, model: model,
          coupledOptions: options))
    }
    output.report(
      String(
        format: "K = %d, γ = %g, κ = %.6g, %d replications, %d slots/epoch%@", scenario.pairs, scenario.gamma, scenario.kappa, replications,
        scenario.slotsPerEpoch, model.includesCoupled ? ", coupled fluid: \(fadingSamples) \(sampling.rawValue) fading samples" : ""))
    func epoch(_ value: Double?) -> String { value.map { String(format: "%.0f", $0) } ?? "-" }
    switch model {
    case .decoupled:
      output.report("   Q(0)   sup|q̄−q_fluid|/Q(0)   at epoch   fluid drain (epochs)   fluid < mark at   sim < mark at")
      for c in cases {
        output.report(
          String(
            format: "%7.0f   %19.4f   %8.0f   %20.2f   %15@   %13@", c.initialQueuePackets, c.supDistanceScaled, c.supAtEpoch,
            c.fluidDrainTimeEpochs, epoch(c.decoupledDrainMarkEpoch), epoch(c.simulatedDrainEpoch)))
      }
    case .coupled, .both:
      output.report(
        "   Q(0)   sup/Q(0) decoupled   sup/Q(0) coupled   MC check   MC predicted   < mark at: sim  decoupled  coupled")
      for c in cases {
        guard let coupled = c.coupled else { continue }
        output.report(
          String(
            format: "%7.0f   %18.4f   %16.4f   %8@   %12@   %14@  %9@  %7@", c.initialQueuePackets, c.supDistanceScaled,
            coupled.supDistanceScaled, coupled.monteCarloCheckSupScaled.map { String(format: "%.4f", $0) } ?? "-",
            coupled.predictedMonteCarloErrorScaled.map { String(format: "%.4f", $0) } ?? "-", epoch(c.simulatedDrainEpoch), epoch(c.decoupledDrainMarkEpoch), epoch(coupled.drainMarkEpoch)))
      }
    }
    if let svg {
      var chart = SVGChart(
        title: String(format: "Drain from Q(0): simulation (95%% CI) vs fluid ODE, K = %d, γ = %g", scenario.pairs, scenario.gamma),
        xLabel: "time t / Q(0) (epochs per packet)", yLabel: "q(t) / Q(0)")
      for c in cases {
        let scale = c.initialQueuePackets
        let stride = max(1, c.timesEpochs.count / 40)
        let marks = Array(Swift.stride(from: 0, to: c.timesEpochs.count, by: stride))
        let x = c.timesEpochs.map { $0 / scale }
        chart.series.append(SVGChart.Series(name: "sim Q(0)=\(Int(scale))", x: x, y: c.meanQueuePackets.map { $0 / scale }))
        chart.series.append(
          SVGChart.Series(
            name: "95% CI", x: marks.map { c.timesEpochs[$0] / scale }, y: marks.map { c.meanQueuePackets[$0] / scale },
            errorBars: marks.map { (c.ci95Lower[$0] / scale, c.ci95Upper[$0] / scale) }, line: false, markers: false))
        if model != .coupled {
          chart.series.append(
            SVGChart.Series(name: "decoupled fluid Q(0)=\(Int(scale))", x: x, y: c.fluidQueuePackets.map { $0 / scale }, dashed: true))
        }
        if let coupled = c.coupled {
          chart.series.append(
            SVGChart.Series(
              name: "coupled fluid Q(0)=\(Int(scale))", x: Array(x.prefix(coupled.fluidQueuePackets.count)),
              y: coupled.fluidQueuePackets.map { $0 / scale }, dashed: true))
        }
      }
      try writeSVG(chart.render(), to: svg)
    }
    try output.writeJSON(
      Report(
        gamma: scenario.gamma, pairs: scenario.pairs, crossGain: scenario.crossGain, replications: replications, slotsPerEpoch: scenario.slotsPerEpoch,
        kappa: scenario.kappa, model: model, fadingSamples: model.includesCoupled ? fadingSamples : nil,
        sampling: model.includesCoupled ? sampling : nil, wallSeconds: Date().timeIntervalSince(start), cases: cases))
  }
}
