import DriftSimInterference
import Foundation
import Testing

@testable import DriftSimSweep

@Suite("sweep files and plans")
struct SweepSpecTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

  @Test("shipped sweep files equal the presets built into the binary")
  func presetsMatchFiles() throws {
    for (name, text) in SweepPresets.files {
      let file = try String(contentsOfFile: Self.root + "/sweeps/\(name).yaml", encoding: .utf8)
      #expect(file == text + "\n", "sweeps/\(name).yaml differs from SweepPresets.files[\(name)]")
      _ = try SweepPlan(try SweepPresets.spec(name), version: "test")
    }
  }

  @Test("axes give the Cartesian product, zip keys vary together, seeds and tasks follow the plan")
  func product() throws {
    let text = """
      set: {epochs: 100, warmupEpochs: 10}
      axes: {arrivalRate: [0.5, 1, 1.5], pairs: [2, 5]}
      zip: {beta: [1, 2], gamma: [0.5, 0.25]}
      policies: [fluid, tdma]
      replications: 5
      replicationsPerTask: 2
      seed: 7
      """
    let plan = try SweepPlan(try SweepSpec.parse(text, source: "t.yaml", name: "t", directory: "."), version: "test")
    #expect(plan.keys == ["arrivalRate", "pairs", "beta", "gamma"])
    #expect(plan.points.count == 3 * 2 * 2)
    #expect(plan.points[0] == ["0.5", "2", "1", "0.5"])
    #expect(plan.points[1] == ["0.5", "2", "2", "0.25"])
    #expect(plan.points[11] == ["1.5", "5", "2", "0.25"])
    #expect(plan.cells.count == 24)
    #expect(plan.tasks.count == 24 * 3)  // blocks of 2, 2, 1
    #expect(plan.tasks[2] == SweepPlan.Task(cell: 0, firstReplication: 4, replicationCount: 1))
    #expect(plan.cells[23].scenario.pairs == 5 && plan.cells[23].scenario.beta == 2 && plan.cells[23].scenario.gamma == 0.25)
    #expect(plan.cells.allSatisfy { $0.scenario.seed == 7 && $0.scenario.replications == 5 })
    #expect(plan.calibrations.isEmpty)
    #expect(try plan.computedHash() == plan.hash)
  }

  @Test("bad sweep files name the file, line and rule")
  func badInput() throws {
    func message(_ text: String) -> String {
      do {
        _ = try SweepPlan(try SweepSpec.parse(text, source: "s.yaml", name: "s", directory: "."), version: "test")
        return "no error"
      } catch let error as SweepError { return error.description } catch let error as ScenarioError { return error.description } catch {
        return "\(error)"
      }
    }
    #expect(message("axes: {arivalRate: [1, 2]}").contains("unknown axis key 'arivalRate' (did you mean 'arrivalRate'?)"))
    #expect(message("axes: {arrivalRate: [1, 2]}\nrepliations: 3").contains("s.yaml:2: unknown key 'repliations'"))
    #expect(message("axes: {arrivalRate: [1, 2\n").contains("s.yaml: not valid YAML"))
    #expect(message("axes: {policy: [fluid]}").contains("'policy' cannot be an axis; use 'policies'"))
    #expect(message("axes: {arrivalRate: 1}").contains("must be a list"))
    #expect(message("axes: {arrivalRate: [1, -2]}").contains("arrivalRate"))
    #expect(message("zip: {beta: [1, 2], gamma: [1]}").contains("equal lengths"))
    #expect(message("set: {epochs: 10}").contains("at least one axis"))
    #expect(message("axes: {arrivalRate: [1]}\npolicies: [fluid, magic]").contains("unknown policy 'magic'"))
    #expect(message("axes: {pairs: [1,2,3,4,5,6,7,8,9,10]}\nreplications: 10000\nreplicationsPerTask: 1\naxes2: 1").contains("unknown key"))
    let huge = "axes: {arrivalRate: [\((0..<1000).map(String.init).joined(separator: ","))], beta: [\((1...200).map(String.init).joined(separator: ","))]}"
    #expect(message(huge).contains("more than 100000"))
  }

  @Test("--vary keeps list values whole and refuses empty entries")
  func vary() throws {
    let axis = try SweepSpec.axis(fromVary: "arrivalRate=[1,2],[2,1]")
    #expect(axis.values.map(\.text) == ["[1,2]", "[2,1]"])
    #expect(throws: SweepError.self) { try SweepSpec.axis(fromVary: "beta=1,,2") }
    #expect(throws: SweepError.self) { try SweepSpec.axis(fromVary: "=1") }
  }
}
