/// One intact block of records, as the reader hands it out.
///
/// `payload` points into the reader's buffer and is valid only inside the `forEachBlock` callback
/// that received the block. Accessors decode record `i` (0 ..< count) straight from the payload.
public struct TraceBlock {
  /// The kind of every record in the block.
  public let kind: RecordKind
  /// Position of the block in the file (0 = first block).
  public let index: Int
  /// Byte offset of the block header in the file.
  public let offset: UInt64
  /// Number of records.
  public let count: Int
  /// Time of the first record (seconds).
  public let firstTime: Double
  /// Time of the last record (seconds).
  public let lastTime: Double
  /// Bytes per record (from the header schema; may exceed the known layout in a newer minor version).
  public let recordSize: Int
  /// Number of CTMC states per snapshot in this trace.
  public let stateCount: Int
  /// The raw little-endian records.
  public let payload: UnsafeRawBufferPointer

  @usableFromInline
  init(
    kind: RecordKind, index: Int, offset: UInt64, count: Int, firstTime: Double, lastTime: Double,
    recordSize: Int, stateCount: Int, payload: UnsafeRawBufferPointer
  ) {
    self.kind = kind
    self.index = index
    self.offset = offset
    self.count = count
    self.firstTime = firstTime
    self.lastTime = lastTime
    self.recordSize = recordSize
    self.stateCount = stateCount
    self.payload = payload
  }

  @inlinable
  func record(_ i: Int) -> UnsafeRawPointer {
    precondition(i >= 0 && i < count, "TraceBlock: record index out of range")
    return payload.baseAddress! + i * recordSize
  }

  /// Time of record `i` in seconds (every kind).
  @inlinable public func time(_ i: Int) -> Double { record(i).f64(0) }

  /// Pair index of record `i` (packet, epoch and slot kinds).
  @inlinable public func pair(_ i: Int) -> Int { Int(record(i).le(20, as: UInt32.self)) }

  /// Record `i` of a packet-arrival block.
  @inlinable
  public func packetArrival(_ i: Int) -> PacketArrival {
    let p = record(i)
    return PacketArrival(pair: Int(p.le(20, as: UInt32.self)), packetID: p.le(8, as: UInt64.self), time: p.f64(0), bits: p.f32(16))
  }

  /// Record `i` of a packet-departure block.
  @inlinable
  public func packetDeparture(_ i: Int) -> PacketDeparture {
    let p = record(i)
    return PacketDeparture(
      pair: Int(p.le(20, as: UInt32.self)), packetID: p.le(8, as: UInt64.self), time: p.f64(0), delay: p.f32(16))
  }

  /// Record `i` of an epoch block.
  @inlinable
  public func epoch(_ i: Int) -> EpochRecord {
    let p = record(i)
    return EpochRecord(pair: Int(p.le(20, as: UInt32.self)), time: p.f64(0), queueBits: p.f64(8), weight: p.f32(16))
  }

  /// Record `i` of a slot block.
  @inlinable
  public func slot(_ i: Int) -> SlotRecord {
    let p = record(i)
    return SlotRecord(
      pair: Int(p.le(20, as: UInt32.self)), time: p.f64(0), power: p.f32(8), sinr: p.f32(12), bitsServed: p.f32(16))
  }

  /// Record `i` of a CTMC-jump block.
  @inlinable
  public func ctmcJump(_ i: Int) -> CTMCJump {
    let p = record(i)
    return CTMCJump(time: p.f64(0), transition: Int(p.le(8, as: UInt32.self)))
  }

  /// Count of state `state` (0 ..< stateCount) in record `i` of a snapshot block.
  @inlinable
  public func snapshotCount(_ i: Int, state: Int) -> UInt32 {
    precondition(state >= 0 && state < stateCount, "TraceBlock: state index out of range")
    return record(i).le(8 + 4 * state, as: UInt32.self)
  }

  /// All counts of record `i` of a snapshot block (allocates).
  public func snapshotCounts(_ i: Int) -> [UInt32] {
    (0..<stateCount).map { snapshotCount(i, state: $0) }
  }
}
