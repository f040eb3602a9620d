/// Streaming mean and variance of a sequence of observations (Welford's algorithm), with extremes.
///
/// Numerically stable for long runs (no catastrophic cancellation), O(1) memory, and mergeable
/// (Chan et al.) so partial results from parallel runs can be combined exactly.
public struct RunningMoments: Sendable, Equatable, Codable {
  /// Number of observations.
  public private(set) var count: Int = 0
  /// Mean of the observations (0 when empty).
  public private(set) var mean: Double = 0
  /// Sum of squared deviations from the mean.
  public private(set) var sumOfSquaredDeviations: Double = 0
  /// Smallest observation (+∞ when empty).
  public private(set) var minimum: Double = .infinity
  /// Largest observation (−∞ when empty).
  public private(set) var maximum: Double = -.infinity

  /// Creates an empty accumulator.
  public init() {}

  /// Creates an accumulator holding `values`.
  public init<Values: Sequence>(_ values: Values) where Values.Element == Double {
    for value in values { add(value) }
  }

  /// Adds one observation.
  public mutating func add(_ x: Double) {
    count += 1
    let delta = x - mean
    mean += delta / Double(count)
    sumOfSquaredDeviations += delta * (x - mean)
    if x < minimum { minimum = x }
    if x > maximum { maximum = x }
  }

  /// The unbiased sample variance (n − 1 denominator); 0 with fewer than two observations.
  public var variance: Double { count > 1 ? sumOfSquaredDeviations / Double(count - 1) : 0 }

  /// The sample standard deviation.
  public var standardDeviation: Double { variance.squareRoot() }

  /// The standard error of the mean, assuming independent observations.
  public var standardError: Double { count > 0 ? (variance / Double(count)).squareRoot() : .nan }

  /// Folds `other` into `self`, as if its observations had been added here.
  public mutating func merge(_ other: RunningMoments) {
    guard other.count > 0 else { return }
    guard count > 0 else {
      self = other
      return
    }
    let n = Double(count), m = Double(other.count)
    let delta = other.mean - mean
    mean += delta * m / (n + m)
    sumOfSquaredDeviations += other.sumOfSquaredDeviations + delta * delta * n * m / (n + m)
    count += other.count
    minimum = Swift.min(minimum, other.minimum)
    maximum = Swift.max(maximum, other.maximum)
  }
}

/// The time average of a piecewise-constant signal, e.g. a queue length or an occupancy.
///
/// The signal holds `value` from the time it was recorded until the next record; the integral is
/// exact (no sampling).
public struct TimeAverage: Sendable, Equatable {
  /// When averaging started, in seconds (or the caller's time unit).
  public private(set) var startTime: Double
  /// The time of the last change.
  public private(set) var lastTime: Double
  /// The current value of the signal.
  public private(set) var value: Double
  /// ∫ value dt from `startTime` to `lastTime`.
  public private(set) var integral: Double = 0

  /// Starts averaging at `startTime` with the signal at `value`.
  public init(startTime: Double, value: Double) {
    self.startTime = startTime
    self.lastTime = startTime
    self.value = value
  }

  /// Records that the signal changes to `newValue` at `time` (≥ the previous record's time).
  public mutating func record(_ newValue: Double, at time: Double) {
    integral += value * (time - lastTime)
    lastTime = time
    value = newValue
  }

  /// ∫ value dt from the start to `time` (≥ the last record's time).
  public func integral(upTo time: Double) -> Double {
    integral + value * (time - lastTime)
  }

  /// The time average over [startTime, time]; the current value if the interval is empty.
  public func average(upTo time: Double) -> Double {
    let duration = time - startTime
    return duration > 0 ? integral(upTo: time) / duration : value
  }

  /// Forgets the past (e.g. at the end of warm-up): averaging restarts at `time` with the current
  /// value.
  public mutating func restart(at time: Double) {
    startTime = time
    lastTime = time
    integral = 0
  }
}
