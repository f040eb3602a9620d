import ArgumentParser
import Foundation
import DriftSimMeanField

/// `driftsim meanfield trajectory`.
struct MeanFieldTrajectoryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "trajectory",
    abstract: "Kurtz's picture: sup over [0, T] of ‖x^M(t) − x(t)‖ for several M from the same x(0), and an SVG of x^M(t) vs the ODE.",
    discussion: """
      Limits: T ≤ \(String(format: "%.0e", TrajectoryStudy.maximumHorizon)) s, at most \(TrajectoryStudy.maximumSamples) samples, and each M may expect at most \(String(format: "%.0e", CTMCWorkLimit.maximumExpectedJumps)) jumps.

      Example: driftsim meanfield trajectory --populations 100,1000,10000 --horizon 10 --svg kurtz.svg
      """)

  @OptionGroup var modelOptions: MeanFieldModelOptions
  @Option(help: "Population sizes M (comma list).") var populations = "100,1000,100000"
  @Option(help: "Horizon T in seconds.") var horizon = 10.0
  @Option(help: ArgumentHelp("Initial occupancy x(0) as a comma list (default: the model's).", valueName: "x0,x1,…")) var initial: String?
  @Option(help: "Sample times for the plot and JSON (≥ 2).") var samples = 400
  @Option(help: "Which occupancy component to plot.") var component = 1
  @Option(help: "Base seed.") var seed: UInt64 = 1
  @Option(help: ArgumentHelp("Write the SVG plot to PATH.", valueName: "PATH")) var svg: String?
  @OptionGroup var output: OutputOptions

  func validate() throws {
    if let svg { try checkOutputFile(svg, option: "--svg") }  // before any work
    guard horizon > 0, horizon.isFinite else { throw ValidationError("--horizon must be positive, got \(horizon)") }
    guard (2...TrajectoryStudy.maximumSamples).contains(samples) else {
      throw ValidationError("--samples must be in 2…\(TrajectoryStudy.maximumSamples), got \(samples)")
    }
    guard component >= 0 else { throw ValidationError("--component must be ≥ 0") }
  }

  func run() throws {
    let model = try modelOptions.load()
    guard component < model.stateCount else {
      throw DriftSimError("--component \(component): the model has \(model.stateCount) states (0…\(model.stateCount - 1))")
    }
    let x0 = try parseInitialOccupancy(initial, model: model)
    let result = try TrajectoryStudy.run(
      model: model, populations: try parsePopulationList(populations), initial: x0, horizon: horizon, samples: samples, seed: seed)
    output.report("\(model.name) from x(0) = \(formatted(result.initialOccupancy)) over [0, \(horizon)] s")
    output.report("         M     sup‖x^M−x‖           √M·sup        jumps")
    for row in result.rows {
      output.report(String(format: "%10d %14.6f %16.4f %12llu", row.population, row.supDistance, row.scaledSupDistance, row.jumps))
    }
    if let svg { try writeSVG(MeanFieldCharts.trajectory(result, component: component), to: svg) }
    try output.writeJSON(result)
  }
}
