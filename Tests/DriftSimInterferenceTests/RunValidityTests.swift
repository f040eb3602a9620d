import DriftSimStats
import Foundation
import Testing

@testable import DriftSimInterference

@Suite("run results: typed refusals, no made-up numbers")
struct RunValidityTests {
  func scenario(_ overrides: [String]) throws -> Scenario {
    var builder = ScenarioBuilder()
    for o in ["epochs=300", "warmupEpochs=30", "pairs=2"] + overrides { try builder.apply(override: o) }
    return try builder.validated()
  }

  func summary(_ s: Scenario) throws -> RunSummary {
    let (results, wall) = try NetworkRun.runReplications(s, gamma: s.gamma, jobs: 1)
    return NetworkRun.summarize(s, gamma: s.gamma, results: results, wallSeconds: wall, calibration: nil)
  }

  @Test("a run that delivers nothing is refused, not reported as 0 ms")
  func nothingDelivered() throws {
    let s = try scenario(["arrivalRate=1e-6"])
    let result = try summary(s)
    #expect(result.pairs.allSatisfy { $0.meanDelayMs == nil && $0.packets == 0 })
    do {
      try result.checkMeasured()
      Issue.record("accepted a run that delivered nothing")
    } catch {
      #expect(error.reason == .nothingDelivered)
      #expect(error.description.contains("no packet was delivered"))
    }
  }

  @Test("an overflowing power (beta = 1e300) is refused as non-finite")
  func nonFinite() throws {
    let result = try summary(try scenario(["beta=1e300"]))
    do {
      try result.checkMeasured()
      Issue.record("accepted a non-finite summary: \(result.avgSNRdB)")
    } catch {
      #expect(error.reason == .nonFiniteStatistics || error.reason == .nothingDelivered, "\(error)")
    }
  }

  @Test("gamma = 1e-300: the SNR interval is left out with a typed warning, never clamped")
  func noClamp() throws {
    let result = try summary(try scenario(["gamma=1e-300"]))
    if let ci = result.avgSNRdBCI95 {
      // When it is given it is the exact dB image of a positive power interval.
      #expect(ci.allSatisfy(\.isFinite) && ci[0] > -3000)
    } else {
      #expect(result.warnings.contains { $0.kind == .snrIntervalUndefined })
    }
  }

  @Test("digests written as JSON and read back give the identical summary")
  func digestRoundTrip() throws {
    let s = try scenario(["replications=3", "policy=tdma", "arrivalRate=0.5"])
    let (results, _) = try NetworkRun.runReplications(s, gamma: s.gamma, jobs: 1)
    let digests = results.map(ReplicationDigest.init)
    let decoded = try JSONDecoder().decode([ReplicationDigest].self, from: try JSONEncoder().encode(digests))
    #expect(decoded == digests)
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    let a = NetworkRun.summarize(s, gamma: s.gamma, digests: digests, wallSeconds: 0, calibration: nil)
    let b = NetworkRun.summarize(s, gamma: s.gamma, digests: decoded, wallSeconds: 0, calibration: nil)
    #expect(try encoder.encode(a) == encoder.encode(b))
    // And equal to summarising the replications directly (the `driftsim run` path).
    let direct = NetworkRun.summarize(s, gamma: s.gamma, results: results, wallSeconds: 0, calibration: nil)
    #expect(try encoder.encode(direct) == encoder.encode(a))
  }

  @Test("runBlock classifies by error type: refused loads are unstable")
  func blockStatus() throws {
    let s = try scenario(["policy=csi-only", "arrivalRate=3", "gamma=1"])
    let outcome = NetworkRun.runBlock(s, gamma: 1, point: 0, replications: 0..<1)
    #expect(outcome.status == .unstable && outcome.digests.isEmpty)
    let ok = NetworkRun.runBlock(try scenario(["policy=tdma", "arrivalRate=0.5"]), gamma: 1, point: 0, replications: 0..<2)
    #expect(ok.status == .ok && ok.digests.count == 2)
  }
}
