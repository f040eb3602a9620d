import CDriftSimCRC32C

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI, ext4 and SSE4.2's crc32
// instruction: init 0xFFFFFFFF, final xor 0xFFFFFFFF. Check value: crc32c("123456789") = 0xE3069283.

/// CRC-32C of byte ranges: the CPU's CRC instructions where it has them (x86-64 SSE4.2, about
/// 10–20 GB/s, module CDriftSimCRC32C), otherwise table-driven slicing-by-8 in Swift (about
/// 1–2 GB/s). Both give the same value; the software path is the reference the tests hold the
/// instruction path to.
public enum CRC32C {
  /// Whether `update` uses the CPU's CRC instructions (decided once per process from CPUID).
  public static let usesHardware: Bool = driftsim_crc32c_hardware_available() != 0

  /// The eight 256-entry lookup tables, flattened (table t at [256·t ..< 256·(t+1)]).
  @usableFromInline
  static let tables: [UInt32] = {
    var t = [UInt32](repeating: 0, count: 8 * 256)
    for i in 0..<256 {
      var c = UInt32(i)
      for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
      t[i] = c
    }
    for i in 0..<256 {
      for k in 1..<8 { t[256 * k + i] = (t[256 * (k - 1) + i] >> 8) ^ t[Int(t[256 * (k - 1) + i] & 0xFF)] }
    }
    return t
  }()

  /// The CRC-32C of `bytes`.
  /// - Complexity: O(bytes.count).
  public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    update(0, bytes)
  }

  /// The CRC-32C of an array of bytes.
  public static func checksum(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBytes { update(0, $0) }
  }

  /// Continues a CRC: `update(checksum(a), b) == checksum(a + b)`; `update(0, b) == checksum(b)`.
  /// Uses the CPU's CRC instructions when `usesHardware`, else `softwareUpdate`.
  public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
    if usesHardware { return driftsim_crc32c_hardware_update(crc, base, bytes.count) }
    return softwareUpdate(crc, bytes)
  }

  /// `update` by slicing-by-8 in Swift, on every CPU: the reference implementation (and the path
  /// on CPUs without CRC instructions). Same contract as `update`.
  public static func softwareUpdate(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
    return tables.withUnsafeBufferPointer { tp in
      let t = tp.baseAddress!
      var c = ~crc
      var p = base
      var n = bytes.count
      while n >= 8 {
        let word = UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)) ^ UInt64(c)
        let lo = UInt32(truncatingIfNeeded: word)
        let hi = UInt32(truncatingIfNeeded: word >> 32)
        c =
          t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
          ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
          ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
          ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
        p += 8
        n -= 8
      }
      while n > 0 {
        c = t[Int((c ^ UInt32(p.load(as: UInt8.self))) & 0xFF)] ^ (c >> 8)
        p += 1
        n -= 1
      }
      return ~c
    }
  }
}
