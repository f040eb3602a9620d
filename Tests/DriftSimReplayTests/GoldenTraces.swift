import Foundation
import Testing

@testable import DriftSimReplay
@testable import DriftSimTrace

/// The golden traces committed in traces/: how they are generated (deterministically).
enum Golden {
  /// traces/ at the root of the package.
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("traces")

  static let networkName = "golden-network-v1.0.dstrace"
  static let ctmcName = "golden-ctmc-v1.0.dstrace"
  static let truncatedName = "golden-truncated-v1.0.dstrace"
  static let corruptName = "golden-corrupt-v1.0.dstrace"
  /// The same network and CTMC traces as written by format 1.1 (the current writer). The 1.0 files
  /// stay to prove that traces of the older minor version still read.
  static let network11Name = "golden-network-v1.1.dstrace"
  static let ctmc11Name = "golden-ctmc-v1.1.dstrace"

  /// 2 pairs, 200 epochs of 10 slots: packets, epochs and slots.
  static var network: SyntheticTrace {
    var g = SyntheticTrace()
    g.pairs = 2
    g.epochs = 200
    g.seed = 20_261_124
    return g
  }

  /// An SIS epidemic of 100 objects over 20 s: jumps and snapshots.
  static var ctmc: SyntheticTrace {
    var g = SyntheticTrace()
    g.epochs = 0
    g.population = 100
    g.ctmcSeconds = 20
    g.seed = 7
    return g
  }

  /// Writes the current-format golden traces into `dir`.
  static func writeCurrent(to dir: URL) throws {
    try Self.network.write(to: dir.appendingPathComponent(network11Name).path, level: [.packets, .epochs, .slots], blockPayloadBytes: 4096)
    try Self.ctmc.write(to: dir.appendingPathComponent(ctmc11Name).path, level: .ctmc, blockPayloadBytes: 4096)
  }

  /// Writes the four format-1.0 golden traces into `dir` (only with a 1.0 writer; kept for history).
  static func write(to dir: URL) throws {
    let network = dir.appendingPathComponent(networkName).path
    try Self.network.write(to: network, level: [.packets, .epochs, .slots], blockPayloadBytes: 4096)
    try Self.ctmc.write(to: dir.appendingPathComponent(ctmcName).path, level: .ctmc, blockPayloadBytes: 4096)
    let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: network)))
    let footer = try #require(try TraceReader(bytes: bytes).footer)
    // Truncated: cut 100 bytes into block 5 (no footer).
    let cut = Int(footer.blocks[5].offset) + 100
    try Data(bytes[0..<cut]).write(to: dir.appendingPathComponent(truncatedName))
    // Corrupt: one bit flipped in the payload of block 2 (its CRC32C fails).
    var corrupt = bytes
    corrupt[Int(footer.blocks[2].offset) + TraceFormat.blockHeaderSize + 17] ^= 0x10
    try Data(corrupt).write(to: dir.appendingPathComponent(corruptName))
  }
}

@Suite("Golden traces", .serialized)
struct GoldenTraceTests {
  @Test("regenerating the golden traces gives byte-identical files")
  func byteIdentical() throws {
    if ProcessInfo.processInfo.environment["DRIFTSIM_WRITE_GOLDEN"] == "1" {
      try Golden.writeCurrent(to: Golden.directory)
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("golden-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try Golden.writeCurrent(to: dir)
    for name in [Golden.network11Name, Golden.ctmc11Name] {
      let fresh = try Data(contentsOf: dir.appendingPathComponent(name))
      let committed = try Data(contentsOf: Golden.directory.appendingPathComponent(name))
      #expect(fresh == committed, "\(name) differs from the committed golden trace")
    }
  }

  @Test("format 1.0 and 1.1 golden traces hold the same records (older minor versions still read)")
  func minorVersionsAgree() throws {
    for (old, new) in [(Golden.networkName, Golden.network11Name), (Golden.ctmcName, Golden.ctmc11Name)] {
      let a = try TraceReader(path: Golden.directory.appendingPathComponent(old).path)
      let b = try TraceReader(path: Golden.directory.appendingPathComponent(new).path)
      #expect(a.header.formatVersion == TraceFormatVersion(major: 1, minor: 0))
      #expect(b.header.formatVersion == TraceFormatVersion(major: 1, minor: 1))
      var payloadsA: [[UInt8]] = []
      var payloadsB: [[UInt8]] = []
      #expect(try a.forEachBlock { payloadsA.append(Array($0.payload)) }.status == .complete)
      #expect(try b.forEachBlock { payloadsB.append(Array($0.payload)) }.status == .complete)
      #expect(payloadsA == payloadsB && !payloadsA.isEmpty)
      #expect(a.footer?.totals == b.footer?.totals)
    }
  }

  @Test("the committed golden traces read with the expected verdicts")
  func verdicts() throws {
    let network = try TraceReader(path: Golden.directory.appendingPathComponent(Golden.networkName).path)
    let integrity = try network.verify()
    #expect(integrity.status == .complete)
    #expect(network.header.metadata["pairs"] == "2")
    #expect((integrity.recordsRead[.slot] ?? 0) == 2 * 200 * 10)
    #expect((integrity.recordsRead[.epoch] ?? 0) == 2 * 200)

    let ctmc = try TraceReader(path: Golden.directory.appendingPathComponent(Golden.ctmcName).path)
    let c = try ctmc.verify()
    #expect(c.status == .complete)
    #expect(ctmc.header.stateCount == 2)
    #expect((c.recordsRead[.ctmcSnapshot] ?? 0) == 201)
    try ctmc.forEachBlock { block in
      guard block.kind == .ctmcSnapshot else { return }
      for i in 0..<block.count {
        #expect(block.snapshotCount(i, state: 0) + block.snapshotCount(i, state: 1) == 100)
      }
    }

    let truncated = try TraceReader(path: Golden.directory.appendingPathComponent(Golden.truncatedName).path)
    #expect(try truncated.verify().status == .truncated)
    let corrupt = try TraceReader(path: Golden.directory.appendingPathComponent(Golden.corruptName).path)
    #expect(throws: TraceError.self) { try corrupt.verify() }
    let salvage = try TraceReader(path: Golden.directory.appendingPathComponent(Golden.corruptName).path, salvage: true)
    let s = try salvage.verify()
    #expect(s.status == .corrupt)
    #expect(s.problems.count == 1)
  }
}
