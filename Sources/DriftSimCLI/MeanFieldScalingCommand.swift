import ArgumentParser
import Foundation
import DriftSimMeanField

/// `driftsim meanfield scaling`.
struct MeanFieldScalingCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scaling",
    abstract: "The M-scaling study: stationary E‖x − x*‖² and M·E‖x − x*‖² with 95 % CIs, and the slope of log E vs log M.",
    discussion: """
      Per M: start at x*, discard --warm-up seconds, then time-average ‖x − x*‖² exactly over --duration seconds, cut into --batches windows for a batch-means Student-t interval. For two-state birth–death models (sis) the exact value from the stationary distribution is printed next to each estimate. --check exits with status 1 unless every exact value lies in its CI and the slope's CI contains −1 (the validation CI runs).

      Limits: each batch window (duration / batches) must last at least \(ScalingStudy.minimumWindowRelaxationTimes) relaxation times 1/|Re λ₁| of the ODE at x* (about 1 s for sis), because shorter windows are correlated and give intervals that are far too narrow; each M may expect at most \(String(format: "%.0e", CTMCWorkLimit.maximumExpectedJumps)) jumps.

      JSON: the study (model, parameters, equilibrium, rows, slope, slopeCI95, scaledErrorLimit, warmUpSeconds, batches, seed) and, with --check, "check": {"failures": [...]}.

      Example: driftsim meanfield scaling --populations 100,1000 --duration 2000 --check
      """)

  @OptionGroup var modelOptions: MeanFieldModelOptions
  @Option(help: "Population sizes M (comma list).") var populations = "100,200,500,1000,10000"
  @Option(help: "Warm-up in simulated seconds.") var warmUp = 50.0
  @Option(help: "Averaging time per M in simulated seconds.") var duration = 10_000.0
  @Option(help: "Batch-means windows per run (≥ 2; each window ≥ \(ScalingStudy.minimumWindowRelaxationTimes) relaxation times).") var batches = 32
  @Option(help: "Base seed.") var seed: UInt64 = 1
  @Option(help: ArgumentHelp("Write a log–log SVG plot to PATH.", valueName: "PATH")) var svg: String?
  @Flag(help: "Fail (exit 1) unless exact values lie in their CIs and the slope CI contains −1.") var check = false
  @OptionGroup var output: OutputOptions

  func validate() throws {
    if let svg { try checkOutputFile(svg, option: "--svg") }  // before any work
    guard duration > 0, duration.isFinite else { throw ValidationError("--duration must be positive, got \(duration)") }
    guard warmUp >= 0, warmUp.isFinite else { throw ValidationError("--warm-up must be ≥ 0, got \(warmUp)") }
    guard batches >= 2 else { throw ValidationError("--batches must be at least 2, got \(batches)") }
  }

  /// The study with, under --check, its verdict under "check".
  struct Output: Encodable {
    var result: ScalingResult
    var verdict: ScalingVerdict?
    enum CodingKeys: String, CodingKey { case check }
    func encode(to encoder: any Encoder) throws {
      try result.encode(to: encoder)
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encodeIfPresent(verdict, forKey: .check)
    }
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
    let result = try ScalingStudy.run(model: model, configuration: configuration) { line in
      if !quiet { StandardError.write(line + "\n") }
    }
    output.report("\(result.model): x* = \(formatted(result.equilibrium))")
    output.report(
      "       M     E‖x−x*‖²       M·E [95% CI]                exact M·E    E[x1] [95% CI] (exact)")
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
    }
    let slopeText = result.slopeCI95.map { String(format: " [%.4f, %.4f]", $0[0], $0[1]) } ?? " (no CI)"
    output.report(String(format: "slope of log E vs log M: %.4f", result.slope) + slopeText + " (theory: −1)")
    if let limit = result.scaledErrorLimit { output.report(String(format: "refined mean field: lim M·E = tr W = %.5f", limit)) }
    if let svg { try writeSVG(MeanFieldCharts.scaling(result), to: svg) }
    let verdict = check ? ScalingVerdict(result) : nil
    try output.writeJSON(Output(result: result, verdict: verdict))
    if let verdict {
      guard verdict.passed else { throw ScalingCheckError(verdict: verdict) }
      output.report("check passed: exact values inside their 95 % CIs, slope CI contains −1")
    }
  }
}
