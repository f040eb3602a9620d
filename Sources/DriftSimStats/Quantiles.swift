import Foundation

/// The p-quantile of already sorted values, by linear interpolation between order statistics
/// (Hyndman & Fan type 7, the default of R and NumPy).
/// - Parameters:
///   - sorted: values in ascending order, not empty.
///   - p: probability in [0, 1].
/// - Returns: the quantile; nil for an empty array or p outside [0, 1].
public func quantile(sorted: [Double], _ p: Double) -> Double? {
  guard !sorted.isEmpty, p >= 0, p <= 1 else { return nil }
  let h = Double(sorted.count - 1) * p
  let lower = Int(h.rounded(.down))
  let upper = Swift.min(lower + 1, sorted.count - 1)
  return sorted[lower] + (h - Double(lower)) * (sorted[upper] - sorted[lower])
}

/// Quantiles of non-negative values (delays in seconds, powers) in bounded memory: a histogram
/// with logarithmically spaced buckets of relative width `relativePrecision`.
///
/// Every quantile it reports is within a factor (1 ± relativePrecision) of an order statistic whose
/// rank is within one of the requested rank; the minimum and maximum are exact. Memory grows with
/// log(max/min)/relativePrecision, not with the number of values (≈ 28 k buckets for 12 decades at
/// 1e-3). Values equal to 0 are counted exactly in a separate bucket.
public struct LogHistogram: Sendable, Equatable {
  /// Relative width of a bucket.
  public let relativePrecision: Double
  private let logBase: Double
  private var lowestIndex = 0
  private var counts: [UInt64] = []
  /// Number of values equal to 0.
  public private(set) var zeroCount: UInt64 = 0
  /// Number of values added.
  public private(set) var count: UInt64 = 0
  /// Smallest value added (+∞ when empty).
  public private(set) var minimum = Double.infinity
  /// Largest value added (−∞ when empty).
  public private(set) var maximum = -Double.infinity

  /// Creates an empty histogram.
  /// - Parameter relativePrecision: bucket width relative to its values, in (0, 0.5]; default 1e-3.
  public init(relativePrecision: Double = 1e-3) {
    precondition(relativePrecision > 0 && relativePrecision <= 0.5, "LogHistogram: precision must be in (0, 0.5]")
    self.relativePrecision = relativePrecision
    logBase = log1p(relativePrecision)
  }

  /// Adds `value` (finite and ≥ 0; anything else is ignored and reported by the return value).
  /// - Returns: false if the value was rejected.
  @discardableResult
  public mutating func add(_ value: Double) -> Bool {
    guard value.isFinite, value >= 0 else { return false }
    count += 1
    if value < minimum { minimum = value }
    if value > maximum { maximum = value }
    if value == 0 {
      zeroCount += 1
      return true
    }
    let index = Int((log(value) / logBase).rounded(.down))
    if counts.isEmpty {
      lowestIndex = index
      counts = [1]
    } else if index < lowestIndex {
      counts.insert(contentsOf: repeatElement(0, count: lowestIndex - index), at: 0)
      lowestIndex = index
      counts[0] += 1
    } else {
      let offset = index - lowestIndex
      if offset >= counts.count { counts.append(contentsOf: repeatElement(0, count: offset - counts.count + 1)) }
      counts[offset] += 1
    }
    return true
  }

  /// Adds every value counted in `other` (which must have the same precision).
  public mutating func merge(_ other: LogHistogram) {
    precondition(other.relativePrecision == relativePrecision, "LogHistogram: precisions differ")
    guard other.count > 0 else { return }
    zeroCount += other.zeroCount
    count += other.count
    minimum = Swift.min(minimum, other.minimum)
    maximum = Swift.max(maximum, other.maximum)
    for (offset, c) in other.counts.enumerated() where c > 0 {
      let index = other.lowestIndex + offset
      if counts.isEmpty {
        lowestIndex = index
        counts = [0]
      }
      if index < lowestIndex {
        counts.insert(contentsOf: repeatElement(0, count: lowestIndex - index), at: 0)
        lowestIndex = index
      }
      let o = index - lowestIndex
      if o >= counts.count { counts.append(contentsOf: repeatElement(0, count: o - counts.count + 1)) }
      counts[o] += c
    }
  }

  /// The representative value of bucket `index`: the geometric middle of its range.
  private func representative(_ index: Int) -> Double {
    exp((Double(index) + 0.5) * logBase)
  }

  /// The p-quantile: the smallest value v such that at least ⌈p·count⌉ values are ≤ v (p = 0 gives
  /// the minimum, p = 1 the maximum), to within the relative precision.
  /// - Returns: nil when empty or p ∉ [0, 1].
  public func quantile(_ p: Double) -> Double? {
    guard count > 0, p >= 0, p <= 1 else { return nil }
    if p == 0 { return minimum }
    if p == 1 { return maximum }
    let rank = UInt64((p * Double(count)).rounded(.up))
    var cumulative = zeroCount
    if cumulative >= rank { return 0 }
    for (offset, c) in counts.enumerated() {
      cumulative += c
      if cumulative >= rank {
        return Swift.min(Swift.max(representative(lowestIndex + offset), minimum), maximum)
      }
    }
    return maximum
  }

  /// The empirical CDF at the bucket boundaries: (value, fraction of values ≤ value), ascending.
  /// Buckets with no values are skipped.
  public func cumulativeDistribution() -> [(value: Double, fraction: Double)] {
    guard count > 0 else { return [] }
    var points: [(Double, Double)] = []
    var cumulative = zeroCount
    if zeroCount > 0 { points.append((0, Double(cumulative) / Double(count))) }
    for (offset, c) in counts.enumerated() where c > 0 {
      cumulative += c
      let upperEdge = Swift.min(exp(Double(lowestIndex + offset + 1) * logBase), maximum)
      points.append((upperEdge, Double(cumulative) / Double(count)))
    }
    return points
  }
}
