import Foundation
import Testing

@testable import DriftSimTrace

@Suite("Trace format: round trip and determinism")
struct TraceRoundTripTests {
  @Test("CRC32C matches the standard check value and composes")
  func crcCheckValue() {
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    #expect(CRC32C.checksum([UInt8]()) == 0)
    // 32 zero bytes: a published iSCSI test vector (RFC 3720 B.4).
    #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    let whole = CRC32C.checksum(bytes)
    let split = bytes.withUnsafeBytes { raw in
      CRC32C.update(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<333])), UnsafeRawBufferPointer(rebasing: raw[333...]))
    }
    #expect(whole == split)
  }

  @Test("every record kind round-trips, with header and footer intact")
  func roundTrip() throws {
    let dir = temporaryDirectory()
    let path = dir.appendingPathComponent("all.dstrace").path
    let sample = SampleRecords(n: 101)
    let summary = try sample.write(to: path)
    #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
    #expect(summary.records[.packetArrival] == 101)
    #expect(summary.records[.ctmcSnapshot] == 101)

    let reader = try TraceReader(path: path)
    #expect(reader.header.seed == 0xFEED_BEEF_0000_0001)
    #expect(reader.header.scenario == "{\"model\":\"test\"}")
    #expect(reader.header.metadata == ["pairs": "3"])
    #expect(reader.header.level == .all)
    #expect(reader.header.stateCount == 3)
    #expect(reader.header.timeUnit == "s")
    #expect(reader.header.formatVersion == .current)
    let footer = try #require(reader.footer)
    #expect(footer.totals[.epoch]?.records == 101)
    #expect(footer.totals[.packetDeparture]?.firstTime == 0.75)
    #expect(footer.blocks.count == summary.blocks)
    #expect(!footer.interrupted)

    let back = try ReadBack(reader)
    #expect(back.integrity.status == .complete)
    #expect(back.integrity.verdict == "complete")
    #expect(back.arrivals == sample.arrivals)
    #expect(back.departures == sample.departures)
    #expect(back.epochs == sample.epochs)
    #expect(back.slots == sample.slots)
    #expect(back.jumps == sample.jumps)
    #expect(back.snapshots.map(\.time) == sample.snapshots.map(\.time))
    #expect(back.snapshots.map(\.counts) == sample.snapshots.map(\.counts))
  }

  @Test("binary32 fields round to Float, binary64 fields are exact")
  func precision() throws {
    let path = temporaryDirectory().appendingPathComponent("p.dstrace").path
    let header = TraceHeader(softwareVersion: "t", scenario: "", seed: 1, level: [.packets, .epochs])
    let writer = try TraceWriter(path: path, header: header, durable: false)
    writer.writePacketArrival(pair: 70000, packetID: .max, time: 1.0 / 3.0, bits: 0.1)
    writer.writePacketDeparture(pair: 1, packetID: 5, time: .pi, delay: 1e-3)
    writer.writeEpoch(pair: 2, time: 2.5, queueBits: 1.0 / 7.0, weight: 0.3)
    try writer.finish(interrupted: false)
    let back = try ReadBack(TraceReader(path: path))
    #expect(back.arrivals == [PacketArrival(pair: 70000, packetID: .max, time: 1.0 / 3.0, bits: Double(Float(0.1)))])
    #expect(back.departures == [PacketDeparture(pair: 1, packetID: 5, time: .pi, delay: Double(Float(1e-3)))])
    #expect(back.epochs == [EpochRecord(pair: 2, time: 2.5, queueBits: 1.0 / 7.0, weight: Double(Float(0.3)))])
  }

  @Test("identical input gives identical bytes")
  func deterministicBytes() throws {
    let dir = temporaryDirectory()
    let a = dir.appendingPathComponent("a.dstrace").path
    let b = dir.appendingPathComponent("b.dstrace").path
    let sample = SampleRecords(n: 57)
    try sample.write(to: a, metadata: ["z": "1", "a": "2", "m": "3"])
    try sample.write(to: b, metadata: ["m": "3", "z": "1", "a": "2"])
    let da = try Data(contentsOf: URL(fileURLWithPath: a))
    let db = try Data(contentsOf: URL(fileURLWithPath: b))
    #expect(da == db)
    let c = dir.appendingPathComponent("c.dstrace").path
    try SampleRecords(n: 58).write(to: c)
    #expect(try Data(contentsOf: URL(fileURLWithPath: c)) != da)
  }

  @Test("kinds outside the trace level are not written")
  func levelFiltering() throws {
    let path = temporaryDirectory().appendingPathComponent("lvl.dstrace").path
    let summary = try SampleRecords(n: 20).write(to: path, level: [.packetDepartures, .ctmcJumps])
    #expect(summary.records[.packetArrival] == 0)
    #expect(summary.records[.packetDeparture] == 20)
    let back = try ReadBack(TraceReader(path: path))
    #expect(back.arrivals.isEmpty && back.slots.isEmpty && back.snapshots.isEmpty)
    #expect(back.departures.count == 20 && back.jumps.count == 20)
    #expect(TraceLevel(parsing: "packets, ctmc") == [.packets, .ctmc])
    #expect(TraceLevel(parsing: "slot,epoch") == [.slots, .epochs])
    #expect(TraceLevel(parsing: "packets,bogus") == nil)
  }

  @Test("reader filters by kind and time window without losing blocks")
  func filters() throws {
    let path = temporaryDirectory().appendingPathComponent("f.dstrace").path
    let sample = SampleRecords(n: 200)
    try sample.write(to: path)
    let reader = try TraceReader(path: path)
    reader.kinds = .epochs
    reader.timeWindow = 0.3...0.35
    var times: [Double] = []
    let integrity = try reader.forEachBlock { block in
      #expect(block.kind == .epoch)
      for i in 0..<block.count { times.append(block.time(i)) }
    }
    #expect(integrity.status == .complete)
    let expected = sample.epochs.map(\.time).filter { $0 >= 0.3 && $0 <= 0.35 }
    #expect(Set(expected).isSubset(of: Set(times)))
    #expect(times.count < sample.epochs.count)
  }

  @Test("seeking through the footer index reads exactly the blocks of the window")
  func indexedSeek() throws {
    let path = temporaryDirectory().appendingPathComponent("seek.dstrace").path
    try SampleRecords(n: 300).write(to: path)
    let full = try TraceReader(path: path)
    let footer = try #require(full.footer)
    let window = 0.4...0.45
    // Reference: the blocks the footer says overlap, and their records.
    let expectedBlocks = footer.blocks.filter {
      $0.kind == .slot && $0.lastTime >= window.lowerBound && $0.firstTime <= window.upperBound
    }
    #expect(!expectedBlocks.isEmpty && expectedBlocks.count < footer.blocks.count / 6)
    let reader = try TraceReader(path: path)
    reader.kinds = .slots
    reader.timeWindow = window
    reader.verifySkippedBlocks = false
    var offsets: [UInt64] = []
    var slots: [SlotRecord] = []
    let integrity = try reader.forEachBlock { block in
      offsets.append(block.offset)
      for i in 0..<block.count { slots.append(block.slot(i)) }
    }
    #expect(offsets == expectedBlocks.map(\.offset))
    #expect(integrity.blocksRead == expectedBlocks.count)
    let sample = SampleRecords(n: 300).slots
    #expect(Set(sample.filter { window.contains($0.time) }.map(\.time)).isSubset(of: Set(slots.map(\.time))))
    // A corrupt block inside the window is still detected on this path.
    var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    bytes[Int(expectedBlocks[0].offset) + TraceFormat.blockHeaderSize + 3] ^= 1
    let damaged = try TraceReader(bytes: bytes)
    damaged.kinds = .slots
    damaged.timeWindow = window
    damaged.verifySkippedBlocks = false
    #expect(throws: TraceError.self) { try damaged.forEachBlock { _ in } }
  }

  @Test("misuse is reported by finish(), abandon removes the partial file")
  func misuse() throws {
    let dir = temporaryDirectory()
    let path = dir.appendingPathComponent("m.dstrace").path
    let header = TraceHeader(softwareVersion: "t", scenario: "", seed: 1, level: .ctmc, stateCount: 2)
    let writer = try TraceWriter(path: path, header: header, durable: false)
    writer.writeCTMCSnapshot(time: 0, counts: [1, 2, 3])
    #expect(throws: TraceError.self) { try writer.finish() }
    #expect(!FileManager.default.fileExists(atPath: path))
    #expect(!FileManager.default.fileExists(atPath: path + ".partial"))

    #expect(throws: TraceError.self) {
      _ = try TraceWriter(path: path, header: TraceHeader(softwareVersion: "t", scenario: "", seed: 1, level: .ctmcSnapshots))
    }
    let w2 = try TraceWriter(path: path, header: TraceHeader(softwareVersion: "t", scenario: "", seed: 1, level: .all, stateCount: 1))
    w2.writeCTMCJump(time: 1, transition: 1)
    #expect(FileManager.default.fileExists(atPath: path + ".partial"))
    w2.abandon()
    #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
    #expect(throws: TraceError.self) {
      _ = try TraceWriter(path: dir.appendingPathComponent("no/such/dir/x").path, header: header)
    }
  }

  @Test("interruption: the footer is valid and marks the trace as interrupted")
  func interrupted() throws {
    let path = temporaryDirectory().appendingPathComponent("i.dstrace").path
    TraceInterruption.simulate()
    defer { TraceInterruption.reset() }
    #expect(TraceInterruption.isRequested)
    #expect(TraceInterruption.exitStatus == 130)
    let header = TraceHeader(softwareVersion: "t", scenario: "", seed: 1, level: .packets)
    let writer = try TraceWriter(path: path, header: header, blockPayloadBytes: 48, durable: false)
    for i in 0..<5 { writer.writePacketArrival(pair: 0, packetID: UInt64(i), time: Double(i), bits: 1) }
    let summary = try writer.finish()
    #expect(summary.interrupted)
    let reader = try TraceReader(path: path)
    let integrity = try reader.verify()
    #expect(integrity.status == .complete)
    #expect(integrity.interrupted)
    #expect(integrity.verdict.contains("interrupted"))
  }
}
