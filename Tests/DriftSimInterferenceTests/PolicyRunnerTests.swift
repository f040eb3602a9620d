import DriftSimInterference
import Testing

/// A policy defined as a researcher would, outside DriftSim's own list: weight 1, i.e. CSI-only
/// water-filling under another name.
private struct ConstantWeight: PowerPolicy {
  static let name = "constant-weight"
  static let isOrthogonal = false
  static let isQueueAware = false
  func weight(pair: Int, queuePackets: Double) -> Double { 1 }
}

@Suite("PolicyRunner: policies from outside DriftSim")
struct PolicyRunnerTests {
  func scenario(_ overrides: [String]) throws -> Scenario {
    var builder = try ScenarioBuilder(preset: "paper")
    for o in ["epochs=400", "warmupEpochs=40", "replications=2"] + overrides { try builder.apply(override: o) }
    return try builder.validated()
  }

  @Test func anOutsideWeightOfOneReproducesCSIOnlyBitForBit() throws {
    let s = try scenario(["policy=csi-only", "gamma=0.05"])
    let builtIn = try NetworkRun.runReplications(s, gamma: 0.05, jobs: 2).results
    let outside = try PolicyRunner { _ in ConstantWeight() }.runReplications(s, gamma: 0.05, jobs: 1).results
    #expect(builtIn.count == outside.count)
    for (a, b) in zip(builtIn, outside) {
      #expect(a.finalTime == b.finalTime)
      #expect(a.pairs.map(\.powerSum) == b.pairs.map(\.powerSum))
      #expect(a.pooledDelay.mean == b.pooledDelay.mean)
    }
  }

  @Test func runCalibratesAndNamesTheOutsidePolicy() throws {
    let s = try scenario(["targetSNRdB=6", "pilotEpochs=400"])
    let summary = try PolicyRunner { _ in ConstantWeight() }.run(s, jobs: 2)
    #expect(summary.policy == "constant-weight")
    let calibration = try #require(summary.calibration)
    #expect(abs(calibration.pilotSNRdB - 6) <= s.calibrationToleranceDB + 1e-12)
    // The same calibration as the built-in csi-only policy: equal power means equal γ.
    var csi = s
    csi.policy = .csiOnly
    #expect(try NetworkRun.calibrateGamma(csi).gamma == calibration.gamma)
  }
}

@Suite("Summaries never show an interval that excludes its own estimate unannounced")
struct IntervalConsistencyTests {
  @Test func aHeavyTailedSingleReplicationIsFlagged() throws {
    // γ = 1e-300 makes power nearly free: per-epoch power is extremely heavy-tailed, and the
    // batch-means interval (complete batches only) misses the overall mean. Whether a given seed
    // shows it depends on the random stream: seed 27 does with the ziggurat exponentials (the
    // first of seeds 1…40 that does; with GSL's inversion stream seed 1 did). Since the ziggurat's
    // sizes reach 29.9 S̄ instead of 22.2 S̄, the power interval of such runs often reaches 0, and
    // then the summary has no dB interval, so the check below also reads the power interval.
    var builder = try ScenarioBuilder(preset: "paper")
    for o in ["policy=csi-only", "gamma=1e-300", "epochs=300", "warmupEpochs=30", "replications=1", "seed=27"] {
      try builder.apply(override: o)
    }
    let s = try builder.validated()
    let (results, wall) = try NetworkRun.runReplications(s, gamma: s.gamma, jobs: 1)
    let summary = NetworkRun.summarize(s, gamma: s.gamma, results: results, wallSeconds: wall, calibration: nil)
    let flagged = summary.warnings.contains { $0.kind == .intervalExcludesEstimate }
    let snrOutside = summary.avgSNRdBCI95.map { summary.avgSNRdB < $0[0] || summary.avgSNRdB > $0[1] } ?? false
    let delayOutside = summary.meanDelayCI95.map { summary.meanDelayMs < $0[0] || summary.meanDelayMs > $0[1] } ?? false
    // The average power against the replication's own batch-means interval (mean, half-width, dof).
    let powerOutside = results[0].epochPower.interval().map { abs(summary.avgPower - $0.mean) > $0.halfWidth } ?? false
    #expect(snrOutside || delayOutside || powerOutside, "this case is meant to exhibit the problem")
    #expect(flagged)
  }
}
