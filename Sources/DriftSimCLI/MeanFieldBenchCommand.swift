import ArgumentParser
import Foundation
import DriftSimMeanField
import DriftSimStats

/// The CTMC algorithm `meanfield bench` times.
enum CTMCBenchMethod: String, ExpressibleByArgument, CaseIterable {
  /// Gillespie's direct method (what `simulate` uses).
  case direct
  /// Gibson–Bruck next reaction on the Kernel's event queue.
  case nextReaction = "next-reaction"
}

/// `driftsim meanfield bench`: CTMC transitions per second.
struct MeanFieldBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Time the CTMC simulator (trace off): transitions per second, median of several runs.",
    discussion: """
      Starts at x* (rounded to counts) and simulates --jumps transitions per repetition (at most 1e10) with no observer. tools/bench/gillespie.c is the plain C baseline on the same GSL taus2 generator. Build with -c release before trusting any number.

      Example: swift run -c release driftsim meanfield bench --populations 1000 --jumps 20000000
      """)

  @OptionGroup var modelOptions: MeanFieldModelOptions
  @Option(help: "Population sizes M (comma list).") var populations = "1000,100000"
  @Option(help: "Transitions per timed repetition (1…1e10).") var jumps: UInt64 = 20_000_000
  @Option(help: "Timed repetitions; the median is reported (1…1000).") var repetitions = 5
  @Option(help: "Base seed.") var seed: UInt64 = 1
  @Option(help: "direct (Gillespie, what simulate uses) or next-reaction (Gibson–Bruck on the Kernel's event queue).")
  var method = CTMCBenchMethod.direct
  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard (1...10_000_000_000).contains(jumps) else { throw ValidationError("--jumps must be in 1…1e10, got \(jumps)") }
    guard (1...1000).contains(repetitions) else { throw ValidationError("--repetitions must be in 1…1000, got \(repetitions)") }
  }

  struct Row: Encodable {
    var population: Int
    var transitionsPerSecond: Double
    var repetitionTransitionsPerSecond: [Double]
    var finalTimeSeconds: Double
  }

  struct Report: Encodable {
    var model: String
    var method: String
    var jumps: UInt64
    var repetitions: Int
    var rows: [Row]
    var generator: String
    var optimized: Bool
  }

  func run() throws {
    if isDebugBuild {
      StandardError.write("driftsim: warning: this is a debug build; benchmark figures are meaningless (use -c release)\n")
    }
    let model = try modelOptions.load()
    let xStar = try MeanFieldSystem(model: model).equilibrium()
    var rows: [Row] = []
    for m in try parsePopulationList(populations) {
      var rates: [Double] = []
      var finalTime = 0.0
      for repetition in 1...repetitions {
        let done: UInt64
        let seconds: Double
        switch method {
        case .direct:
          var simulation = try CTMCSimulation(model: model, population: m, initialOccupancy: xStar, seed: seed)
          let start = DispatchTime.now().uptimeNanoseconds
          try simulation.advance(until: .infinity, maxJumps: jumps)
          seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
          done = simulation.jumps
          finalTime = simulation.time
        case .nextReaction:
          var simulation = try NextReactionSimulation(model: model, population: m, initialOccupancy: xStar, seed: seed)
          let start = DispatchTime.now().uptimeNanoseconds
          simulation.advance(jumps: jumps)
          seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
          done = simulation.jumps
          finalTime = simulation.time
        }
        let rate = Double(done) / max(seconds, 1e-9)
        rates.append(rate)
        output.progress("M = \(m), repetition \(repetition)/\(repetitions): \(String(format: "%.2f", rate / 1e6)) M transitions/s")
      }
      let med = median(rates) ?? .nan
      let low = rates.min() ?? .nan, high = rates.max() ?? .nan
      output.report(
        "\(model.name) (\(method.rawValue)), M = \(m): median \(String(format: "%.2f", med / 1e6)) M transitions/s over \(repetitions) runs of \(jumps) (min \(String(format: "%.2f", low / 1e6)), max \(String(format: "%.2f", high / 1e6)))")
      rows.append(Row(population: m, transitionsPerSecond: med, repetitionTransitionsPerSecond: rates, finalTimeSeconds: finalTime))
    }
    try output.writeJSON(
      Report(
        model: model.name, method: method.rawValue, jumps: jumps, repetitions: repetitions, rows: rows, generator: "taus2",
        optimized: !isDebugBuild))
  }
}
