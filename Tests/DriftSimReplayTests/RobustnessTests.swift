import Foundation
import DriftSimPlot
import Testing

@testable import DriftSimReplay
@testable import DriftSimTrace

@Suite("Analyses on odd content: errors, never traps")
struct RobustnessTests {
  /// A trace whose records carry non-finite and extreme values and implausible metadata.
  func oddTrace(pair: Int = 1, values: [Double] = [0, -1, .nan, .infinity, -.infinity, 1e300, 5e-324, 1]) throws -> String {
    let path = temporaryTrace("odd.dstrace")
    let header = TraceHeader(
      softwareVersion: "t", scenario: "", seed: 1, level: .all, stateCount: 1,
      metadata: ["pairs": "1e300", "meanPacketBits": "-0"])
    let writer = try TraceWriter(path: path, header: header, blockPayloadBytes: 48, durable: false)
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

  @Test("non-finite and extreme values: rejected as invalid content, analysed under --salvage without a crash")
  func nonFinite() throws {
    let path = try oddTrace()
    do {
      _ = try summarize(try TraceReader(path: path))
      Issue.record("a trace with NaN and negative times was analysed as complete")
    } catch let error as TraceError {
      #expect(error.problem == .invalidContent && error.message.contains("byte offset"), "\(error.message)")
    }
    for window in [AnalysisWindow(), AnalysisWindow(warmUp: 0.5, to: 2)] {
      let (_, integrity) = try summarize(try TraceReader(path: path, salvage: true), window: window)
      #expect(integrity.status == .corrupt)
      _ = try delayDistribution(try TraceReader(path: path, salvage: true), window: window, points: 3)
      _ = try powerDistribution(try TraceReader(path: path, salvage: true), window: window)
      _ = try queueSeries(try TraceReader(path: path, salvage: true), window: window, bins: 7)
      for format in ExportFormat.allCases {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("odd-\(UUID().uuidString)").path
        let (tables, _) = try exportTables(
          try TraceReader(path: path, salvage: true), format: format, directory: dir, window: window)
        #expect(tables.count == 6)
        try? FileManager.default.removeItem(atPath: dir)
      }
    }
    let (series, _) = try queueSeries(try TraceReader(path: path, salvage: true), bins: 3)
    var chart = SVGChart(title: "t", xLabel: "x", yLabel: "y", logX: true)
    chart.series = [SVGChart.Series(name: "q", x: series.times, y: series.queueBits[1])]
    _ = chart.render()
  }

  @Test("a pair index beyond the supported range is a ReplayError naming the block offset")
  func hugePair() throws {
    // No usable "pairs" in the header ("1e300"), so the reader cannot bound the index: the analysis does.
    let path = try oddTrace(pair: 4_000_000_000, values: [0, 0.5, 1, 2])
    #expect(throws: ReplayError.self) { _ = try summarize(try TraceReader(path: path)) }
    do {
      _ = try delayDistribution(try TraceReader(path: path))
      Issue.record("no error")
    } catch let error as ReplayError {
      #expect(error.message.contains("byte offset"))
    }
  }
}
