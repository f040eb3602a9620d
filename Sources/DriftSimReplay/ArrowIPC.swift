import Foundation

// A minimal writer for the Apache Arrow IPC *file* format (columnar format 1.0, metadata V5),
// written by hand because no Arrow library exists for Swift here. It supports exactly what trace
// export needs: a flat schema of non-nullable Int/UInt 32/64 and Float 32/64 columns, streamed as
// one record batch per trace block. Layout (https://arrow.apache.org/docs/format/Columnar.html):
//
//   "ARROW1\0\0" | schema message | record batch messages ... | EOS | footer | int32 footer size | "ARROW1"
//
// Each message: 0xFFFFFFFF, int32 metadata size (8-aligned), a FlatBuffers `Message`, then the body
// (buffers padded to 8 bytes). FlatBuffers are built front to back here: every offset field points
// forward to an object written after it, and each table's vtable is written just before the table.

/// The value type of an Arrow column.
public enum ArrowColumnType: Sendable, Equatable {
  /// IEEE binary32.
  case float32
  /// IEEE binary64.
  case float64
  /// Unsigned 32-bit integer.
  case uint32
  /// Unsigned 64-bit integer.
  case uint64

  /// Bytes per value.
  public var width: Int {
    switch self {
    case .float32, .uint32: 4
    case .float64, .uint64: 8
    }
  }
}

/// One column of an Arrow table.
public struct ArrowColumn: Sendable, Equatable {
  /// Column name.
  public var name: String
  /// Value type.
  public var type: ArrowColumnType
  /// Creates a column description.
  public init(_ name: String, _ type: ArrowColumnType) {
    self.name = name
    self.type = type
  }
}

/// Streams record batches into an Arrow IPC file.
public final class ArrowFileWriter {
  /// The columns, in order.
  public let columns: [ArrowColumn]
  private let handle: FileHandle
  private let path: String
  private var offset: Int64 = 0
  private var batches: [(offset: Int64, metadataLength: Int32, bodyLength: Int64)] = []
  private var finished = false

  /// Creates (replaces) the file at `path` and writes the magic and the schema.
  /// - Throws: `ReplayError` if the file cannot be created.
  public init(path: String, columns: [ArrowColumn]) throws {
    self.columns = columns
    self.path = path
    self.handle = try openOutputFile(path)
    try write(Array("ARROW1".utf8) + [0, 0])
    let schema = Self.message(headerType: 1, bodyLength: 0) { fb, headerSlot in
      fb.patch(headerSlot, to: Self.schema(&fb, columns))
    }
    try writeMessage(schema, body: [])
  }

  deinit {
    if !finished { try? handle.close() }
  }

  /// Appends a record batch of `rows` rows; `body` fills each column's values, contiguous and
  /// little-endian: `fill(columnIndex, destination)` writes rows × width bytes.
  /// - Throws: `ReplayError` on a write error.
  public func appendBatch(rows: Int, fill: (Int, UnsafeMutableRawPointer) -> Void) throws {
    var body: [UInt8] = []
    var buffers: [(Int64, Int64)] = []
    for (c, column) in columns.enumerated() {
      buffers.append((Int64(body.count), 0))  // validity: absent (no nulls)
      let length = rows * column.type.width
      let start = body.count
      body.append(contentsOf: repeatElement(0, count: (length + 7) & ~7))
      body.withUnsafeMutableBytes { fill(c, $0.baseAddress! + start) }
      buffers.append((Int64(start), Int64(length)))
    }
    let bodyLength = Int64(body.count)
    let message = Self.message(headerType: 3, bodyLength: bodyLength) { fb, headerSlot in
      // RecordBatch { length: long (0), nodes: [FieldNode] (1), buffers: [Buffer] (2) }
      let (table, slots) = fb.table([.i64(Int64(rows)), .offset, .offset])
      fb.patch(headerSlot, to: table)
      fb.patch(slots[1]!, to: fb.structVector(columns.map { _ in [Int64(rows), 0] }))
      fb.patch(slots[2]!, to: fb.structVector(buffers.map { [$0.0, $0.1] }))
    }
    let start = offset
    let metadataLength = try writeMessage(message, body: body)
    batches.append((start, metadataLength, bodyLength))
  }

  /// Writes the end-of-stream marker, the footer and the closing magic, and closes the file.
  /// - Throws: `ReplayError` on a write error.
  public func finish() throws {
    guard !finished else { return }
    finished = true
    try write([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
    var fb = FlatBufferBuilder()
    let root = fb.rootSlot()
    // Footer { version: short (0), schema: Schema (1), dictionaries: [Block] (2), recordBatches: [Block] (3) }
    let (footer, slots) = fb.table([.i16(4), .offset, .offset, .offset])
    fb.patch(root, to: footer)
    fb.patch(slots[1]!, to: Self.schema(&fb, columns))
    fb.patch(slots[2]!, to: fb.blockVector([]))
    fb.patch(slots[3]!, to: fb.blockVector(batches))
    let bytes = fb.bytes
    try write(bytes)
    try write(withUnsafeBytes(of: Int32(bytes.count).littleEndian) { Array($0) })
    try write(Array("ARROW1".utf8))
    do { try handle.close() } catch { throw ReplayError("cannot close '\(path)': \(ioReason(error))") }
  }

  // MARK: Encoding

  /// A `Message { version (0), header_type (1), header (2), bodyLength (3) }` flatbuffer.
  private static func message(
    headerType: UInt8, bodyLength: Int64, header: (inout FlatBufferBuilder, Int) -> Void
  ) -> [UInt8] {
    var fb = FlatBufferBuilder()
    let root = fb.rootSlot()
    let (table, slots) = fb.table([.i16(4), .u8(headerType), .offset, .i64(bodyLength)])
    fb.patch(root, to: table)
    header(&fb, slots[2]!)
    return fb.bytes
  }

  /// `Schema { endianness (0) = Little, fields (1) }`; returns the table position.
  private static func schema(_ fb: inout FlatBufferBuilder, _ columns: [ArrowColumn]) -> Int {
    let (schema, slots) = fb.table([.i16(0), .offset])
    let fieldSlots = fb.offsetVector(count: columns.count)
    fb.patch(slots[1]!, to: fieldSlots.vector)
    for (column, slot) in zip(columns, fieldSlots.slots) {
      // Field { name (0), nullable (1), type_type (2), type (3), dictionary (4), children (5) }
      let typeCode: UInt8
      switch column.type {
      case .float32, .float64: typeCode = 3  // FloatingPoint
      case .uint32, .uint64: typeCode = 2  // Int
      }
      let (field, f) = fb.table([.offset, .bool(false), .u8(typeCode), .offset, .absent, .offset])
      fb.patch(slot, to: field)
      fb.patch(f[0]!, to: fb.string(column.name))
      let type: Int
      switch column.type {
      case .float32: type = fb.table([.i16(1)]).position  // Precision.SINGLE
      case .float64: type = fb.table([.i16(2)]).position  // Precision.DOUBLE
      case .uint32: type = fb.table([.i32(32), .bool(false)]).position
      case .uint64: type = fb.table([.i32(64), .bool(false)]).position
      }
      fb.patch(f[3]!, to: type)
      fb.patch(f[5]!, to: fb.offsetVector(count: 0).vector)
    }
    return schema
  }

  @discardableResult
  private func writeMessage(_ flatbuffer: [UInt8], body: [UInt8]) throws -> Int32 {
    let padded = (flatbuffer.count + 7) & ~7
    var bytes: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF]
    withUnsafeBytes(of: Int32(padded).littleEndian) { bytes.append(contentsOf: $0) }
    bytes.append(contentsOf: flatbuffer)
    bytes.append(contentsOf: repeatElement(0, count: padded - flatbuffer.count))
    try write(bytes)
    try write(body)
    return Int32(8 + padded)
  }

  private func write(_ bytes: [UInt8]) throws {
    guard !bytes.isEmpty else { return }
    do {
      try handle.write(contentsOf: Data(bytes))
    } catch {
      throw ReplayError("cannot write '\(path)': \(ioReason(error))")
    }
    offset += Int64(bytes.count)
  }
}

/// A front-to-back FlatBuffers builder (enough for Arrow metadata).
struct FlatBufferBuilder {
  /// A table field value.
  enum Value {
    case absent, bool(Bool), u8(UInt8), i16(Int16), i32(Int32), i64(Int64), offset
    var size: Int {
      switch self {
      case .absent: 0
      case .bool, .u8: 1
      case .i16: 2
      case .i32, .offset: 4
      case .i64: 8
      }
    }
  }

  private(set) var bytes: [UInt8] = []

  mutating func align(_ n: Int, plus extra: Int = 0) {
    while (bytes.count + extra) % n != 0 { bytes.append(0) }
  }

  mutating func append<T: FixedWidthInteger>(_ v: T) {
    withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
  }

  mutating func set<T: FixedWidthInteger>(_ v: T, at position: Int) {
    withUnsafeBytes(of: v.littleEndian) { for (i, b) in $0.enumerated() { bytes[position + i] = b } }
  }

  /// The root offset placeholder (position 0).
  mutating func rootSlot() -> Int {
    let p = bytes.count
    append(UInt32(0))
    return p
  }

  /// Points the uoffset at `slot` to `target` (which must follow it).
  mutating func patch(_ slot: Int, to target: Int) {
    precondition(target > slot, "FlatBufferBuilder: offsets must point forward")
    set(UInt32(target - slot), at: slot)
  }

  /// Writes a vtable and a table; returns the table position and the positions of its offset
  /// placeholders by field index.
  mutating func table(_ fields: [Value]) -> (position: Int, slots: [Int: Int]) {
    // Layout: soffset at 0, then fields sorted by decreasing size (keeps natural alignment).
    var fieldOffsets = [Int](repeating: 0, count: fields.count)
    var cursor = 4
    for i in fields.indices.sorted(by: { fields[$0].size > fields[$1].size }) where fields[i].size > 0 {
      let s = fields[i].size
      cursor = (cursor + s - 1) / s * s
      fieldOffsets[i] = cursor
      cursor += s
    }
    let tableSize = (cursor + 3) / 4 * 4
    let vtableSize = 4 + 2 * fields.count
    // vtable immediately before the table; the table must start 8-aligned.
    align(8, plus: (vtableSize + 3) / 4 * 4)
    let vtable = bytes.count
    append(UInt16(vtableSize))
    append(UInt16(tableSize))
    for o in fieldOffsets { append(UInt16(o)) }
    align(4)
    let table = bytes.count
    precondition(table % 8 == 0)
    bytes.append(contentsOf: repeatElement(0, count: tableSize))
    set(Int32(table - vtable), at: table)
    var slots: [Int: Int] = [:]
    for (i, f) in fields.enumerated() {
      let p = table + fieldOffsets[i]
      switch f {
      case .absent: break
      case .bool(let b): bytes[p] = b ? 1 : 0
      case .u8(let v): bytes[p] = v
      case .i16(let v): set(v, at: p)
      case .i32(let v): set(v, at: p)
      case .i64(let v): set(v, at: p)
      case .offset: slots[i] = p
      }
    }
    return (table, slots)
  }

  /// A string; returns its position.
  mutating func string(_ s: String) -> Int {
    align(4)
    let p = bytes.count
    let utf8 = Array(s.utf8)
    append(UInt32(utf8.count))
    bytes.append(contentsOf: utf8)
    bytes.append(0)
    return p
  }

  /// A vector of `count` table offsets; returns the vector position and the element slots.
  mutating func offsetVector(count: Int) -> (vector: Int, slots: [Int]) {
    align(4)
    let p = bytes.count
    append(UInt32(count))
    let slots = (0..<count).map { p + 4 + 4 * $0 }
    bytes.append(contentsOf: repeatElement(0, count: 4 * count))
    return (p, slots)
  }

  /// A vector of structs made of int64 fields (FieldNode, Buffer: 16 bytes, 8-aligned).
  mutating func structVector(_ elements: [[Int64]]) -> Int {
    align(8, plus: 4)
    let p = bytes.count
    append(UInt32(elements.count))
    for e in elements { for v in e { append(v) } }
    return p
  }

  /// A vector of Arrow `Block { offset: long, metaDataLength: int, pad, bodyLength: long }`.
  mutating func blockVector(_ blocks: [(offset: Int64, metadataLength: Int32, bodyLength: Int64)]) -> Int {
    align(8, plus: 4)
    let p = bytes.count
    append(UInt32(blocks.count))
    for b in blocks {
      append(b.offset)
      append(b.metadataLength)
      append(Int32(0))
      append(b.bodyLength)
    }
    return p
  }
}
