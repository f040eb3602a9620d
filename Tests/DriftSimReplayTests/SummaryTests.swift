import Foundation
import DriftSimStats
import Testing

@testable import DriftSimReplay
@testable import DriftSimTrace

/// Every record of a trace in memory (the naive reference the streaming analysis is checked against).
struct AllRecords {
  var arrivals: [PacketArrival] = []
  var departures: [PacketDeparture] = []
  var epochs: [EpochRecord] = []
  var slots: [SlotRecord] = []

  init(_ path: String) throws {
    var a: [PacketArrival] = [], d: [PacketDeparture] = [], e: [EpochRecord] = [], s: [SlotRecord] = []
    try TraceReader(path: path).forEachBlock { b in
      for i in 0..<b.count {
        switch b.kind {
        case .packetArrival: a.append(b.packetArrival(i))
        case .packetDeparture: d.append(b.packetDeparture(i))
        case .epoch: e.append(b.epoch(i))
        case .slot: s.append(b.slot(i))
        default: break
        }
      }
    }
    (arrivals, departures, epochs, slots) = (a, d, e, s)
  }
}

func temporaryTrace(_ name: String) -> String {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("replay-tests-\(UUID().uuidString)")
  try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  return dir.appendingPathComponent(name).path
}

@Suite("Replay summary against a naive in-memory computation")
struct SummaryTests {
  static func generator() -> SyntheticTrace {
    var g = SyntheticTrace()
    g.pairs = 3
    g.epochs = 1500
    g.seed = 99
    return g
  }

  @Test("per-pair statistics match the naive reference", arguments: [
    AnalysisWindow(), AnalysisWindow(warmUp: 1.0), AnalysisWindow(warmUp: 0.5, from: 2.0, to: 6.5),
  ])
  func matchesReference(window: AnalysisWindow) throws {
    let path = temporaryTrace("s.dstrace")
    try Self.generator().write(to: path, level: [.packets, .epochs, .slots], blockPayloadBytes: 2400)
    let all = try AllRecords(path)
    let (report, integrity) = try summarize(try TraceReader(path: path), window: window)
    #expect(integrity.status == .complete)
    let start = window.start
    let lastTime = max(
      all.arrivals.last!.time, all.departures.last!.time, all.epochs.last!.time, all.slots.last!.time)
    let end = window.to ?? lastTime
    #expect(report.startSeconds == start)
    #expect(report.endSeconds == end)
    let duration = end - start
    #expect(report.pairs.count == 3)

    for k in 0..<3 {
      let s = report.pairs[k]
      let arr = all.arrivals.filter { $0.pair == k }
      let dep = all.departures.filter { $0.pair == k }
      let inWindow = arr.filter { $0.time >= start && $0.time <= end }
      let outWindow = dep.filter { $0.time >= start && $0.time <= end }
      #expect(s.packetsIn == inWindow.count)
      #expect(s.packetsOut == outWindow.count)
      let delays = outWindow.map(\.delay)
      let mean = delays.reduce(0, +) / Double(delays.count)
      #expect(abs(s.meanDelaySeconds! - mean) <= 1e-12 * mean)
      let sorted = delays.sorted()
      for (p, q) in [(0.5, s.delayP50Seconds!), (0.9, s.delayP90Seconds!), (0.99, s.delayP99Seconds!)] {
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        let lo = sorted[max(rank - 2, 0)] * (1 - 1.1e-3)
        let hi = sorted[min(rank, sorted.count - 1)] * (1 + 1.1e-3)
        #expect(q >= lo && q <= hi, "p\(p): \(q) not in [\(lo), \(hi)]")
      }
      #expect(s.delayMaxSeconds == sorted.last)
      let ci = try #require(s.meanDelayCI)
      #expect(ci.level == 0.95 && ci.halfWidth > 0 && ci.contains(mean))

      // Little's law: exact integral of the number in system by an event sweep.
      var n = Double(arr.filter { $0.time < start }.count - dep.filter { $0.time < start }.count)
      var events = inWindow.map { ($0.time, 1.0) } + outWindow.map { ($0.time, -1.0) }
      events.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 > $1.1) }
      var t = start
      var integral = 0.0
      for (time, step) in events {
        integral += n * (time - t)
        t = time
        n += step
      }
      integral += n * (end - t)
      let little = try #require(s.littlesLaw)
      #expect(abs(little.meanNumberInSystem - integral / duration) <= 1e-9 * max(1, integral / duration))
      #expect(abs(little.arrivalRate - Double(inWindow.count) / duration) <= 1e-12 * little.arrivalRate)
      // A stable, nearly empty-at-the-edges run satisfies Little's law to a few per cent.
      #expect(abs(little.relativeDiscrepancy) < 0.1)

      let slots = all.slots.filter { $0.pair == k && $0.time >= start && $0.time <= end }
      let power = slots.map(\.power).reduce(0, +) / Double(slots.count)
      #expect(abs(s.averagePower! - power) <= 1e-12 * power)
      #expect(abs(s.avgTransmitSNRdB! - 10 * log10(power)) <= 1e-9)
      let bits = slots.map(\.bitsServed).reduce(0, +)
      #expect(abs(s.throughputBitsPerSecond! - bits / duration) <= 1e-9 * bits / duration)

      // Time-average queue: piecewise constant between epoch records.
      let epochs = all.epochs.filter { $0.pair == k && $0.time <= end }
      var value = epochs.last { $0.time < start }?.queueBits ?? epochs.first { $0.time >= start }!.queueBits
      var last = start
      var area = 0.0
      for e in epochs where e.time >= start {
        area += value * (e.time - last)
        last = e.time
        value = e.queueBits
      }
      area += value * (end - last)
      #expect(abs(s.timeAverageQueueBits! - area / duration) <= 1e-9 * area / duration)
      #expect(abs(s.timeAverageQueuePackets! - area / duration / 3000) <= 1e-9 * area / duration)
    }
    #expect(report.overall.packetsIn == report.pairs.map(\.packetsIn).reduce(0, +))
    #expect(report.overall.packetsOut == report.pairs.map(\.packetsOut).reduce(0, +))
    let pooledMean =
      report.pairs.map { $0.meanDelaySeconds! * Double($0.packetsOut) }.reduce(0, +) / Double(report.overall.packetsOut)
    #expect(abs(report.overall.meanDelaySeconds! - pooledMean) <= 1e-12 * pooledMean)
  }

  @Test("a trace without packet records is an error naming the rule, not empty statistics")
  func ctmcOnly() throws {
    let path = temporaryTrace("c.dstrace")
    var g = SyntheticTrace()
    g.epochs = 0
    g.population = 20
    g.ctmcSeconds = 2
    try g.write(to: path)
    do {
      _ = try summarize(try TraceReader(path: path))
      Issue.record("an empty summary was returned")
    } catch let error as ReplayError {
      #expect(error.message.contains("holds no packet, epoch or slot records"), "\(error.message)")
    }
    #expect(throws: ReplayError.self) { _ = try summarize(try TraceReader(path: path), window: AnalysisWindow(warmUp: 100)) }
  }
}

@Suite("Replay summary: pair bounds and the pooled histogram")
struct SummaryPairBoundTests {
  /// Rewrites the records of `all` into a new trace whose header carries `metadata`.
  func rewrite(_ all: AllRecords, metadata: [String: String]) throws -> String {
    let path = temporaryTrace("rewritten.dstrace")
    let header = TraceHeader(
      softwareVersion: "replay-tests", scenario: "{}", seed: 1, level: [.packets, .epochs, .slots], metadata: metadata)
    let writer = try TraceWriter(path: path, header: header, blockPayloadBytes: 2400, durable: false)
    for r in all.arrivals { writer.writePacketArrival(pair: r.pair, packetID: r.packetID, time: r.time, bits: r.bits) }
    for r in all.departures { writer.writePacketDeparture(pair: r.pair, packetID: r.packetID, time: r.time, delay: r.delay) }
    for r in all.epochs { writer.writeEpoch(pair: r.pair, time: r.time, queueBits: r.queueBits, weight: r.weight) }
    for r in all.slots {
      writer.writeSlot(pair: r.pair, time: r.time, power: r.power, sinr: r.sinr, bitsServed: r.bitsServed)
    }
    try writer.finish()
    return path
  }

  @Test("declared, undeclared and non-integer `pairs` give the same report (bounded and scanned paths)")
  func pairBoundPaths() throws {
    let source = temporaryTrace("s.dstrace")
    try SummaryTests.generator().write(to: source, level: [.packets, .epochs, .slots], blockPayloadBytes: 2400)
    let all = try AllRecords(source)
    let window = AnalysisWindow(warmUp: 0.5)
    var reports: [SummaryReport] = []
    // "3": the reader's checks bound pair indices, no scan; none and "3.0": the per-block scan.
    for pairs in ["3", nil, "3.0"] as [String?] {
      var metadata = ["meanPacketBits": "3000"]
      if let pairs { metadata["pairs"] = pairs }
      let reader = try TraceReader(path: try rewrite(all, metadata: metadata))
      #expect(reader.validatedPairLimit == (pairs == "3" ? 3 : nil))
      reports.append(try summarize(reader, window: window).report)
    }
    #expect(reports[0].pairs.count == 3)
    #expect(reports[0] == reports[1])
    #expect(reports[0] == reports[2])

    // The pooled quantiles (merged per-pair histograms) against the sorted pooled delays.
    let delays = all.departures.filter { $0.time >= window.start }.map(\.delay).sorted()
    let overall = reports[0].overall
    for (p, q) in [(0.5, overall.delayP50Seconds!), (0.9, overall.delayP90Seconds!), (0.99, overall.delayP99Seconds!)] {
      let rank = Int((p * Double(delays.count)).rounded(.up))
      let lo = delays[max(rank - 2, 0)] * (1 - 1.1e-3)
      let hi = delays[min(rank, delays.count - 1)] * (1 + 1.1e-3)
      #expect(q >= lo && q <= hi, "p\(p): \(q) not in [\(lo), \(hi)]")
    }
    #expect(overall.delayMaxSeconds == delays.last)
  }
}
