import Foundation
import Testing

@testable import DriftSimTrace

/// Damaged inputs: truncation anywhere, single bit flips everywhere, foreign files, newer versions.
@Suite("Trace format: damage detection and salvage")
struct TraceDamageTests {
  /// A small finished trace (many blocks) and its block layout from the footer.
  struct Fixture {
    var bytes: [UInt8]
    var dataOffset: Int
    var footerOffset: Int
    var blocks: [TraceFooter.BlockEntry]
    var totalRecords: Int

    init() throws {
      let path = temporaryDirectory().appendingPathComponent("fixture.dstrace").path
      try SampleRecords(n: 12).write(to: path, blockPayloadBytes: 72)
      bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
      let reader = try TraceReader(bytes: bytes)
      dataOffset = Int(reader.dataOffset)
      let footer = try #require(reader.footer)
      footerOffset = Int(footer.offset)
      blocks = footer.blocks
      totalRecords = blocks.reduce(0) { $0 + $1.count }
    }

    /// Records in blocks that end at or before `cut`.
    func recordsBefore(_ cut: Int) -> Int {
      var total = 0
      for (i, b) in blocks.enumerated() {
        let end = i + 1 < blocks.count ? Int(blocks[i + 1].offset) : footerOffset
        if end <= cut { total += b.count }
      }
      return total
    }

    /// The block containing byte `offset`, if any.
    func block(containing offset: Int) -> Int? {
      blocks.indices.last { Int(blocks[$0].offset) <= offset && offset < footerOffset }
    }
  }

  @Test("truncation at every byte: an error in the header, otherwise 'truncated' with the whole blocks")
  func truncationEverywhere() throws {
    let f = try Fixture()
    #expect(f.blocks.count > 10)
    for cut in 0..<f.bytes.count {
      let prefix = Array(f.bytes[0..<cut])
      if cut < f.dataOffset {
        #expect(throws: TraceError.self) { _ = try TraceReader(bytes: prefix) }
        continue
      }
      let reader = try TraceReader(bytes: prefix)
      #expect(reader.footer == nil)
      var delivered = 0
      let integrity = try reader.forEachBlock { delivered += $0.count }
      #expect(integrity.status == .truncated, "cut at \(cut)")
      #expect(delivered == f.recordsBefore(cut), "cut at \(cut)")
      let isBoundary = f.blocks.contains { Int($0.offset) == cut } || cut == f.footerOffset
      if isBoundary {
        #expect(integrity.validEnd == UInt64(cut))
      }
      #expect(integrity.firstProblem?.problem == .truncated)
      #expect(integrity.verdict.contains("byte offset"))
      // Salvage mode reads the same records.
      var salvaged = 0
      _ = try TraceReader(bytes: prefix, salvage: true).forEachBlock { salvaged += $0.count }
      #expect(salvaged == delivered)
    }
  }

  @Test("a flipped bit anywhere is detected and located; salvage keeps every other block")
  func bitFlipsEverywhere() throws {
    let f = try Fixture()
    for offset in 0..<f.bytes.count {
      var damaged = f.bytes
      damaged[offset] ^= UInt8(1 << (offset % 8))
      if offset < f.dataOffset {
        #expect(throws: TraceError.self, "header byte \(offset)") { _ = try TraceReader(bytes: damaged) }
        continue
      }
      let reader = try TraceReader(bytes: damaged)
      if offset < f.footerOffset {
        let blockIndex = try #require(f.block(containing: offset))
        let start = f.blocks[blockIndex].offset
        do {
          try reader.forEachBlock { _ in }
          Issue.record("flip at \(offset) not detected")
        } catch let error as TraceError {
          #expect(error.problem == .corruptBlock)
          #expect(error.offset == start, "flip at \(offset)")
          #expect(error.message.contains("block \(blockIndex)"))
        }
        var salvaged = 0
        let integrity = try TraceReader(bytes: damaged, salvage: true).forEachBlock { salvaged += $0.count }
        #expect(integrity.status == .corrupt)
        #expect(integrity.problems.first?.offset == start)
        #expect(salvaged == f.totalRecords - f.blocks[blockIndex].count, "flip at \(offset)")
      } else {
        // Footer or trailer: every block is still intact, but the trace is not reported complete.
        var delivered = 0
        let salvage = try TraceReader(bytes: damaged, salvage: true)
        let integrity = try salvage.forEachBlock { delivered += $0.count }
        #expect(integrity.status != .complete, "flip at \(offset)")
        #expect(delivered == f.totalRecords)
        if offset < f.bytes.count - TraceFormat.trailerSize {
          #expect(reader.footerProblem?.problem == .corruptFooter)
          #expect(throws: TraceError.self) { try reader.forEachBlock { _ in } }
        }
      }
    }
  }

  @Test("foreign files, empty files and newer versions give one-line errors")
  func foreignInput() throws {
    func message(_ bytes: [UInt8]) -> TraceError? {
      do {
        _ = try TraceReader(bytes: bytes, name: "x")
        return nil
      } catch let e as TraceError { return e } catch { return nil }
    }
    #expect(message([])?.problem == .notATrace)
    #expect(message(Array("hello, world, this is text".utf8))?.problem == .notATrace)
    #expect(message(Array("DRIFT".utf8))?.problem == .truncated)

    let f = try Fixture()
    var newer = f.bytes
    newer[8] = 2  // major version 2
    let error = try #require(message(newer))
    #expect(error.problem == .unsupportedVersion)
    #expect(error.message.contains("format 2.\(TraceFormat.minorVersion)"))
    #expect(!error.message.contains("\n"))

    // An older-or-equal major with a newer minor is read (the CRC must match the changed byte).
    var newerMinor = f.bytes
    newerMinor[10] = 7
    let headerEnd = f.dataOffset
    let crc = newerMinor.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(headerEnd - 4)])) }
    withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { newerMinor[headerEnd - 4 + i] = $0[i] } }
    let reader = try TraceReader(bytes: newerMinor)
    #expect(reader.header.formatVersion == TraceFormatVersion(major: 1, minor: 7))
    #expect(try reader.verify().status == .complete)

    #expect(throws: TraceError.self) { _ = try TraceReader(path: "/nonexistent/trace.dstrace") }
    #expect(throws: TraceError.self) { _ = try TraceReader(path: "/tmp") }
  }

  @Test("a destroyed block header is skipped by resynchronising on the next block")
  func resynchronisation() throws {
    let f = try Fixture()
    var damaged = f.bytes
    let target = 3
    let start = Int(f.blocks[target].offset)
    for i in 0..<TraceFormat.blockHeaderSize { damaged[start + i] = 0xAA }
    var salvaged = 0
    let integrity = try TraceReader(bytes: damaged, salvage: true).forEachBlock { salvaged += $0.count }
    #expect(integrity.status == .corrupt)
    #expect(integrity.problems.first?.offset == UInt64(start))
    #expect(salvaged == f.totalRecords - f.blocks[target].count)
  }
}
