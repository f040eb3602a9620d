import ArgumentParser
import Foundation
import DriftSimReplay
import DriftSimTrace

/// `driftsim-replay info TRACE`: header, scenario, counts per kind, time range, integrity.
struct InfoCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "info",
    abstract: "Show a trace's header, scenario, record counts, time range and integrity verdict.",
    discussion: """
      Reads every block and verifies every CRC32C. A truncated or corrupt trace is described and then \
      reported as an error (exit 1) unless --salvage is given.
      """)

  @OptionGroup var traceOptions: ReplayTraceOptions
  @OptionGroup var output: ReplayOutputOptions

  /// The JSON document of `info`.
  struct Info: Codable {
    struct Kind: Codable {
      var records: Int
      var recordBytes: Int
      var blocks: Int
      var firstTimeSeconds: Double?
      var lastTimeSeconds: Double?
    }
    struct Integrity: Codable {
      var status: String
      var verdict: String
      var interrupted: Bool
      /// Why the run stopped before its horizon (format 1.1), absent for a whole run.
      var stoppedEarly: String?
      var problems: [Problem]
      var validBytes: UInt64
    }
    struct Problem: Codable {
      var offset: UInt64?
      var message: String
    }
    var path: String
    var fileBytes: UInt64
    var formatVersion: String
    var softwareVersion: String
    var scenario: String
    var seed: UInt64
    var timeUnit: String
    var level: [String]
    var stateCount: Int
    var metadata: [String: String]
    var kinds: [String: Kind]
    var blocks: Int
    var footerBlocks: Int?
    var firstTimeSeconds: Double?
    var lastTimeSeconds: Double?
    var bytesPerRecord: Double?
    var integrity: Integrity
  }

  func run() throws {
    let reader = try traceOptions.open()
    var kinds: [RecordKind: Info.Kind] = [:]
    let integrity = try traceOptions.guarded {
      try reader.forEachBlock { block in
        var k = kinds[block.kind] ?? Info.Kind(records: 0, recordBytes: block.recordSize, blocks: 0)
        k.records += block.count
        k.blocks += 1
        k.firstTimeSeconds = min(k.firstTimeSeconds ?? .infinity, block.firstTime)
        k.lastTimeSeconds = max(k.lastTimeSeconds ?? -.infinity, block.lastTime)
        kinds[block.kind] = k
      }
    }
    let h = reader.header
    for kind in h.level.kinds where kinds[kind] == nil {
      kinds[kind] = Info.Kind(records: 0, recordBytes: h.recordSize(kind), blocks: 0)
    }
    let total = kinds.values.reduce(0) { $0 + $1.records }
    let info = Info(
      path: traceOptions.trace, fileBytes: reader.fileSize, formatVersion: h.formatVersion.description,
      softwareVersion: h.softwareVersion, scenario: h.scenario, seed: h.seed, timeUnit: h.timeUnit,
      level: h.level.kinds.map(\.name), stateCount: h.stateCount, metadata: h.metadata,
      kinds: Dictionary(uniqueKeysWithValues: kinds.map { ($0.key.name, $0.value) }),
      blocks: integrity.blocksRead, footerBlocks: reader.footer?.blocks.count,
      firstTimeSeconds: kinds.values.compactMap(\.firstTimeSeconds).min(),
      lastTimeSeconds: kinds.values.compactMap(\.lastTimeSeconds).max(),
      bytesPerRecord: total > 0 ? Double(reader.fileSize) / Double(total) : nil,
      integrity: .init(
        status: integrity.status.rawValue, verdict: integrity.verdict, interrupted: integrity.interrupted,
        stoppedEarly: integrity.stoppedEarly, problems: integrity.problems.map { .init(offset: $0.offset, message: $0.message) },
        validBytes: integrity.validEnd))

    output.report("trace:     \(info.path) (\(info.fileBytes) bytes, format \(info.formatVersion))")
    output.report("software:  \(info.softwareVersion)")
    output.report("seed:      \(info.seed)")
    output.report("level:     \(info.level.joined(separator: ", "))\(h.stateCount > 0 ? " (\(h.stateCount) CTMC states)" : "")")
    output.report("time:      \(fmt(info.firstTimeSeconds)) .. \(fmt(info.lastTimeSeconds)) \(info.timeUnit)")
    for key in info.metadata.keys.sorted() { output.report("meta:      \(key) = \(info.metadata[key]!)") }
    var rows = [["kind", "records", "blocks", "bytes/record", "first (s)", "last (s)"]]
    for kind in RecordKind.allCases {
      guard let k = kinds[kind] else { continue }
      rows.append([kind.name, "\(k.records)", "\(k.blocks)", "\(k.recordBytes)", fmt(k.firstTimeSeconds), fmt(k.lastTimeSeconds)])
    }
    output.report(table(rows))
    output.report("integrity: \(integrity.verdict)")
    output.report("scenario:  \(info.scenario)")
    try output.writeJSON(info)
    try traceOptions.check(integrity, output: output)
  }
}
