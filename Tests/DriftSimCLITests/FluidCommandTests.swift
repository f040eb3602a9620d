import Foundation
import Testing

@Suite("driftsim fluid value-iteration, drain and policy-gap")
struct FluidCommandTests {
  @Test("value-iteration --json - reproduces model.md's θ and h(20) at γ = 0.05 with a small truncation")
  func valueIteration() throws {
    let result = try Executable.run([
      "fluid", "value-iteration", "--set", "gamma=0.05", "--truncation", "120", "--check-truncation", "160", "--range", "20,60",
      "--queues", "0,20,50", "--jobs", "1", "--json", "-", "--quiet",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try jsonObject(result.stdout)
    // model.md: θ = 1.1322151, h(20) = 41.982 (N = 600); the chain almost never reaches 120.
    #expect(abs((object["theta"] as? Double ?? 0) - 1.1322151) < 1e-6)
    #expect(abs((object["cInf"] as? Double ?? 0) - 0.0199192) < 1e-6)
    let points = try #require(object["points"] as? [[String: Any]])
    #expect(points.count == 3)
    #expect(abs((points[1]["h"] as? Double ?? 0) - 41.982) < 1e-3)
    for key in ["h", "J", "JHalfHolding", "relativeGap", "relativeGapHalfHolding", "hCheck"] { #expect(points[1][key] != nil, "missing \(key)") }
    let worst = try #require(object["maxRelativeGap"] as? [String: Any])
    #expect(worst["atQueue"] as? Int == 20)
    let check = try #require(object["truncationCheck"] as? [String: Any])
    #expect((check["maxRelativeDifference"] as? Double ?? 1) < 1e-9)
    #expect(object["converged"] as? Bool == true)
  }

  @Test("two-pair prints V − V(0,0) next to J1 + J2")
  func twoPair() throws {
    let result = try Executable.run([
      "fluid", "two-pair", "--truncation", "6", "--direct-nodes", "3", "--cross-nodes", "1",
      "--action-step", "0.5", "--set", "crossGain=0.05", "--tolerance", "1e-9", "--jobs", "1", "--json", "-", "--quiet",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let twoPair = try jsonObject(result.stdout)
    #expect(twoPair["converged"] as? Bool == true)
    // Interference can only cost: θ with L12 > 0 is at least θ without it on the same nodes.
    #expect((twoPair["theta"] as? Double ?? 0) >= (twoPair["uncoupledSameNodesTheta"] as? Double ?? .infinity) - 1e-9)
    let diagonal = try #require(twoPair["diagonal"] as? [[String: Any]])
    #expect(diagonal.count >= 2)
    for key in ["q1", "q2", "h", "J1PlusJ2", "singlePairSum", "couplingCorrected", "relativeGap"] { #expect(diagonal[1][key] != nil, "missing \(key)") }
  }

  @Test("drain and policy-gap run small cases and write the documented keys and an SVG")
  func drainAndGap() throws {
    let svg = FileManager.default.temporaryDirectory.appendingPathComponent("driftsim-drain-\(getpid()).svg").path
    defer { try? FileManager.default.removeItem(atPath: svg) }
    let drain = try Executable.run([
      "fluid", "drain", "--set", "pairs=1", "--initial-queues", "20,40", "--replications", "3", "--jobs", "1", "--svg", svg, "--json", "-", "--quiet",
    ])
    #expect(drain.status == 0, "\(drain.stderr)")
    let cases = try #require(try jsonObject(drain.stdout)["cases"] as? [[String: Any]])
    #expect(cases.count == 2)
    for key in ["timesEpochs", "meanQueuePackets", "ci95Lower", "ci95Upper", "fluidQueuePackets", "supDistanceScaled"] {
      #expect(cases[0][key] != nil, "missing \(key)")
    }
    #expect((cases[0]["supDistanceScaled"] as? Double ?? 9) < 0.5)
    #expect(try String(contentsOfFile: svg, encoding: .utf8).contains("<svg"))

    let gap = try Executable.run([
      "fluid", "policy-gap", "--truncation", "80", "--replications", "2", "--set", "epochs=600", "--set", "warmupEpochs=100",
      "--set", "slotsPerEpoch=1", "--jobs", "1", "--json", "-", "--quiet",
    ])
    #expect(gap.status == 0, "\(gap.stderr)")
    let object = try jsonObject(gap.stdout)
    let theta = try #require(object["theta"] as? Double), thetaFluid = try #require(object["thetaFluid"] as? Double)
    #expect(abs(theta - 2.2328715) < 1e-5)
    #expect(thetaFluid >= theta)
    #expect((object["simulated"] as? [String: Any])?["meanCostPerEpoch"] != nil)
  }

  @Test("bad input exits 1 or 2 and names the problem", arguments: [
    (["fluid", "value-iteration", "--truncation", "50", "--check-truncation", "0", "--range", "20,80"], Int32(1), "--range"),
    (["fluid", "value-iteration", "--truncation", "100", "--check-truncation", "50"], Int32(2), "--check-truncation"),
    (["fluid", "drain", "--replications", "1"], Int32(2), "--replications"),
    (["fluid", "drain", "--set", "gama=1"], Int32(1), "unknown key 'gama'"),
    (["fluid", "two-pair", "--set", "pairs=1"], Int32(1), "at least 2 pairs"),
  ])
  func badInput(arguments: [String], status: Int32, message: String) throws {
    let result = try Executable.run(arguments + ["--quiet"])
    #expect(result.status == status, "\(result.stderr)")
    #expect(result.stderr.contains(message), "\(result.stderr)")
  }
}
