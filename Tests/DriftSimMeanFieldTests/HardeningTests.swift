import Foundation
import Testing

@testable import DriftSimMeanField
import DriftSimReplay

/// Issue 13 regressions in the library: occupancy rules, work limits, batch windows, model sizes.
@Suite("Mean field: hostile input is an error, not a trap or silent garbage")
struct MeanFieldHardeningTests {
  @Test("validateOccupancy applies the model file's rules")
  func occupancyRules() throws {
    let model = try BuiltinModel.sis.model()
    #expect(try model.validateOccupancy([0.25, 0.75], what: "x") == [0.25, 0.75])
    for bad in [[0.5], [0.5, 0.6], [0, 0], [2, 3], [-0.5, 1.5], [.nan, 1]] {
      #expect(throws: MeanFieldError.self, "\(bad)") { try model.validateOccupancy(bad, what: "x") }
    }
    // The library entry points refuse them too (equilibrium(from:) used to hit a precondition).
    let system = try MeanFieldSystem(model: model)
    #expect(throws: MeanFieldError.self) { try system.equilibrium(from: [0.5]) }
    #expect(throws: MeanFieldError.self) { try system.trajectory(from: [0.5], at: [0, 1]) }
    #expect(throws: MeanFieldError.self) { try CTMCSimulation(model: model, population: 100, initialOccupancy: [0.5, 0.6], seed: 1) }
    #expect(throws: MeanFieldError.self) {
      try MeanFieldSimulation.run(model: model, population: 100, initial: [0, 0], horizon: 1, seed: 1, tracePath: nil)
    }
    #expect(throws: MeanFieldError.self) {
      try TrajectoryStudy.run(model: model, populations: [10], initial: [0.9, 0.2], horizon: 1, samples: 2, seed: 1)
    }
    // A computed x* with rounding noise still starts a simulation.
    let xStar = try system.equilibrium()
    _ = try CTMCSimulation(model: model, population: 100, initialOccupancy: xStar.map { $0 * (1 + 1e-15) }, seed: 1)
  }

  @Test("work limits: expected jumps, horizons, samples")
  func workLimits() throws {
    let model = try BuiltinModel.sis.model()
    #expect(throws: MeanFieldError.self) {
      try MeanFieldSimulation.run(model: model, population: 1_000_000_000_000, initial: nil, horizon: 100, seed: 1, tracePath: nil)
    }
    #expect(throws: MeanFieldError.self) {
      try MeanFieldSimulation.run(model: model, population: 10, initial: nil, horizon: 1e300, seed: 1, tracePath: nil)
    }
    let system = try MeanFieldSystem(model: model)
    #expect(throws: MeanFieldError.self) { try system.trajectory(from: model.initialOccupancy, at: [0, 1e300]) }
    _ = try system.trajectory(from: model.initialOccupancy, at: [0, 1e7], method: .msbdf)
    #expect(throws: MeanFieldError.self) {
      try TrajectoryStudy.run(model: model, populations: [10], initial: nil, horizon: 1e300, samples: 2, seed: 1)
    }
    var configuration = ScalingConfiguration()
    configuration.populations = [100]
    configuration.duration = 1e300
    #expect(throws: MeanFieldError.self) { try ScalingStudy.run(model: model, configuration: configuration) }
  }

  @Test("scaling: batch windows shorter than 10 relaxation times are refused")
  func batchWindows() throws {
    let model = try BuiltinModel.sis.model()
    let analysis = try MeanFieldSystem(model: model).analyseEquilibrium()
    // sis (α = β = 0.5): f(I) = α(1 − I) + β(1 − I)I − I, I* = √2 − 1, f′(I*) = −α + β(1 − 2I*) − 1 = −√2, so τ = 1/√2 s.
    let tau = try #require(analysis.relaxationTimeSeconds)
    #expect(abs(tau - 1 / 2.0.squareRoot()) < 1e-9)
    var configuration = ScalingConfiguration()
    configuration.populations = [50]
    configuration.warmUp = 1
    configuration.duration = 100
    configuration.batches = Int(100 / (10 * tau)) + 1
    #expect(throws: MeanFieldError.self) { try ScalingStudy.run(model: model, configuration: configuration) }
    configuration.batches = Int(100 / (10 * tau))
    _ = try ScalingStudy.run(model: model, configuration: configuration)
  }

  @Test("meanfield-error: the same rule from the relaxation time in the trace header")
  func traceBatchWindows() throws {
    let model = try BuiltinModel.sis.model()
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mf-batches-\(getpid()).dstrace").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    _ = try MeanFieldSimulation.run(model: model, population: 100, initial: nil, horizon: 100, seed: 2, tracePath: path)
    #expect(throws: ReplayError.self) { try TraceErrorStatistics.compute(path: path, warmUp: 0, batches: 100_000_000) }
    _ = try TraceErrorStatistics.compute(path: path, warmUp: 0, batches: 8)
  }

  @Test("model files: size limits, and a 500-state chain validates (sparse jumps, linear checks)")
  func modelSizes() throws {
    let n = 500
    let states = (0..<n).map { "s\($0)" }
    var transitions: [String] = []
    for i in 0..<(n - 1) { transitions.append(#"{"jump": {"s\#(i)": -1, "s\#(i + 1)": 1}, "rate": "s\#(i)"}"#) }
    transitions.append(#"{"jump": {"s\#(n - 1)": -1, "s0": 1}, "rate": "s\#(n - 1)"}"#)
    let initial = ["1"] + Array(repeating: "0", count: n - 1)
    let text = #"{"states": ["# + states.map { "\"\($0)\"" }.joined(separator: ",") + #"], "initial": ["#
      + initial.joined(separator: ",") + #"], "transitions": ["# + transitions.joined(separator: ",") + "]}"
    let model = try ModelFile(json: Data(text.utf8), origin: "chain.json").model()
    #expect(model.stateCount == n)
    // The drift of the cycle at the uniform point is zero.
    let f = model.drift(at: [Double](repeating: 1 / Double(n), count: n))
    #expect(f.allSatisfy { abs($0) < 1e-15 })
    #expect(throws: MeanFieldError.self) { try ModelFile(json: Data(count: ModelFile.maximumBytes + 1), origin: "big.json") }
  }
}

@Suite("Model files that are not regular JSON files")
struct ModelFileSourceTests {
  @Test func devicesFIFOsEmptyAndMalformedFilesAreClearErrors() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("model-files-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let empty = directory.appendingPathComponent("empty.json").path
    let yaml = directory.appendingPathComponent("model.yaml").path
    let fifo = directory.appendingPathComponent("fifo").path
    try Data().write(to: URL(fileURLWithPath: empty))
    try Data("states: [S, I]\n".utf8).write(to: URL(fileURLWithPath: yaml))
    #expect(mkfifo(fifo, 0o600) == 0)
    let cases: [(String, String)] = [
      ("/dev/null", "not a regular file"), (fifo, "not a regular file"), (empty, "the file is empty"),
      (yaml, "not valid JSON"),
    ]
    for (path, expected) in cases {
      do {
        _ = try ModelFile(contentsOf: path)
        Issue.record("\(path) was accepted")
      } catch {
        #expect(error.description.contains(expected), "\(path): \(error.description)")
        #expect(!error.description.contains("The operation could not be completed"), "\(error.description)")
      }
    }
  }
}
