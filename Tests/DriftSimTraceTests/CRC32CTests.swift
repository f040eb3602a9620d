import Foundation
import Testing

@testable import DriftSimTrace

/// The CRC-32C of `bytes` bit by bit, straight from the definition (reflected polynomial
/// 0x82F63B78, init and final xor 0xFFFFFFFF): an implementation independent of both library paths.
private func bitwiseCRC32C(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
  var c: UInt32 = 0xFFFF_FFFF
  for byte in bytes {
    c ^= UInt32(byte)
    for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
  }
  return ~c
}

@Suite("CRC-32C: the instruction path against the software reference")
struct CRC32CTests {
  /// `count` pseudo-random bytes.
  private func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var g = SplitMix64(state: seed)
    return (0..<count).map { _ in UInt8(truncatingIfNeeded: g.next()) }
  }

  @Test("the check value and published vectors, on both paths")
  func checkValues() {
    let digits = Array("123456789".utf8)
    #expect(CRC32C.checksum(digits) == 0xE306_9283)
    digits.withUnsafeBytes { raw in
      #expect(CRC32C.softwareUpdate(0, raw) == 0xE306_9283)
      #expect(bitwiseCRC32C(raw) == 0xE306_9283)
    }
    // 32 zero bytes and 32 0xFF bytes: iSCSI test vectors (RFC 3720 B.4).
    #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    #expect(CRC32C.checksum([UInt8]()) == 0)
    #expect(CRC32C.update(0x1234_5678, UnsafeRawBufferPointer(start: nil, count: 0)) == 0x1234_5678)
  }

  @Test("the instruction path is used exactly when the CPU has SSE4.2 (Linux x86-64)")
  func dispatch() throws {
    #if os(Linux) && arch(x86_64)
      let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
      let flags = cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") }.map { $0.split(separator: " ") } ?? []
      #expect(CRC32C.usesHardware == flags.contains("sse4_2"))
    #elseif !arch(x86_64)
      #expect(!CRC32C.usesHardware)
    #endif
  }

  @Test("every length 0…200 and random lengths up to 10 000, at every alignment 0…15")
  func lengthsAndAlignments() {
    let buffer = randomBytes(10_000 + 16, seed: 1)
    var g = SplitMix64(state: 2)
    // Every short length (all tail paths), the 3-lane round boundaries (3 KiB rounds), and randoms.
    var lengths = Array(0...200)
    for round in 1...3 { lengths += [3072 * round - 1, 3072 * round, 3072 * round + 1, 3072 * round + 7] }
    lengths += (0..<120).map { _ in g.below(10_001) }
    buffer.withUnsafeBytes { raw in
      for alignment in 0..<16 {
        for length in lengths {
          let slice = UnsafeRawBufferPointer(rebasing: raw[alignment..<(alignment + length)])
          let reference = CRC32C.softwareUpdate(0, slice)
          #expect(CRC32C.checksum(slice) == reference, "length \(length), alignment \(alignment)")
          if length <= 200 || alignment == 0 {
            #expect(bitwiseCRC32C(slice) == reference, "length \(length), alignment \(alignment)")
          }
        }
      }
    }
  }

  @Test("`update` continues a CRC across any split, on both paths")
  func continuation() {
    let bytes = randomBytes(70_000, seed: 3)
    var g = SplitMix64(state: 4)
    bytes.withUnsafeBytes { raw in
      let whole = CRC32C.softwareUpdate(0, raw)
      #expect(CRC32C.checksum(raw) == whole)
      for _ in 0..<64 {
        // Two to five pieces at random cut points.
        var cuts = (0..<(1 + g.below(4))).map { _ in g.below(raw.count + 1) }
        cuts = [0] + cuts.sorted() + [raw.count]
        var crc: UInt32 = 0
        var soft: UInt32 = 0
        for (a, b) in zip(cuts, cuts.dropFirst()) {
          let piece = UnsafeRawBufferPointer(rebasing: raw[a..<b])
          crc = CRC32C.update(crc, piece)
          soft = CRC32C.softwareUpdate(soft, piece)
        }
        #expect(crc == whole, "cuts \(cuts)")
        #expect(soft == whole, "cuts \(cuts)")
      }
    }
  }

  @Test("trace-sized buffers (64 KiB blocks, 1 MiB) and patterns match the reference")
  func longBuffers() {
    for (count, seed) in [(65_536, UInt64(5)), (65_536 + 40, 6), (1 << 20, 7), (200_003, 8)] {
      let bytes = randomBytes(count, seed: seed)
      bytes.withUnsafeBytes { raw in
        #expect(CRC32C.checksum(raw) == CRC32C.softwareUpdate(0, raw), "\(count) bytes")
      }
    }
    for pattern: UInt8 in [0x00, 0xFF, 0x80, 0x01] {
      let bytes = [UInt8](repeating: pattern, count: 3 * 1024 * 7 + 13)
      bytes.withUnsafeBytes { raw in
        #expect(CRC32C.checksum(raw) == CRC32C.softwareUpdate(0, raw), "pattern \(pattern)")
        #expect(CRC32C.checksum(raw) == bitwiseCRC32C(raw), "pattern \(pattern)")
      }
    }
  }
}
