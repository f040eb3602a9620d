import Foundation
import DriftSimPlot
import Testing

@testable import DriftSimReplay
@testable import DriftSimTrace

@Suite("Analyses on odd content: errors, never traps")
struct RobustnessTests {
  /// A trace whose records carry non-finite and extreme values and implausible metadata.
  func oddTrace(pair: Int = 1) throws -> String {
    let path = temporaryTrace("odd.dstrace")
    let header = TraceHeader(
      softwareVersion: "t", scenario: "", seed: 1, level: .all, stateCount: 1,
      metadata: ["pairs": "1e300", "meanPacketBits": "-0"])
    let writer = try TraceWriter(path: path, header: header, blockPayloadBytes: 48, durable: false)
    let values: [Double] = [0, -1, .nan, .infinity, -.infinity, 1e300, 5e-324, 1]
    for (i, v) in values.enumerated() {
      writer.writePacketArrival(pair: pair, packetID: UInt64(i), time: v, bits: v)
      writer.writePacketDeparture(pair: pair, packetID: UInt64(i), time: v, delay: v)
      writer.writeEpoch(pair: pair, time: v, queueBits: v, weight: v)
      writer.writeSlot(pair: pair, time: v, power: v, sinr: v, bitsServed: v)
      writer.writeCTMCJump(time: v, transition: i)
      writer.writeCTMCSnapshot(time: v, counts: [i])
    }
    try writer.finish(interrupted: false)
    return path
  }

  @Test("non-finite and extreme values are analysed or rejected without a crash")
  func nonFinite() throws {
    let path = try oddTrace()
    for window in [AnalysisWindow(), AnalysisWindow(warmUp: 0.5, to: 2)] {
      _ = try summarize(try TraceReader(path: path), window: window)
      _ = try delayDistribution(try TraceReader(path: path), window: window, points: 3)
      _ = try powerDistribution(try TraceReader(path: path), window: window)
      _ = try queueSeries(try TraceReader(path: path), window: window, bins: 7)
      for format in ExportFormat.allCases {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("odd-\(UUID().uuidString)").path
        let (tables, _) = try exportTables(try TraceReader(path: path), format: format, directory: dir, window: window)
        #expect(tables.count == 6)
        try? FileManager.default.removeItem(atPath: dir)
      }
    }
    let (series, _) = try queueSeries(try TraceReader(path: path), bins: 3)
    var chart = SVGChart(title: "t", xLabel: "x", yLabel: "y", logX: true)
    chart.series = [SVGChart.Series(name: "q", x: series.times, y: series.queueBits[1])]
    _ = chart.render()
  }

  @Test("a pair index beyond the supported range is a ReplayError naming the block offset")
  func hugePair() throws {
    let path = try oddTrace(pair: 4_000_000_000)
    #expect(throws: ReplayError.self) { _ = try summarize(try TraceReader(path: path)) }
    do {
      _ = try delayDistribution(try TraceReader(path: path))
      Issue.record("no error")
    } catch let error as ReplayError {
      #expect(error.message.contains("byte offset"))
    }
  }
}
