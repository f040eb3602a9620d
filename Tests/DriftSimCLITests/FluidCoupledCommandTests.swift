import Foundation
import Testing

@Suite("driftsim fluid drain --model and fluid decoupling")
struct FluidCoupledCommandTests {
  @Test("drain --model both writes both fluids, the Monte Carlo figures and an SVG")
  func coupledDrain() throws {
    let svg = FileManager.default.temporaryDirectory.appendingPathComponent("driftsim-coupled-drain-\(getpid()).svg").path
    defer { try? FileManager.default.removeItem(atPath: svg) }
    let result = try Executable.run([
      "fluid", "drain", "--model", "both", "--set", "pairs=2", "--set", "slotsPerEpoch=2", "--initial-queues", "10", "--replications", "2",
      "--fading-samples", "32", "--jobs", "1", "--svg", svg, "--json", "-", "--quiet",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try jsonObject(result.stdout)
    #expect(object["model"] as? String == "both")
    #expect(object["sampling"] as? String == "antithetic")
    let cases = try #require(object["cases"] as? [[String: Any]])
    let coupled = try #require(cases.first?["coupled"] as? [String: Any])
    for key in ["fluidQueuePackets", "supDistanceScaled", "drainMarkEpoch", "driftStandardErrorAtStart", "monteCarloCheckSupScaled"] {
      #expect(coupled[key] != nil, "missing \(key)")
    }
    #expect(cases.first?["decoupledDrainMarkEpoch"] != nil)
    #expect(try String(contentsOfFile: svg, encoding: .utf8).contains("coupled fluid"))
  }

  @Test("drain input that used to trap or be rounded is refused with the option named", arguments: [
    (["fluid", "drain", "--initial-queues", "1e20"], Int32(2), "--initial-queues"),
    (["fluid", "drain", "--initial-queues", "2.5"], Int32(2), "not a whole number"),
    (["fluid", "drain", "--initial-queues", "100001"], Int32(2), "limit"),
    (["fluid", "drain", "--initial-queues", "10,,20"], Int32(2), "--initial-queues"),
    (["fluid", "drain", "--horizon", "0"], Int32(2), "--horizon"),
    (["fluid", "drain", "--horizon", "2000000"], Int32(2), "--horizon"),
    (["fluid", "drain", "--replications", "100000000"], Int32(2), "--replications"),
    (["fluid", "drain", "--model", "coupled", "--fading-samples", "33"], Int32(2), "even"),
    (["fluid", "drain", "--model", "fancy"], Int32(2), "--model"),
    (["fluid", "drain", "--ode-tolerance", "0"], Int32(2), "--ode-tolerance"),
    (["fluid", "decoupling", "--cross-gains", "0"], Int32(2), "--cross-gains"),
    (["fluid", "decoupling", "--queues", "3:x"], Int32(2), "--queues"),
    (["fluid", "decoupling", "--truncation", "8", "--queues", "9:0"], Int32(2), "--queues"),
    (["fluid", "decoupling", "--set", "pairs=1"], Int32(1), "pairs ≥ 2"),
  ])
  func badInput(arguments: [String], status: Int32, message: String) throws {
    let result = try Executable.run(arguments + ["--quiet"])
    #expect(result.status == status, "\(result.stderr)")
    #expect(result.stderr.contains(message), "\(result.stderr)")
    #expect(!result.stderr.contains("Fatal error"))
  }

  @Test("decoupling runs a tiny grid and reports the order fit and the grid check")
  func decoupling() throws {
    let result = try Executable.run([
      "fluid", "decoupling", "--truncation", "5", "--check-truncation", "6", "--cross-gains", "0.05,0.1,0.2", "--queues", "2:2,3:0",
      "--direct-nodes", "2", "--cross-nodes", "1", "--action-step", "1", "--tolerance", "1e-9", "--jobs", "1", "--json", "-", "--quiet",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try jsonObject(result.stdout)
    let fits = try #require(object["fits"] as? [[String: Any]])
    #expect(fits.contains { ($0["order95"] as? [Double])?.count == 2 })
    #expect((object["truncationCheck"] as? [[String: Any]])?.count == 2)
    #expect((object["points"] as? [[String: Any]])?.count == 8)
  }
}
