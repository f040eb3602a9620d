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
      Uses the scenario's arrivalRate, beta, gamma, directGain and κ = bandwidthHz·epochSeconds / (meanPacketBits·ln 2) of --pair. Q is in packets, J in cost units (β·epochs of delay, γ·power). Parameters for which J or J' is not a finite double (e.g. gamma = 1e-300 with directGain = 1e300) are errors naming the parameters, never NaN in the table.

      JSON: {"v", "cInf", "y0", "b", "kappa", "z0", "arrivalRate", "gamma", "beta", "directGain", "points": [{"queue", "J", "dJ"}]}.

      Example: driftsim fluid-value --set gamma=0.05 --queues 0,1,10,100 --json -
      """
  )

  @OptionGroup var source: ScenarioOptions

  @Option(help: "Which pair's parameters to use (0-based).")
  var pair = 0

  @Option(
    help: ArgumentHelp("Queue lengths Q in packets, comma-separated (finite, ≥ 0).", valueName: "q1,q2,…"),
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
    let p = try pairParameters(scenario, pair: pair)
    let fluid = try FluidValueFunction(arrivalRate: p.lambda, beta: p.beta, gamma: p.gamma, directGain: p.gain, kappa: p.kappa)
    let solver = BrentRootFinder()
    var points: [Point] = []
    for q in queues {
      let slope = try fluid.slope(atQueue: q, solver: solver)
      let value = q == 0 ? 0 : fluid.value(atSlope: slope)
      guard slope.isFinite, value.isFinite else {
        throw DriftSimError(
          "--queues \(q): J = \(value), J' = \(slope) are not finite for arrivalRate = \(p.lambda), beta = \(p.beta), gamma = \(p.gamma), directGain = \(p.gain); the queue or the parameters are outside the range J can be computed in double precision")
      }
      points.append(Point(queue: q, J: value, dJ: slope))
    }
    output.report(String(format: "κ = %.15g, v = J'(0) = %.15g, c∞ = %.15g, b = %.15g, z0 = %.15g", fluid.kappa, fluid.v, fluid.cInf, fluid.b, fluid.z0))
    output.report("         Q                    J(Q)                   J'(Q)")
    for p in points { output.report(String(format: "%10.6g  %22.15g  %22.15g", p.queue, p.J, p.dJ)) }
    try output.writeJSON(
      Report(
        v: fluid.v, cInf: fluid.cInf, y0: fluid.v, b: fluid.b, kappa: fluid.kappa, z0: fluid.z0, arrivalRate: p.lambda,
        gamma: fluid.gamma, beta: fluid.beta, directGain: fluid.directGain, points: points))
  }
}
