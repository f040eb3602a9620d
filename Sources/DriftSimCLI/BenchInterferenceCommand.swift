import ArgumentParser
import Foundation
import DriftSimInterference
import DriftSimStats

/// `driftsim bench interference`: simulated epochs per second of the interference network.
struct BenchInterferenceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "interference",
    abstract: "Time the interference network: epochs/s per policy on the paper preset, trace off and on.",
    discussion: """
      Cases: 'interference-free' is K = 5 with crossGain 0 and csi-only (compare with the plain C
      time-stepped loop in tools/bench/interference.c via tools/bench/interference.sh); then each
      policy on the full paper preset (K = 5, crossGain 0.1) at γ = --gamma, with the trace off,
      at traceLevel packets and at traceLevel slots (written to a temporary file and deleted).
      Each case runs --repetitions times; the median is reported.
      """
  )

  @Option(help: "Epochs per run (warm-up 10 %).")
  var epochs = 20_000

  @Option(help: "Runs per case; the median is reported.")
  var repetitions = 3

  @Option(help: "Power price γ for the paper-preset cases (0.05 keeps every policy stable at λ = 1).")
  var gamma = 0.05

  @Option(help: ArgumentHelp("Trace levels to time besides 'off'.", valueName: "l1,l2"))
  var traceLevels = "packets,slots"

  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard epochs >= 10 else { throw ValidationError("--epochs must be at least 10") }
    guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
    guard gamma > 0 else { throw ValidationError("--gamma must be positive") }
  }

  struct Case: Encodable {
    var name: String
    var policy: String
    var traceLevel: String
    var epochsPerSecond: Double
    var repetitionEpochsPerSecond: [Double]
    var meanIterationsPerSlot: Double
    var traceBytesPerEpoch: Double?
  }

  struct Report: Encodable {
    var epochs: Int
    var repetitions: Int
    var gamma: Double
    var optimized: Bool
    var cases: [Case]
  }

  func run() throws {
    if isDebugBuild {
      StandardError.write("driftsim: warning: this is a debug build; benchmark figures are meaningless (use -c release)\n")
    }
    var levels: [NetworkTraceLevel] = [.off]
    for word in traceLevels.split(separator: ",") where !word.isEmpty {
      guard let level = NetworkTraceLevel(rawValue: String(word)), level != .off else {
        throw DriftSimError("--trace-levels: '\(word)' is not one of packets, epochs, slots")
      }
      levels.append(level)
    }
    var cases: [Case] = []
    let directory = FileManager.default.temporaryDirectory.path
    func measure(_ name: String, _ overrides: [String], level: NetworkTraceLevel) throws {
      var builder = try ScenarioBuilder(preset: "paper")
      for o in overrides + ["epochs=\(epochs)", "warmupEpochs=\(epochs / 10)", "gamma=\(gamma)", "traceLevel=\(level.rawValue)"] {
        try builder.apply(override: o)
      }
      let scenario = try builder.validated()
      var rates: [Double] = []
      var iterations = 0.0
      var bytes: Double? = nil
      for repetition in 0..<repetitions {
        let path = "\(directory)/driftsim-bench-\(getpid()).dstrace"
        let recorder = level == .off ? nil : try NetworkTraceRecorder(path: path, scenario: scenario, gamma: gamma, softwareVersion: "bench")
        let start = DispatchTime.now()
        let result = try NetworkRun.runReplication(scenario, gamma: gamma, seed: replicationSeed(base: 1, replication: repetition), recorder: recorder)
        if let recorder { _ = try recorder.writer.finish(interrupted: false) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) * 1e-9
        if recorder != nil {
          let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int).flatMap { $0 }
          bytes = size.map { Double($0) / Double(epochs) }
          try? FileManager.default.removeItem(atPath: path)
        }
        rates.append(Double(result.epochsSimulated) / seconds)
        iterations = result.iteratedSlots > 0 ? Double(result.iterations) / Double(result.iteratedSlots) : 0
      }
      let median = DriftSimStats.median(rates)!
      output.progress(
        String(format: "%-18@ %-8@ trace %-7@ %10.0f epochs/s  (%.2f iterations/slot)", name, scenario.policy.rawValue, level.rawValue, median, iterations))
      cases.append(
        Case(name: name, policy: scenario.policy.rawValue, traceLevel: level.rawValue, epochsPerSecond: median,
             repetitionEpochsPerSecond: rates, meanIterationsPerSlot: iterations, traceBytesPerEpoch: bytes))
    }
    do {
      for level in levels { try measure("interference-free", ["crossGain=0", "policy=csi-only", "gamma=1"], level: level) }
      for policy in PolicyName.paperPolicies {
        for level in levels { try measure("paper", ["policy=\(policy.rawValue)"], level: level) }
      }
    } catch let error as ScenarioError {
      throw DriftSimError(error.description)
    } catch let error as SimulationError {
      throw DriftSimError(error.description)
    }
    output.report("case               policy   trace      epochs/s  iterations/slot  trace bytes/epoch")
    for c in cases {
      output.report(
        String(format: "%-18@ %-8@ %-7@ %11.0f  %15.2f  %17@", c.name, c.policy, c.traceLevel, c.epochsPerSecond,
               c.meanIterationsPerSlot, c.traceBytesPerEpoch.map { String(format: "%.0f", $0) } ?? "—"))
    }
    try output.writeJSON(Report(epochs: epochs, repetitions: repetitions, gamma: gamma, optimized: !isDebugBuild, cases: cases))
  }
}
