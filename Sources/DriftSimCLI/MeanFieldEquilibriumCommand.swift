import ArgumentParser
import Foundation
import DriftSimMeanField
import ComplexModule

/// `driftsim meanfield equilibrium`.
struct MeanFieldEquilibriumCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "equilibrium",
    abstract: "Find the fixed point x*, the Jacobian eigenvalues there, and a local stability verdict.",
    discussion: """
      x* is reached by integrating the ODE from x(0) until it settles (at most 1e5 s), then polished by Newton's method on the invariant subspace (conservation laws wᵀx = const, found from the jumps by SVD). Stability is judged from the eigenvalues (GSL gsl_eigen_nonsymm) of the Jacobian restricted to that subspace (each conservation law adds a zero eigenvalue to the full Jacobian).

      Example: driftsim meanfield equilibrium --model supermarket --set lambda=0.9 --json -
      """)

  @OptionGroup var modelOptions: MeanFieldModelOptions
  @Option(help: ArgumentHelp("Start the search from this occupancy (default: the model's x(0)).", valueName: "x0,x1,…")) var initial: String?
  @OptionGroup var output: OutputOptions

  func run() throws {
    let model = try modelOptions.load()
    let x0 = try parseInitialOccupancy(initial, model: model)
    let analysis = try MeanFieldSystem(model: model).analyseEquilibrium(from: x0)
    output.report("x* = \(formatted(analysis.equilibrium, "%.12f"))   (‖f(x*)‖∞ = \(String(format: "%.2e", analysis.residual)))")
    output.report("eigenvalues on the invariant subspace: " + analysis.invariantSubspaceEigenvalues.map(eigenvalueText).joined(separator: ", "))
    output.report("conservation laws: \(analysis.conservationLawCount); verdict: \(analysis.verdict.rawValue)")
    try output.writeJSON(analysis)
  }
}
