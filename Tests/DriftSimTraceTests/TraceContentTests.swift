import Foundation
import Testing

@testable import DriftSimTrace

/// Traces whose CRCs are right but whose content is impossible: the reader must say which record
/// is wrong instead of reporting "complete".
@Suite("Trace content validation (CRCs recomputed after each change)")
struct TraceContentTests {
  typealias Fixture = TraceDamageTests.Fixture

  /// Byte offset of field `fieldOffset` of record `record` in the first block of `kind`.
  func offset(_ f: Fixture, _ kind: RecordKind, record: Int, field fieldOffset: Int) throws -> Int {
    let entry = try #require(f.blocks.first { $0.kind == kind })
    let size = kind.recordSize(stateCount: SampleRecords.stateCount)
    return Int(entry.offset) + TraceFormat.blockHeaderSize + record * size + fieldOffset
  }

  func store<T: FixedWidthInteger>(_ value: T, at o: Int, in bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { for (i, b) in $0.enumerated() { bytes[o + i] = b } }
  }

  /// Reads strictly and returns the error (nil when the trace passed).
  func strictError(_ bytes: [UInt8]) -> TraceError? {
    do {
      let reader = try TraceReader(bytes: bytes)
      _ = try reader.verify()
      return nil
    } catch let error as TraceError {
      return error
    } catch {
      return nil
    }
  }

  @Test("the unchanged fixture with recomputed CRCs is complete (the helper changes nothing else)")
  func control() throws {
    var f = try Fixture()
    let original = f.bytes
    recomputeTraceChecksums(&f.bytes)
    #expect(f.bytes == original)
    #expect(strictError(f.bytes) == nil)
  }

  @Test(
    "impossible record values are invalid content naming block, record and byte offset",
    arguments: [
      (RecordKind.packetArrival, 0, UInt64(Double.nan.bitPattern), 8, "time nan"),
      (RecordKind.packetArrival, 0, UInt64(Double.infinity.bitPattern), 8, "time inf"),
      (RecordKind.packetDeparture, 16, UInt64(Float.nan.bitPattern), 4, "delay nan"),
      (RecordKind.packetDeparture, 16, UInt64((-Float(1)).bitPattern), 4, "delay -1.0"),
      (RecordKind.epoch, 8, UInt64((-2.0).bitPattern), 8, "queueBits -2.0"),
      (RecordKind.slot, 8, UInt64(Float.infinity.bitPattern), 4, "power inf"),
      (RecordKind.slot, 20, 3, 4, "pair index 3 is not below the header's pairs = 3"),
      (RecordKind.packetArrival, 20, UInt64(UInt32.max), 4, "pair index 4294967295"),
      (RecordKind.ctmcSnapshot, 8, UInt64(UInt32.max), 4, "count[0] = 2³²−1"),
    ])
  func impossibleValues(kind: RecordKind, field: Int, value: UInt64, width: Int, expected: String) throws {
    var f = try Fixture()
    let o = try offset(f, kind, record: 1, field: field)
    if width == 8 { store(value, at: o, in: &f.bytes) } else { store(UInt32(truncatingIfNeeded: value), at: o, in: &f.bytes) }
    recomputeTraceChecksums(&f.bytes)
    let error = try #require(strictError(f.bytes))
    #expect(error.problem == .invalidContent, "\(error.message)")
    #expect(error.message.contains(expected), "\(error.message)")
    #expect(error.message.contains("(\(kind.name)), record 1"), "\(error.message)")
    #expect(error.offset == UInt64(o), "\(error.message)")
    // Salvage skips that block and keeps every other one.
    let salvage = try TraceReader(bytes: f.bytes, salvage: true)
    let integrity = try salvage.verify()
    #expect(integrity.status == .corrupt && integrity.problems.count == 1)
    #expect(integrity.verdict != "complete")
  }

  @Test("times that decrease inside a block or between blocks of one kind are invalid")
  func ordering() throws {
    var f = try Fixture()
    // Record 1 of the first arrival block goes back before record 0 (header times untouched).
    let o = try offset(f, .packetArrival, record: 1, field: 0)
    store((0.1).bitPattern, at: o, in: &f.bytes)
    recomputeTraceChecksums(&f.bytes)
    let error = try #require(strictError(f.bytes))
    #expect(error.message.contains("before the previous record"), "\(error.message)")

    // A whole later block moved back in time (block header, records and footer entry agree).
    var g = try Fixture()
    let arrivals = g.blocks.enumerated().filter { $0.element.kind == .packetArrival }
    let second = arrivals[1]
    let size = RecordKind.packetArrival.recordSize(stateCount: SampleRecords.stateCount)
    for r in 0..<second.element.count {
      store((0.0).bitPattern, at: Int(second.element.offset) + TraceFormat.blockHeaderSize + r * size, in: &g.bytes)
    }
    store((0.0).bitPattern, at: Int(second.element.offset) + 16, in: &g.bytes)
    store((0.0).bitPattern, at: Int(second.element.offset) + 24, in: &g.bytes)
    recomputeTraceChecksums(&g.bytes)
    let e2 = try #require(strictError(g.bytes))
    #expect(e2.message.contains("nondecreasing") || e2.message.contains("corrupt footer"), "\(e2.message)")
  }

  /// Offset of footer block entry `i`.
  func entryOffset(_ f: Fixture, _ i: Int) -> Int {
    f.footerOffset + TraceFormat.footerPrefixSize + RecordKind.allCases.count * TraceFormat.footerKindEntrySize
      + i * TraceFormat.footerBlockEntrySize
  }

  @Test("footer entries of unknown kind, totals that disagree and counts of 2³²−1 are a corrupt footer")
  func footerContent() throws {
    var unknown = try Fixture()
    unknown.bytes[entryOffset(unknown, 2) + 12] = 42
    recomputeTraceChecksums(&unknown.bytes)
    let reader = try TraceReader(bytes: unknown.bytes)
    #expect(reader.footer == nil)
    #expect(reader.footerProblem?.message.contains("unknown kind code 42") == true, "\(String(describing: reader.footerProblem))")
    #expect(strictError(unknown.bytes)?.problem == .corruptFooter)

    var totals = try Fixture()
    let firstTotal = totals.footerOffset + TraceFormat.footerPrefixSize  // packetArrival records u64
    store(UInt64(13), at: firstTotal, in: &totals.bytes)
    recomputeTraceChecksums(&totals.bytes)
    let t = try TraceReader(bytes: totals.bytes)
    #expect(t.footerProblem?.message.contains("the totals give 13 packetArrival records, the block entries 12") == true)

    var huge = try Fixture()
    store(UInt32.max, at: entryOffset(huge, 0) + 8, in: &huge.bytes)
    recomputeTraceChecksums(&huge.bytes)
    #expect(try TraceReader(bytes: huge.bytes).footerProblem?.problem == .corruptFooter)
    #expect(strictError(huge.bytes) != nil)

    var nanTotal = try Fixture()
    store(Double.nan.bitPattern, at: nanTotal.footerOffset + TraceFormat.footerPrefixSize + 8, in: &nanTotal.bytes)
    recomputeTraceChecksums(&nanTotal.bytes)
    #expect(try TraceReader(bytes: nanTotal.bytes).footerProblem?.problem == .corruptFooter)
  }

  @Test("an index entry moved out of a time window cannot make an indexed read skip a block and say complete")
  func indexedSkip() throws {
    var f = try Fixture()
    // Pretend block 0 lies far in the future: a window read would skip it.
    store((1000.0).bitPattern, at: entryOffset(f, 0) + 16, in: &f.bytes)
    store((1000.0).bitPattern, at: entryOffset(f, 0) + 24, in: &f.bytes)
    recomputeTraceChecksums(&f.bytes)
    let reader = try TraceReader(bytes: f.bytes)
    reader.verifySkippedBlocks = false
    reader.timeWindow = 0...1
    #expect(reader.footer == nil)
    #expect(throws: TraceError.self) { _ = try reader.forEachBlock { _ in } }
  }

  @Test("bytes after a whole trace are trailing data, not truncation")
  func trailingGarbage() throws {
    let f = try Fixture()
    for extra in [[UInt8](repeating: 0, count: 1), Array("garbage".utf8), [UInt8](repeating: 0xAB, count: 5000)] {
      let bytes = f.bytes + extra
      let error = try #require(strictError(bytes))
      #expect(error.problem == .trailingData, "\(error.message)")
      #expect(error.message.hasPrefix("\(extra.count) bytes of trailing data after the end of the trace"), "\(error.message)")
      #expect(error.offset == UInt64(f.bytes.count))
      let salvage = try TraceReader(bytes: bytes, salvage: true)
      let integrity = try salvage.verify()
      #expect(integrity.status == .corrupt && integrity.blocksRead == f.blocks.count)
    }
  }

  @Test("finish(stoppedEarly:) marks the trace; the reason reads back; records and totals are intact")
  func stoppedEarly() throws {
    let path = temporaryDirectory().appendingPathComponent("stopped.dstrace").path
    let header = TraceHeader(softwareVersion: "t", scenario: "{}", seed: 1, level: .packets, metadata: ["pairs": "2"])
    let writer = try TraceWriter(path: path, header: header, blockPayloadBytes: 48, durable: false)
    for i in 0..<5 { writer.writePacketArrival(pair: i % 2, packetID: UInt64(i), time: Double(i), bits: 8) }
    let reason = "queue of pair 1 exceeded maxQueuePackets = 10000 at t = 4 s"
    let summary = try writer.finish(interrupted: false, stoppedEarly: reason)
    #expect(summary.stoppedEarly == reason)
    let reader = try TraceReader(path: path)
    #expect(reader.header.formatVersion == TraceFormatVersion(major: 1, minor: 1))
    #expect(reader.footer?.stoppedEarly == true)
    #expect(reader.stoppedEarly == reason)
    let integrity = try reader.verify()
    #expect(integrity.status == .complete)
    #expect(integrity.stoppedEarly == reason)
    #expect(integrity.verdict == "complete (the run stopped early: \(reason))")
    #expect(integrity.recordsRead[.packetArrival] == 5)
    #expect(reader.footer?.totals[.packetArrival]?.records == 5)
    // The note is one block that a 1.0 reader skips like a kind it does not know: a valid block
    // header with kind 0x80, indexed in the footer.
    #expect(reader.footer?.blocks.last?.kindCode == TraceFormat.noteKindCode)

    // A run that reached its end is not flagged.
    let whole = try TraceWriter(path: path, header: header, durable: false)
    whole.writePacketArrival(pair: 0, packetID: 0, time: 0, bits: 8)
    try whole.finish(interrupted: false)
    let r2 = try TraceReader(path: path)
    #expect(r2.stoppedEarly == nil && r2.footer?.stoppedEarly == false)
    #expect(try r2.verify().verdict == "complete")
  }
}
