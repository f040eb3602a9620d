import DriftSimStats
import DriftSimTrace
import Foundation

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
  /// Batch means are only nearly independent when each window is long against the correlation
  /// time of the path: a window must last at least this many relaxation times 1/|Re λ₁|.
  public static let minimumWindowRelaxationTimes = 10.0

  /// Without a relaxation time in the header (older traces), the shortest window, in seconds.
  public static let fallbackMinimumWindowSeconds = 10.0

  /// The shortest batch window (seconds) and the rule that gave it.
  static func minimumWindow(relaxationTime: Double?) -> (seconds: Double, rule: String) {
    if let tau = relaxationTime, tau.isFinite, tau > 0 {
      return (minimumWindowRelaxationTimes * tau, "\(minimumWindowRelaxationTimes) relaxation times of \(tau) s")
    }
    return (fallbackMinimumWindowSeconds, "the trace header has no relaxation time")
  }

  /// Reads the trace at `path` and time-averages ‖x − x*‖² after `warmUp` seconds.
  /// - Parameters:
  ///   - batches: batch-means windows for the CI (≥ 2); each must last at least
  ///     `minimumWindowRelaxationTimes` relaxation times (from the header).
  /// - Throws: `ReplayError` for a trace without the mean-field metadata, with neither jumps
  ///   nor snapshots, or that cannot be read.
  public static func compute(path: String, warmUp: Double, batches: Int = 32) throws(ReplayError) -> TraceErrorReport {
    guard batches >= 2 else { throw ReplayError("batches must be ≥ 2") }
    do {
      let reader = try TraceReader(path: path)
      let header = reader.header
      func decode<T: Decodable>(_ key: String, as type: T.Type) throws(ReplayError) -> T {
        guard let text = header.metadata[key],
          let value = try? JSONDecoder().decode(T.self, from: Data(text.utf8))
        else {
          throw ReplayError("\(path): the trace header has no valid '\(key)' metadata; was it written by 'driftsim meanfield simulate'?")
        }
        return value
      }
      let xStar = try decode(MeanFieldTraceKeys.equilibrium, as: [Double].self)
      let population = try decode(MeanFieldTraceKeys.population, as: Int.self)
      let n = xStar.count
      guard population >= 1, header.stateCount == n || header.stateCount == 0 else {
        throw ReplayError("\(path): inconsistent metadata (population \(population), \(n) states, stateCount \(header.stateCount))")
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
          throw ReplayError("\(path): initialCounts/jumpVectors do not have \(n) entries")
        }
        reader.kinds = .ctmcJumps
      } else {
        guard header.level.contains(.ctmcSnapshot) else {
          throw ReplayError("\(path): the trace has neither CTMC jumps nor CTMC snapshots")
        }
        counts = []
        reader.kinds = .ctmcSnapshots
      }
      // First pass: the end time when the footer is missing (truncated trace).
      if endTime == 0 {
        try reader.forEachBlock { block in endTime = max(endTime, block.lastTime) }
      }
      guard endTime > warmUp else {
        throw ReplayError("\(path): the trace ends at \(endTime) s, not after the warm-up of \(warmUp) s")
      }
      let window = (endTime - warmUp) / Double(batches)
      let minimum = minimumWindow(relaxationTime: header.number(MeanFieldTraceKeys.relaxationTimeSeconds))
      guard window >= minimum.seconds else {
        throw ReplayError(
          "\(path): \(batches) batches over \(endTime - warmUp) s give windows of \(window) s, shorter than the minimum \(minimum.seconds) s (\(minimum.rule)); use at most \(max(Int((endTime - warmUp) / minimum.seconds), 0)) batches (--batches)")
      }
      let m = Double(population)
      var accumulator = TraceAccumulator(equilibrium: xStar, inverseM: 1 / m, warmUp: warmUp, end: endTime, batches: batches)
      var jumps = 0
      var current = counts
      var lastTime = 0.0
      var started = useJumps
      if useJumps { accumulator.set(current) }
      var failure: ReplayError? = nil
      let integrity = try reader.forEachBlock { block in
        guard failure == nil else { return }
        for i in 0..<block.count {
          let t = min(block.time(i), endTime)
          if useJumps {
            let k = block.ctmcJump(i).transition
            guard k < jumpVectors.count else {
              failure = ReplayError("\(path): jump record names transition \(k), the header lists \(jumpVectors.count)")
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
    } catch let error as ReplayError {
      throw error
    } catch {
      throw ReplayError("\(path): \(error)")
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
