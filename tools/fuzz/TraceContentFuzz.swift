#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// libFuzzer target for the trace reader's *content* checks. Compiled together with
// Sources/DriftSimTrace/*.swift as the module `Trace` by tools/fuzz/run-trace-content-fuzz.sh.
//
// The input is not a trace: it is a program of mutations applied to a valid trace built at start-up
// (3 pairs, every kind, small blocks). Each 8-byte instruction picks a block, a record, a field and
// a value (a special value — NaN, ±∞, −1, 2³²−1, … — or 4 raw bytes), writes it, and after all
// instructions every CRC is recomputed (`recomputeTraceChecksums`), so only the content checks can
// catch the change. Oracle: when an instruction wrote a value that is impossible in any context
// (a non-finite or negative time, a NaN/∞/negative delay, power, queue, a NaN weight, a pair index
// ≥ the header's pairs, a count of 2³²−1 or above the population), a strict read must not say
// "complete" — otherwise the target traps and libFuzzer saves the input. Any crash or hang fails too.

/// The valid trace every input mutates (built once).
let contentFuzzSeed: [UInt8] = {
  let path = "/tmp/driftsim-content-fuzz-seed-\(getpid()).dstrace"
  let header = TraceHeader(
    softwareVersion: "content-fuzz", scenario: "{}", seed: 1, level: .all, stateCount: 3,
    metadata: ["pairs": "3", "population": "50"])
  guard let writer = try? TraceWriter(path: path, header: header, blockPayloadBytes: 96, durable: false) else {
    fatalError("cannot create the seed trace at \(path)")
  }
  for i in 0..<40 {
    let t = Double(i) * 0.01
    writer.writePacketArrival(pair: i % 3, packetID: UInt64(i), time: t, bits: 1000)
    writer.writePacketDeparture(pair: i % 3, packetID: UInt64(i), time: t + 0.005, delay: 0.005)
    writer.writeEpoch(pair: i % 3, time: t, queueBits: Double(i) * 10, weight: 0.5)
    writer.writeSlot(pair: i % 3, time: t, power: 1, sinr: 2, bitsServed: 100)
    writer.writeCTMCJump(time: t, transition: i % 4)
    writer.writeCTMCSnapshot(time: t, counts: [10, 20, 20])
  }
  _ = try? writer.finish(interrupted: false)
  guard let reader = try? TraceReader(path: path), let bytes = try? readAll(path), reader.footer != nil else {
    fatalError("cannot read the seed trace")
  }
  unlink(path)
  return bytes
}()

func readAll(_ path: String) throws -> [UInt8] {
  let fd = open(path, O_RDONLY)
  guard fd >= 0 else { throw TraceError(.io, "open") }
  defer { close(fd) }
  var bytes: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 1 << 16)
  while true {
    let n = read(fd, &chunk, chunk.count)
    if n <= 0 { break }
    bytes += chunk[0..<n]
  }
  return bytes
}

/// The footer's block entries of the seed (known kinds only).
let contentFuzzBlocks: [TraceFooter.BlockEntry] = {
  guard let reader = try? TraceReader(bytes: contentFuzzSeed), let footer = reader.footer else { return [] }
  return footer.blocks.filter { $0.kind != nil }
}()

/// Special values, as raw 64-bit patterns (binary64) or 32-bit patterns (binary32, integers).
let specials64: [UInt64] = [
  Double.nan.bitPattern, Double.infinity.bitPattern, (-Double.infinity).bitPattern, (-1.0).bitPattern, (-0.0).bitPattern,
  (1e300).bitPattern, (5e-324).bitPattern, 0, UInt64.max,
]
let specials32: [UInt32] = [
  Float.nan.bitPattern, Float.infinity.bitPattern, (-Float.infinity).bitPattern, (-Float(1)).bitPattern, 0, 3, 4,
  UInt32.max, 51, 1 << 31,
]

/// Whether `raw` written to `field` is impossible whatever the neighbouring records hold.
func impossible(_ field: RecordField, raw: UInt64) -> Bool {
  switch (field.name, field.type) {
  case ("time", _):
    let v = Double(bitPattern: raw)
    return !v.isFinite || v < 0
  case ("queueBits", _):
    let v = Double(bitPattern: raw)
    return !v.isFinite || v < 0
  case ("bits", _), ("delay", _), ("power", _), ("sinr", _), ("bitsServed", _):
    let v = Float(bitPattern: UInt32(truncatingIfNeeded: raw))
    return !v.isFinite || v < 0
  case ("weight", _): return Float(bitPattern: UInt32(truncatingIfNeeded: raw)).isNaN
  case ("pair", _): return UInt32(truncatingIfNeeded: raw) >= 3
  case ("counts", _): return UInt32(truncatingIfNeeded: raw) > 50
  default: return false
  }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func traceContentFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  guard !contentFuzzBlocks.isEmpty else { return 0 }
  var bytes = contentFuzzSeed
  var mustFail: String?
  var mutated: [(kind: String, field: RecordField, offset: Int, wide: Bool)] = []
  var i = 0
  while i + 8 <= size, i < 8 * 16 {
    let entry = contentFuzzBlocks[Int(data[i]) % contentFuzzBlocks.count]
    guard let kind = entry.kind else { i += 8; continue }
    let record = Int(data[i + 1]) % entry.count
    let fields = kind.fields(stateCount: 3)
    let field = fields[Int(data[i + 2]) % fields.count]
    let element = Int(data[i + 3] >> 4) % field.count
    let wide = field.type.hasSuffix("8")
    let choice = Int(data[i + 3] & 0x0F)
    let rawBytes = UInt64(data[i + 4]) | UInt64(data[i + 5]) << 8 | UInt64(data[i + 6]) << 16 | UInt64(data[i + 7]) << 24
    let raw: UInt64 =
      wide
      ? (choice < specials64.count ? specials64[choice] : rawBytes | rawBytes << 32)
      : UInt64(choice < specials32.count ? specials32[choice] : UInt32(truncatingIfNeeded: rawBytes))
    let recordSize = kind.recordSize(stateCount: 3)
    let offset = Int(entry.offset) + TraceFormat.blockHeaderSize + record * recordSize + field.offset + element * (wide ? 8 : 4)
    for b in 0..<(wide ? 8 : 4) { bytes[offset + b] = UInt8(truncatingIfNeeded: raw >> (8 * UInt64(b))) }
    if field.name == "time" {
      // Keep the block header's range consistent with its records, as a careful forger would.
      let first = Int(entry.offset) + TraceFormat.blockHeaderSize
      let last = first + (entry.count - 1) * recordSize
      for b in 0..<8 {
        bytes[Int(entry.offset) + 16 + b] = bytes[first + b]
        bytes[Int(entry.offset) + 24 + b] = bytes[last + b]
      }
    }
    mutated.append((kind.name, field, offset, wide))
    i += 8
  }
  // Judge the bytes as they end up: a later mutation may overwrite an earlier one at the same
  // place (with a plausible value), so the oracle reads each mutated field back.
  for (kindName, field, offset, wide) in mutated {
    var raw: UInt64 = 0
    for b in 0..<(wide ? 8 : 4) { raw |= UInt64(bytes[offset + b]) << (8 * UInt64(b)) }
    if impossible(field, raw: raw) {
      mustFail = "\(kindName).\(field.name) = \(String(raw, radix: 16)) at byte \(offset)"
      break
    }
  }
  recomputeTraceChecksums(&bytes)
  for salvage in [false, true] {
    guard let reader = try? TraceReader(bytes: bytes, name: "content-fuzz", salvage: salvage) else { continue }
    let integrity = try? reader.verify()
    if !salvage, let mustFail, let integrity, integrity.status == .complete {
      fatalError("content check missed an impossible value (\(mustFail)); the reader said '\(integrity.verdict)'")
    }
    reader.verifySkippedBlocks = false
    reader.kinds = [.packets]
    reader.timeWindow = 0.1...0.2
    _ = try? reader.forEachBlock { block in _ = block.time(0) }
  }
  return 0
}
