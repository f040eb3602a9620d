import Foundation
import DriftSimNumerics
import DriftSimStats
import DriftSimSupport

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
  /// Batch means are nearly independent only when each window is long against the path's
  /// correlation time: a window must last at least this many relaxation times 1/|Re λ₁| of the
  /// ODE at x* (for sis with the defaults, τ ≈ 1 s).
  public static let minimumWindowRelaxationTimes = 10.0

  /// The shortest window (seconds) when x* has no relaxation time (not exponentially stable).
  public static let fallbackMinimumWindowSeconds = 10.0

  /// The shortest batch window in seconds for a relaxation time `tau` (seconds, nil if unknown).
  public static func minimumBatchWindow(relaxationTime tau: Double?) -> Double {
    if let tau, tau.isFinite, tau > 0 { return minimumWindowRelaxationTimes * tau }
    return fallbackMinimumWindowSeconds
  }

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
    let system = try MeanFieldSystem(model: model)
    let analysis = try system.analyseEquilibrium()
    let xStar = analysis.equilibrium
    let populations = configuration.populations.sorted()
    let window = configuration.duration / Double(configuration.batches)
    let minimum = minimumBatchWindow(relaxationTime: analysis.relaxationTimeSeconds)
    guard window >= minimum else {
      throw MeanFieldError(
        "batches \(configuration.batches) over a duration of \(configuration.duration) s give windows of \(window) s; batch means need windows of at least \(minimum) s (\(minimumWindowRelaxationTimes) relaxation times\(analysis.relaxationTimeSeconds.map { " of \($0) s" } ?? "")), so use at most \(Int(configuration.duration / minimum)) batches or a longer duration")
    }
    for m in populations {
      try CTMCWorkLimit.check(
        model: model, population: m, occupancy: xStar, seconds: configuration.warmUp + configuration.duration,
        what: "M = \(m) over warm-up + duration")
    }
    // Largest M first keeps both cores busy until the end; each M has its own random stream, so
    // the rows do not depend on the order or the number of threads.
    let descending = Array(populations.reversed())
    let computed: [ScalingRow]
    do {
      computed = try parallelMap(count: descending.count, jobs: ProcessInfo.processInfo.activeProcessorCount) { index in
        let m = descending[index]
        let r = try row(model: model, population: m, equilibrium: xStar, configuration: configuration)
        progress(
          "M = \(m): M·E‖x−x*‖² = \(String(format: "%.5f", r.scaledError)) [\(String(format: "%.5f", r.scaledErrorCI95[0])), \(String(format: "%.5f", r.scaledErrorCI95[1]))], \(r.jumps) jumps")
        return r
      }
    } catch let error as MeanFieldError {
      throw error
    } catch {
      throw MeanFieldError("scaling study: \(error)")
    }
    let rows = Array(computed.reversed())
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
    var occupancyCIs: [ConfidenceInterval] = []
    for i in 0..<model.stateCount {
      guard let ci = ConfidenceInterval(samples: observer.occupancyBatches.map { $0[i] }) else {
        throw MeanFieldError("M = \(m): no confidence interval for E[x\(i)] (too few or non-finite batch means)")
      }
      occupancyCIs.append(ci)
    }
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

/// The verdict of `driftsim meanfield scaling --check`: every exact value inside its 95 % interval
/// and the slope's interval containing −1 (Ying's O(1/M) rate).
public struct ScalingVerdict: Sendable, Codable, Equatable {
  /// One failed condition.
  public enum Failure: Sendable, Codable, Equatable, CustomStringConvertible {
    /// The exact M·E‖x − x*‖² of a birth–death model lies outside its 95 % CI.
    case exactScaledErrorOutsideInterval(population: Int, exact: Double, interval: [Double])
    /// The exact E[x_i] lies outside its 95 % CI.
    case exactMeanOutsideInterval(population: Int, component: Int, exact: Double, interval: [Double])
    /// The slope's 95 % CI does not contain −1.
    case slopeIntervalExcludesMinusOne(interval: [Double])

    public var description: String {
      switch self {
      case let .exactScaledErrorOutsideInterval(m, exact, interval): return "M = \(m): exact M·E = \(exact) outside \(interval)"
      case let .exactMeanOutsideInterval(m, i, exact, interval): return "M = \(m): exact E[x\(i)] = \(exact) outside \(interval)"
      case let .slopeIntervalExcludesMinusOne(interval): return "slope CI \(interval) does not contain −1"
      }
    }
  }

  /// The failed conditions, in row order then the slope; empty when the check passes.
  public var failures: [Failure]
  /// Whether every condition holds.
  public var passed: Bool { failures.isEmpty }

  /// Judges a study. A missing slope interval (fewer than 2 populations) is not a failure.
  public init(_ result: ScalingResult) {
    var failures: [Failure] = []
    for row in result.rows {
      if let e = row.exactScaledError, !(row.scaledErrorCI95[0] <= e && e <= row.scaledErrorCI95[1]) {
        failures.append(.exactScaledErrorOutsideInterval(population: row.population, exact: e, interval: row.scaledErrorCI95))
      }
      if let exactMean = row.exactMeanOccupancy {
        for i in exactMean.indices where !(row.meanOccupancyCI95[i][0] <= exactMean[i] && exactMean[i] <= row.meanOccupancyCI95[i][1]) {
          failures.append(.exactMeanOutsideInterval(population: row.population, component: i, exact: exactMean[i], interval: row.meanOccupancyCI95[i]))
        }
      }
    }
    if let interval = result.slopeCI95, !(interval[0] <= -1 && -1 <= interval[1]) {
      failures.append(.slopeIntervalExcludesMinusOne(interval: interval))
    }
    self.failures = failures
  }
}

/// A failed `--check`, reported as one line with exit status 1.
public struct ScalingCheckError: ReportableError, CustomStringConvertible {
  /// The verdict that failed.
  public var verdict: ScalingVerdict
  /// Creates the error.
  public init(verdict: ScalingVerdict) { self.verdict = verdict }
  public var description: String { "scaling check failed: " + verdict.failures.map(\.description).joined(separator: "; ") }
}

/// The bound on CTMC work that keeps every study finite: a run may not expect more than
/// `maximumExpectedJumps` jumps. The expected number is M · Σ_ℓ β_ℓ(x) · T at the start
/// occupancy x (at x* for stationary runs), which is exact at equilibrium.
public enum CTMCWorkLimit {
  /// 2·10⁹ jumps: about 100 s at the measured ~20 M jumps/s of a release build.
  public static let maximumExpectedJumps = 2e9

  /// Throws unless M · Σβ(x) · seconds ≤ `maximumExpectedJumps`.
  /// - Parameters:
  ///   - occupancy: the occupancy the rates are evaluated at (start or x*).
  ///   - seconds: simulated time.
  ///   - what: names the run in the message.
  public static func check(model: PopulationModel, population: Int, occupancy: [Double], seconds: Double, what: String)
    throws(MeanFieldError)
  {
    let total = model.rates(at: occupancy).reduce(0, +)
    let expected = Double(population) * total * seconds
    guard expected <= maximumExpectedJumps else {
      throw MeanFieldError(
        "\(what): about \(String(format: "%.3g", expected)) jumps expected (M = \(population) × total rate \(String(format: "%.4g", total))/s × \(String(format: "%.4g", seconds)) s); the limit is \(String(format: "%.0e", maximumExpectedJumps)) jumps per run: use a smaller population or time")
    }
  }
}
