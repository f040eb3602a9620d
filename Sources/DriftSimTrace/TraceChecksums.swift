/// Recomputes every CRC32C of a trace held in memory (header, each block header and payload, the
/// footer) after its fields were changed on purpose, so that tests and the content fuzzer reach
/// the reader's content checks instead of stopping at a CRC mismatch. Blocks are found by walking
/// the block headers from the end of the header; the footer through the trailer. Bytes that do
/// not parse as far as that are left unchanged.
func recomputeTraceChecksums(_ bytes: inout [UInt8]) {
  func u32(_ o: Int) -> UInt32 {
    UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
  }
  func u64(_ o: Int) -> UInt64 { UInt64(u32(o)) | UInt64(u32(o + 4)) << 32 }
  func put(_ value: UInt32, at o: Int) {
    for i in 0..<4 { bytes[o + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
  }
  func crc(_ range: Range<Int>) -> UInt32 { bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[range])) } }

  guard bytes.count >= TraceFormat.headerPrefixSize else { return }
  let jsonLength = Int(u32(12))
  let headerEnd = TraceFormat.headerPrefixSize + jsonLength + 4
  guard jsonLength <= TraceFormat.maxHeaderJSONSize, headerEnd <= bytes.count else { return }
  put(crc(0..<(headerEnd - 4)), at: headerEnd - 4)
  var footerStart = bytes.count
  if bytes.count >= headerEnd + TraceFormat.trailerSize {
    let t = bytes.count - TraceFormat.trailerSize
    if u32(t + 12) == TraceFormat.trailerMagic {
      let offset = u64(t)
      let length = UInt64(u32(t + 8))
      if offset >= UInt64(headerEnd), length >= 4, offset + length == UInt64(t) {
        footerStart = Int(offset)
        put(crc(footerStart..<(t - 4)), at: t - 4)
      }
    }
  }
  var pos = headerEnd
  let h = TraceFormat.blockHeaderSize
  while pos + h <= footerStart, u32(pos) == TraceFormat.blockMagic {
    let length = Int(u32(pos + 12))
    guard length <= TraceFormat.maxBlockPayloadSize, pos + h + length <= footerStart else { break }
    put(crc((pos + h)..<(pos + h + length)), at: pos + 32)
    put(crc(pos..<(pos + 36)), at: pos + 36)
    pos += h + length
  }
}
