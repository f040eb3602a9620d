import ArgumentParser
import Foundation
import DriftSimMeanField
import DriftSimNumerics
import ComplexModule

/// `driftsim meanfield`: density-dependent population CTMCs and their mean-field limits.
struct MeanFieldCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "meanfield",
    abstract: "Mean-field population models: exact CTMC simulation, ODE, equilibrium, refined correction, error studies.",
    discussion: """
      Models: --model sis (SIS with external infection; alpha, beta) or --model supermarket (power-of-d choices; lambda, d, buffer), or --model-file PATH (JSON: states, parameters, transitions with integer jumps and rate expressions in x0…x(n-1), state and parameter names; at most \(ModelFile.maximumBytes) bytes and \(PopulationModel.maximumStates) states).

      Parameters: --set name=value (repeatable; unknown names are errors).

      --initial (every subcommand that takes it) obeys the model file's rule: one entry per state, each in [0, 1], summing to 1 when the jumps conserve the number of objects.

      The CTMC with M objects jumps X → X + ℓ at rate M·β_ℓ(X/M); the ODE is dx/dt = Σ ℓ β_ℓ(x). A simulation may expect at most \(String(format: "%.0e", CTMCWorkLimit.maximumExpectedJumps)) jumps (M × total rate × time).

      Example: driftsim meanfield equilibrium --model supermarket --set lambda=0.9
      """,
    subcommands: [
      MeanFieldSimulateCommand.self, MeanFieldODECommand.self, MeanFieldEquilibriumCommand.self,
      MeanFieldRefinedCommand.self, MeanFieldScalingCommand.self, MeanFieldTrajectoryCommand.self,
      MeanFieldBenchCommand.self,
    ]
  )
}

extension BuiltinModel: ExpressibleByArgument {}
extension ODEMethod: ExpressibleByArgument {}

/// The model selection every `meanfield` subcommand shares.
struct MeanFieldModelOptions: ParsableArguments {
  @Option(help: "A built-in model: sis or supermarket (default sis unless --model-file is given).")
  var model: BuiltinModel?

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
        throw DriftSimError("--set '\(setting.prefix(100))': expected name=value")
      }
      guard let value = Double(parts[1].trimmingCharacters(in: .whitespaces)), value.isFinite else {
        throw DriftSimError("--set \(parts[0].prefix(100)): '\(parts[1].prefix(100))' is not a finite number")
      }
      overrides[parts[0]] = value
    }
    let builtin = modelFile == nil ? (model ?? .sis) : model
    return try loadPopulationModel(builtin: builtin?.rawValue, file: modelFile, overrides: overrides)
  }

  /// The scenario text stored in traces.
  func description(of model: PopulationModel) -> String {
    var object: [String: Any] = ["model": model.name, "parameters": model.parameters]
    if let modelFile { object["modelFile"] = modelFile }
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    return String(decoding: data, as: UTF8.self)
  }
}

/// `--initial x0,x1,…` checked against the model (length, [0, 1], sum to 1 when conserved).
func parseInitialOccupancy(_ text: String?, model: PopulationModel) throws -> [Double]? {
  guard let text else { return nil }
  return try model.validateOccupancy(parseNumberList(text, option: "--initial"), what: "--initial")
}

/// Parses "100,1000" into population sizes M in 1…1e9.
func parsePopulationList(_ text: String, option: String = "--populations") throws -> [Int] {
  try parseIntegerList(text, option: option, range: 1...1_000_000_000)
}

func formatted(_ values: [Double], _ format: String = "%.6f") -> String {
  "(" + values.map { String(format: format, $0) }.joined(separator: ", ") + ")"
}

/// An eigenvalue as "a", "a + bi" or "a − bi" (1/s).
func eigenvalueText(_ z: Complex<Double>) -> String {
  z.imaginary == 0 ? "\(z.real)" : "\(z.real) \(z.imaginary < 0 ? "−" : "+") \(abs(z.imaginary))i"
}
