import ArgumentParser
import Foundation
import DriftSimKernel
import DriftSimStats

/// `driftsim bench`: performance benchmarks that print figures.
struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Run a performance benchmark and print its figures.",
    discussion: "Build with -c release before trusting any number (tools/setup.sh does).",
    subcommands: [BenchKernelCommand.self, BenchInterferenceCommand.self, BenchCTMCCommand.self]
  )
}

/// `driftsim bench kernel`: the hold-model benchmark of the event kernel.
struct BenchKernelCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kernel",
    abstract: "Time the event kernel on the hold model (pop the earliest event, push one Exp(1) later).",
    discussion: """
      N events stay pending throughout; each step pops the earliest (time t) and schedules one at \
      t + Exp(1) seconds, drawn from a GSL taus2 stream. The queue is filled before timing starts. \
      The run is repeated and the median events/s is reported. 'finalSimulatedTimeSeconds' is a \
      determinism fingerprint: the same seed, population and events give the same value everywhere. \
      tools/bench/kernel.sh compares the figure with a plain C binary heap on the same generator.
      """
  )

  @Option(help: "Pending events N (≥ 1).")
  var population = 1_000

  @Option(help: "Events processed per timed repetition (≥ 1).")
  var events: UInt64 = 5_000_000

  @Option(help: "Timed repetitions; the median is reported (≥ 1).")
  var repetitions = 5

  @Option(help: "Base seed of the random stream.")
  var seed: UInt64 = 1

  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard population >= 1 else { throw ValidationError("--population must be at least 1, got \(population)") }
    guard population <= 100_000_000 else {
      throw ValidationError("--population must be at most 100000000, got \(population)")
    }
    guard events >= 1 else { throw ValidationError("--events must be at least 1, got \(events)") }
    guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1, got \(repetitions)") }
  }

  struct Report: Encodable {
    var eventsPerSecond: Double
    var population: Int
    var events: UInt64
    var repetitions: Int
    var repetitionEventsPerSecond: [Double]
    var finalSimulatedTimeSeconds: Double
    var seed: UInt64
    var generator: String
    var optimized: Bool
  }

  func run() throws {
    if isDebugBuild {
      StandardError.write("driftsim: warning: this is a debug build; benchmark figures are meaningless (use -c release)\n")
    }
    var rates: [Double] = []
    var fingerprint = 0.0
    for repetition in 1...repetitions {
      let result = runHoldBenchmark(population: population, events: events, seed: seed)
      rates.append(result.eventsPerSecond)
      fingerprint = result.finalSimulatedTime
      output.progress(
        "repetition \(repetition)/\(repetitions): \(format(result.eventsPerSecond)) events/s "
          + "(\(String(format: "%.3f", result.wallSeconds)) s)")
    }
    let medianRate = median(rates)!
    output.report(
      "hold model, N = \(population), \(events) events × \(repetitions): median \(format(medianRate)) events/s "
        + "(min \(format(rates.min()!)), max \(format(rates.max()!))); final simulated time \(fingerprint) s")
    try output.writeJSON(
      Report(
        eventsPerSecond: medianRate, population: population, events: events, repetitions: repetitions,
        repetitionEventsPerSecond: rates, finalSimulatedTimeSeconds: fingerprint, seed: seed,
        generator: "taus2", optimized: !isDebugBuild))
  }

  private func format(_ rate: Double) -> String {
    String(format: "%.3f M", rate / 1e6)
  }
}

/// `driftsim bench ctmc`: the CTMC simulator benchmark, under `bench` with the other benchmarks.
/// It is `driftsim meanfield bench` (same options, same output).
struct BenchCTMCCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ctmc",
    abstract: "Time the CTMC simulator (trace off): transitions per second (same as 'driftsim meanfield bench').",
    discussion: """
      Every option of 'driftsim meanfield bench' applies, e.g.
        driftsim bench ctmc --model sis --set alpha=0.5 --set beta=0.5 --populations 1000,100000 --json -
      See 'driftsim meanfield bench --help' for the options.
      """
  )

  @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Options of 'driftsim meanfield bench'.", valueName: "options"))
  var arguments: [String] = []

  func run() throws {
    // Parsed from the root, so a usage error names 'driftsim meanfield bench' (whose options these
    // are) rather than a bare 'bench'.
    var command = try DriftSimCommand.parseAsRoot(["meanfield", "bench"] + arguments)
    try command.run()
  }
}
