import ArgumentParser
import Foundation
import DriftSimInterference
import DriftSimNumerics

/// `driftsim fluid-value`: the per-flow fluid value function J(Q) and J'(Q) of one pair.
struct FluidValueCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fluid-value",
    abstract: "Print the per-flow fluid value function J(Q) and its slope J'(Q) (the fluid policy's water level).",
    discussion: """
      Uses the scenario's arrivalRate, beta, gamma, directGain and κ = bandwidthHz·epochSeconds /
      (meanPacketBits·ln 2) of --pair. Q is in packets, J in cost units (β·epochs of delay, γ·power).
      JSON: {"v", "cInf", "y0", "b", "kappa", "z0", "points": [{"queue", "J", "dJ"}]}.
      Example: driftsim fluid-value --set gamma=0.05 --queues 0,1,10,100 --json -
      """
  )

  @OptionGroup var source: ScenarioOptions

  @Option(help: "Which pair's parameters to use (0-based).")
  var pair = 0

  @Option(
    help: ArgumentHelp("Queue lengths Q in packets, comma-separated (≥ 0).", valueName: "q1,q2,…"),
    transform: { try parseNumberList($0, option: "--queues", minimum: 0) })
  var queues: [Double] = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]

  @OptionGroup var output: OutputOptions

  struct Point: Encodable {
    var queue: Double
    var J: Double
    var dJ: Double
  }

  struct Report: Encodable {
    var v: Double
    var cInf: Double
    var y0: Double
    var b: Double
    var kappa: Double
    var z0: Double
    var arrivalRate: Double
    var gamma: Double
    var beta: Double
    var directGain: Double
    var points: [Point]
  }

  func run() throws {
    let scenario = try source.load()
    guard pair >= 0 && pair < scenario.pairs else {
      throw DriftSimError("--pair \(pair) is out of range: the scenario has \(scenario.pairs) pairs (0…\(scenario.pairs - 1))")
    }
    let lambda = scenario.arrivalRate.resolved(pairs: scenario.pairs)![pair]
    guard lambda > 0 else { throw DriftSimError("pair \(pair) has arrivalRate 0: its fluid value function is undefined") }
    let fluid: FluidValueFunction
    do {
      fluid = try FluidValueFunction(
        arrivalRate: lambda, beta: scenario.beta, gamma: scenario.gamma,
        directGain: scenario.directGain.resolved(pairs: scenario.pairs)![pair], kappa: scenario.kappa)
    } catch {
      throw DriftSimError("\(error)")
    }
    let solver = BrentRootFinder()
    var points: [Point] = []
    for q in queues {
      let slope = try fluid.slope(atQueue: q, solver: solver)
      points.append(Point(queue: q, J: q == 0 ? 0 : fluid.value(atSlope: slope), dJ: slope))
    }
    output.report(String(format: "κ = %.15g, v = J'(0) = %.15g, c∞ = %.15g, b = %.15g, z0 = %.15g", fluid.kappa, fluid.v, fluid.cInf, fluid.b, fluid.z0))
    output.report("         Q                    J(Q)                   J'(Q)")
    for p in points { output.report(String(format: "%10.6g  %22.15g  %22.15g", p.queue, p.J, p.dJ)) }
    try output.writeJSON(
      Report(
        v: fluid.v, cInf: fluid.cInf, y0: fluid.v, b: fluid.b, kappa: fluid.kappa, z0: fluid.z0, arrivalRate: lambda,
        gamma: fluid.gamma, beta: fluid.beta, directGain: fluid.directGain, points: points))
  }
}
