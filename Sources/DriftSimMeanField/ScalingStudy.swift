import Foundation
import DriftSimNumerics
import DriftSimStats

/// Time averages of ‖x − x*‖² and of x over consecutive equal windows of a stationary run, exact
/// for the piecewise-constant CTMC path (no sampling).
struct ErrorStatisticsObserver: CTMCObserver {
  let equilibrium: [Double]
  let inverseM: Double
  let start: Double
  let duration: Double
  let batchCount: Int
  var batch = 0
  var batchEnd: Double
  var currentError: Double
  var currentOccupancy: [Double]
  var errorIntegral = 0.0
  var occupancyIntegral: [Double]
  /// Time average of ‖x − x*‖² per window.
  var errorBatches: [Double] = []
  /// Time average of x per window.
  var occupancyBatches: [[Double]] = []

  init(equilibrium: [Double], population: Int, start: Double, duration: Double, batchCount: Int, counts: [Int]) {
    self.equilibrium = equilibrium
    self.inverseM = 1 / Double(population)
    self.start = start
    self.duration = duration
    self.batchCount = batchCount
    batchEnd = batchCount == 1 ? start + duration : start + duration / Double(batchCount)
    currentError = 0
    currentOccupancy = [Double](repeating: 0, count: equilibrium.count)
    occupancyIntegral = currentOccupancy
    counts.withUnsafeBufferPointer { update($0.baseAddress!) }
  }

  mutating func update(_ counts: UnsafePointer<Int>) {
    var e = 0.0
    for i in 0..<equilibrium.count {
      let x = Double(counts[i]) * inverseM
      currentOccupancy[i] = x
      let d = x - equilibrium[i]
      e += d * d
    }
    currentError = e
  }

  @inline(__always)
  mutating func accumulate(_ dt: Double) {
    errorIntegral += dt * currentError
    for i in 0..<currentOccupancy.count { occupancyIntegral[i] += dt * currentOccupancy[i] }
  }

  mutating func closeBatch() {
    let length = duration / Double(batchCount)
    errorBatches.append(errorIntegral / length)
    occupancyBatches.append(occupancyIntegral.map { $0 / length })
    errorIntegral = 0
    for i in occupancyIntegral.indices { occupancyIntegral[i] = 0 }
    batch += 1
    batchEnd = batch + 1 == batchCount ? start + duration : start + duration * Double(batch + 1) / Double(batchCount)
  }

  mutating func hold(from: Double, to: Double, counts: UnsafePointer<Int>) {
    var a = from
    while to > batchEnd, batch < batchCount - 1 {
      accumulate(batchEnd - a)
      a = batchEnd
      closeBatch()
    }
    accumulate(to - a)
  }

  mutating func jumped(at time: Double, transition: Int, counts: UnsafePointer<Int>) {
    update(counts)
  }

  /// Closes the last window (call once the run has reached start + duration).
  mutating func finish() {
    if errorBatches.count < batchCount { closeBatch() }
  }
}

/// Settings of the M-scaling study.
public struct ScalingConfiguration: Sendable {
  /// Population sizes M.
  public var populations: [Int] = [100, 200, 500, 1000, 10000]
  /// Simulated seconds discarded before averaging (from x(0) = x* rounded to counts).
  public var warmUp: Double = 50
  /// Simulated seconds averaged per M after the warm-up.
  public var duration: Double = 10_000
  /// Batch-means windows per run (the CI has batches − 1 degrees of freedom).
  public var batches: Int = 32
  /// Base seed.
  public var seed: UInt64 = 1
  /// Creates the defaults.
  public init() {}
}

/// One row of the scaling table.
public struct ScalingRow: Sendable, Codable {
  /// M.
  public var population: Int
  /// Time-average estimate of E‖x − x*‖².
  public var meanSquareError: Double
  /// 95 % batch-means CI of E‖x − x*‖².
  public var meanSquareErrorCI95: [Double]
  /// M · E‖x − x*‖².
  public var scaledError: Double
  /// 95 % CI of M · E‖x − x*‖².
  public var scaledErrorCI95: [Double]
  /// Time-average estimate of E[x] (occupancy fractions).
  public var meanOccupancy: [Double]
  /// 95 % CI of each E[x_i].
  public var meanOccupancyCI95: [[Double]]
  /// Exact M · E‖x − x*‖² from the birth–death stationary distribution (two-state models only).
  public var exactScaledError: Double?
  /// Exact E[x] (two-state birth–death models only).
  public var exactMeanOccupancy: [Double]?
  /// CTMC jumps simulated after the warm-up.
  public var jumps: UInt64
  /// Simulated seconds averaged.
  public var durationSeconds: Double
}

/// The result of the scaling study.
public struct ScalingResult: Sendable, Codable {
  /// Model name.
  public var model: String
  /// Parameter values used.
  public var parameters: [String: Double]
  /// x*.
  public var equilibrium: [Double]
  /// One row per M, ascending.
  public var rows: [ScalingRow]
  /// Least-squares slope of log E‖x − x*‖² against log M (theory: −1).
  public var slope: Double
  /// 95 % CI of the slope (see `ScalingStudy` for how its standard error is formed).
  public var slopeCI95: [Double]?
  /// lim M · E‖x − x*‖² = tr W from the refined mean field, when it could be computed.
  public var scaledErrorLimit: Double?
  /// Warm-up seconds.
  public var warmUpSeconds: Double
  /// Batches per run.
  public var batches: Int
  /// Base seed.
  public var seed: UInt64
}

/// The M-scaling study of the stationary mean-field error (Ying, Theorem 1: E‖x − x*‖² = O(1/M)).
///
/// Per M: one run started at x* (rounded to counts), a warm-up, then `duration` seconds over
/// which ‖x − x*‖² and x are time-averaged exactly; the run is cut into `batches` equal windows
/// whose averages give Student-t 95 % intervals (batch means). The slope of log E against log M is
/// fitted by least squares; its standard error is the larger of (a) the one propagated from the
/// per-M intervals (delta method, SE(log E) = SE(E)/E, `batches − 1` degrees of freedom) and
/// (b) the residual one (n − 2 degrees of freedom, needs ≥ 3 values of M), so the interval covers
/// both the simulation noise and any curvature of log E at small M.
public enum ScalingStudy {
  /// Runs the study. Populations run in parallel on the available cores; each M has its own
  /// random stream, so results do not depend on scheduling.
  /// - Parameter progress: called (from any thread) with a line per finished M.
  /// - Throws: `MeanFieldError` for bad settings, an equilibrium that cannot be found, or a
  ///   simulation failure.
  public static func run(
    model: PopulationModel, configuration: ScalingConfiguration, progress: @Sendable (String) -> Void = { _ in }
  ) throws(MeanFieldError) -> ScalingResult {
    guard !configuration.populations.isEmpty, configuration.populations.allSatisfy({ $0 >= 1 }) else {
      throw MeanFieldError("populations must be a non-empty list of integers ≥ 1")
    }
    guard configuration.duration > 0, configuration.warmUp >= 0 else {
      throw MeanFieldError("duration must be > 0 and warm-up ≥ 0 (seconds)")
    }
    guard configuration.batches >= 2 else { throw MeanFieldError("batches must be ≥ 2, got \(configuration.batches)") }
    let system = MeanFieldSystem(model: model)
    let analysis = try system.analyseEquilibrium()
    let xStar = analysis.equilibrium
    let populations = configuration.populations.sorted()
    let slots = ResultSlots<Result<ScalingRow, MeanFieldError>>(count: populations.count)
    DispatchQueue.concurrentPerform(iterations: populations.count) { index in
      // Largest M first keeps both cores busy until the end.
      let m = populations[populations.count - 1 - index]
      let result = Result { () throws(MeanFieldError) -> ScalingRow in
        try row(model: model, population: m, equilibrium: xStar, configuration: configuration)
      }
      if case let .success(r) = result {
        progress(
          "M = \(m): M·E‖x−x*‖² = \(String(format: "%.5f", r.scaledError)) [\(String(format: "%.5f", r.scaledErrorCI95[0])), \(String(format: "%.5f", r.scaledErrorCI95[1]))], \(r.jumps) jumps")
      }
      slots.set(populations.count - 1 - index, result)
    }
    var rows: [ScalingRow] = []
    for r in slots.values { rows.append(try r!.get()) }
    let (slope, interval) = fitSlope(rows: rows, batches: configuration.batches)
    let limit = try? RefinedMeanField(system: system, equilibrium: xStar).scaledErrorLimit
    return ScalingResult(
      model: model.name, parameters: model.parameters, equilibrium: xStar, rows: rows, slope: slope, slopeCI95: interval,
      scaledErrorLimit: limit, warmUpSeconds: configuration.warmUp, batches: configuration.batches, seed: configuration.seed)
  }

  static func row(model: PopulationModel, population m: Int, equilibrium xStar: [Double], configuration: ScalingConfiguration)
    throws(MeanFieldError) -> ScalingRow
  {
    var simulation = try CTMCSimulation(
      model: model, population: m, initialOccupancy: xStar.map { min(max($0, 0), 1) }, seed: configuration.seed)
    try simulation.advance(until: configuration.warmUp)
    let jumpsBefore = simulation.jumps
    var observer = ErrorStatisticsObserver(
      equilibrium: xStar, population: m, start: simulation.time, duration: configuration.duration,
      batchCount: configuration.batches, counts: simulation.counts)
    try simulation.run(until: configuration.warmUp + configuration.duration, observer: &observer)
    observer.finish()
    let scale = Double(m)
    guard let errorCI = ConfidenceInterval(samples: observer.errorBatches) else {
      throw MeanFieldError("M = \(m): too few batches for a confidence interval")
    }
    let occupancyCIs = (0..<model.stateCount).map { i in ConfidenceInterval(samples: observer.occupancyBatches.map { $0[i] })! }
    var exactScaled: Double? = nil
    var exactMean: [Double]? = nil
    if BirthDeathStationary.applies(to: model), let chain = try? BirthDeathStationary(model: model, population: m) {
      exactScaled = scale * chain.meanSquareError(equilibrium: xStar)
      exactMean = chain.meanOccupancy
    }
    return ScalingRow(
      population: m, meanSquareError: errorCI.mean, meanSquareErrorCI95: errorCI.bounds, scaledError: scale * errorCI.mean,
      scaledErrorCI95: errorCI.bounds.map { $0 * scale }, meanOccupancy: occupancyCIs.map(\.mean),
      meanOccupancyCI95: occupancyCIs.map(\.bounds), exactScaledError: exactScaled, exactMeanOccupancy: exactMean,
      jumps: simulation.jumps - jumpsBefore, durationSeconds: configuration.duration)
  }

  /// The slope of log E against log M and its 95 % interval (see the type's documentation).
  static func fitSlope(rows: [ScalingRow], batches: Int) -> (Double, [Double]?) {
    let x = rows.map { Foundation.log(Double($0.population)) }
    let y = rows.map { Foundation.log($0.meanSquareError) }
    guard let fit = LinearFit(x: x, y: y) else { return (.nan, nil) }
    let mean = x.reduce(0, +) / Double(x.count)
    let sxx = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
    var variance = 0.0
    for (xi, r) in zip(x, rows) {
      let halfWidth = (r.meanSquareErrorCI95[1] - r.meanSquareErrorCI95[0]) / 2
      let t = (try? studentTQuantile(0.975, degreesOfFreedom: Double(batches - 1))) ?? 1.96
      let seLog = halfWidth / t / r.meanSquareError
      variance += (xi - mean) * (xi - mean) * seLog * seLog
    }
    let propagated = variance.squareRoot() / sxx
    var standardError = propagated
    var degreesOfFreedom = Double(batches - 1)
    if fit.residualDegreesOfFreedom > 0, fit.slopeStandardError > propagated {
      standardError = fit.slopeStandardError
      degreesOfFreedom = Double(fit.residualDegreesOfFreedom)
    }
    guard let interval = try? ConfidenceInterval.studentT(mean: fit.slope, standardError: standardError, degreesOfFreedom: degreesOfFreedom)
    else { return (fit.slope, nil) }
    return (fit.slope, interval.bounds)
  }
}

/// Fixed slots written from `concurrentPerform` workers, one slot per index.
final class ResultSlots<Value>: @unchecked Sendable {
  private var storage: [Value?]
  private let lock = NSLock()
  init(count: Int) { storage = Array(repeating: nil, count: count) }
  func set(_ index: Int, _ value: Value) {
    lock.lock()
    storage[index] = value
    lock.unlock()
  }
  var values: [Value?] {
    lock.lock()
    defer { lock.unlock() }
    return storage
  }
}
