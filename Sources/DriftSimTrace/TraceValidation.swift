// Content checks of trace records against the header and the footer: a block whose CRCs match can
// still hold impossible values (a writer bug, or bytes changed and re-checksummed), and analyses
// must not report such a trace as "complete".

/// The rule a record field obeys, looked up by field name in `RecordKind.fields` — the one table
/// of record layouts — so a new field needs one line here, not a new decoder.
enum FieldRule {
  /// Seconds since the start of the run: finite, ≥ 0, nondecreasing within a kind.
  case time
  /// A finite amount ≥ 0 (bits, seconds of delay, power, SINR, bits served).
  case nonNegative
  /// Any number but NaN (policy weights may be ±∞ at an empty queue).
  case notNaN
  /// A pair index < the header's `pairs`.
  case pair
  /// A population count ≤ the header's `population`.
  case count
  /// Any value (identifiers).
  case any

  static func of(_ field: String) -> FieldRule {
    switch field {
    case "time": .time
    case "bits", "delay", "queueBits", "power", "sinr", "bitsServed": .nonNegative
    case "weight": .notNaN
    case "pair": .pair
    case "counts": .count
    default: .any
    }
  }
}

/// How a field's bytes are read, compiled once from its numpy type string so the per-record loop
/// compares no strings (string tests per field were 60 % of `driftsim-replay` verify time).
enum FieldEncoding {
  /// "<f8": binary64.
  case float64
  /// "<f4": binary32.
  case float32
  /// "<u8": unsigned 64-bit integer.
  case unsigned64
  /// Any other type (today "<u4"): unsigned 32-bit integer.
  case unsigned32

  init(_ type: String) {
    switch type {
    case "<f8": self = .float64
    case "<f4": self = .float32
    case "<u8": self = .unsigned64
    default: self = .unsigned32
    }
  }
}

/// One field of a record layout, compiled for the content checks (no strings: the name is kept
/// apart, for messages only).
struct CompiledField {
  /// Byte offset of element 0 in the record.
  var offset: Int
  /// Bytes between elements: 8 for a type ending in "8", else 4.
  var stride: Int
  var encoding: FieldEncoding
  var rule: FieldRule
  /// Elements (the `counts` of snapshots have one per state).
  var count: Int
}

/// Checks records block by block; keeps the last time of each kind to check ordering across blocks.
struct ContentValidator {
  /// Pair indices must be below this (header metadata `pairs`), when known.
  let pairs: Int?
  /// Snapshot counts must not exceed this (header metadata `population`), when known.
  let population: UInt32?
  /// Per kind raw value: the compiled field rules.
  private var layouts: [[CompiledField]]
  /// Per kind raw value: the field names, parallel to `layouts` (for messages).
  private var names: [[String]]
  /// Per kind raw value: the time of the last record checked.
  private var lastTime: [Double]

  /// The pair bound the checks enforce: the header's `pairs` metadata when it is an integer > 0.
  static func pairLimit(_ header: TraceHeader) -> Int? {
    if let p = header.metadata["pairs"].flatMap({ Int($0) }), p > 0 { return p }
    return nil
  }

  init(header: TraceHeader) {
    pairs = Self.pairLimit(header)
    if let m = header.metadata["population"].flatMap({ UInt32($0) }) { population = m } else { population = nil }
    layouts = Array(repeating: [], count: 256)
    names = Array(repeating: [], count: 256)
    for kind in RecordKind.allCases {
      let fields = kind.fields(stateCount: header.stateCount)
      layouts[Int(kind.rawValue)] = fields.map {
        CompiledField(
          offset: $0.offset, stride: $0.type.hasSuffix("8") ? 8 : 4, encoding: FieldEncoding($0.type),
          rule: FieldRule.of($0.name), count: $0.count)
      }
      names[Int(kind.rawValue)] = fields.map(\.name)
    }
    lastTime = Array(repeating: -.infinity, count: 256)
  }

  /// The first impossible value in `block`, as an error naming the block, the record and its byte
  /// offset; nil when every record is plausible. On success the kind's last time advances.
  /// `fastPath: false` (tests only) skips `plausible` and always runs the record-major loop, so the
  /// two can be compared.
  mutating func check(_ block: TraceBlock, fastPath: Bool = true) -> TraceError? {
    let kind = Int(block.kind.rawValue)
    let name = block.kind.name
    func bad(_ record: Int, _ fieldOffset: Int, _ what: String) -> TraceError {
      TraceError(
        .invalidContent,
        "invalid content in block \(block.index) (\(name)), record \(record): \(what)",
        offset: block.offset + UInt64(TraceFormat.blockHeaderSize + record * block.recordSize + fieldOffset))
    }
    guard block.firstTime.isFinite, block.lastTime.isFinite, block.firstTime <= block.lastTime else {
      return TraceError(
        .invalidContent,
        "invalid content in block \(block.index) (\(name)): block header times \(block.firstTime) .. \(block.lastTime) are not a finite, ordered range",
        offset: block.offset)
    }
    if block.firstTime < lastTime[kind] {
      return TraceError(
        .invalidContent,
        "invalid content in block \(block.index) (\(name)): it starts at t = \(block.firstTime) s, before the previous \(name) block ended (t = \(lastTime[kind]) s); records of a kind must be in nondecreasing time order",
        offset: block.offset)
    }
    guard let base = block.payload.baseAddress else { return nil }
    let pairLimit = pairs.map { UInt64($0) } ?? .max
    // Fast path: one tight loop per field over all records (encoding and rule fixed per loop),
    // which only answers "is every value plausible?". Only when it says no does the record-major
    // loop below run, to name the first impossible value in record order as before.
    if fastPath, plausible(base, block, layouts[kind], pairLimit: pairLimit) { return finishBlock(block, kind: kind, name: name) }
    var previous = block.firstTime
    let recordError = layouts[kind].withUnsafeBufferPointer { fields -> TraceError? in
      for i in 0..<block.count {
        let p = base + i * block.recordSize
        for (f, field) in fields.enumerated() {
          for j in 0..<field.count {
            let o = field.offset + j * field.stride
            let value: Double
            var integer: UInt64 = 0
            switch field.encoding {
            case .float64: value = p.f64(o)
            case .float32: value = p.f32(o)
            case .unsigned64:
              integer = p.le(o, as: UInt64.self)
              value = Double(integer)
            case .unsigned32:
              integer = UInt64(p.le(o, as: UInt32.self))
              value = Double(integer)
            }
            switch field.rule {
            case .time:
              guard value.isFinite, value >= 0 else { return bad(i, o, "time \(value) is not a finite time ≥ 0 s") }
              guard value >= previous else {
                return bad(i, o, "time \(value) s is before the previous record's \(previous) s (times must not decrease)")
              }
              previous = value
            case .nonNegative:
              guard value.isFinite, value >= 0 else { return bad(i, o, "\(names[kind][f]) \(value) is not a finite value ≥ 0") }
            case .notNaN:
              guard !value.isNaN else { return bad(i, o, "\(names[kind][f]) is NaN") }
            case .pair:
              if integer >= pairLimit, let pairs {
                return bad(i, o, "pair index \(integer) is not below the header's pairs = \(pairs)")
              }
            case .count:
              if let population, integer > UInt64(population) {
                return bad(i, o, "count[\(j)] = \(integer) exceeds the header's population = \(population)")
              }
              if integer == UInt64(UInt32.max) { return bad(i, o, "count[\(j)] = 2³²−1 is not a population count") }
            case .any:
              break
            }
          }
        }
      }
      return nil
    }
    if let recordError { return recordError }
    return finishBlock(block, kind: kind, name: name)
  }

  /// Whether every record of `block` passes the field rules: exactly when the record-major loop of
  /// `check` finds nothing (the tests hold the two to each other on special values). One loop per
  /// field over all records, with the encoding and rule fixed per loop; each loop ORs a "bad" flag
  /// without branching (damaged blocks are rare, so an early exit would only cost a branch per
  /// value) and tests the IEEE bit patterns as integers:
  /// - binary32 finite and ≥ 0 (−0 included): bits < 0x7F80_0000 or bits == 0x8000_0000;
  /// - binary32 not NaN: (bits & 0x7FFF_FFFF) ≤ 0x7F80_0000 (binary64 alike);
  /// - times: with the block's first time finite and ≥ 0, "each time ≥ the one before" and "the
  ///   last time finite" together are "every time finite, ≥ 0 and nondecreasing" (NaN fails ≥).
  /// A kind with more than one time field is sent to the record-major loop, whose nondecreasing-time
  /// check interleaves them.
  func plausible(
    _ base: UnsafeRawPointer, _ block: TraceBlock, _ fields: [CompiledField], pairLimit: UInt64
  ) -> Bool {
    let n = block.count, size = block.recordSize
    /// Whether `isBad` is false for the value at byte offset `o` of every record.
    @inline(__always)
    func none(_ o: Int, _ isBad: (UnsafeRawPointer) -> Bool) -> Bool {
      var p = base + o
      var bad: UInt8 = 0
      for _ in 0..<n {
        bad |= isBad(p) ? 1 : 0
        p += size
      }
      return bad == 0
    }
    var timeFields = 0
    for field in fields {
      if field.rule == .any { continue }
      if field.rule == .time {
        timeFields += 1
        guard timeFields == 1, field.count == 1, field.encoding == .float64 else { return false }
        // `check` has made sure the block's first time is finite.
        guard block.firstTime >= 0 else { return false }
        var previous = block.firstTime
        var bad: UInt8 = 0
        var p = base + field.offset
        for _ in 0..<n {
          let value = p.f64(0)
          bad |= value >= previous ? 0 : 1
          previous = value
          p += size
        }
        guard bad == 0, previous.isFinite else { return false }
        continue
      }
      for j in 0..<field.count {
        let o = field.offset + j * field.stride
        let ok: Bool
        switch (field.rule, field.encoding) {
        case (.nonNegative, .float64):
          ok = none(o) { let b = $0.le(0, as: UInt64.self); return b >= 0x7FF0_0000_0000_0000 && b != 0x8000_0000_0000_0000 }
        case (.nonNegative, .float32):
          ok = none(o) { let b = $0.le(0, as: UInt32.self); return b >= 0x7F80_0000 && b != 0x8000_0000 }
        case (.nonNegative, _), (.any, _), (.time, _): ok = true
        case (.notNaN, .float64): ok = none(o) { $0.le(0, as: UInt64.self) & 0x7FFF_FFFF_FFFF_FFFF > 0x7FF0_0000_0000_0000 }
        case (.notNaN, .float32): ok = none(o) { $0.le(0, as: UInt32.self) & 0x7FFF_FFFF > 0x7F80_0000 }
        case (.notNaN, _): ok = true
        case (.pair, .unsigned32): ok = none(o) { UInt64($0.le(0, as: UInt32.self)) >= pairLimit }
        case (.pair, .unsigned64): ok = none(o) { $0.le(0, as: UInt64.self) >= pairLimit }
        case (.count, .unsigned32):
          let limit = population.map { UInt64($0) } ?? .max
          ok = none(o) { let c = UInt64($0.le(0, as: UInt32.self)); return c > limit || c == UInt64(UInt32.max) }
        case (.count, .unsigned64):
          let limit = population.map { UInt64($0) } ?? .max
          ok = none(o) { let c = $0.le(0, as: UInt64.self); return c > limit || c == UInt64(UInt32.max) }
        case (.pair, _), (.count, _): ok = false  // an integer rule on a float field: the slow loop decides
        }
        if !ok { return false }
      }
    }
    return true
  }

  /// The checks after the records: the block header's times against its first and last record;
  /// on success the kind's last time advances.
  private mutating func finishBlock(_ block: TraceBlock, kind: Int, name: String) -> TraceError? {
    if block.count > 0 {
      let first = block.time(0)
      let last = block.time(block.count - 1)
      if first != block.firstTime || last != block.lastTime {
        return TraceError(
          .invalidContent,
          "invalid content in block \(block.index) (\(name)): the block header says t = \(block.firstTime) .. \(block.lastTime) s, its records span \(first) .. \(last) s",
          offset: block.offset)
      }
    }
    lastTime[kind] = block.lastTime
    return nil
  }
}

extension TraceFooter {
  /// Checks the footer against itself and the header: every block entry names a known kind (or a
  /// note), offsets chain block after block from the data start to the footer, times are finite
  /// and ordered within each kind, and the per-kind totals agree with the entries.
  /// - Returns: the first inconsistency as a `.corruptFooter` error, or nil.
  func inconsistency(dataOffset: UInt64, recordSizes: [Int], minor: UInt16) -> TraceError? {
    func bad(_ what: String) -> TraceError { TraceError(.corruptFooter, "corrupt footer (\(what))", offset: offset) }
    let newerMinor = minor > TraceFormat.minorVersion
    var expected: UInt64? = dataOffset
    var counted = [UInt64](repeating: 0, count: 256)
    var first = [Double?](repeating: nil, count: 256)
    var last = [Double](repeating: -.infinity, count: 256)
    for (i, e) in blocks.enumerated() {
      let known = e.kind != nil || e.kindCode == TraceFormat.noteKindCode
      if !known && !newerMinor { return bad("block entry \(i) has unknown kind code \(e.kindCode)") }
      guard e.count >= 1 else { return bad("block entry \(i) holds \(e.count) records") }
      guard e.firstTime.isFinite, e.lastTime.isFinite, e.firstTime <= e.lastTime else {
        return bad("block entry \(i) has times \(e.firstTime) .. \(e.lastTime), not a finite, ordered range")
      }
      if let expected, e.offset != expected {
        return bad("block entry \(i) is at byte offset \(e.offset), but the previous block ends at \(expected)")
      }
      guard e.offset >= dataOffset, e.offset < offset else { return bad("block entry \(i) offset \(e.offset) is outside the data") }
      if let kind = e.kind, recordSizes[Int(kind.rawValue)] > 0 {
        guard e.count <= TraceFormat.maxBlockPayloadSize / recordSizes[Int(kind.rawValue)] else {
          return bad("block entry \(i) (\(kind.name)) claims \(e.count) records, more than a block can hold")
        }
        let length = UInt64(e.count) * UInt64(recordSizes[Int(kind.rawValue)])
        expected = e.offset + UInt64(TraceFormat.blockHeaderSize) + length
        let k = Int(kind.rawValue)
        guard e.firstTime >= last[k] else {
          return bad("block entry \(i) (\(kind.name)) starts at t = \(e.firstTime) s, before the previous \(kind.name) block ended")
        }
        counted[k] += UInt64(e.count)
        if first[k] == nil { first[k] = e.firstTime }
        last[k] = e.lastTime
      } else {
        expected = nil  // a note or a newer kind: its length is only in its block header
      }
    }
    if let expected, expected != offset {
      return bad("the last block ends at byte offset \(expected), the footer starts at \(offset)")
    }
    for kind in RecordKind.allCases {
      let t = totals[kind] ?? KindTotals(records: 0, firstTime: 0, lastTime: 0)
      let k = Int(kind.rawValue)
      if t.records != counted[k] {
        return bad("the totals give \(t.records) \(kind.name) records, the block entries \(counted[k])")
      }
      if t.records > 0, t.firstTime != first[k] || t.lastTime != last[k] {
        return bad("the \(kind.name) totals span t = \(t.firstTime) .. \(t.lastTime) s, the block entries \(first[k] ?? 0) .. \(last[k]) s")
      }
    }
    if !newerMinor && unknownKindTotals > 0 {
      return bad("\(unknownKindTotals) records are totalled under kinds this format does not define")
    }
    return nil
  }
}
