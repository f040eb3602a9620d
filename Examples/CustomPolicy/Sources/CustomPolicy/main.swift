import DriftSim
import Foundation

/// A queue-aware water level that grows like the square root of the backlog: between CSI-only
/// (weight 1) and QWTO (weight Q). With `weightUpdate=slot` it is re-evaluated every slot.
struct SquareRootBacklog: PowerPolicy {
  static let name = "sqrt-backlog"
  static let isOrthogonal = false
  func weight(pair: Int, queuePackets: Double) -> Double { 1 + queuePackets.squareRoot() }
}

/// Usage: CustomPolicy [epochs] — the paper preset at 6 dB, 3 replications.
let epochs = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 4000
var builder = try ScenarioBuilder(preset: "paper")
for assignment in ["targetSNRdB=6", "epochs=\(epochs)", "warmupEpochs=\(epochs / 10)", "replications=3", "weightUpdate=slot"] {
  try builder.apply(override: assignment)
}
let scenario = try builder.validated()

let mine = try PolicyRunner { _ in SquareRootBacklog() }.run(scenario, jobs: 2)
let reference = try PolicyRunner { _ in CSIOnlyPolicy() }.run(scenario, jobs: 2)

func line(_ s: RunSummary) -> String {
  let ci = s.meanDelayCI95.map { String(format: "[%.3f, %.3f]", $0[0], $0[1]) } ?? "—"
  let name = s.policy.padding(toLength: 13, withPad: " ", startingAt: 0)
  return name + String(format: "γ = %.5f  SNR %.2f dB  mean delay %.3f ms %@", s.gamma, s.avgSNRdB, s.meanDelayMs, ci)
}
print("paper preset, K = 5, 6 dB, \(epochs) epochs × 3 replications, weights refreshed every slot")
print(line(mine))
print(line(reference))
