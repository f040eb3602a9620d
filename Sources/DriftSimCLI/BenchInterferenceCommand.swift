import ArgumentParser
import Foundation
import DriftSimInterference
import DriftSimStats

/// `driftsim bench interference`: simulated epochs per second of the interference network, next to
/// the plain C loops of tools/bench when they are given.
struct BenchInterferenceCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "interference",
    abstract: "Time the interference network: epochs/s per policy on the paper preset, trace off and on, next to the C baselines.",
    discussion: """
      Cases: 'interference-free' is K = 5 with crossGain 0, csi-only and γ = 1 (water level κ/γ ≈ 2.40); then each policy on the full paper preset (K = 5, crossGain 0.1) at γ = --gamma, with the trace off, at traceLevel packets and at traceLevel slots (written to a temporary file and deleted). Each case runs --repetitions times; the median is reported.

      With --c-baselines DIR (the directory where tools/bench/interference.sh builds interference_c and interference_fast_c), every trace-off repetition is followed by the matching C loop on the same epochs, so both see the same machine load, and the report gives the ratio of the medians (and, as "paired", the median of the per-repetition ratios, steadier when the machine's speed drifts): interference-free against the xoshiro256+ (−log U) loop and the GSL taus2 loop, every paper-preset policy against the xoshiro256+ loop's paper mode (Algorithm 3 with weight 1, crossGain 0.1, same γ), and fluid and qwto also against that loop computing their own weights (J'(Q) by Halley's method on GSL's E1, and Q).

      --clock cpu divides the epochs by the process's CPU time instead of the wall-clock time, for DriftSim and the C loops alike (each run is single-threaded): on a machine shared with other work the wall clock counts time spent waiting for a core, the CPU clock does not.

      Example: tools/bench/interference.sh builds both and runs 'driftsim bench interference --c-baselines tools/bench --epochs 100000 --repetitions 5'.
      """
  )

  @Option(help: "Epochs per run (warm-up 10 %).")
  var epochs = 20_000

  @Option(help: "Runs per case; the median is reported.")
  var repetitions = 3

  @Option(help: "Power price γ for the paper-preset cases (0.05 keeps every policy stable at λ = 1).")
  var gamma = 0.05

  @Option(help: ArgumentHelp("Trace levels to time besides 'off' (comma-separated; '' for none).", valueName: "l1,l2"))
  var traceLevels = "packets,slots"

  @Option(help: ArgumentHelp("Directory holding the built C loops interference_c and interference_fast_c.", valueName: "dir"))
  var cBaselines: String?

  /// Which clock a rate divides by.
  enum Clock: String, ExpressibleByArgument, CaseIterable, Encodable {
    case wall, cpu
  }

  @Option(help: "Clock for epochs/s: wall (elapsed) or cpu (the process's CPU time; use on a busy machine).")
  var clock: Clock = .wall

  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard epochs >= 10 else { throw ValidationError("--epochs must be at least 10") }
    guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
    guard gamma > 0 else { throw ValidationError("--gamma must be positive") }
    if let directory = cBaselines {
      for program in ["interference_c", "interference_fast_c"] where !FileManager.default.isExecutableFile(atPath: "\(directory)/\(program)") {
        throw ValidationError("--c-baselines: \(directory)/\(program) is not an executable (build it with tools/bench/interference.sh)")
      }
    }
  }

  /// One C loop's figures for a case.
  struct Baseline: Encodable {
    var program: String
    var epochsPerSecond: Double
    var repetitionEpochsPerSecond: [Double]
    /// DriftSim's median over the C loop's median.
    var ratio: Double
    /// The median over repetitions of DriftSim's rate over the C loop's rate in the same
    /// repetition (the C loop runs right after DriftSim's repetition, so both see the same load:
    /// on a machine whose speed drifts this is the steadier figure).
    var pairedRatio: Double
  }

  struct Case: Encodable {
    var name: String
    var policy: String
    var traceLevel: String
    var epochsPerSecond: Double
    var repetitionEpochsPerSecond: [Double]
    var meanIterationsPerSlot: Double
    var traceBytesPerEpoch: Double?
    var baselines: [Baseline]
  }

  struct Report: Encodable {
    var epochs: Int
    var repetitions: Int
    var gamma: Double
    var clock: Clock
    var optimized: Bool
    var cases: [Case]
  }

  /// Runs one C loop once and returns its epochs/s.
  func runBaseline(_ program: String, _ arguments: [String]) throws -> Double {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do { try process.run() } catch {
      throw DriftSimError("--c-baselines: cannot run \(program): \(error.localizedDescription) (build it with tools/bench/interference.sh)")
    }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    struct Output: Decodable { var epochsPerSecond: Double; var cpuEpochsPerSecond: Double }
    guard process.terminationStatus == 0, let parsed = try? JSONDecoder().decode(Output.self, from: data) else {
      throw DriftSimError("--c-baselines: \(program) \(arguments.joined(separator: " ")) failed (exit \(process.terminationStatus))")
    }
    return clock == .cpu ? parsed.cpuEpochsPerSecond : parsed.epochsPerSecond
  }

  /// The process's CPU time in seconds (user + system).
  static func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
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
    let baselineDirectory = cBaselines.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
    var cases: [Case] = []
    let directory = FileManager.default.temporaryDirectory.path
    func measure(_ name: String, _ overrides: [String], caseGamma: Double, level: NetworkTraceLevel,
                 baselines: [(program: String, arguments: [String])]) throws {
      var builder = try ScenarioBuilder(preset: "paper")
      for o in ["epochs=\(epochs)", "warmupEpochs=\(epochs / 10)", "traceLevel=\(level.rawValue)"] + overrides + ["gamma=\(caseGamma)"] {
        try builder.apply(override: o)
      }
      let scenario = try builder.validated()
      var rates: [Double] = []
      var baselineRates = [[Double]](repeating: [], count: baselines.count)
      var iterations = 0.0
      var bytes: Double? = nil
      for repetition in 0..<repetitions {
        let path = "\(directory)/driftsim-bench-\(getpid()).dstrace"
        let recorder = level == .off ? nil : try NetworkTraceRecorder(path: path, scenario: scenario, gamma: caseGamma, softwareVersion: "bench")
        let start = DispatchTime.now(), cpuStart = Self.cpuSeconds()
        let result = try NetworkRun.runReplication(scenario, gamma: caseGamma, seed: replicationSeed(base: 1, replication: repetition), recorder: recorder)
        if let recorder { _ = try recorder.writer.finish(interrupted: false) }
        let seconds =
          clock == .cpu
          ? Self.cpuSeconds() - cpuStart : Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) * 1e-9
        if recorder != nil {
          let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int).flatMap { $0 }
          bytes = size.map { Double($0) / Double(epochs) }
          try? FileManager.default.removeItem(atPath: path)
        }
        rates.append(Double(result.epochsSimulated) / seconds)
        iterations = result.iteratedSlots > 0 ? Double(result.iterations) / Double(result.iteratedSlots) : 0
        for (b, baseline) in baselines.enumerated() { baselineRates[b].append(try runBaseline(baseline.program, baseline.arguments)) }
      }
      let median = DriftSimStats.median(rates)!
      var measured: [Baseline] = []
      for (b, baseline) in baselines.enumerated() {
        let c = DriftSimStats.median(baselineRates[b])!
        let paired = DriftSimStats.median(zip(rates, baselineRates[b]).map { $0 / $1 })!
        measured.append(Baseline(program: (baseline.program as NSString).lastPathComponent + " " + baseline.arguments.joined(separator: " "),
                                 epochsPerSecond: c, repetitionEpochsPerSecond: baselineRates[b], ratio: median / c,
                                 pairedRatio: paired))
      }
      output.progress(
        String(format: "%-18@ %-8@ trace %-7@ %10.0f epochs/s  (%.2f iterations/slot)", name, scenario.policy.rawValue, level.rawValue, median, iterations)
          + measured.map {
            String(format: "; %@ %.0f epochs/s, ratio %.3f (paired %.3f)", $0.program, $0.epochsPerSecond, $0.ratio, $0.pairedRatio)
          }.joined())
      cases.append(
        Case(name: name, policy: scenario.policy.rawValue, traceLevel: level.rawValue, epochsPerSecond: median,
             repetitionEpochsPerSecond: rates, meanIterationsPerSlot: iterations, traceBytesPerEpoch: bytes, baselines: measured))
    }
    let pairs = "5", epochText = String(epochs)
    for level in levels {
      let c: [(program: String, arguments: [String])] =
        level == .off
        ? (baselineDirectory.map { [("\($0)/interference_fast_c", [pairs, epochText, "1", "1", "0"]), ("\($0)/interference_c", [pairs, epochText, "1"])] } ?? [])
        : []
      try measure("interference-free", ["crossGain=0", "policy=csi-only"], caseGamma: 1, level: level, baselines: c)
    }
    for policy in PolicyName.paperPolicies {
      for level in levels {
        // Every paper policy against the C loop's csi weights (the issue's reference figure);
        // fluid and qwto also against the C loop computing their own weights (like for like).
        let ownWeights = ["fluid": "fluid", "qwto": "qwto"][policy.rawValue]
        let c: [(program: String, arguments: [String])] =
          level == .off
          ? (baselineDirectory.map { directory in
            [("\(directory)/interference_fast_c", [pairs, epochText, "1", String(gamma), "0.1"])]
              + (ownWeights.map { [("\(directory)/interference_fast_c", [pairs, epochText, "1", String(gamma), "0.1", $0])] } ?? [])
          } ?? []) : []
        try measure("paper", ["policy=\(policy.rawValue)"], caseGamma: gamma, level: level, baselines: c)
      }
    }
    output.report("case               policy   trace      epochs/s  iterations/slot  trace bytes/epoch  C loop epochs/s  ratio  paired")
    for c in cases {
      let line = String(format: "%-18@ %-8@ %-7@ %11.0f  %15.2f  %17@", c.name, c.policy, c.traceLevel, c.epochsPerSecond,
                        c.meanIterationsPerSlot, c.traceBytesPerEpoch.map { String(format: "%.0f", $0) } ?? "—")
      if c.baselines.isEmpty {
        output.report(line)
      } else {
        for (i, b) in c.baselines.enumerated() {
          output.report((i == 0 ? line : String(repeating: " ", count: line.count))
                          + String(format: "  %15.0f  %5.3f  %6.3f  (%@)", b.epochsPerSecond, b.ratio, b.pairedRatio, b.program))
        }
      }
    }
    try output.writeJSON(Report(epochs: epochs, repetitions: repetitions, gamma: gamma, clock: clock, optimized: !isDebugBuild, cases: cases))
  }
}
