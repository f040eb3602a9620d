import ArgumentParser
import Foundation
import DriftSimMeanField

/// `driftsim meanfield refined`.
struct MeanFieldRefinedCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "refined",
    abstract: "The refined mean-field correction V (Gast & Van Houdt): E[X/M] ≈ x* + V/M.",
    discussion: """
      Also prints W (M·Cov(X/M) → W) and tr W = lim M·E‖X/M − x*‖².

      Example: driftsim meanfield refined --populations 10,100,1000
      """)

  @OptionGroup var modelOptions: MeanFieldModelOptions
  @Option(help: "Also print x* + V/M for these populations (comma list).") var populations: String?
  @OptionGroup var output: OutputOptions

  func run() throws {
    let model = try modelOptions.load()
    let list = try populations.map { try parsePopulationList($0) }
    let refined = try RefinedMeanField(system: MeanFieldSystem(model: model))
    output.report("x* = \(formatted(refined.equilibrium, "%.12f"))")
    output.report("V  = \(formatted(refined.correction, "%.12f"))   (E[X/M] ≈ x* + V/M)")
    output.report("lim M·E‖x − x*‖² = tr W = \(String(format: "%.10f", refined.scaledErrorLimit))")
    for m in list ?? [] {
      let approx = zip(refined.equilibrium, refined.correction).map { $0 + $1 / Double(m) }
      output.report("M = \(m): x* + V/M = \(formatted(approx, "%.8f"))")
    }
    try output.writeJSON(refined)
  }
}
