/// Batch means for the mean of a correlated, stationary sequence (delays of successive packets),
/// in bounded memory.
///
/// Observations are grouped in consecutive batches of equal size; the batch means are nearly
/// independent once batches are much longer than the correlation time, and a Student-t interval
/// over them estimates the uncertainty of the grand mean. When `maxBatches` batches are full, pairs
/// are merged and the batch size doubles, so memory stays O(maxBatches) while the number of batches
/// stays between maxBatches/2 and maxBatches once the run is long enough.
public struct BatchMeans: Sendable, Equatable {
  /// The most batches kept (even, ≥ 4).
  public let maxBatches: Int
  /// Observations per complete batch.
  public private(set) var batchSize: Int = 1
  /// Means of the complete batches, in order.
  public private(set) var batchMeans: [Double] = []
  private var currentSum = 0.0
  private var currentCount = 0
  /// All observations, including the incomplete last batch.
  public private(set) var overall = RunningMoments()

  /// Creates an empty estimator.
  /// - Parameter maxBatches: even number ≥ 4 of batches kept (default 64, so at least 32 batches
  ///   once the run is long).
  public init(maxBatches: Int = 64) {
    precondition(maxBatches >= 4 && maxBatches % 2 == 0, "BatchMeans: maxBatches must be even and ≥ 4")
    self.maxBatches = maxBatches
    batchMeans.reserveCapacity(maxBatches)
  }

  /// Adds one observation.
  public mutating func add(_ x: Double) {
    addObservation(x)
  }

  @usableFromInline
  mutating func addObservation(_ x: Double) {
    overall.add(x)
    currentSum += x
    currentCount += 1
    if currentCount == batchSize {
      batchMeans.append(currentSum / Double(batchSize))
      currentSum = 0
      currentCount = 0
      if batchMeans.count == maxBatches {
        batchMeans = stride(from: 0, to: maxBatches, by: 2).map { (batchMeans[$0] + batchMeans[$0 + 1]) / 2 }
        batchSize *= 2
      }
    }
  }

  /// Number of observations added.
  public var count: Int { overall.count }

  /// The mean over all observations.
  public var mean: Double { overall.mean }

  /// The Student-t interval over the complete batches, centred on the mean of the observations in
  /// complete batches (the incomplete tail batch is left out so all batches weigh the same).
  /// - Returns: nil with fewer than two complete batches.
  public func interval(level: Double = 0.95) -> ConfidenceInterval? {
    ConfidenceInterval(samples: batchMeans, level: level)
  }
}

/// Batch means for the time average of a piecewise-constant signal (a queue length, an error
/// ‖x − x*‖²), in bounded memory: batches are consecutive time windows of equal length, which
/// doubles (merging pairs) whenever `maxBatches` windows are complete.
public struct TimeBatchMeans: Sendable, Equatable {
  /// The most batches kept (even, ≥ 4).
  public let maxBatches: Int
  /// When averaging started (seconds, or the caller's time unit).
  public private(set) var startTime: Double
  /// Length of each batch window.
  public private(set) var batchDuration: Double
  /// Time averages over the complete windows, in order.
  public private(set) var batchMeans: [Double] = []
  private var windowStart: Double
  private var windowIntegral = 0.0
  private var totalIntegral = 0.0
  private var lastTime: Double
  private var value: Double

  /// Starts at `startTime` with the signal at `value`.
  /// - Parameters:
  ///   - initialBatchDuration: the first window length (> 0); choose about (expected run length) /
  ///     maxBatches, or smaller: windows double as needed.
  ///   - maxBatches: even number ≥ 4.
  public init(startTime: Double, value: Double, initialBatchDuration: Double, maxBatches: Int = 64) {
    precondition(initialBatchDuration > 0 && maxBatches >= 4 && maxBatches % 2 == 0)
    self.maxBatches = maxBatches
    self.startTime = startTime
    self.batchDuration = initialBatchDuration
    self.windowStart = startTime
    self.lastTime = startTime
    self.value = value
  }

  /// Records that the signal changes to `newValue` at `time` (≥ the previous time).
  public mutating func record(_ newValue: Double, at time: Double) {
    advance(to: time)
    value = newValue
  }

  /// Integrates the current value up to `time` without changing it.
  public mutating func advance(to time: Double) {
    var t = lastTime
    while time >= windowStart + batchDuration {
      let windowEnd = windowStart + batchDuration
      let piece = value * (windowEnd - t)
      windowIntegral += piece
      totalIntegral += piece
      batchMeans.append(windowIntegral / batchDuration)
      windowIntegral = 0
      windowStart = windowEnd
      t = windowEnd
      if batchMeans.count == maxBatches {
        batchMeans = stride(from: 0, to: maxBatches, by: 2).map { (batchMeans[$0] + batchMeans[$0 + 1]) / 2 }
        batchDuration *= 2
        // The current window now spans two old windows: it started at the merged window's end.
      }
    }
    let piece = value * (time - t)
    windowIntegral += piece
    totalIntegral += piece
    lastTime = time
  }

  /// The time average over [startTime, time] (after advancing to `time`).
  public mutating func average(upTo time: Double) -> Double {
    advance(to: time)
    let duration = time - startTime
    return duration > 0 ? totalIntegral / duration : value
  }

  /// The Student-t interval over the complete windows.
  /// - Returns: nil with fewer than two complete windows.
  public func interval(level: Double = 0.95) -> ConfidenceInterval? {
    ConfidenceInterval(samples: batchMeans, level: level)
  }
}
