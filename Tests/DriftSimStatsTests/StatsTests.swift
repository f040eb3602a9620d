import Foundation
import DriftSimNumerics
import Testing

@testable import DriftSimStats

@Suite("Streaming statistics against naive references")
struct StatsTests {
  func randomValues(_ n: Int, seed: UInt64) -> [Double] {
    var r = RandomStream(seed: seed, stream: StreamID(1))
    return (0..<n).map { _ in r.exponential(mean: 3) + 1e6 }  // large offset: stresses cancellation
  }

  @Test("Welford moments equal two-pass moments; merging equals adding")
  func moments() {
    let values = randomValues(10_001, seed: 1)
    let mean = values.reduce(0, +) / Double(values.count)
    let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
    let m = RunningMoments(values)
    #expect(abs(m.mean - mean) / mean <= 1e-14)
    #expect(abs(m.variance - variance) / variance <= 1e-9)
    #expect(m.minimum == values.min() && m.maximum == values.max())
    var left = RunningMoments(values[..<3000]), right = RunningMoments(values[3000...])
    left.merge(right)
    #expect(left.count == m.count)
    #expect(abs(left.mean - m.mean) / m.mean <= 1e-14)
    #expect(abs(left.variance - m.variance) / m.variance <= 1e-9)
    right.merge(RunningMoments())
    #expect(RunningMoments().variance == 0)
  }

  @Test("time average of a piecewise-constant signal is exact")
  func timeAverage() {
    var a = TimeAverage(startTime: 1, value: 2)
    a.record(5, at: 3)  // 2 on [1,3)
    a.record(0, at: 4)  // 5 on [3,4)
    // 0 on [4,6): integral 4 + 5 + 0 = 9 over 5.
    #expect(a.integral(upTo: 6) == 9)
    #expect(a.average(upTo: 6) == 9.0 / 5.0)
    a.restart(at: 6)
    a.record(4, at: 7)
    #expect(a.average(upTo: 8) == 2)
    #expect(TimeAverage(startTime: 0, value: 7).average(upTo: 0) == 7)
  }

  @Test("Student-t interval from samples")
  func studentInterval() throws {
    let ci = try #require(ConfidenceInterval(samples: [1, 2, 3, 4, 5]))
    // mean 3, s² = 2.5, se = sqrt(0.5); t(0.975; 4) = 2.77644510519779435780 (mpmath).
    let expected = 2.77644510519779435780 * 0.5.squareRoot()
    #expect(ci.mean == 3)
    #expect(abs(ci.halfWidth - expected) <= 1e-12)
    #expect(ci.degreesOfFreedom == 4)
    #expect(ci.contains(3) && !ci.contains(5))
    #expect(ci.bounds.count == 2)
    #expect(ConfidenceInterval(samples: [1]) == nil)
  }

  @Test("batch means: batch contents, doubling, and bounded memory")
  func batchMeans() throws {
    var b = BatchMeans(maxBatches: 4)
    for i in 1...16 { b.add(Double(i)) }
    // Batches of 1 → doubled at 4 batches → size 2 → doubled at 4 batches of 2 → size 4:
    // complete batches after 16 values are the means of 1–4, 5–8, 9–12, 13–16 → then merged to 2.
    #expect(b.batchSize == 8)
    #expect(b.batchMeans == [4.5, 12.5])
    #expect(b.mean == 8.5)
    #expect(b.count == 16)
    var large = BatchMeans()
    for x in randomValues(100_000, seed: 2) { large.add(x) }
    #expect(large.batchMeans.count >= 32 && large.batchMeans.count < 64)
    #expect(large.interval() != nil)
  }

  /// For i.i.d. exponential data the 95 % batch-means interval must cover the true mean in about
  /// 95 % of independent replications: with 400 replications the count is Binomial(400, 0.95)
  /// (sd ≈ 4.4); we accept 360…398 (about −9 sd / +2 sd: batch means intervals undercover slightly
  /// when batches are few, never overcover by much).
  @Test("batch-means intervals have about 95 % coverage")
  func coverage() {
    var covered = 0
    var r = RandomStream(seed: 9, stream: StreamID(3))
    for _ in 0..<400 {
      var b = BatchMeans(maxBatches: 32)
      for _ in 0..<2000 { b.add(r.exponential(mean: 2)) }
      if let ci = b.interval(), ci.contains(2) { covered += 1 }
    }
    #expect(covered >= 360 && covered <= 398, "covered \(covered) of 400")
  }

  @Test("time batch means integrate exactly across window boundaries")
  func timeBatchMeans() throws {
    var t = TimeBatchMeans(startTime: 0, value: 1, initialBatchDuration: 1, maxBatches: 4)
    t.record(3, at: 1.5)  // 1 on [0,1.5), 3 on [1.5, 2.5)
    t.record(0, at: 2.5)
    // integral 1.5 + 3 + 0 on [0,3); windows of 1: [0,1): 1, [1,2): 2, [2,3): 1.5
    #expect(t.average(upTo: 3) == 1.5)  // (1.5 + 3 + 0) / 3
    #expect(t.batchMeans == [1, 2, 1.5])
    t.record(2, at: 3)
    _ = t.average(upTo: 4)  // fourth window → merge to [1.5, 1.75], windows of 2
    #expect(t.batchMeans == [1.5, 1.75])
    #expect(t.batchDuration == 2)
    let expectedAverage: Double = (1.0 + 2.0 + 1.5 + 2.0 + 4.0) / 6.0
    #expect(t.average(upTo: 6) == expectedAverage)
    #expect(t.batchMeans == [1.5, 1.75, 2])
    let ci = try #require(t.interval())
    #expect(abs(ci.mean - 1.75) < 1e-15)
  }

  @Test("log-histogram quantiles are within the relative precision of the exact ones")
  func logHistogram() {
    var r = RandomStream(seed: 5, stream: StreamID(8))
    var h = LogHistogram(relativePrecision: 1e-3)
    var values: [Double] = []
    for i in 0..<50_000 {
      let v = i % 97 == 0 ? 0 : r.exponential(mean: 0.02) * (i % 3 == 0 ? 100 : 1)
      values.append(v)
      h.add(v)
    }
    #expect(!h.add(-1) && !h.add(.nan))
    values.sort()
    for p in [0.01, 0.1, 0.5, 0.9, 0.99, 0.999] {
      let rank = Int((p * Double(values.count)).rounded(.up)) - 1
      let exact = values[rank]
      let approx = h.quantile(p)!
      #expect(abs(approx - exact) <= 1.001e-3 * exact, "p=\(p): \(approx) vs \(exact)")
    }
    #expect(h.quantile(0) == values.first && h.quantile(1) == values.last)
    #expect(h.quantile(0.005) == 0)
    let cdf = h.cumulativeDistribution()
    #expect(cdf.last?.fraction == 1)
    #expect(zip(cdf, cdf.dropFirst()).allSatisfy { $0.value <= $1.value && $0.fraction <= $1.fraction })
    var a = LogHistogram(), b = LogHistogram(), all = LogHistogram()
    for (i, v) in values.enumerated() {
      if i % 2 == 0 { a.add(v) } else { b.add(v) }
      all.add(v)
    }
    a.merge(b)
    #expect(a == all || a.quantile(0.5) == all.quantile(0.5))
    #expect(a.count == all.count)
  }

  @Test("type-7 quantiles of sorted data")
  func sortedQuantiles() {
    #expect(quantile(sorted: [1, 2, 3, 4], 0.5) == 2.5)
    #expect(quantile(sorted: [1, 2, 3, 4], 0) == 1)
    #expect(quantile(sorted: [1, 2, 3, 4], 1) == 4)
    #expect(quantile(sorted: [], 0.5) == nil)
  }

  @Test("least-squares line, slope standard error and interval")
  func linearFit() throws {
    let exact = try #require(LinearFit(x: [1, 2, 3, 4], y: [3, 5, 7, 9]))
    #expect(exact.slope == 2 && exact.intercept == 1 && exact.slopeStandardError == 0)
    // y = [1, 3, 2, 4] at x = 1..4: slope 0.8, intercept 0.5, residuals (-0.3, 0.9, -0.9, 0.3),
    // SSR = 1.8, s² = 0.9, Sxx = 5, se = sqrt(0.18).
    let noisy = try #require(LinearFit(x: [1, 2, 3, 4], y: [1, 3, 2, 4]))
    #expect(abs(noisy.slope - 0.8) < 1e-15 && abs(noisy.intercept - 0.5) < 1e-15)
    #expect(abs(noisy.slopeStandardError - 0.18.squareRoot()) < 1e-15)
    let ci = try #require(noisy.slopeInterval())
    // t(0.975; 2) = 4.30265272974946385232 (mpmath)
    #expect(abs(ci.halfWidth - 4.30265272974946385232 * 0.18.squareRoot()) < 1e-12)
    #expect(LinearFit(x: [1, 1], y: [1, 2]) == nil)
    let little = LittlesLawCheck(meanNumberInSystem: 2, arrivalRate: 4, meanSojournTime: 0.5)
    #expect(little.relativeDiscrepancy == 0)
  }
}

@Test func medianOfOddEvenEmptyAndNaN() {
  #expect(median([3, 1, 2]) == 2)
  #expect(median([4, 1, 3, 2]) == 2.5)
  #expect(median([]) == nil)
  #expect(median([1, .nan]) == nil)
}
