import Dispatch
import DriftSimSupport

/// Runs the interference network with any `PowerPolicy`, including one defined outside DriftSim:
/// the same replications (seeds from (seed, point, replication)), the same equal-power calibration
/// and the same summary as `driftsim run`, with the policy built by a factory for each replication.
///
/// The scenario's `policy` key is not consulted: the factory decides. Example (a package that
/// depends on DriftSim; see `Examples/CustomPolicy`):
///
///     struct HalfQueue: PowerPolicy {
///       static let name = "half-queue"
///       static let isOrthogonal = false
///       func weight(pair: Int, queuePackets: Double) -> Double { 1 + queuePackets / 2 }
///     }
///     let runner = PolicyRunner { _ in HalfQueue() }
///     let summary = try runner.run(try ScenarioBuilder(preset: "paper").validated(), jobs: 2)
public struct PolicyRunner<Policy: PowerPolicy>: Sendable {
  /// Builds the policy of one replication from the resolved network (with the γ in use).
  public typealias Factory = @Sendable (NetworkParameters) throws -> Policy

  private let makePolicy: Factory

  /// Creates a runner whose replications use `makePolicy(parameters)`.
  public init(_ makePolicy: @escaping Factory) { self.makePolicy = makePolicy }

  /// Runs one replication at power price `gamma` with `seed`.
  /// - Throws: `SimulationError` if the run stops early (queue limit, a failing weight), or the
  ///   factory's error.
  public func runReplication(_ scenario: Scenario, gamma: Double, seed: UInt64, progress: ProgressCounter? = nil) throws
    -> ReplicationResult
  {
    let parameters = NetworkParameters(scenario, gamma: gamma)
    var simulation = NetworkSimulation(
      scenario: scenario, parameters: parameters, policy: try makePolicy(parameters), seed: seed, progress: progress)
    return try simulation.run()
  }

  /// Runs `scenario.replications` replications on up to `jobs` threads (results do not depend on
  /// `jobs`), in replication order, with the wall-clock seconds.
  public func runReplications(_ scenario: Scenario, gamma: Double, point: Int = 0, jobs: Int, progress: ProgressCounter? = nil)
    throws -> (results: [ReplicationResult], wallSeconds: Double)
  {
    let start = DispatchTime.now()
    let results = try parallelMap(count: scenario.replications, jobs: jobs) { r in
      try runReplication(
        scenario, gamma: gamma, seed: replicationSeed(base: scenario.seed, point: point, replication: r),
        progress: progress)
    }
    return (results, Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) * 1e-9)
  }

  /// Finds the γ at which this policy's average transmit SNR is `scenario.targetSNRdB`, exactly as
  /// `NetworkRun.calibrateGamma` does for the built-in policies (so comparisons are at equal power).
  public func calibrateGamma(_ scenario: Scenario, point: Int = 0) throws -> CalibrationResult {
    try NetworkRun.calibrateGamma(scenario, point: point) { pilot, gamma, seed in
      try runReplication(pilot, gamma: gamma, seed: seed)
    }
  }

  /// Calibrates γ when the scenario has `targetSNRdB`, runs the replications and summarises them
  /// as `driftsim run` does, with `Policy.name` as the policy.
  /// - Throws: `RunRefusal` when the run measured nothing or its statistics are not finite,
  ///   `SimulationError` if a replication stopped early.
  public func run(_ scenario: Scenario, jobs: Int) throws -> RunSummary {
    var gamma = scenario.gamma
    var calibration: CalibrationResult? = nil
    if scenario.targetSNRdB != nil {
      let result = try calibrateGamma(scenario)
      calibration = result
      gamma = result.gamma
    }
    let (results, wall) = try runReplications(scenario, gamma: gamma, jobs: jobs)
    var summary = NetworkRun.summarize(scenario, gamma: gamma, results: results, wallSeconds: wall, calibration: calibration)
    summary.policy = Policy.name
    try summary.checkMeasured()
    return summary
  }
}
