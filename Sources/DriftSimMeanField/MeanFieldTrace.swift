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

/// Metadata keys DriftSim writes into the header of a CTMC trace.
public enum MeanFieldTraceKeys {
  /// Model name.
  public static let model = "model"
  /// M, the number of objects.
  public static let population = "population"
  /// x* as a JSON array.
  public static let equilibrium = "equilibrium"
  /// Jump vectors per transition, as a JSON array of integer arrays.
  public static let jumpVectors = "jumpVectors"
  /// Counts at time 0, as a JSON array.
  public static let initialCounts = "initialCounts"
  /// State names, as a JSON array of strings.
  public static let stateNames = "stateNames"
  /// Simulated horizon (seconds).
  public static let horizonSeconds = "horizonSeconds"
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
    let system = MeanFieldSystem(model: model)
    let xStar = try system.equilibrium()
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
        ])
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
      reason = try simulation.run(until: horizon, observer: &statistics)
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

/// The mean-field error statistic computed from a saved CTMC trace (`driftsim-replay meanfield-error`).
public struct TraceErrorReport: Sendable, Codable {
  /// Model name from the header.
  public var model: String
  /// M from the header.
  public var population: Int
  /// x* from the header.
  public var equilibrium: [Double]
  /// Seconds discarded at the start.
  public var warmUpSeconds: Double
  /// Seconds averaged.
  public var durationSeconds: Double
  /// Time average of ‖x − x*‖² after the warm-up.
  public var meanSquareError: Double
  /// 95 % batch-means CI (nil with too few batches).
  public var meanSquareErrorCI95: [Double]?
  /// M · meanSquareError.
  public var scaledError: Double
  /// 95 % CI of the scaled error.
  public var scaledErrorCI95: [Double]?
  /// Time average of x after the warm-up.
  public var meanOccupancy: [Double]
  /// Jump records read.
  public var jumps: Int
  /// "jumps" (exact path rebuilt from the jump records) or "snapshots" (piecewise-constant
  /// between snapshots: an approximation).
  public var method: String
  /// Trace integrity verdict (complete, truncated, …).
  public var integrity: String
}

/// Computes the error statistic from a trace written by `MeanFieldSimulation`.
public enum TraceErrorStatistics {
  /// Reads the trace at `path` and time-averages ‖x − x*‖² after `warmUp` seconds.
  /// - Parameters:
  ///   - batches: batch-means windows for the CI (≥ 2).
  /// - Throws: `MeanFieldError` for a trace without the mean-field metadata, with neither jumps
  ///   nor snapshots, or that cannot be read.
  public static func compute(path: String, warmUp: Double, batches: Int = 32) throws(MeanFieldError) -> TraceErrorReport {
    guard batches >= 2 else { throw MeanFieldError("batches must be ≥ 2") }
    do {
      let reader = try TraceReader(path: path)
      let header = reader.header
      func decode<T: Decodable>(_ key: String, as type: T.Type) throws(MeanFieldError) -> T {
        guard let text = header.metadata[key],
          let value = try? JSONDecoder().decode(T.self, from: Data(text.utf8))
        else {
          throw MeanFieldError("\(path): the trace header has no valid '\(key)' metadata; was it written by 'driftsim meanfield simulate'?")
        }
        return value
      }
      let xStar = try decode(MeanFieldTraceKeys.equilibrium, as: [Double].self)
      let population = try decode(MeanFieldTraceKeys.population, as: Int.self)
      let n = xStar.count
      guard population >= 1, header.stateCount == n || header.stateCount == 0 else {
        throw MeanFieldError("\(path): inconsistent metadata (population \(population), \(n) states, stateCount \(header.stateCount))")
      }
      let model = header.metadata[MeanFieldTraceKeys.model] ?? "?"
      let useJumps = header.level.contains(.ctmcJump)
      var endTime = 0.0
      if let footer = reader.footer {
        // A complete run lasted the whole horizon; an interrupted one ends at its last record
        // (the simulator writes a final snapshot there).
        if !footer.interrupted { endTime = header.number(MeanFieldTraceKeys.horizonSeconds) ?? 0 }
        for total in footer.totals.values where total.records > 0 { endTime = max(endTime, total.lastTime) }
      } else {
        endTime = 0  // truncated: the end is the last record read
      }
      var counts: [Int]
      var jumpVectors: [[Int]] = []
      if useJumps {
        counts = try decode(MeanFieldTraceKeys.initialCounts, as: [Int].self)
        jumpVectors = try decode(MeanFieldTraceKeys.jumpVectors, as: [[Int]].self)
        guard counts.count == n, jumpVectors.allSatisfy({ $0.count == n }) else {
          throw MeanFieldError("\(path): initialCounts/jumpVectors do not have \(n) entries")
        }
        reader.kinds = .ctmcJumps
      } else {
        guard header.level.contains(.ctmcSnapshot) else {
          throw MeanFieldError("\(path): the trace has neither CTMC jumps nor CTMC snapshots")
        }
        counts = []
        reader.kinds = .ctmcSnapshots
      }
      // First pass: the end time when the footer is missing (truncated trace).
      if endTime == 0 {
        try reader.forEachBlock { block in endTime = max(endTime, block.lastTime) }
      }
      guard endTime > warmUp else {
        throw MeanFieldError("\(path): the trace ends at \(endTime) s, not after the warm-up of \(warmUp) s")
      }
      let m = Double(population)
      var accumulator = TraceAccumulator(equilibrium: xStar, inverseM: 1 / m, warmUp: warmUp, end: endTime, batches: batches)
      var jumps = 0
      var current = counts
      var lastTime = 0.0
      var started = useJumps
      if useJumps { accumulator.set(current) }
      var failure: MeanFieldError? = nil
      let integrity = try reader.forEachBlock { block in
        guard failure == nil else { return }
        for i in 0..<block.count {
          let t = min(block.time(i), endTime)
          if useJumps {
            let k = block.ctmcJump(i).transition
            guard k < jumpVectors.count else {
              failure = MeanFieldError("\(path): jump record names transition \(k), the header lists \(jumpVectors.count)")
              return
            }
            accumulator.advance(from: lastTime, to: t)
            for s in 0..<n { current[s] += jumpVectors[k][s] }
            accumulator.set(current)
            jumps += 1
          } else {
            let snapshot = block.snapshotCounts(i).map { Int($0) }
            if started { accumulator.advance(from: lastTime, to: t) }
            accumulator.set(snapshot)
            started = true
          }
          lastTime = t
        }
      }
      if let failure { throw failure }
      accumulator.advance(from: lastTime, to: endTime)
      let duration = endTime - warmUp
      let mean = accumulator.errorIntegral / duration
      let ci = ConfidenceInterval(samples: accumulator.batchMeans.filter(\.isFinite))
      return TraceErrorReport(
        model: model, population: population, equilibrium: xStar, warmUpSeconds: warmUp, durationSeconds: duration,
        meanSquareError: mean, meanSquareErrorCI95: ci?.bounds, scaledError: m * mean, scaledErrorCI95: ci?.bounds.map { $0 * m },
        meanOccupancy: accumulator.occupancyIntegral.map { $0 / duration }, jumps: jumps,
        method: useJumps ? "jumps" : "snapshots", integrity: integrity.status.rawValue)
    } catch let error as MeanFieldError {
      throw error
    } catch {
      throw MeanFieldError("\(path): \(error)")
    }
  }
}

/// Piecewise-constant integration of ‖x − x*‖² and x over [warmUp, end] with equal batches.
struct TraceAccumulator {
  let equilibrium: [Double]
  let inverseM: Double
  let warmUp: Double
  let end: Double
  let batches: Int
  var error = 0.0
  var occupancy: [Double]
  var errorIntegral = 0.0
  var occupancyIntegral: [Double]
  var batchIntegrals: [Double]

  init(equilibrium: [Double], inverseM: Double, warmUp: Double, end: Double, batches: Int) {
    self.equilibrium = equilibrium
    self.inverseM = inverseM
    self.warmUp = warmUp
    self.end = end
    self.batches = batches
    occupancy = [Double](repeating: 0, count: equilibrium.count)
    occupancyIntegral = occupancy
    batchIntegrals = [Double](repeating: 0, count: batches)
  }

  mutating func set(_ counts: [Int]) {
    var e = 0.0
    for i in counts.indices {
      occupancy[i] = Double(counts[i]) * inverseM
      let d = occupancy[i] - equilibrium[i]
      e += d * d
    }
    error = e
  }

  mutating func advance(from a: Double, to b: Double) {
    let lo = max(a, warmUp), hi = min(b, end)
    guard hi > lo else { return }
    errorIntegral += error * (hi - lo)
    for i in occupancy.indices { occupancyIntegral[i] += occupancy[i] * (hi - lo) }
    let length = (end - warmUp) / Double(batches)
    var t = lo
    while t < hi {
      var index = min(Int((t - warmUp) / length), batches - 1)
      var windowEnd = index == batches - 1 ? end : warmUp + Double(index + 1) * length
      if windowEnd <= t, index < batches - 1 {
        index += 1
        windowEnd = index == batches - 1 ? end : warmUp + Double(index + 1) * length
      }
      let piece = min(hi, windowEnd) - t
      batchIntegrals[index] += error * piece
      t += piece
      if piece <= 0 { break }
    }
  }

  var batchMeans: [Double] {
    let length = (end - warmUp) / Double(batches)
    return batchIntegrals.map { $0 / length }
  }
}
