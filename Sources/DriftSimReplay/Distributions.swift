import Foundation
import DriftSimStats
import DriftSimTrace

/// Percentiles reported by `delay` and `power` (as fractions).
public let reportedPercentiles: [Double] = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]

/// The distribution of one quantity for one pair (or pooled).
public struct Distribution: Sendable, Equatable, Codable {
  /// Pair index; nil when pooled over pairs.
  public var pair: Int?
  /// Number of values.
  public var count: Int
  /// Mean value.
  public var mean: Double?
  /// Smallest value.
  public var min: Double?
  /// Largest value.
  public var max: Double?
  /// Fraction of values equal to 0 (e.g. idle slots for power).
  public var zeroFraction: Double
  /// Percentiles keyed "p1", "p5", …, "p99.9" (relative precision 1e-3).
  public var percentiles: [String: Double]
  /// Empirical CDF points [value, fraction of values ≤ value], thinned to at most the requested
  /// number of points.
  public var cdf: [[Double]]
}

/// Streaming accumulator of a distribution (bounded memory).
struct DistributionAccumulator {
  var histogram = LogHistogram()
  var moments = RunningMoments()
  mutating func add(_ x: Double) {
    histogram.add(x)
    moments.add(x)
  }

  func result(pair: Int?, points: Int) -> Distribution {
    let n = moments.count
    var percentiles: [String: Double] = [:]
    for p in reportedPercentiles {
      if let q = histogram.quantile(p) { percentiles[percentileKey(p)] = q }
    }
    var cdf = histogram.cumulativeDistribution().map { [$0.value, $0.fraction] }
    if cdf.count > points, points >= 2 {
      // Keep evenly spaced points (always the first and the last).
      let step = Double(cdf.count - 1) / Double(points - 1)
      cdf = (0..<points).map { cdf[Int((Double($0) * step).rounded())] }
    }
    return Distribution(
      pair: pair, count: n, mean: n > 0 ? moments.mean : nil, min: n > 0 ? moments.minimum : nil,
      max: n > 0 ? moments.maximum : nil,
      zeroFraction: n > 0 ? Double(histogram.zeroCount) / Double(n) : 0, percentiles: percentiles, cdf: cdf)
  }
}

/// "p50", "p99.9" for 0.5, 0.999.
public func percentileKey(_ p: Double) -> String {
  let v = p * 100
  return v == v.rounded() ? "p\(Int(v))" : "p\(String(format: "%g", v))"
}

/// The distribution of one per-record quantity per pair and pooled.
public struct DistributionReport: Sendable, Equatable, Codable {
  /// The quantity ("delaySeconds", "powerNoiseUnits").
  public var quantity: String
  /// Per pair (only the selected pair with `pair:`).
  public var pairs: [Distribution]
  /// Pooled over the pairs.
  public var pooled: Distribution
  /// Integrity verdict of the pass.
  public var integrity: String
}

/// Delay distributions of the packets departing in the window (seconds).
/// - Parameters:
///   - reader: an open trace.
///   - window: warm-up and time window.
///   - pair: only this pair (nil: every pair and pooled).
///   - points: at most this many CDF points per distribution.
/// - Throws: `TraceError` (damaged trace), `ReplayError` (implausible pair index).
public func delayDistribution(_ reader: TraceReader, window: AnalysisWindow = .init(), pair: Int? = nil, points: Int = 200)
  throws -> (report: DistributionReport, integrity: TraceIntegrity)
{
  try distribution(reader, kind: .packetDeparture, quantity: "delaySeconds", window: window, pair: pair, points: points) {
    $0.packetDeparture($1).delay
  }
}

/// Transmit power distributions over the slots in the window (noise units).
/// - Parameters: as `delayDistribution`.
public func powerDistribution(_ reader: TraceReader, window: AnalysisWindow = .init(), pair: Int? = nil, points: Int = 200)
  throws -> (report: DistributionReport, integrity: TraceIntegrity)
{
  try distribution(reader, kind: .slot, quantity: "powerNoiseUnits", window: window, pair: pair, points: points) {
    $0.slot($1).power
  }
}

private func distribution(
  _ reader: TraceReader, kind: RecordKind, quantity: String, window: AnalysisWindow, pair: Int?, points: Int,
  value: (TraceBlock, Int) -> Double
) throws -> (report: DistributionReport, integrity: TraceIntegrity) {
  var perPair: [DistributionAccumulator] = []
  var pooled = DistributionAccumulator()
  let declaredPairs = reader.header.metadata["pairs"].flatMap { Int($0) }
  if let pair, let declaredPairs, declaredPairs > 0, pair >= declaredPairs {
    throw ReplayError("pair \(pair) is not in the trace: its header declares pairs = \(declaredPairs) (indices 0 … \(declaredPairs - 1))")
  }
  reader.kinds = TraceLevel(kind)
  reader.timeWindow = window.readerWindow
  let start = window.start
  let end = window.end
  let integrity = try reader.forEachBlock { block in
    for i in 0..<block.count {
      let t = block.time(i)
      guard t >= start, t <= end else { continue }
      let k = block.pair(i)
      if let pair, k != pair { continue }
      if k >= perPair.count {
        guard k < maxPairs else {
          throw ReplayError("pair index \(k) exceeds \(maxPairs - 1) in block \(block.index) at byte offset \(block.offset)")
        }
        perPair.append(contentsOf: repeatElement(DistributionAccumulator(), count: k + 1 - perPair.count))
      }
      let x = value(block, i)
      perPair[k].add(x)
      pooled.add(x)
    }
  }
  try requireOverlap(
    window, span: recordedSpan(reader, kinds: TraceLevel(kind), observed: nil) ?? (pooled.moments.count > 0 ? window.start...window.start : nil),
    what: kind.name)
  if let pair, pooled.moments.count == 0 {
    throw ReplayError("pair \(pair) has no \(kind.name) records in the analysis window")
  }
  var pairs = perPair.enumerated().map { $0.element.result(pair: $0.offset, points: points) }
  if let pair { pairs = pairs.filter { $0.pair == pair } }
  return (
    DistributionReport(
      quantity: quantity, pairs: pairs, pooled: pooled.result(pair: nil, points: points), integrity: integrity.verdict),
    integrity
  )
}

/// Per-pair queue time series, averaged over equal time bins.
public struct QueueSeries: Sendable, Equatable, Codable {
  /// Start of the first bin (seconds).
  public var startSeconds: Double
  /// Bin width (seconds).
  public var binSeconds: Double
  /// Bin centres (seconds).
  public var times: [Double]
  /// Per pair: the mean queue in bits of the epoch records in each bin (NaN where a bin holds none).
  public var queueBits: [[Double]]
  /// Per pair: the largest queue in bits in each bin.
  public var maxQueueBits: [[Double]]
  /// Integrity verdict of the pass.
  public var integrity: String
}

/// Bins the epoch records' queue lengths into `bins` equal time bins over the window (bounded
/// memory: O(bins × pairs)).
/// - Parameters:
///   - reader: an open trace.
///   - window: warm-up and time window.
///   - bins: number of bins (≥ 1).
/// - Throws: `TraceError`, `ReplayError`.
public func queueSeries(_ reader: TraceReader, window: AnalysisWindow = .init(), bins: Int = 500) throws
  -> (series: QueueSeries, integrity: TraceIntegrity)
{
  reader.kinds = .epochs
  reader.timeWindow = window.readerWindow
  // The time range: the window, completed by the epoch records' range (footer, or a first pass).
  var first = Double.infinity
  var last = -Double.infinity
  if let totals = reader.footer?.totals[.epoch], totals.records > 0 {
    first = totals.firstTime
    last = totals.lastTime
  } else {
    try reader.forEachBlock { block in
      first = min(first, block.firstTime)
      last = max(last, block.lastTime)
    }
  }
  try requireOverlap(window, span: first <= last ? first...last : nil, what: "epoch")
  let start = max(window.start, first.isFinite ? first : 0)
  let end = min(window.end, last.isFinite ? last : start)
  let binCount = max(1, bins)
  let width = end > start ? (end - start) / Double(binCount) : 1
  var sums: [[Double]] = []
  var counts: [[Int]] = []
  var maxima: [[Double]] = []
  let integrity = try reader.forEachBlock { block in
    for i in 0..<block.count {
      let r = block.epoch(i)
      guard r.time >= start, r.time <= end else { continue }
      let k = r.pair
      if k >= sums.count {
        guard k < maxPairs else {
          throw ReplayError("pair index \(k) exceeds \(maxPairs - 1) in block \(block.index) at byte offset \(block.offset)")
        }
        for _ in sums.count...k {
          sums.append([Double](repeating: 0, count: binCount))
          counts.append([Int](repeating: 0, count: binCount))
          maxima.append([Double](repeating: -.infinity, count: binCount))
        }
      }
      let position = (r.time - start) / width
      let b = position.isFinite ? min(binCount - 1, max(0, Int(min(position, Double(binCount))))) : binCount - 1
      sums[k][b] += r.queueBits
      counts[k][b] += 1
      maxima[k][b] = max(maxima[k][b], r.queueBits)
    }
  }
  let means = zip(sums, counts).map { s, c in zip(s, c).map { $1 > 0 ? $0 / Double($1) : .nan } }
  let maxs = maxima.map { $0.map { $0 == -.infinity ? .nan : $0 } }
  let series = QueueSeries(
    startSeconds: start, binSeconds: width, times: (0..<binCount).map { start + (Double($0) + 0.5) * width },
    queueBits: means, maxQueueBits: maxs, integrity: integrity.verdict)
  return (series, integrity)
}
