import ArgumentParser
import Foundation
import DriftSimMeanField
import DriftSimNumerics
import DriftSimStats
import DriftSimTrace

/// `driftsim meanfield`: density-dependent population CTMCs and their mean-field limits.
struct MeanFieldCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "meanfield",
    abstract: "Mean-field population models: exact CTMC simulation, ODE, equilibrium, refined correction, error studies.",
    discussion: """
      Models: --model sis (SIS with external infection; alpha, beta) or --model supermarket \
      (power-of-d choices; lambda, d, buffer), or --model-file PATH (JSON: states, parameters, \
      transitions with integer jumps and rate expressions in x0…x(n-1), state and parameter names).

      Parameters: --set name=value (repeatable; unknown names are errors).

      The CTMC with M objects jumps X → X + ℓ at rate M·β_ℓ(X/M); the ODE is dx/dt = Σ ℓ β_ℓ(x).
      """,
    subcommands: [
      MeanFieldSimulateCommand.self, MeanFieldODECommand.self, MeanFieldEquilibriumCommand.self,
      MeanFieldRefinedCommand.self, MeanFieldScalingCommand.self, MeanFieldTrajectoryCommand.self,
      MeanFieldBenchCommand.self,
    ]
  )
}

/// The model selection every `meanfield` subcommand shares.
struct MeanFieldModelOptions: ParsableArguments {
  @Option(help: "A built-in model: sis or supermarket.")
  var model: String?

  @Option(help: ArgumentHelp("A JSON model file (see docs/meanfield.md).", valueName: "PATH"))
  var modelFile: String?

  @Option(
    name: .customLong("set"),
    help: ArgumentHelp("Set a model parameter, e.g. --set alpha=0.5. Repeatable.", valueName: "name=value"))
  var settings: [String] = []

  /// The model with parameters applied; `sis` when neither --model nor --model-file is given.
  func load() throws -> PopulationModel {
    var overrides: [String: Double] = [:]
    for setting in settings {
      let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
      guard parts.count == 2, !parts[0].isEmpty else {
        throw DriftSimError("--set '\(setting)': expected name=value")
      }
      guard let value = Double(parts[1].trimmingCharacters(in: .whitespaces)) else {
        throw DriftSimError("--set \(parts[0]): '\(parts[1])' is not a number")
      }
      overrides[parts[0]] = value
    }
    do {
      return try loadPopulationModel(builtin: modelFile == nil ? (model ?? "sis") : model, file: modelFile, overrides: overrides)
    } catch {
      throw DriftSimError(error.message)
    }
  }

  /// The scenario text stored in traces.
  func description(of model: PopulationModel) -> String {
    var object: [String: Any] = ["model": model.name, "parameters": model.parameters]
    if let modelFile { object["modelFile"] = modelFile }
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    return String(decoding: data, as: UTF8.self)
  }
}

/// Parses "100,1000" into positive integers.
func parsePopulationList(_ text: String, option: String = "--populations") throws -> [Int] {
  try parseNumberList(text, option: option).map { v in
    guard v >= 1, v == v.rounded(), v <= 1e9 else { throw DriftSimError("\(option): '\(v)' is not an integer in 1…1e9") }
    return Int(v)
  }
}

/// Maps library errors to exit status 1.
@discardableResult
func meanFieldCall<T>(_ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let error as MeanFieldError {
    throw DriftSimError(error.message)
  }
}

func formatted(_ values: [Double], _ format: String = "%.6f") -> String {
  "(" + values.map { String(format: format, $0) }.joined(separator: ", ") + ")"
}

/// `driftsim meanfield simulate`.
struct MeanFieldSimulateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "simulate",
    abstract: "Simulate the CTMC with M objects exactly (Gillespie direct method) and optionally write a trace.",
    discussion: """
      The trace holds CTMC jump records (time, transition) and count snapshots every
      --snapshot-interval seconds (plus one at the horizon); its header stores the model, M, the
      equilibrium x*, the jump vectors and the initial counts, so 'driftsim-replay meanfield-error'
      can rebuild the exact path.
      """)

  @OptionGroup var modelOptions: MeanFieldModelOptions
  @Option(help: "Number of objects M (≥ 1).") var population = 1000
  @Option(help: "Simulated time T in seconds.") var horizon = 100.0
  @Option(help: ArgumentHelp("Initial occupancy x(0) as a comma list (default: the model's).", valueName: "x0,x1,…")) var initial: String?
  @Option(help: "Base seed.") var seed: UInt64 = 1
  @Option(help: ArgumentHelp("Write a binary trace to PATH.", valueName: "PATH")) var trace: String?
  @Option(help: "Trace records: ctmc (jumps and snapshots), ctmcJumps or ctmcSnapshots.") var traceLevel = "ctmc"
  @Option(help: "Seconds between count snapshots in the trace.") var snapshotInterval = 1.0
  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard population >= 1 else { throw ValidationError("--population must be at least 1, got \(population)") }
    guard horizon > 0, horizon.isFinite else { throw ValidationError("--horizon must be positive, got \(horizon)") }
    guard snapshotInterval > 0 else { throw ValidationError("--snapshot-interval must be positive") }
  }

  func run() throws {
    let model = try modelOptions.load()
    let x0 = try initial.map { try parseNumberList($0, option: "--initial") }
    let level: TraceLevel
    switch traceLevel {
    case "ctmc": level = .ctmc
    case "ctmcJumps": level = .ctmcJumps
    case "ctmcSnapshots": level = .ctmcSnapshots
    default: throw DriftSimError("--trace-level '\(traceLevel)': expected ctmc, ctmcJumps or ctmcSnapshots")
    }
    if trace != nil { TraceInterruption.install() }
    let started = Date()
    let summary = try meanFieldCall {
      try MeanFieldSimulation.run(
        model: model, population: population, initial: x0, horizon: horizon, seed: seed, tracePath: trace, level: level,
        snapshotInterval: snapshotInterval, scenario: modelOptions.description(of: model),
        softwareVersion: "driftsim \(DriftSimVersion.string)")
    }
    let seconds = Date().timeIntervalSince(started)
    output.report("\(model.name), M = \(population), T = \(summary.horizonSeconds) s: \(summary.jumps) jumps (\(String(format: "%.3f", seconds)) s wall)")
    output.report("x(T) = \(formatted(summary.finalOccupancy)), time-average x = \(formatted(summary.meanOccupancy))")
    output.report("x* = \(formatted(summary.equilibrium)), time-average ‖x − x*‖² = \(String(format: "%.6g", summary.meanSquareError))")
    if let trace { output.report("trace written to \(trace)\(summary.interrupted ? " (interrupted)" : "")") }
    try output.writeJSON(summary)
    if summary.interrupted { throw ExitCode(TraceInterruption.exitStatus) }
  }
}

/// `driftsim meanfield ode`.
struct MeanFieldODECommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ode", abstract: "Integrate the mean-field ODE dx/dt = f(x) from x(0) (GSL rk8pd, tolerance 1e-10).")

  @OptionGroup var modelOptions: MeanFieldModelOptions
  @Option(help: "End time T in seconds.") var horizon = 10.0
  @Option(help: "Number of output times, evenly spaced on [0, T] (≥ 2).") var points = 11
  @Option(help: ArgumentHelp("Initial occupancy x(0) as a comma list (default: the model's).", valueName: "x0,x1,…")) var initial: String?
  @Option(help: ArgumentHelp("Write an SVG plot of every component to PATH.", valueName: "PATH")) var svg: String?
  @Option(help: "GSL stepper: \(ODEMethod.allCases.map(\.rawValue).joined(separator: ", ")) (msbdf, bsimp, rk4imp for stiff models).")
  var method = "rk8pd"
  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard horizon > 0, horizon.isFinite else { throw ValidationError("--horizon must be positive, got \(horizon)") }
    guard points >= 2 else { throw ValidationError("--points must be at least 2, got \(points)") }
    guard ODEMethod(rawValue: method) != nil else {
      throw ValidationError("--method '\(method)': expected one of \(ODEMethod.allCases.map(\.rawValue).joined(separator: ", "))")
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
    let x0 = try initial.map { try parseNumberList($0, option: "--initial") } ?? model.initialOccupancy
    guard x0.count == model.stateCount else {
      throw DriftSimError("--initial has \(x0.count) entries, the model has \(model.stateCount) states")
    }
    let times = (0..<points).map { Double($0) * horizon / Double(points - 1) }
    let path = try meanFieldCall {
      try MeanFieldSystem(model: model).trajectory(from: x0, at: times, method: ODEMethod(rawValue: method)!)
    }
    output.report("t (s)      " + model.stateNames.joined(separator: "          "))
    for (t, x) in zip(times, path) {
      output.report(String(format: "%-10.4g ", t) + x.map { String(format: "%.8f", $0) }.joined(separator: " "))
    }
    if let svg {
      var chart = SVGChart(title: "\(model.name): mean-field ODE", xLabel: "time t (s)", yLabel: "occupancy")
      for i in 0..<model.stateCount {
        chart.series.append(SVGChart.Series(name: model.stateNames[i], x: times, y: path.map { $0[i] }))
      }
      try writeSVG(chart.render(), to: svg)
    }
    try output.writeJSON(Report(model: model.name, times: times, occupancy: path, stateNames: model.stateNames, method: method))
  }
}

/// `driftsim meanfield equilibrium`.
struct MeanFieldEquilibriumCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "equilibrium",
    abstract: "Find the fixed point x*, the Jacobian eigenvalues there, and a local stability verdict.",
    discussion: """
      x* is reached by integrating the ODE from x(0) until it settles, then polished by Newton's
      method on the invariant subspace (conservation laws wᵀx = const, found from the jumps).
      Stability is judged from the eigenvalues of the Jacobian restricted to that subspace
      (each conservation law adds a zero eigenvalue to the full Jacobian).
      """)

  @OptionGroup var modelOptions: MeanFieldModelOptions
  @Option(help: ArgumentHelp("Start the search from this occupancy (default: the model's x(0)).", valueName: "x0,x1,…")) var initial: String?
  @OptionGroup var output: OutputOptions

  func run() throws {
    let model = try modelOptions.load()
    let x0 = try initial.map { try parseNumberList($0, option: "--initial") }
    let analysis = try meanFieldCall { try MeanFieldSystem(model: model).analyseEquilibrium(from: x0) }
    output.report("x* = \(formatted(analysis.equilibrium, "%.12f"))   (‖f(x*)‖∞ = \(String(format: "%.2e", analysis.residual)))")
    output.report("eigenvalues on the invariant subspace: " + analysis.invariantSubspaceEigenvalues.map(\.description).joined(separator: ", "))
    output.report("conservation laws: \(analysis.conservationLawCount); verdict: \(analysis.verdict.rawValue)")
    try output.writeJSON(analysis)
  }
}

/// `driftsim meanfield refined`.
struct MeanFieldRefinedCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "refined",
    abstract: "The refined mean-field correction V (Gast & Van Houdt): E[X/M] ≈ x* + V/M.",
    discussion: "Also prints W (M·Cov(X/M) → W) and tr W = lim M·E‖X/M − x*‖².")

  @OptionGroup var modelOptions: MeanFieldModelOptions
  @Option(help: "Also print x* + V/M for these populations (comma list).") var populations: String?
  @OptionGroup var output: OutputOptions

  func run() throws {
    let model = try modelOptions.load()
    let refined = try meanFieldCall { try RefinedMeanField(system: MeanFieldSystem(model: model)) }
    output.report("x* = \(formatted(refined.equilibrium, "%.12f"))")
    output.report("V  = \(formatted(refined.correction, "%.12f"))   (E[X/M] ≈ x* + V/M)")
    output.report("lim M·E‖x − x*‖² = tr W = \(String(format: "%.10f", refined.scaledErrorLimit))")
    if let populations {
      for m in try parsePopulationList(populations) {
        let approx = zip(refined.equilibrium, refined.correction).map { $0 + $1 / Double(m) }
        output.report("M = \(m): x* + V/M = \(formatted(approx, "%.8f"))")
      }
    }
    try output.writeJSON(refined)
  }
}

/// `driftsim meanfield scaling`.
struct MeanFieldScalingCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scaling",
    abstract: "The M-scaling study: stationary E‖x − x*‖² and M·E‖x − x*‖² with 95 % CIs, and the slope of log E vs log M.",
    discussion: """
      Per M: start at x*, discard --warm-up seconds, then time-average ‖x − x*‖² exactly over
      --duration seconds, cut into --batches windows for a batch-means Student-t interval. For
      two-state birth–death models (sis) the exact value from the stationary distribution is
      printed next to each estimate. --check exits with status 1 unless every exact value lies in
      its CI and the slope's CI contains −1 (the validation CI runs).
      """)

  @OptionGroup var modelOptions: MeanFieldModelOptions
  @Option(help: "Population sizes M (comma list).") var populations = "100,200,500,1000,10000"
  @Option(help: "Warm-up in simulated seconds.") var warmUp = 50.0
  @Option(help: "Averaging time per M in simulated seconds.") var duration = 10_000.0
  @Option(help: "Batch-means windows per run (≥ 2).") var batches = 32
  @Option(help: "Base seed.") var seed: UInt64 = 1
  @Option(help: ArgumentHelp("Write a log–log SVG plot to PATH.", valueName: "PATH")) var svg: String?
  @Flag(help: "Fail (exit 1) unless exact values lie in their CIs and the slope CI contains −1.") var check = false
  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard duration > 0, duration.isFinite else { throw ValidationError("--duration must be positive, got \(duration)") }
    guard warmUp >= 0, warmUp.isFinite else { throw ValidationError("--warm-up must be ≥ 0, got \(warmUp)") }
    guard batches >= 2 else { throw ValidationError("--batches must be at least 2, got \(batches)") }
  }

  func run() throws {
    let model = try modelOptions.load()
    var configuration = ScalingConfiguration()
    configuration.populations = try parsePopulationList(populations)
    configuration.warmUp = warmUp
    configuration.duration = duration
    configuration.batches = batches
    configuration.seed = seed
    let quiet = output.quiet
    let result = try meanFieldCall {
      try ScalingStudy.run(model: model, configuration: configuration) { line in
        if !quiet { StandardError.write(line + "\n") }
      }
    }
    output.report("\(result.model): x* = \(formatted(result.equilibrium))")
    output.report(
      "       M     E‖x−x*‖²       M·E [95% CI]                exact M·E    E[x1] [95% CI] (exact)")
    var failures: [String] = []
    for row in result.rows {
      let ci = String(format: "%.5f [%.5f, %.5f]", row.scaledError, row.scaledErrorCI95[0], row.scaledErrorCI95[1])
      let exact = row.exactScaledError.map { String(format: "%.5f", $0) } ?? "—"
      let component = min(1, row.meanOccupancy.count - 1)
      var occupancy = String(
        format: "%.5f [%.5f, %.5f]", row.meanOccupancy[component], row.meanOccupancyCI95[component][0], row.meanOccupancyCI95[component][1])
      if let exactMean = row.exactMeanOccupancy { occupancy += String(format: " (%.5f)", exactMean[component]) }
      output.report(
        String(format: "%8d %12.4e  ", row.population, row.meanSquareError) + ci.padding(toLength: 28, withPad: " ", startingAt: 0)
          + exact.padding(toLength: 13, withPad: " ", startingAt: 0) + occupancy)
      if let e = row.exactScaledError, !(row.scaledErrorCI95[0] <= e && e <= row.scaledErrorCI95[1]) {
        failures.append("M = \(row.population): exact M·E = \(e) outside \(row.scaledErrorCI95)")
      }
      if let exactMean = row.exactMeanOccupancy {
        for i in exactMean.indices where !(row.meanOccupancyCI95[i][0] <= exactMean[i] && exactMean[i] <= row.meanOccupancyCI95[i][1]) {
          failures.append("M = \(row.population): exact E[x\(i)] = \(exactMean[i]) outside \(row.meanOccupancyCI95[i])")
        }
      }
    }
    let slopeText = result.slopeCI95.map { String(format: " [%.4f, %.4f]", $0[0], $0[1]) } ?? " (no CI)"
    output.report(String(format: "slope of log E vs log M: %.4f", result.slope) + slopeText + " (theory: −1)")
    if let limit = result.scaledErrorLimit { output.report(String(format: "refined mean field: lim M·E = tr W = %.5f", limit)) }
    if let interval = result.slopeCI95, !(interval[0] <= -1 && -1 <= interval[1]) {
      failures.append("slope CI \(interval) does not contain −1")
    }
    if let svg { try writeSVG(result.svg(), to: svg) }
    try output.writeJSON(result)
    if check {
      if failures.isEmpty {
        output.report("check passed: exact values inside their 95 % CIs, slope CI contains −1")
      } else {
        throw DriftSimError("scaling check failed: " + failures.joined(separator: "; "))
      }
    }
  }
}

/// `driftsim meanfield trajectory`.
struct MeanFieldTrajectoryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "trajectory",
    abstract: "Kurtz's picture: sup over [0, T] of ‖x^M(t) − x(t)‖ for several M from the same x(0), and an SVG of x^M(t) vs the ODE.")

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
    guard horizon > 0, horizon.isFinite else { throw ValidationError("--horizon must be positive, got \(horizon)") }
    guard samples >= 2 else { throw ValidationError("--samples must be at least 2, got \(samples)") }
    guard component >= 0 else { throw ValidationError("--component must be ≥ 0") }
  }

  func run() throws {
    let model = try modelOptions.load()
    guard component < model.stateCount else {
      throw DriftSimError("--component \(component): the model has \(model.stateCount) states")
    }
    let x0 = try initial.map { try parseNumberList($0, option: "--initial") }
    let result = try meanFieldCall {
      try TrajectoryStudy.run(
        model: model, populations: try parsePopulationList(populations), initial: x0, horizon: horizon, samples: samples, seed: seed)
    }
    output.report("\(model.name) from x(0) = \(formatted(result.initialOccupancy)) over [0, \(horizon)] s")
    output.report("         M     sup‖x^M−x‖           √M·sup        jumps")
    for row in result.rows {
      output.report(String(format: "%10d %14.6f %16.4f %12llu", row.population, row.supDistance, row.scaledSupDistance, row.jumps))
    }
    if let svg { try writeSVG(result.svg(component: component), to: svg) }
    try output.writeJSON(result)
  }
}

/// `driftsim meanfield bench`: CTMC transitions per second.
struct MeanFieldBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Time the CTMC simulator (trace off): transitions per second, median of several runs.",
    discussion: """
      Starts at x* (rounded to counts) and simulates --jumps transitions per repetition with no
      observer. tools/bench/gillespie.c is the plain C baseline on the same GSL taus2 generator.
      Build with -c release before trusting any number.
      """)

  @OptionGroup var modelOptions: MeanFieldModelOptions
  @Option(help: "Population sizes M (comma list).") var populations = "1000,100000"
  @Option(help: "Transitions per timed repetition.") var jumps: UInt64 = 20_000_000
  @Option(help: "Timed repetitions; the median is reported.") var repetitions = 5
  @Option(help: "Base seed.") var seed: UInt64 = 1
  @Option(help: "direct (Gillespie, what simulate uses) or next-reaction (Gibson–Bruck on the Kernel's event queue).")
  var method = "direct"
  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard ["direct", "next-reaction"].contains(method) else {
      throw ValidationError("--method '\(method)': expected direct or next-reaction")
    }
    guard jumps >= 1 else { throw ValidationError("--jumps must be at least 1") }
    guard repetitions >= 1 else { throw ValidationError("--repetitions must be at least 1") }
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
    let xStar = try meanFieldCall { try MeanFieldSystem(model: model).equilibrium() }
    var rows: [Row] = []
    for m in try parsePopulationList(populations) {
      var rates: [Double] = []
      var finalTime = 0.0
      for repetition in 1...repetitions {
        let done: UInt64
        let seconds: Double
        if method == "direct" {
          var simulation = try meanFieldCall { try CTMCSimulation(model: model, population: m, initialOccupancy: xStar, seed: seed) }
          let start = DispatchTime.now().uptimeNanoseconds
          try meanFieldCall { try simulation.advance(until: .infinity, maxJumps: jumps) }
          seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
          done = simulation.jumps
          finalTime = simulation.time
        } else {
          var simulation = try meanFieldCall {
            try NextReactionSimulation(model: model, population: m, initialOccupancy: xStar, seed: seed)
          }
          let start = DispatchTime.now().uptimeNanoseconds
          simulation.advance(jumps: jumps)
          seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
          done = simulation.jumps
          finalTime = simulation.time
        }
        rates.append(Double(done) / seconds)
        output.progress("M = \(m), repetition \(repetition)/\(repetitions): \(String(format: "%.2f", rates.last! / 1e6)) M transitions/s")
      }
      let med = median(rates)!
      output.report("\(model.name) (\(method)), M = \(m): median \(String(format: "%.2f", med / 1e6)) M transitions/s over \(repetitions) runs of \(jumps) (min \(String(format: "%.2f", rates.min()! / 1e6)), max \(String(format: "%.2f", rates.max()! / 1e6)))")
      rows.append(Row(population: m, transitionsPerSecond: med, repetitionTransitionsPerSecond: rates, finalTimeSeconds: finalTime))
    }
    try output.writeJSON(Report(model: model.name, method: method, jumps: jumps, repetitions: repetitions, rows: rows, generator: "taus2", optimized: !isDebugBuild))
  }
}
