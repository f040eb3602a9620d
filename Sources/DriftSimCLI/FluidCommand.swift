import ArgumentParser
import DriftSimFluidValidation
import Foundation
import DriftSimInterference
import DriftSimNumerics

/// `driftsim fluid`: validation of the fluid approximations of the interference network.
struct FluidCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fluid",
    abstract: "Check the fluid approximations: value iteration vs J, fluid drains vs simulation, the fluid policy's cost gap.",
    discussion: """
      value-iteration: relative value iteration of the exact discrete-time queue (K = 1) against the fluid value function J (paper Fig. 5, Theorem 1).

      two-pair: the same for two interfering pairs (K = 2), V(q1, q2) − V(0, 0) against J1(q1) + J2(q2).

      drain: packet-level drains from a backlog Q(0) against the per-flow (decoupled) fluid ODE of Theorem 2 and the coupled fluid of Algorithm 3 on fixed fading samples (--model).

      decoupling: how the two-pair relative value function departs from J1 + J2 as the cross gain L grows, with the fitted order in L.

      policy-gap: the fluid policy's average cost against the optimum θ (K = 1).

      The discrete model, the methods and measured tables are in docs/fluid-validation.md and docs/coupled-fluid.md.
      """,
    subcommands: [
      FluidValueIterationCommand.self, FluidTwoPairCommand.self, FluidDrainCommand.self, FluidPolicyGapCommand.self,
      FluidDecouplingCommand.self,
    ]
  )
}

/// The single-pair parameters (λ, β, γ, L, κ) of `pair` in a scenario.
func pairParameters(_ scenario: Scenario, pair: Int) throws -> (lambda: Double, beta: Double, gamma: Double, gain: Double, kappa: Double) {
  guard pair >= 0 && pair < scenario.pairs else {
    throw DriftSimError("--pair \(pair) is out of range: the scenario has \(scenario.pairs) pairs (0…\(scenario.pairs - 1))")
  }
  guard let lambdas = scenario.arrivalRate.resolved(pairs: scenario.pairs), let gains = scenario.directGain.resolved(pairs: scenario.pairs)
  else {
    throw DriftSimError("the scenario's arrivalRate and directGain lists must have one entry per pair (\(scenario.pairs))")
  }
  let lambda = lambdas[pair]
  guard lambda > 0 else { throw DriftSimError("pair \(pair) has arrivalRate 0: the fluid value function is undefined") }
  return (lambda, scenario.beta, scenario.gamma, gains[pair], scenario.kappa)
}

/// The single-pair model parameters echoed in the JSON of `fluid policy-gap` (λ packets/epoch,
/// β, γ, L, κ packets/epoch/nat, truncation N packets, span tolerance when the command has one;
/// nil is omitted).
struct FluidModelReport: Encodable {
  var arrivalRate: Double
  var beta: Double
  var gamma: Double
  var directGain: Double
  var kappa: Double
  var truncation: Int
  var tolerance: Double? = nil
}

/// Parses "0,1,5" into integers in `range`, naming `option` and the rule on failure: a number
/// that is not an integer, lies outside the range (including 1e20, which `Int(_:)` would trap
/// on) or an empty element is an error, never rounded or dropped.
func parseIntegerList(_ text: String, option: String, range: ClosedRange<Int>) throws -> [Int] {
  try parseNumberList(text, option: option).map { value in
    guard value == value.rounded(), value >= Double(range.lowerBound), value <= Double(range.upperBound) else {
      throw DriftSimError("\(option): '\(value)' is not an integer in \(range.lowerBound)…\(range.upperBound)")
    }
    return Int(value)
  }
}
