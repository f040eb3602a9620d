import Foundation
import DriftSimStats
import DriftSimTrace

/// Writes CTMC jumps and periodic count snapshots of a simulation to a trace.
struct TraceObserver: CTMCObserver {
  let writer: TraceWriter
  let snapshotInterval: Double
  var nextSnapshot: Double
  let snapshot: UnsafeMutableBufferPointer<UInt32>

  /// - Parameter snapshot: scratch of `stateCount` elements, owned by the caller.
  init(writer: TraceWriter, snapshotInterval: Double, start: Double, snapshot: UnsafeMutableBufferPointer<UInt32>) {
    self.writer = writer
    self.snapshotInterval = snapshotInterval
    self.nextSnapshot = start
    self.snapshot = snapshot
  }

  mutating func writeSnapshot(at time: Double, counts: UnsafePointer<Int>) {
    for i in snapshot.indices { snapshot[i] = UInt32(truncatingIfNeeded: counts[i]) }
    writer.writeCTMCSnapshot(time: time, counts: UnsafeBufferPointer(snapshot))
  }

  mutating func hold(from: Double, to: Double, counts: UnsafePointer<Int>) {
    while nextSnapshot < to {
      writeSnapshot(at: nextSnapshot, counts: counts)
      nextSnapshot += snapshotInterval
    }
  }

  func jumped(at time: Double, transition: Int, counts: UnsafePointer<Int>) {
    writer.writeCTMCJump(time: time, transition: transition)
  }
}

/// A finished simulation run written to a trace.
public struct SimulationSummary: Sendable, Codable {
  /// Model name.
  public var model: String
  /// M.
  public var population: Int
  /// Simulated seconds.
  public var horizonSeconds: Double
  /// Jumps simulated.
  public var jumps: UInt64
  /// Counts at the horizon.
  public var finalCounts: [Int]
  /// Occupancy at the horizon.
  public var finalOccupancy: [Double]
  /// Time average of x over [0, T].
  public var meanOccupancy: [Double]
  /// x*.
  public var equilibrium: [Double]
  /// Time average of ‖x − x*‖² over [0, T] (no warm-up removed).
  public var meanSquareError: Double
  /// Why the run stopped.
  public var stopReason: CTMCStopReason
  /// Whether a signal interrupted the run (then `horizonSeconds` is where it stopped).
  public var interrupted: Bool
  /// Base seed.
  public var seed: UInt64
  /// The trace path, if one was written.
  public var trace: String?
}

/// Simulates one run, optionally writing a trace.
public enum MeanFieldSimulation {
  /// Runs the CTMC from `initial` over [0, horizon].
  /// - Parameters:
  ///   - tracePath: where to write the trace (nil for none).
  ///   - level: which CTMC records to write.
  ///   - snapshotInterval: seconds between snapshots (> 0).
  ///   - scenario: text stored in the trace header so the run can be repeated.
  /// - Throws: `MeanFieldError` (including trace I/O errors).
  public static func run(
    model: PopulationModel, population: Int, initial: [Double]?, horizon: Double, seed: UInt64, tracePath: String?,
    level: TraceLevel = .ctmc, snapshotInterval: Double = 1, scenario: String = "", softwareVersion: String = "driftsim"
  ) throws(MeanFieldError) -> SimulationSummary {
    guard horizon > 0, horizon.isFinite else { throw MeanFieldError("horizon must be > 0 seconds, got \(horizon)") }
    guard snapshotInterval > 0 else { throw MeanFieldError("snapshot interval must be > 0 seconds") }
    let system = try MeanFieldSystem(model: model)
    let analysis = try system.analyseEquilibrium()
    let xStar = analysis.equilibrium
    if let initial { try model.validateOccupancy(initial, what: "initial occupancy") }
    try CTMCWorkLimit.check(
      model: model, population: population, occupancy: initial ?? model.initialOccupancy, seconds: horizon, what: "M = \(population) over the horizon")
    var simulation = try CTMCSimulation(model: model, population: population, initialOccupancy: initial, seed: seed)
    let initialCounts = simulation.counts
    var statistics = ErrorStatisticsObserver(
      equilibrium: xStar, population: population, start: 0, duration: horizon, batchCount: 1, counts: initialCounts)
    let reason: CTMCStopReason
    if let tracePath {
      func json<T: Encodable>(_ value: T) -> String { String(decoding: try! JSONEncoder().encode(value), as: UTF8.self) }
      let header = TraceHeader(
        softwareVersion: softwareVersion, scenario: scenario, seed: seed, level: level, stateCount: model.stateCount,
        metadata: [
          MeanFieldTraceKeys.model: model.name, MeanFieldTraceKeys.population: String(population),
          MeanFieldTraceKeys.equilibrium: json(xStar), MeanFieldTraceKeys.jumpVectors: json(model.transitions.map(\.jump)),
          MeanFieldTraceKeys.initialCounts: json(initialCounts), MeanFieldTraceKeys.stateNames: json(model.stateNames),
          MeanFieldTraceKeys.horizonSeconds: String(horizon),
        ].merging(analysis.relaxationTimeSeconds.map { [MeanFieldTraceKeys.relaxationTimeSeconds: String($0)] } ?? [:]) { a, _ in a })
      let writer: TraceWriter
      do {
        writer = try TraceWriter(path: tracePath, header: header)
      } catch {
        throw MeanFieldError("cannot write trace '\(tracePath)': \(error)")
      }
      let scratch = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: model.stateCount)
      defer { scratch.deallocate() }
      var both = PairObserver(
        first: statistics, second: TraceObserver(writer: writer, snapshotInterval: snapshotInterval, start: 0, snapshot: scratch))
      // Run in chunks of 2^20 jumps so that a SIGINT/SIGTERM (with `TraceInterruption.install()`)
      // ends the run with a complete trace marked interrupted.
      var chunkReason = CTMCStopReason.jumpBudgetExhausted
      do {
        repeat {
          chunkReason = try simulation.run(until: horizon, maxJumps: 1 << 20, observer: &both)
        } while chunkReason == .jumpBudgetExhausted && !TraceInterruption.isRequested
      } catch {
        writer.abandon()
        throw error
      }
      reason = chunkReason
      let endTime = simulation.time
      simulation.counts.withUnsafeBufferPointer { both.second.writeSnapshot(at: endTime, counts: $0.baseAddress!) }
      statistics = both.first
      do {
        _ = try writer.finish()
      } catch {
        throw MeanFieldError("cannot finish trace '\(tracePath)': \(error)")
      }
    } else {
      // Chunks of 2^20 jumps, as with a trace, so that SIGINT/SIGTERM ends the run early.
      var chunkReason = CTMCStopReason.jumpBudgetExhausted
      repeat {
        chunkReason = try simulation.run(until: horizon, maxJumps: 1 << 20, observer: &statistics)
      } while chunkReason == .jumpBudgetExhausted && !TraceInterruption.isRequested
      reason = chunkReason
    }
    statistics.finish()
    let elapsed = simulation.time
    if elapsed < horizon, elapsed > 0 {
      // Interrupted: the single window was divided by the full horizon; rescale to the time run.
      statistics.errorBatches[0] *= horizon / elapsed
      statistics.occupancyBatches[0] = statistics.occupancyBatches[0].map { $0 * horizon / elapsed }
    }
    return SimulationSummary(
      model: model.name, population: population, horizonSeconds: elapsed, jumps: simulation.jumps,
      finalCounts: simulation.counts, finalOccupancy: simulation.occupancy, meanOccupancy: statistics.occupancyBatches[0],
      equilibrium: xStar, meanSquareError: statistics.errorBatches[0], stopReason: reason,
      interrupted: elapsed < horizon && TraceInterruption.isRequested, seed: seed, trace: tracePath)
  }
}

/// Two observers in sequence.
struct PairObserver<First: CTMCObserver, Second: CTMCObserver>: CTMCObserver {
  var first: First
  var second: Second
  mutating func hold(from: Double, to: Double, counts: UnsafePointer<Int>) {
    first.hold(from: from, to: to, counts: counts)
    second.hold(from: from, to: to, counts: counts)
  }
  mutating func jumped(at time: Double, transition: Int, counts: UnsafePointer<Int>) {
    first.jumped(at: time, transition: transition, counts: counts)
    second.jumped(at: time, transition: transition, counts: counts)
  }
}

