import DriftSimSupport
import Foundation
import DriftSimStats
import DriftSimTrace

/// Which part of a trace an analysis uses.
public struct AnalysisWindow: Sendable, Equatable {
  /// Records before this time (seconds) are the warm-up and are ignored.
  public var warmUp: Double = 0
  /// Optional start of the window (seconds).
  public var from: Double?
  /// Optional end of the window (seconds).
  public var to: Double?
  /// Creates a window (the default is the whole trace).
  public init(warmUp: Double = 0, from: Double? = nil, to: Double? = nil) {
    self.warmUp = warmUp
    self.from = from
    self.to = to
  }
  /// Start time: the later of the warm-up end and `from`.
  public var start: Double { max(warmUp, from ?? -.infinity) }
  /// End time, or +∞.
  public var end: Double { to ?? .infinity }
  /// The window for the reader's block filter.
  var readerWindow: ClosedRange<Double>? {
    start == -.infinity && end == .infinity ? nil : start...max(start, end)
  }
}

/// Statistics of one pair (or of all pairs pooled) over the analysis window.
public struct TracePairSummary: Sendable, Equatable, Codable {
  /// Pair index; nil for the pooled ("overall") summary.
  public var pair: Int?
  /// Packets that arrived in the window.
  public var packetsIn: Int
  /// Packets that departed in the window.
  public var packetsOut: Int
  /// Mean delay of departed packets (seconds).
  public var meanDelaySeconds: Double?
  /// 95 % (or the requested level) batch-means Student-t interval for the mean delay.
  public var meanDelayCI: ConfidenceInterval?
  /// Delay quantiles (seconds, relative precision 1e-3) and the exact maximum.
  public var delayP50Seconds: Double?
  /// 90th percentile of the delay (seconds).
  public var delayP90Seconds: Double?
  /// 99th percentile of the delay (seconds).
  public var delayP99Seconds: Double?
  /// Largest delay (seconds).
  public var delayMaxSeconds: Double?
  /// Mean transmit power over slots (noise units; pooled: the mean over every pair's slots, i.e.
  /// the average power per pair).
  public var averagePower: Double?
  /// 10·log10(averagePower): the average transmit SNR in dB.
  public var avgTransmitSNRdB: Double?
  /// 10·log10(mean SINR over slots) in dB.
  public var avgSINRdB: Double?
  /// Bits served per second (from slot records).
  public var throughputBitsPerSecond: Double?
  /// Packets departed per second.
  public var departureRatePerSecond: Double
  /// Arrivals per second.
  public var arrivalRatePerSecond: Double
  /// Time-average queue in bits (from epoch records).
  public var timeAverageQueueBits: Double?
  /// timeAverageQueueBits / meanPacketBits (header metadata), in packets.
  public var timeAverageQueuePackets: Double?
  /// Little's-law check (needs arrivals and departures): the time-average number of packets in
  /// the system, the arrival rate (packets/s) and the measured mean delay (s); its
  /// `predictedSojournTime` is L/λ.
  public var littlesLaw: LittlesLawCheck?
}

/// The result of `driftsim-replay summary`.
public struct SummaryReport: Sendable, Equatable, Codable {
  /// Window start (seconds).
  public var startSeconds: Double
  /// Window end (seconds): the requested end or the last record time.
  public var endSeconds: Double
  /// endSeconds − startSeconds.
  public var durationSeconds: Double
  /// Per pair.
  public var pairs: [TracePairSummary]
  /// All pairs pooled.
  public var overall: TracePairSummary
  /// Records read per kind name (after the block filter).
  public var recordsRead: [String: Int]
  /// Integrity verdict ("complete", "truncated: …", "corrupt: …").
  public var integrity: String
}

/// Per-pair sums of the high-volume record kinds (arrivals, slots): small, so the hot loops stay in
/// cache.
struct FastAccumulator {
  var preArrivals = 0
  var arrivals = 0
  var arrivalTimeSum = 0.0
  var powerSum = 0.0
  var sinrSum = 0.0
  var bitsServed = 0.0
  var slotCount = 0
}

/// Grows the per-pair accumulators to cover every pair index in `block`.
/// - Throws: `ReplayError` for a pair index ≥ `maxPairs`.
func ensurePairs(_ block: TraceBlock, _ acc: inout [PairAccumulator], _ fast: inout [FastAccumulator]) throws {
  var largest = 0
  for i in 0..<block.count { largest = max(largest, block.pair(i)) }
  guard largest < maxPairs else {
    throw ReplayError("pair index \(largest) exceeds \(maxPairs - 1) in block \(block.index) at byte offset \(block.offset)")
  }
  if largest >= acc.count { acc.append(contentsOf: repeatElement(PairAccumulator(), count: largest + 1 - acc.count)) }
  if largest >= fast.count { fast.append(contentsOf: repeatElement(FastAccumulator(), count: largest + 1 - fast.count)) }
}

/// Streaming accumulator behind `summarize`.
struct PairAccumulator {
  var preDepartures = 0
  var departures = 0
  var departureTimeSum = 0.0
  var delays = BatchMeans()
  var histogram = LogHistogram()
  var lastQueueBeforeStart: Double?
  var queue: TimeAverage?
  var hasEpochs = false
}

/// Computes per-pair and pooled statistics of a trace in one streaming pass (bounded memory).
/// - Parameters:
///   - reader: an open trace; its filters are set by this function.
///   - window: warm-up cut and time window.
///   - level: confidence level of the delay interval (default 0.95).
/// - Returns: the report and the integrity of the pass (every block is CRC-checked unless the
///   caller turned off `reader.verifySkippedBlocks`).
/// - Throws: `TraceError` for a damaged trace (unless the reader salvages), `ReplayError` for
///   implausible content.
public func summarize(_ reader: TraceReader, window: AnalysisWindow = .init(), level: Double = 0.95) throws
  -> (report: SummaryReport, integrity: TraceIntegrity)
{
  let start = window.start
  var acc: [PairAccumulator] = []
  var fast: [FastAccumulator] = []
  var pooledDelays = BatchMeans()
  var lastTime = -Double.infinity
  let declaredPairs = reader.header.number("pairs").flatMap { $0 >= 0 && $0 < Double(maxPairs) ? Int($0) : nil } ?? 0
  if declaredPairs > 0 && declaredPairs <= maxPairs {
    acc = Array(repeating: PairAccumulator(), count: declaredPairs)
    fast = Array(repeating: FastAccumulator(), count: declaredPairs)
  }
  // The reader's content checks bound every delivered pair index by the header's `pairs`; when the
  // accumulators already cover that many, scanning each block for a larger index is redundant.
  let pairsBounded = reader.validatedPairLimit.map { $0 <= acc.count } ?? false

  reader.kinds = [.packets, .epochs, .slots]
  // Records before the window still matter (numbers in system, queue at the start), so only the
  // end of the window can skip blocks.
  reader.timeWindow = window.end < .infinity ? -Double.infinity...window.end : nil
  let end = window.end
  var firstTime = Double.infinity
  let integrity = try reader.forEachBlock { block in
    // Within a kind, times are nondecreasing, so a block's last time is its largest.
    if block.lastTime > lastTime { lastTime = block.lastTime }
    if block.firstTime < firstTime { firstTime = block.firstTime }
    switch block.kind {
    case .packetArrival:
      if !pairsBounded { try ensurePairs(block, &acc, &fast) }
      fast.withUnsafeMutableBufferPointer { f in
        for i in 0..<block.count {
          let t = block.time(i)
          guard t <= end else { continue }
          let k = block.pair(i)
          if t < start {
            f[k].preArrivals += 1
          } else {
            f[k].arrivals += 1
            f[k].arrivalTimeSum += t
          }
        }
      }
    case .packetDeparture:
      if !pairsBounded { try ensurePairs(block, &acc, &fast) }
      // The pooled histogram is the merge of the per-pair ones (after the pass): the same buckets,
      // one `log` per delay instead of two. The pooled batch means depend on the order of the
      // delays across pairs, so they are accumulated here.
      acc.withUnsafeMutableBufferPointer { a in
        for i in 0..<block.count {
          let r = block.packetDeparture(i)
          guard r.time <= end else { continue }
          let k = r.pair
          if r.time < start {
            a[k].preDepartures += 1
          } else {
            a[k].departures += 1
            a[k].departureTimeSum += r.time
            a[k].delays.add(r.delay)
            a[k].histogram.add(r.delay)
            pooledDelays.add(r.delay)
          }
        }
      }
    case .epoch:
      if !pairsBounded { try ensurePairs(block, &acc, &fast) }
      for i in 0..<block.count {
        let r = block.epoch(i)
        guard r.time <= end else { continue }
        let k = r.pair
        acc[k].hasEpochs = true
        if r.time < start {
          acc[k].lastQueueBeforeStart = r.queueBits
        } else if acc[k].queue == nil {
          var average = TimeAverage(startTime: start, value: acc[k].lastQueueBeforeStart ?? r.queueBits)
          average.record(r.queueBits, at: r.time)
          acc[k].queue = average
        } else {
          acc[k].queue!.record(r.queueBits, at: r.time)
        }
      }
    case .slot:
      if !pairsBounded { try ensurePairs(block, &acc, &fast) }
      fast.withUnsafeMutableBufferPointer { f in
        for i in 0..<block.count {
          let r = block.slot(i)
          guard r.time >= start, r.time <= end else { continue }
          let k = r.pair
          f[k].powerSum += r.power
          f[k].sinrSum += r.sinr
          f[k].bitsServed += r.bitsServed
          f[k].slotCount += 1
        }
      }
    case .ctmcJump, .ctmcSnapshot:
      break
    }
  }

  try requireOverlap(
    window, span: recordedSpan(reader, kinds: [.packets, .epochs, .slots], observed: firstTime <= lastTime ? firstTime...lastTime : nil),
    what: "packet, epoch or slot")
  let windowEnd = end < .infinity ? end : max(lastTime, start)
  let windowStart = start > -.infinity ? start : (reader.footer?.timeRange?.lowerBound ?? 0)
  let duration = windowEnd - windowStart
  let meanPacketBits = reader.header.number("meanPacketBits")

  func finish(_ a: PairAccumulator, _ f: FastAccumulator, pair: Int?) -> TracePairSummary {
    let arrivalRate = duration > 0 ? Double(f.arrivals) / duration : 0
    var s = TracePairSummary(
      pair: pair, packetsIn: f.arrivals, packetsOut: a.departures,
      departureRatePerSecond: duration > 0 ? Double(a.departures) / duration : 0,
      arrivalRatePerSecond: arrivalRate)
    if a.departures > 0 {
      s.meanDelaySeconds = a.delays.mean
      s.meanDelayCI = a.delays.interval(level: level)
      s.delayP50Seconds = a.histogram.quantile(0.5)
      s.delayP90Seconds = a.histogram.quantile(0.9)
      s.delayP99Seconds = a.histogram.quantile(0.99)
      s.delayMaxSeconds = a.histogram.maximum
    }
    if f.slotCount > 0 {
      let power = f.powerSum / Double(f.slotCount)
      s.averagePower = power
      s.avgTransmitSNRdB = decibels(power)
      s.avgSINRdB = decibels(f.sinrSum / Double(f.slotCount))
      s.throughputBitsPerSecond = duration > 0 ? f.bitsServed / duration : nil
    }
    if let q = a.queue {
      s.timeAverageQueueBits = q.average(upTo: windowEnd)
    } else if let q = a.lastQueueBeforeStart {
      s.timeAverageQueueBits = q
    }
    if let bits = s.timeAverageQueueBits, let meanPacketBits, meanPacketBits > 0 {
      s.timeAverageQueuePackets = bits / meanPacketBits
    }
    if duration > 0, f.arrivals > 0, a.departures > 0 {
      let initial = Double(f.preArrivals - a.preDepartures)
      let integral =
        initial * duration + (Double(f.arrivals) * windowEnd - f.arrivalTimeSum)
        - (Double(a.departures) * windowEnd - a.departureTimeSum)
      let l = integral / duration
      s.littlesLaw = LittlesLawCheck(meanNumberInSystem: l, arrivalRate: arrivalRate, meanSojournTime: a.delays.mean)
    }
    return s
  }

  var pooled = PairAccumulator()
  var pooledFast = FastAccumulator()
  pooled.delays = pooledDelays
  for a in acc { pooled.histogram.merge(a.histogram) }
  var pairs: [TracePairSummary] = []
  var queueTotal: Double? = nil
  if fast.count < acc.count { fast.append(contentsOf: repeatElement(FastAccumulator(), count: acc.count - fast.count)) }
  for (k, a) in acc.enumerated() {
    let f = fast[k]
    let s = finish(a, f, pair: k)
    pairs.append(s)
    pooledFast.preArrivals += f.preArrivals
    pooled.preDepartures += a.preDepartures
    pooledFast.arrivals += f.arrivals
    pooled.departures += a.departures
    pooledFast.arrivalTimeSum += f.arrivalTimeSum
    pooled.departureTimeSum += a.departureTimeSum
    pooledFast.sinrSum += f.sinrSum
    pooledFast.bitsServed += f.bitsServed
    pooledFast.slotCount += f.slotCount
    pooledFast.powerSum += f.powerSum
    if let q = s.timeAverageQueueBits { queueTotal = (queueTotal ?? 0) + q }
  }
  var overall = finish(pooled, pooledFast, pair: nil)
  // Queues pool as totals (bits in the whole network), matching the pooled Little's law.
  overall.timeAverageQueueBits = queueTotal
  if let queueTotal, let meanPacketBits, meanPacketBits > 0 { overall.timeAverageQueuePackets = queueTotal / meanPacketBits }
  let report = SummaryReport(
    startSeconds: windowStart, endSeconds: windowEnd, durationSeconds: duration, pairs: pairs, overall: overall,
    recordsRead: Dictionary(uniqueKeysWithValues: integrity.recordsRead.map { ($0.key.name, $0.value) }),
    integrity: integrity.verdict)
  return (report, integrity)
}

/// The time range of the records of `kinds`: from the footer totals when the trace has a footer,
/// otherwise `observed` (the blocks a pass delivered); nil when there are none.
func recordedSpan(_ reader: TraceReader, kinds: TraceLevel, observed: ClosedRange<Double>?) -> ClosedRange<Double>? {
  guard let footer = reader.footer else { return observed }
  let used = kinds.kinds.compactMap { footer.totals[$0] }.filter { $0.records > 0 }
  guard let lo = used.map(\.firstTime).min(), let hi = used.map(\.lastTime).max(), lo <= hi else { return nil }
  return lo...hi
}

/// Refuses an analysis whose window holds none of the records it reads, instead of printing an
/// empty (or stale) result.
/// - Parameters:
///   - window: the analysis window (warm-up, from, to).
///   - span: the time range of the relevant records (see `recordedSpan`), nil when there are none.
///   - what: the records, for the message, e.g. "packet-departure".
/// - Throws: `ReplayError` naming the window bound and the trace's range.
func requireOverlap(_ window: AnalysisWindow, span: ClosedRange<Double>?, what: String) throws {
  guard let span else { throw ReplayError("the trace holds no \(what) records in the analysis window; nothing to analyse") }
  if window.start > span.upperBound {
    throw ReplayError(
      "the analysis window starts at t = \(window.start) s (--warm-up / --from), after the last \(what) record at t = \(span.upperBound) s; nothing to analyse")
  }
  if window.end < span.lowerBound {
    throw ReplayError(
      "the analysis window ends at t = \(window.end) s (--to), before the first \(what) record at t = \(span.lowerBound) s; nothing to analyse")
  }
}

/// The largest pair index accepted (pair indices index arrays).
let maxPairs = 1 << 16

/// 10·log10(x), nil for x ≤ 0.
func decibels(_ x: Double) -> Double? { x > 0 ? 10 * log10(x) : nil }

/// A problem in the content of a trace or in an analysis request (one line).
public struct ReplayError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What is wrong and where.
  public var message: String
  /// Creates an error.
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// Reported by the command runner as one line, exit status 1.
extension ReplayError: ReportableError {}
