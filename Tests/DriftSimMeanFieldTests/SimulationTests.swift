import Foundation
import Testing

@testable import DriftSimMeanField
import DriftSimReplay

@Suite("CTMC simulation and studies")
struct SimulationTests {
  @Test("counts from occupancy use largest remainders and sum to M")
  func rounding() throws {
    #expect(try CTMCSimulation.counts(for: [0.585786, 0.414214], population: 1000, stateCount: 2) == [586, 414])
    #expect(try CTMCSimulation.counts(for: [1.0 / 3, 1.0 / 3, 1.0 / 3], population: 10, stateCount: 3).reduce(0, +) == 10)
    #expect(throws: MeanFieldError.self) { try CTMCSimulation.counts(for: [0.5], population: 10, stateCount: 2) }
  }

  @Test("same seed, same path; the expression engine follows the hand-written SIS path")
  func determinismAndExpressionPath() throws {
    let builtin = try BuiltinModel.sis.model()
    let file = try ModelFile(
      json: Data(
        #"{"states": ["S", "I"], "parameters": {"alpha": 0.5, "beta": 0.5}, "transitions": [{"jump": [-1, 1], "rate": "S*(alpha + beta*I)"}, {"jump": [1, -1], "rate": "I"}]}"#
          .utf8)
    ).model()
    var a = try CTMCSimulation(model: builtin, population: 500, seed: 9)
    var b = try CTMCSimulation(model: builtin, population: 500, seed: 9)
    var c = try CTMCSimulation(model: file, population: 500, seed: 9)
    try a.advance(until: .infinity, maxJumps: 20_000)
    try b.advance(until: .infinity, maxJumps: 20_000)
    try c.advance(until: .infinity, maxJumps: 20_000)
    #expect(a.counts == b.counts && a.time == b.time)
    #expect(a.counts == c.counts && a.time == c.time)
    var d = try CTMCSimulation(model: builtin, population: 500, seed: 9)
    try d.advanceGeneric(until: .infinity, maxJumps: 20_000)
    #expect(a.counts == d.counts && a.time == d.time)
    #expect(a.counts.reduce(0, +) == 500)
  }

  @Test("next-reaction on the Kernel simulates the same chain (mean holding time near x*)")
  func nextReaction() throws {
    let model = try BuiltinModel.sis.model()
    let xStar = [2 - 2.0.squareRoot(), 2.0.squareRoot() - 1]
    var simulation = try NextReactionSimulation(model: model, population: 1000, initialOccupancy: xStar, seed: 1)
    simulation.advance(jumps: 20_000)
    #expect(simulation.jumps == 20_000)
    #expect(simulation.counts.reduce(0, +) == 1000)
    // Stationary total jump rate ≈ M(α x0 + β x0 x1 + x1) = 2 M x1* (up = down at x*).
    let meanHolding = simulation.time / Double(simulation.jumps)
    #expect(abs(meanHolding * 2000 * xStar[1] - 1) < 0.05, "\(meanHolding)")
  }

  @Test("SIS stationary estimates agree with the exact birth–death values (M = 50)")
  func sisAgainstExact() throws {
    let model = try BuiltinModel.sis.model()
    var configuration = ScalingConfiguration()
    configuration.populations = [50]
    configuration.warmUp = 20
    configuration.duration = 3000
    configuration.batches = 20
    configuration.seed = 3
    let result = try ScalingStudy.run(model: model, configuration: configuration)
    let row = try #require(result.rows.first)
    let exact = try BirthDeathStationary(model: model, population: 50)
    let xStar = result.equilibrium
    let exactScaled = 50 * exact.meanSquareError(equilibrium: xStar)
    #expect(row.exactScaledError.map { abs($0 - exactScaled) < 1e-12 } == true)
    // Two half-widths: a deterministic (seeded) check with a wide margin.
    let half = (row.scaledErrorCI95[1] - row.scaledErrorCI95[0]) / 2
    #expect(abs(row.scaledError - exactScaled) < 2 * half, "\(row.scaledError) vs \(exactScaled) ± \(half)")
    let halfMean = (row.meanOccupancyCI95[1][1] - row.meanOccupancyCI95[1][0]) / 2
    #expect(abs(row.meanOccupancy[1] - exact.meanOccupancy[1]) < 2 * halfMean)
    #expect(abs(row.meanOccupancy[0] + row.meanOccupancy[1] - 1) < 1e-12)
  }

  @Test("scaling study on small M: rows, exact values, a slope near −1")
  func smallScaling() throws {
    var configuration = ScalingConfiguration()
    configuration.populations = [40, 20, 80]
    configuration.warmUp = 10
    configuration.duration = 1000
    configuration.batches = 10
    let result = try ScalingStudy.run(model: try BuiltinModel.sis.model(), configuration: configuration)
    #expect(result.rows.map(\.population) == [20, 40, 80])
    #expect(result.rows.allSatisfy { $0.exactScaledError != nil && $0.jumps > 0 })
    #expect(abs(result.slope + 1) < 0.2)
    #expect(result.slopeCI95 != nil)
  }

  @Test("supermarket simulation stays near the fixed point")
  func supermarketSimulation() throws {
    let model = try BuiltinModel.supermarket.model(overrides: ["lambda": 0.7, "d": 2, "buffer": 8])
    let xStar = try MeanFieldSystem(model: model).equilibrium()
    var simulation = try CTMCSimulation(model: model, population: 2000, initialOccupancy: xStar, seed: 5)
    try simulation.advance(until: 20)
    #expect(simulation.counts.reduce(0, +) == 2000)
    let distance = zip(simulation.occupancy, xStar).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
    #expect(distance < 0.1)
  }

  @Test("trajectory study: the sup distance shrinks with M")
  func trajectory() throws {
    let result = try TrajectoryStudy.run(
      model: try BuiltinModel.sis.model(), populations: [100, 10_000], initial: [1, 0], horizon: 5, samples: 50, seed: 2)
    #expect(result.rows.count == 2)
    #expect(result.rows[1].supDistance < result.rows[0].supDistance)
    #expect(result.rows[1].supDistance < 0.05)
    #expect(result.rows.allSatisfy { $0.samples.count == 50 })
  }

  @Test("trace round trip: meanfield-error from the trace equals the in-run statistic")
  func traceRoundTrip() throws {
    let model = try BuiltinModel.sis.model()
    let directory = FileManager.default.temporaryDirectory
    let path = directory.appendingPathComponent("mf-roundtrip-\(getpid()).dstrace").path
    let snapshots = directory.appendingPathComponent("mf-snapshots-\(getpid()).dstrace").path
    defer {
      try? FileManager.default.removeItem(atPath: path)
      try? FileManager.default.removeItem(atPath: snapshots)
    }
    let summary = try MeanFieldSimulation.run(
      model: model, population: 100, initial: nil, horizon: 200, seed: 4, tracePath: path, snapshotInterval: 0.5)
    let report = try TraceErrorStatistics.compute(path: path, warmUp: 0, batches: 8)
    #expect(report.method == "jumps")
    #expect(report.jumps == Int(summary.jumps))
    #expect(abs(report.meanSquareError - summary.meanSquareError) <= 1e-9 * summary.meanSquareError)
    for (a, b) in zip(report.meanOccupancy, summary.meanOccupancy) { #expect(abs(a - b) < 1e-9) }
    #expect(report.equilibrium == summary.equilibrium)
    // Snapshots only: an approximation that converges as the interval shrinks.
    _ = try MeanFieldSimulation.run(
      model: model, population: 100, initial: nil, horizon: 200, seed: 4, tracePath: snapshots, level: .ctmcSnapshots,
      snapshotInterval: 0.01)
    let approximate = try TraceErrorStatistics.compute(path: snapshots, warmUp: 0, batches: 8)
    #expect(approximate.method == "snapshots")
    #expect(abs(approximate.meanSquareError - summary.meanSquareError) < 0.05 * summary.meanSquareError)
    #expect(throws: ReplayError.self) { try TraceErrorStatistics.compute(path: path, warmUp: 500) }
  }
}
