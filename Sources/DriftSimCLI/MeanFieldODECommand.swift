import ArgumentParser
import Foundation
import DriftSimMeanField
import DriftSimNumerics

/// `driftsim meanfield ode`.
struct MeanFieldODECommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ode",
    abstract: "Integrate the mean-field ODE dx/dt = f(x) from x(0) (GSL rk8pd, tolerance 1e-10).",
    discussion: """
      Prints x(t) at --points evenly spaced times on [0, T].

      Limits: T ≤ \(String(format: "%.0e", MeanFieldSystem.maximumExplicitHorizon)) s with the explicit methods (their stable step is bounded even at equilibrium, so the cost grows linearly with T) and T ≤ \(String(format: "%.0e", MeanFieldSystem.maximumImplicitHorizon)) s with msbdf, bsimp or rk4imp; at most \(MeanFieldSystem.maximumPoints) points.

      Example: driftsim meanfield ode --model supermarket --horizon 50 --points 11 --svg ode.svg
      """)

  @OptionGroup var modelOptions: MeanFieldModelOptions
  @Option(help: "End time T in seconds.") var horizon = 10.0
  @Option(help: "Number of output times, evenly spaced on [0, T] (≥ 2).") var points = 11
  @Option(help: ArgumentHelp("Initial occupancy x(0) as a comma list (default: the model's).", valueName: "x0,x1,…")) var initial: String?
  @Option(help: ArgumentHelp("Write an SVG plot of every component to PATH.", valueName: "PATH")) var svg: String?
  @Option(help: "GSL stepper: \(ODEMethod.allCases.map(\.rawValue).joined(separator: ", ")) (msbdf, bsimp, rk4imp for stiff models).")
  var method = ODEMethod.rk8pd
  @OptionGroup var output: OutputOptions

  func validate() throws {
    if let svg { try checkOutputFile(svg, option: "--svg") }  // before any work
    guard horizon > 0, horizon.isFinite else { throw ValidationError("--horizon must be positive, got \(horizon)") }
    guard (2...MeanFieldSystem.maximumPoints).contains(points) else {
      throw ValidationError("--points must be in 2…\(MeanFieldSystem.maximumPoints), got \(points)")
    }
  }

  struct Report: Encodable {
    var model: String
    var times: [Double]
    var occupancy: [[Double]]
    var stateNames: [String]
    var method: String
  }

  func run() throws {
    let model = try modelOptions.load()
    let x0 = try parseInitialOccupancy(initial, model: model) ?? model.initialOccupancy
    let times = (0..<points).map { Double($0) * horizon / Double(points - 1) }
    let path = try MeanFieldSystem.trajectory(of: model, from: x0, at: times, method: method)
    output.report("t (s)      " + model.stateNames.joined(separator: "          "))
    for (t, x) in zip(times, path) {
      output.report(String(format: "%-10.4g ", t) + x.map { String(format: "%.8f", $0) }.joined(separator: " "))
    }
    if let svg { try writeSVG(MeanFieldCharts.ode(model: model.name, stateNames: model.stateNames, times: times, path: path), to: svg) }
    try output.writeJSON(Report(model: model.name, times: times, occupancy: path, stateNames: model.stateNames, method: method.rawValue))
  }
}
