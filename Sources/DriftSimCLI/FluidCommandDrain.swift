import ArgumentParser
import DriftSimFluidValidation
import Foundation
import DriftSimInterference
import DriftSimMeanField

/// `driftsim fluid drain`: packet-level drains from a backlog against the fluid ODE.
struct FluidDrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "drain",
    abstract: "Simulate drains from a backlog Q(0) under the fluid policy and compare the mean queue with the fluid ODE.",
    discussion: """
      Every pair starts with Q(0) packets (for each value of --initial-queues); the scenario's
      arrivals, gains and γ (key gamma; targetSNRdB is ignored) are used with the fluid policy; R
      replications give the mean queue per epoch start (mean over pairs) with a 95 % Student-t band.
      The fluid ODE dq/dt = λ − κ E1(γ/(κ L J'(q))) is integrated with GSL rk8pd (tolerance 1e-10).
      Reported: sup_t |q̄_sim(t) − q_fluid(t)| / Q(0), which should shrink as Q(0) grows.
      JSON: {"gamma", "pairs", "replications", "cases": [{"initialQueuePackets", "timesEpochs",
      "meanQueuePackets", "ci95Lower", "ci95Upper", "fluidQueuePackets", "supDistanceScaled",
      "supAtEpoch", "fluidDrainTimeEpochs", "simulatedDrainEpoch"}]}.
      Example: driftsim fluid drain --set gamma=1 --initial-queues 50,100,200,400 --svg drain.svg
      """
  )

  @OptionGroup var source: ScenarioOptions

  @Option(
    help: ArgumentHelp("Backlogs Q(0) in packets per pair, comma-separated.", valueName: "q1,q2,…"),
    transform: { try parseNumberList($0, option: "--initial-queues", minimum: 1).map { Int($0) } })
  var initialQueues: [Int] = [50, 100, 200, 400]

  @Option(help: "Replications per Q(0) (≥ 2).")
  var replications = 20

  @Option(help: "Epochs simulated per drain (default: 1.5 × the fluid drain time + 20).")
  var horizon: Int?

  @Option(help: "Threads.")
  var jobs = ProcessInfo.processInfo.activeProcessorCount

  @Option(help: ArgumentHelp("Write an SVG of the trajectories, scaled by Q(0), with CI bands.", valueName: "PATH"))
  var svg: String?

  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard replications >= 2 else { throw ValidationError("--replications must be ≥ 2 (for the confidence band)") }
    guard jobs >= 1 else { throw ValidationError("--jobs must be ≥ 1") }
    if let horizon, horizon < 1 { throw ValidationError("--horizon must be ≥ 1") }
  }

  struct Report: Encodable {
    var gamma: Double
    var pairs: Int
    var crossGain: CrossGain
    var replications: Int
    var slotsPerEpoch: Int
    var kappa: Double
    var wallSeconds: Double
    var cases: [DrainCase]
  }

  func run() throws {
    let scenario = try source.load()
    let start = Date()
    var cases: [DrainCase] = []
    for (index, q0) in initialQueues.enumerated() {
      output.progress("drain: Q(0) = \(q0), K = \(scenario.pairs), γ = \(scenario.gamma), \(replications) replications")
      do {
        cases.append(try DrainStudy.run(scenario, initialQueue: q0, horizonEpochs: horizon, replications: replications, point: index, jobs: jobs))
      } catch let error as FluidValidationError {
        throw DriftSimError(error.description)
      } catch let error as SimulationError {
        throw DriftSimError(error.description)
      } catch let error as ScenarioError {
        throw DriftSimError(error.description)
      }
    }
    output.report(String(format: "K = %d, γ = %g, κ = %.6g, %d replications, %d slots/epoch", scenario.pairs, scenario.gamma, scenario.kappa, replications, scenario.slotsPerEpoch))
    output.report("   Q(0)   sup|q̄−q_fluid|/Q(0)   at epoch   fluid drain (epochs)   sim mean < λ at epoch")
    for c in cases {
      output.report(
        String(
          format: "%7.0f   %19.4f   %8.0f   %20.2f   %@", c.initialQueuePackets, c.supDistanceScaled, c.supAtEpoch, c.fluidDrainTimeEpochs,
          c.simulatedDrainEpoch.map { String(format: "%.0f", $0) } ?? "-"))
    }
    if let svg {
      var chart = SVGChart(
        title: String(format: "Drain from Q(0): simulation (95%% CI) vs fluid ODE, K = %d, γ = %g", scenario.pairs, scenario.gamma),
        xLabel: "time t / Q(0) (epochs per packet)", yLabel: "q(t) / Q(0)")
      for c in cases {
        let scale = c.initialQueuePackets
        let stride = max(1, c.timesEpochs.count / 40)
        let marks = Array(Swift.stride(from: 0, to: c.timesEpochs.count, by: stride))
        chart.series.append(
          SVGChart.Series(
            name: "sim Q(0)=\(Int(scale))", x: c.timesEpochs.map { $0 / scale }, y: c.meanQueuePackets.map { $0 / scale }))
        chart.series.append(
          SVGChart.Series(
            name: "95% CI", x: marks.map { c.timesEpochs[$0] / scale }, y: marks.map { c.meanQueuePackets[$0] / scale },
            errorBars: marks.map { (c.ci95Lower[$0] / scale, c.ci95Upper[$0] / scale) }, line: false, markers: false))
        chart.series.append(
          SVGChart.Series(name: "fluid Q(0)=\(Int(scale))", x: c.timesEpochs.map { $0 / scale }, y: c.fluidQueuePackets.map { $0 / scale }, dashed: true))
      }
      try writeSVG(chart.render(), to: svg)
    }
    try output.writeJSON(
      Report(
        gamma: scenario.gamma, pairs: scenario.pairs, crossGain: scenario.crossGain, replications: replications, slotsPerEpoch: scenario.slotsPerEpoch,
        kappa: scenario.kappa, wallSeconds: Date().timeIntervalSince(start), cases: cases))
  }
}
