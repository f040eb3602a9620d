import ArgumentParser
import Foundation
import DriftSimReplay
import DriftSimStats
import DriftSimTrace

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// `driftsim-replay bench`: trace write and read throughput, and memory use.
struct ReplayBenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Benchmark trace writing, verification and `summary` reading (records/s, MB/s, peak memory).",
    discussion: """
      Writes a synthetic packet-level trace (arrivals, departures and slots of 4 pairs, 24 bytes per \
      record) with TraceWriter, then verifies it (CRC32C of every block) and runs the summary \
      analysis on it, each --repetitions times; prints the median of each figure. Each write \
      repetition writes a new file (the previous one is deleted before the clock starts). Peak resident \
      memory (max RSS) is printed after each phase: it stays flat as --records grows because reading \
      and writing hold one block per kind. Use a release build:
        swift build -c release --scratch-path .build-trace
        .build-trace/release/driftsim-replay bench --records 45000000   # ≈ 1 GB
      With --until-interrupted the writer runs until SIGINT/SIGTERM (but never past --records \
      records), then finishes the trace (valid footer marked 'interrupted') and exits with status \
      128 + signal (tests use this); reaching --records without a signal is an error (exit 1).
      """)

  @Option(name: .long, help: "Records per trace.")
  var records = 5_000_000

  @Option(name: .long, help: "Runs of each phase (median reported).")
  var repetitions = 3

  @Option(name: .long, help: ArgumentHelp("Directory for the trace file.", valueName: "DIR"))
  var directory: String = NSTemporaryDirectory()

  @Flag(name: .long, help: "Keep the trace file instead of deleting it.")
  var keep = false

  @Flag(name: .customLong("until-interrupted"), help: "Write until SIGINT/SIGTERM, then finish the trace and exit 130/143.")
  var untilInterrupted = false

  @OptionGroup var output: ReplayOutputOptions

  func validate() throws {
    guard records >= 1000 else { throw ValidationError("--records must be ≥ 1000, got \(records)") }
    guard repetitions >= 1 else { throw ValidationError("--repetitions must be ≥ 1, got \(repetitions)") }
  }

  /// The JSON document of `bench`.
  struct Result: Codable {
    var records: Int
    var repetitions: Int
    var fileBytes: UInt64
    var bytesPerRecord: Double
    var writeRecordsPerSecond: Double
    var writeMBPerSecond: Double
    var verifyRecordsPerSecond: Double
    var summaryRecordsPerSecond: Double
    var summaryMBPerSecond: Double
    var maxRSSBytesAfterWrite: Int
    var maxRSSBytesAfterRead: Int
    var debugBuild: Bool
    var writeSeconds: [Double]
    var verifySeconds: [Double]
    var summarySeconds: [Double]
  }

  func run() throws {
    #if DEBUG
      let debugBuild = true
      output.progress("warning: this is a debug build; benchmark figures are only meaningful in release builds")
    #else
      let debugBuild = false
    #endif
    let path = (directory as NSString).appendingPathComponent("driftsim-bench-\(getpid()).dstrace")
    if untilInterrupted {
      TraceInterruption.install()
      let summary = try writeTrace(path: path, records: records)
      let count = summary.records.values.reduce(0, +)
      guard TraceInterruption.isRequested else {
        if !keep { unlink(path) }
        throw ReplayInputError("no SIGINT/SIGTERM arrived within \(count) records (--records caps the run)")
      }
      output.report("interrupted after \(count) records; trace at \(path)")
      throw ExitCode(TraceInterruption.exitStatus)
    }
    defer { if !keep { unlink(path) } }
    var writeTimes: [Double] = []
    var verifyTimes: [Double] = []
    var summaryTimes: [Double] = []
    var fileBytes: UInt64 = 0
    for r in 0..<repetitions {
      // Every repetition writes a new file, as the first does: replacing the previous repetition's
      // trace by the rename in `finish()` would time the file system instead of the writer (ext4
      // flushes a file renamed over another and frees the old file's blocks inside rename(2):
      // 0.13–0.21 s for a 240 MB trace here, more than the writing itself).
      unlink(path)
      let t0 = now()
      let s = try writeTrace(path: path, records: records)
      writeTimes.append(now() - t0)
      fileBytes = s.bytes
      output.progress("write \(r + 1)/\(repetitions): \(rate(records, writeTimes.last!)) records/s")
    }
    let rssWrite = maxRSS()
    for r in 0..<repetitions {
      let reader = try TraceReader(path: path)
      let t0 = now()
      let integrity = try reader.verify()
      verifyTimes.append(now() - t0)
      guard integrity.status == .complete else { throw ReplayInputError("benchmark trace is \(integrity.verdict)") }
      output.progress("verify \(r + 1)/\(repetitions): \(rate(records, verifyTimes.last!)) records/s")
    }
    for r in 0..<repetitions {
      let reader = try TraceReader(path: path)
      let t0 = now()
      let (report, _) = try summarize(reader)
      summaryTimes.append(now() - t0)
      guard report.overall.packetsOut > 0 else { throw ReplayInputError("benchmark summary saw no departures") }
      output.progress("summary \(r + 1)/\(repetitions): \(rate(records, summaryTimes.last!)) records/s")
    }
    let rssRead = maxRSS()
    let w = median(writeTimes)!, v = median(verifyTimes)!, s = median(summaryTimes)!
    let mb = Double(fileBytes) / 1e6
    let result = Result(
      records: records, repetitions: repetitions, fileBytes: fileBytes, bytesPerRecord: Double(fileBytes) / Double(records),
      writeRecordsPerSecond: Double(records) / w, writeMBPerSecond: mb / w, verifyRecordsPerSecond: Double(records) / v,
      summaryRecordsPerSecond: Double(records) / s, summaryMBPerSecond: mb / s, maxRSSBytesAfterWrite: rssWrite,
      maxRSSBytesAfterRead: rssRead, debugBuild: debugBuild, writeSeconds: writeTimes, verifySeconds: verifyTimes,
      summarySeconds: summaryTimes)
    output.report(
      "trace: \(records) records, \(fileBytes) bytes (\(fmt(result.bytesPerRecord)) bytes/record); medians of \(repetitions) runs")
    output.report("write:   \(fmt(result.writeRecordsPerSecond / 1e6)) M records/s, \(fmt(result.writeMBPerSecond)) MB/s")
    output.report("verify:  \(fmt(result.verifyRecordsPerSecond / 1e6)) M records/s")
    output.report("summary: \(fmt(result.summaryRecordsPerSecond / 1e6)) M records/s, \(fmt(result.summaryMBPerSecond)) MB/s")
    output.report("max RSS: \(fmt(Double(rssWrite) / 1e6)) MB after writing, \(fmt(Double(rssRead) / 1e6)) MB after reading")
    try output.writeJSON(result)
  }

  /// Writes `records` records: per step one slot record for each of 4 pairs, and Poisson-like
  /// arrivals and departures (each about every 4 slots), 24 bytes each.
  private func writeTrace(path: String, records: Int) throws -> TraceWriteSummary {
    let header = TraceHeader(
      softwareVersion: "driftsim-replay bench", scenario: "{\"bench\":true}", seed: 1, level: [.packets, .slots],
      metadata: ["pairs": "4", "meanPacketBits": "1000"])
    let writer = try TraceWriter(path: path, header: header, durable: false)
    var written = 0
    var step = 0
    var id: UInt64 = 0
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    let slot = 1e-4
    while written < records {
      let t = Double(step) * slot
      for k in 0..<4 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let u = Int(state >> 54)  // 0..<1024
        writer.writeSlot(pair: k, time: t, power: Double(u & 15), sinr: Double(u) * 0.01, bitsServed: Double(u & 255))
        written += 1
        if u & 3 == 0 {
          id += 1
          writer.writePacketArrival(pair: k, packetID: id, time: t, bits: Double(1000 + u))
          writer.writePacketDeparture(pair: k, packetID: id, time: t + slot, delay: slot * Double(1 + (u >> 2)))
          written += 2
        }
      }
      step += 1
      if step & 1023 == 0, TraceInterruption.isRequested || writer.failure != nil { break }
    }
    do {
      return try writer.finish()
    } catch let error as TraceError {
      throw ReplayInputError(error.message)
    }
  }

  private func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
  }

  private func maxRSS() -> Int {
    var usage = rusage()
    #if os(Linux)
      getrusage(RUSAGE_SELF.rawValue, &usage)
      return Int(usage.ru_maxrss) * 1024  // kilobytes on Linux
    #else
      getrusage(RUSAGE_SELF, &usage)
      return Int(usage.ru_maxrss)  // bytes on macOS
    #endif
  }

  private func rate(_ n: Int, _ seconds: Double) -> String { fmt(Double(n) / seconds) }
}
