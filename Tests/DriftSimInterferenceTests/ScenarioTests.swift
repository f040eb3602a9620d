import Testing

@testable import DriftSimInterference

@Suite("Scenario files, presets and overrides")
struct ScenarioTests {
  @Test("the paper preset is the paper's setting")
  func paperPreset() throws {
    let s = try ScenarioBuilder(preset: "paper").validated()
    #expect(s.pairs == 5 && s.slotsPerEpoch == 10)
    #expect(s.arrivalRate == .all(1) && s.directGain == .all(1) && s.crossGain == .all(0.1))
    #expect(s.bandwidthHz == 10e6 && s.epochSeconds == 0.005 && s.meanPacketBits == 30_000 && s.beta == 1)
    #expect(abs(s.kappa - 2.404491734814939) < 1e-14)
    #expect(throws: ScenarioError.self) { try ScenarioBuilder(preset: "papr") }
  }

  @Test("YAML and JSON documents set keys")
  func documents() throws {
    var yaml = ScenarioBuilder()
    try yaml.apply(
      document: """
        # a three-pair network
        pairs: 3
        arrivalRate: [0.5, 1, 1.5]
        crossGain:
          - [0, 0.1, 0.2]
          - [0.1, 0, 0.1]
          - [0.2, 0.1, 0]
        policy: csi-only
        seed: 18446744073709551615
        targetSNRdB: 6
        """, source: "s.yaml")
    let s = try yaml.validated()
    #expect(s.pairs == 3 && s.arrivalRate == .each([0.5, 1, 1.5]) && s.policy == .csiOnly)
    #expect(s.seed == UInt64.max && s.targetSNRdB == 6)
    #expect(NetworkParameters(s, gamma: 1).crossGain[0 * 3 + 2] == 0.2)
    var json = ScenarioBuilder()
    try json.apply(document: #"{"pairs": 2, "gamma": 0.05, "policy": "tdma", "targetSNRdB": null}"#, source: "s.json")
    let t = try json.validated()
    #expect(t.pairs == 2 && t.gamma == 0.05 && t.policy == .tdma && t.targetSNRdB == nil)
  }

  @Test("errors name the key, the source and what was expected", arguments: [
    ("pairz: 3", "s.yaml:1: unknown key 'pairz' (did you mean 'pairs'?)"),
    ("pairs: three", "key 'pairs': expected an integer from 1 to 64, got 'three'"),
    ("pairs: 2.5", "key 'pairs': expected an integer from 1 to 64, got 2.5"),
    ("gamma: -1", "key 'gamma': expected a power price > 0, got -1"),
    ("policy: greedy", "key 'policy': expected one of fluid | csi-only | qwto | tdma | fluid-corrected | vi | vi-delay | table, got 'greedy'"),
    ("arrivalRate: [1, -2]", "key 'arrivalRate'"),
    ("gamma: 1\ngamma: 2", "duplicated key(s): 'gamma'"),
    ("- 1\n- 2", "expected a mapping"),
    ("epochs: {a: 1}", "got a mapping"),
    ("pairs: [1, 2", "not valid YAML or JSON"),
  ])
  func errors(document: String, message: String) {
    var builder = ScenarioBuilder()
    do {
      try builder.apply(document: document, source: "s.yaml")
      _ = try builder.validated()
      Issue.record("expected an error for \(document)")
    } catch {
      #expect(error.description.contains(message), "\(error.description)")
      #expect(!error.description.contains("\n"), "one line: \(error.description)")
    }
  }

  @Test("cross-key validation")
  func relations() {
    for (overrides, message) in [
      (["pairs=3", "arrivalRate=[1,1]"], "'arrivalRate': the list has 2 entries but pairs = 3"),
      (["pairs=2", "crossGain=[[0,1],[1]]"], "'crossGain': expected a 2×2 matrix"),
      (["epochs=100", "warmupEpochs=100"], "'warmupEpochs': 100 must be less than epochs = 100"),
      (["arrivalRate=0"], "nothing to simulate"),
      (["initialQueuePackets=2.5"], "'initialQueuePackets'"),
    ] {
      var builder = ScenarioBuilder()
      do {
        for o in overrides { try builder.apply(override: o) }
        _ = try builder.validated()
        Issue.record("expected an error for \(overrides)")
      } catch {
        #expect(error.description.contains(message), "\(error.description)")
      }
    }
  }

  @Test("--set overrides parse YAML values and name themselves in errors")
  func overrides() throws {
    var builder = ScenarioBuilder()
    try builder.apply(override: "arrivalRate=[1, 2, 1, 1, 1]")
    try builder.apply(override: "policy=qwto")
    try builder.apply(override: "targetSNRdB=null")
    try builder.apply(override: "initialQueuePackets=100")
    let s = try builder.validated()
    #expect(s.arrivalRate == .each([1, 2, 1, 1, 1]) && s.policy == .qwto && s.initialQueuePackets == .all(100))
    do {
      try builder.apply(override: "gamma")
      Issue.record("expected an error")
    } catch {
      #expect(error.description == "--set gamma: expected key=value")
    }
    do {
      try builder.apply(override: "slotsPerEpoch=0")
      Issue.record("expected an error")
    } catch {
      #expect(error.description.hasPrefix("--set slotsPerEpoch=0: key 'slotsPerEpoch'"))
    }
  }
}
