#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Streams trace records to a file, crash-safely.
///
/// Usage:
/// ```swift
/// let header = TraceHeader(softwareVersion: "driftsim 0.1.0", scenario: scenarioJSON, seed: 42,
///                          level: [.packets, .epochs], metadata: ["pairs": "4"])
/// let writer = try TraceWriter(path: "run.dstrace", header: header)
/// writer.writePacketArrival(pair: 0, packetID: 1, time: 0.0012, bits: 30_000)
/// ...
/// try writer.finish()        // last blocks, footer, fsync, rename "run.dstrace.partial" -> "run.dstrace"
/// ```
/// - Records go to `path + ".partial"`; `finish()` renames it to `path`. On an error path call
///   `abandon()` (deletes the partial file); a writer released without `finish()` abandons too.
/// - Write calls never throw and never allocate: each kind has a preallocated block buffer, and a
///   full buffer is written as one block (one `write` system call). Calls for kinds not in
///   `header.level` return at once, so callers need not branch (`isEnabled(_:)` is there for
///   callers that want to skip computing a record's fields). An I/O error disables further writes
///   and is thrown by `finish()`.
/// - Records of one kind must be written in nondecreasing time order (blocks carry their first and
///   last times for seeking); kinds are independent.
/// - Precision: times and queue bits are binary64; bits, delay, weight, power, SINR and bits served
///   are stored as binary32 (relative precision 6e-8) so packet-level records take 24 bytes.
/// - Not thread-safe: one writer belongs to one simulation thread.
public final class TraceWriter {
  /// The header written at the start of the file.
  public let header: TraceHeader
  /// The final path of the trace.
  public let path: String
  /// Where records are written until `finish()` renames the file (`path` itself when the target
  /// is written through).
  public let temporaryPath: String
  /// Whether the target is a character device or FIFO (`/dev/null`, `/dev/stdout`, a named pipe)
  /// written through in order: no temporary file, no fsync, no rename, and the node is never
  /// replaced or deleted. The format needs no seeking, so such a trace is complete as written.
  public let writesThrough: Bool

  @usableFromInline let buffers: UnsafeMutablePointer<KindBuffer>
  /// `header.stateCount`, cached for the snapshot hot path.
  @usableFromInline let stateCount: Int
  private var fd: Int32
  /// `path` with symbolic links resolved: the rename target.
  private var finalPath: String = ""
  private var fileOffset: UInt64
  private var index: [BlockIndexEntry] = []
  private var totals: [KindTotal]
  /// The first I/O error or misuse, if any (writes are disabled from then on; `finish()` throws
  /// it). Long loops may poll this to stop early, e.g. when the disk is full.
  public private(set) var failure: TraceError?
  private var finished = false
  private let durable: Bool

  /// Number of slots in `buffers` (indexed by kind raw value; slot 0 unused).
  @usableFromInline static let slotCount = 7

  /// Creates `path + ".partial"` and writes the header; for a character device or FIFO target,
  /// opens the target itself and writes through (see `writesThrough`).
  /// - Parameters:
  ///   - path: the final file path (an existing regular file is replaced only when `finish()`
  ///     succeeds; a symbolic link is followed and kept; a directory, socket or block device is
  ///     refused).
  ///   - header: what the trace records and how to repeat the run.
  ///   - blockPayloadBytes: capacity of each kind's block buffer in bytes (default 64 KiB, at
  ///     least one record).
  ///   - durable: fsync before the rename in `finish()` (default true).
  /// - Throws: `TraceError` if the file cannot be created or the header is inconsistent.
  public init(
    path: String, header: TraceHeader, blockPayloadBytes: Int = TraceFormat.defaultBlockPayloadBytes,
    durable: Bool = true
  ) throws {
    guard header.stateCount >= 0, header.stateCount <= 1 << 20 else {
      throw TraceError(.invalidUse, "stateCount must be in 0...\(1 << 20), got \(header.stateCount)")
    }
    if header.level.contains(.ctmcSnapshot) && header.stateCount == 0 {
      throw TraceError(.invalidUse, "the trace level includes CTMC snapshots but stateCount is 0")
    }
    var header = header
    header.blockPayloadBytes = max(blockPayloadBytes, 1)
    header.formatVersion = .current
    self.header = header
    self.stateCount = header.stateCount
    self.path = path
    let target = try TraceOutputTarget.check(path)
    self.writesThrough = target.writesThrough
    self.temporaryPath = target.writesThrough ? target.path : target.path + ".partial"
    self.durable = durable && !target.writesThrough
    let bytes = try HeaderJSON.encode(header)

    if target.writesThrough {
      fd = open(temporaryPath, O_WRONLY | O_NOCTTY | O_CLOEXEC)
      if fd < 0 { throw TraceError.io("open", temporaryPath, errno: errno) }
    } else {
      try TraceOutputTarget.checkPartial(temporaryPath)
      fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o644)
      if fd < 0 { throw TraceError.io("create", temporaryPath, errno: errno) }
    }
    self.finalPath = target.path
    fileOffset = 0
    totals = Array(repeating: KindTotal(), count: Self.slotCount)
    buffers = UnsafeMutablePointer<KindBuffer>.allocate(capacity: Self.slotCount)
    for slot in 0..<Self.slotCount {
      let kind = RecordKind(rawValue: UInt8(slot))
      let size = kind.map { header.recordSize($0) } ?? 1
      let enabled = kind.map { header.level.contains($0) } ?? false
      let capacity = enabled ? max(1, header.blockPayloadBytes / size) * size : 0
      let storage = UnsafeMutableRawPointer.allocate(
        byteCount: TraceFormat.blockHeaderSize + capacity, alignment: 16)
      (buffers + slot).initialize(
        to: KindBuffer(
          storage: storage, used: 0, capacity: capacity, count: 0, firstTime: 0, lastTime: 0,
          enabled: enabled))
    }
    do {
      try bytes.withUnsafeBytes { try writeAll($0) }
    } catch {
      abandon()
      throw error
    }
  }

  deinit {
    if !finished { abandon() }
    for slot in 0..<Self.slotCount { buffers[slot].storage.deallocate() }
    buffers.deinitialize(count: Self.slotCount)
    buffers.deallocate()
  }

  /// Whether records of `kind` are written (false after `finish()`, `abandon()` or an I/O error).
  @inlinable
  public func isEnabled(_ kind: RecordKind) -> Bool { buffers[Int(kind.rawValue)].enabled }

  // MARK: Hot path

  /// Records a packet arrival.
  /// - Parameters: pair index (0..<2³²), packet id, arrival time (s), packet size (bits).
  @inlinable
  public func writePacketArrival(pair: Int, packetID: UInt64, time: Double, bits: Double) {
    storeTimeWordValuePair(.packetArrival, time: time, word: packetID, value: bits, pair: pair)
  }

  /// Records a packet departure.
  /// - Parameters: pair index, packet id, departure time (s), delay = departure − arrival (s).
  @inlinable
  public func writePacketDeparture(pair: Int, packetID: UInt64, time: Double, delay: Double) {
    storeTimeWordValuePair(.packetDeparture, time: time, word: packetID, value: delay, pair: pair)
  }

  /// Records the state of one pair at the start of an epoch.
  /// - Parameters: pair index, epoch start (s), bits queued, policy weight or water level.
  @inlinable
  public func writeEpoch(pair: Int, time: Double, queueBits: Double, weight: Double) {
    storeTimeWordValuePair(.epoch, time: time, word: queueBits.bitPattern, value: weight, pair: pair)
  }

  /// Stores one 24-byte record laid out as (time: Double, word: UInt64, value: Float, pair: UInt32),
  /// the layout shared by packet arrivals, departures and epochs, and flushes the block when full.
  @inlinable @inline(__always)
  func storeTimeWordValuePair(_ kind: RecordKind, time: Double, word: UInt64, value: Double, pair: Int) {
    let b = buffers + Int(kind.rawValue)
    guard b.pointee.enabled else { return }
    let p = b.pointee.cursor
    p.storeBytes(of: time.bitPattern.littleEndian, as: UInt64.self)
    p.storeBytes(of: word.littleEndian, toByteOffset: 8, as: UInt64.self)
    p.storeBytes(of: Float(value).bitPattern.littleEndian, toByteOffset: 16, as: UInt32.self)
    p.storeBytes(of: UInt32(truncatingIfNeeded: pair).littleEndian, toByteOffset: 20, as: UInt32.self)
    if b.pointee.commit(time: time, size: 24) { flushBlock(kind) }
  }

  /// Records one slot of one pair.
  /// - Parameters: pair index, slot start (s), transmit power (noise units), SINR (linear),
  ///   bits delivered in the slot.
  @inlinable
  public func writeSlot(pair: Int, time: Double, power: Double, sinr: Double, bitsServed: Double) {
    let b = buffers + Int(RecordKind.slot.rawValue)
    guard b.pointee.enabled else { return }
    let p = b.pointee.cursor
    p.storeBytes(of: time.bitPattern.littleEndian, as: UInt64.self)
    p.storeBytes(of: Float(power).bitPattern.littleEndian, toByteOffset: 8, as: UInt32.self)
    p.storeBytes(of: Float(sinr).bitPattern.littleEndian, toByteOffset: 12, as: UInt32.self)
    p.storeBytes(of: Float(bitsServed).bitPattern.littleEndian, toByteOffset: 16, as: UInt32.self)
    p.storeBytes(of: UInt32(truncatingIfNeeded: pair).littleEndian, toByteOffset: 20, as: UInt32.self)
    if b.pointee.commit(time: time, size: 24) { flushBlock(.slot) }
  }

  /// Records a CTMC transition.
  /// - Parameters: jump time (s), index of the transition that fired.
  @inlinable
  public func writeCTMCJump(time: Double, transition: Int) {
    let b = buffers + Int(RecordKind.ctmcJump.rawValue)
    guard b.pointee.enabled else { return }
    let p = b.pointee.cursor
    p.storeBytes(of: time.bitPattern.littleEndian, as: UInt64.self)
    p.storeBytes(of: UInt32(truncatingIfNeeded: transition).littleEndian, toByteOffset: 8, as: UInt32.self)
    if b.pointee.commit(time: time, size: 12) { flushBlock(.ctmcJump) }
  }

  /// Records CTMC population counts; `counts.count` must equal `header.stateCount` (otherwise the
  /// record is dropped and `finish()` throws an `.invalidUse` error).
  /// - Parameters: snapshot time (s), number of objects in each state.
  @inlinable
  public func writeCTMCSnapshot(time: Double, counts: UnsafeBufferPointer<UInt32>) {
    let b = buffers + Int(RecordKind.ctmcSnapshot.rawValue)
    guard b.pointee.enabled else { return }
    guard counts.count == stateCount else {
      snapshotSizeMismatch(counts.count)
      return
    }
    let p = b.pointee.cursor
    p.storeBytes(of: time.bitPattern.littleEndian, as: UInt64.self)
    for i in 0..<counts.count {
      p.storeBytes(of: counts[i].littleEndian, toByteOffset: 8 + 4 * i, as: UInt32.self)
    }
    if b.pointee.commit(time: time, size: 8 + 4 * counts.count) { flushBlock(.ctmcSnapshot) }
  }

  /// Records CTMC population counts from any collection of integers (each stored as u32; values
  /// must be in 0..<2³²). Same rules as the `UnsafeBufferPointer<UInt32>` variant.
  @inlinable
  public func writeCTMCSnapshot<Counts: Collection>(time: Double, counts: Counts)
  where Counts.Element: BinaryInteger {
    let b = buffers + Int(RecordKind.ctmcSnapshot.rawValue)
    guard b.pointee.enabled else { return }
    guard counts.count == stateCount else {
      snapshotSizeMismatch(counts.count)
      return
    }
    let p = b.pointee.cursor
    p.storeBytes(of: time.bitPattern.littleEndian, as: UInt64.self)
    var offset = 8
    for c in counts {
      p.storeBytes(of: UInt32(truncatingIfNeeded: c).littleEndian, toByteOffset: offset, as: UInt32.self)
      offset += 4
    }
    if b.pointee.commit(time: time, size: offset) { flushBlock(.ctmcSnapshot) }
  }

  // MARK: Slow path

  @usableFromInline
  func snapshotSizeMismatch(_ count: Int) {
    if failure == nil {
      failure = TraceError(
        .invalidUse, "CTMC snapshot with \(count) counts, but the header declares stateCount \(header.stateCount)")
    }
  }

  /// Writes the buffered records of `kind` as one block (no-op when empty).
  @usableFromInline
  func flushBlock(_ kind: RecordKind) {
    let b = buffers + Int(kind.rawValue)
    let count = b.pointee.count
    guard count > 0 else { return }
    let used = b.pointee.used
    let s = b.pointee.storage
    let payload = UnsafeRawBufferPointer(start: s + TraceFormat.blockHeaderSize, count: used)
    s.storeBytes(of: TraceFormat.blockMagic.littleEndian, as: UInt32.self)
    s.storeBytes(of: UInt32(kind.rawValue).littleEndian, toByteOffset: 4, as: UInt32.self)
    s.storeBytes(of: UInt32(count).littleEndian, toByteOffset: 8, as: UInt32.self)
    s.storeBytes(of: UInt32(used).littleEndian, toByteOffset: 12, as: UInt32.self)
    s.storeBytes(of: b.pointee.firstTime.bitPattern.littleEndian, toByteOffset: 16, as: UInt64.self)
    s.storeBytes(of: b.pointee.lastTime.bitPattern.littleEndian, toByteOffset: 24, as: UInt64.self)
    s.storeBytes(of: CRC32C.checksum(payload).littleEndian, toByteOffset: 32, as: UInt32.self)
    let headerCRC = CRC32C.checksum(UnsafeRawBufferPointer(start: s, count: 36))
    s.storeBytes(of: headerCRC.littleEndian, toByteOffset: 36, as: UInt32.self)

    let blockOffset = fileOffset
    do {
      try writeAll(UnsafeRawBufferPointer(start: s, count: TraceFormat.blockHeaderSize + used))
    } catch let error as TraceError {
      fail(error)
      return
    } catch {
      fail(TraceError(.io, "cannot write '\(temporaryPath)': \(error)"))
      return
    }
    index.append(
      BlockIndexEntry(
        offset: blockOffset, count: UInt32(count), kindCode: kind.rawValue, firstTime: b.pointee.firstTime,
        lastTime: b.pointee.lastTime))
    totals[Int(kind.rawValue)].add(count: count, first: b.pointee.firstTime, last: b.pointee.lastTime)
    b.pointee.used = 0
    b.pointee.count = 0
  }

  private func fail(_ error: TraceError) {
    if failure == nil { failure = error }
    disableAll()
  }

  private func disableAll() {
    for slot in 0..<Self.slotCount { buffers[slot].enabled = false }
  }

  private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
    var p = bytes.baseAddress
    var remaining = bytes.count
    while remaining > 0, let q = p {
      let n = write(fd, q, remaining)
      if n < 0 {
        if errno == EINTR { continue }
        throw TraceError.io("write", temporaryPath, errno: errno)
      }
      p = q + n
      remaining -= n
      fileOffset += UInt64(n)
    }
  }

  /// Ends the trace: writes the partly filled blocks (in kind order), the footer index and the
  /// trailer, fsyncs (if durable) and renames the temporary file to `path`.
  /// - Parameters:
  ///   - interrupted: marks the trace as cut short by a signal (default: whether
  ///     `TraceInterruption.isRequested`); readers report it.
  ///   - stoppedEarly: why the run stopped before its horizon (e.g. "queue of pair 2 exceeded
  ///     maxQueuePackets = 10000 at t = 12.5 s"), or nil for a run that reached its end. The
  ///     footer is flagged and a note block holds the reason (cut to `TraceFormat.maxNoteSize`
  ///     bytes); `TraceReader.stoppedEarly` and the integrity verdict report it.
  /// - Returns: records per kind, blocks and bytes written.
  /// - Throws: `TraceError` for an earlier or current I/O error or misuse; the temporary file is
  ///   then deleted. Calling `finish()` twice throws `.invalidUse`.
  @discardableResult
  public func finish(interrupted: Bool = TraceInterruption.isRequested, stoppedEarly: String? = nil) throws
    -> TraceWriteSummary
  {
    guard !finished else { throw TraceError(.invalidUse, "finish() called on a finished trace writer") }
    if let failure {
      abandon()
      throw failure
    }
    for kind in RecordKind.allCases { flushBlock(kind) }
    if let failure {
      abandon()
      throw failure
    }
    disableAll()
    if let stoppedEarly { writeNote(stoppedEarly: stoppedEarly) }
    if let failure {
      abandon()
      throw failure
    }
    let footerOffset = fileOffset
    var footer: [UInt8] = []
    footer.reserveCapacity(
      TraceFormat.footerPrefixSize + 6 * TraceFormat.footerKindEntrySize + index.count
        * TraceFormat.footerBlockEntrySize + 4 + TraceFormat.trailerSize)
    footer.appendLE(TraceFormat.footerMagic)
    footer.appendLE(
      (interrupted ? TraceFormat.flagInterrupted : 0) | (stoppedEarly != nil ? TraceFormat.flagStoppedEarly : 0))
    footer.appendLE(UInt32(index.count))
    footer.appendLE(UInt32(RecordKind.allCases.count))
    for kind in RecordKind.allCases {
      let t = totals[Int(kind.rawValue)]
      footer.appendLE(t.records)
      footer.appendLE(t.firstTime)
      footer.appendLE(t.lastTime)
    }
    for e in index {
      footer.appendLE(e.offset)
      footer.appendLE(e.count)
      footer.appendLE(UInt32(e.kindCode))
      footer.appendLE(e.firstTime)
      footer.appendLE(e.lastTime)
    }
    footer.appendLE(CRC32C.checksum(footer))
    let footerLength = UInt32(footer.count)
    footer.appendLE(footerOffset)
    footer.appendLE(footerLength)
    footer.appendLE(TraceFormat.trailerMagic)
    do {
      try footer.withUnsafeBytes { try writeAll($0) }
      if durable && fsync(fd) != 0 { throw TraceError.io("fsync", temporaryPath, errno: errno) }
      if close(fd) != 0 {
        fd = -1
        throw TraceError.io("close", temporaryPath, errno: errno)
      }
      fd = -1
      if !writesThrough, rename(temporaryPath, finalPath) != 0 {
        throw TraceError.io("rename '\(temporaryPath)' to", finalPath, errno: errno)
      }
    } catch {
      abandon()
      throw error
    }
    finished = true
    return TraceWriteSummary(
      records: Dictionary(uniqueKeysWithValues: RecordKind.allCases.map { ($0, Int(totals[Int($0.rawValue)].records)) }),
      blocks: index.count, bytes: fileOffset, interrupted: interrupted, stoppedEarly: stoppedEarly)
  }

  /// Writes the note block that carries the stopped-early reason (time: the latest record time).
  private func writeNote(stoppedEarly reason: String) {
    var text = reason
    var payload: [UInt8]
    repeat {
      payload = TraceNote(stoppedEarly: text).encoded()
      if payload.count > TraceFormat.maxNoteSize { text = String(text.prefix(text.count * 3 / 4)) }
    } while payload.count > TraceFormat.maxNoteSize
    let time = RecordKind.allCases.map { totals[Int($0.rawValue)] }.filter { $0.records > 0 }.map(\.lastTime).max() ?? 0
    var block: [UInt8] = []
    block.appendLE(TraceFormat.blockMagic)
    block.appendLE(UInt32(TraceFormat.noteKindCode))
    block.appendLE(UInt32(1))
    block.appendLE(UInt32(payload.count))
    block.appendLE(time)
    block.appendLE(time)
    block.appendLE(CRC32C.checksum(payload))
    block.appendLE(CRC32C.checksum(block))
    block.append(contentsOf: payload)
    let offset = fileOffset
    do {
      try block.withUnsafeBytes { try writeAll($0) }
    } catch let error as TraceError {
      fail(error)
      return
    } catch {
      fail(TraceError(.io, "cannot write '\(temporaryPath)': \(error)"))
      return
    }
    index.append(BlockIndexEntry(offset: offset, count: 1, kindCode: TraceFormat.noteKindCode, firstTime: time, lastTime: time))
  }

  /// Gives up: closes and deletes the temporary file; later writes are ignored. Safe to call more
  /// than once, and after a failed `finish()`.
  public func abandon() {
    disableAll()
    if fd >= 0 {
      close(fd)
      fd = -1
    }
    // Never delete a device or FIFO written through: only our own temporary file.
    if !finished, !writesThrough { unlink(temporaryPath) }
    finished = true
  }
}

/// Where a trace writer may write: checks made before any byte is written.
struct TraceOutputTarget {
  /// The path to write (symbolic links resolved).
  var path: String
  /// A character device or FIFO: written through, never replaced.
  var writesThrough: Bool

  /// Classifies `path`: a regular file or nothing (written via a temporary file and a rename), a
  /// character device or FIFO (written through); anything else, a missing parent directory or a
  /// parent that is a file is a `TraceError(.io)` naming the path and the rule.
  static func check(_ path: String) throws -> TraceOutputTarget {
    guard !path.isEmpty else { throw TraceError(.io, "cannot write a trace: the path is empty") }
    var resolved = path
    var lst = stat()
    if lstat(path, &lst) == 0, (lst.st_mode & S_IFMT) == S_IFLNK, let real = realpath(path, nil) {
      resolved = String(cString: real)
      free(real)
    }
    var st = stat()
    if stat(resolved, &st) == 0 {
      switch st.st_mode & S_IFMT {
      case S_IFREG: return TraceOutputTarget(path: resolved, writesThrough: false)
      case S_IFCHR, S_IFIFO: return TraceOutputTarget(path: resolved, writesThrough: true)
      case S_IFDIR: throw TraceError(.io, "cannot write the trace to '\(path)': it is a directory; give a file name")
      default:
        throw TraceError(
          .io, "cannot write the trace to '\(path)': it is not a regular file, character device or FIFO; refusing to replace it")
      }
    }
    let e = errno
    if e == ENOTDIR { throw TraceError(.io, "cannot write the trace to '\(path)': a parent of this path is not a directory") }
    if e != ENOENT { throw TraceError.io("use", path, errno: e) }
    if (lst.st_mode & S_IFMT) == S_IFLNK, lstat(path, &lst) == 0 {
      throw TraceError(.io, "cannot write the trace to '\(path)': it is a symbolic link to a missing file")
    }
    let slash = resolved.lastIndex(of: "/")
    let directory = slash.map { $0 == resolved.startIndex ? "/" : String(resolved[..<$0]) } ?? "."
    if stat(directory, &st) != 0 {
      let d = errno
      if d == ENOENT { throw TraceError(.io, "cannot write the trace to '\(path)': the directory '\(directory)' does not exist") }
      throw TraceError.io("use the directory of", path, errno: d)
    }
    guard (st.st_mode & S_IFMT) == S_IFDIR else {
      throw TraceError(.io, "cannot write the trace to '\(path)': '\(directory)' is not a directory")
    }
    return TraceOutputTarget(path: resolved, writesThrough: false)
  }

  /// A leftover `PATH.partial` may be replaced only if it is a regular file (of an earlier run).
  static func checkPartial(_ partial: String) throws {
    var lst = stat()
    guard lstat(partial, &lst) == 0 else { return }
    guard (lst.st_mode & S_IFMT) == S_IFREG else {
      throw TraceError(.io, "cannot write the trace: '\(partial)' exists and is not a regular file; refusing to replace it")
    }
  }
}

/// What `TraceWriter.finish()` wrote.
public struct TraceWriteSummary: Sendable, Equatable {
  /// Records written per kind.
  public var records: [RecordKind: Int]
  /// Blocks written.
  public var blocks: Int
  /// File size in bytes.
  public var bytes: UInt64
  /// Whether the footer marks the trace as interrupted.
  public var interrupted: Bool
  /// Why the run stopped early, when `finish(stoppedEarly:)` said so.
  public var stoppedEarly: String?
}

/// One kind's block buffer (block header space followed by the payload).
@usableFromInline
struct KindBuffer {
  @usableFromInline var storage: UnsafeMutableRawPointer
  @usableFromInline var used: Int
  @usableFromInline var capacity: Int
  @usableFromInline var count: Int
  @usableFromInline var firstTime: Double
  @usableFromInline var lastTime: Double
  @usableFromInline var enabled: Bool

  @usableFromInline
  init(
    storage: UnsafeMutableRawPointer, used: Int, capacity: Int, count: Int, firstTime: Double,
    lastTime: Double, enabled: Bool
  ) {
    self.storage = storage
    self.used = used
    self.capacity = capacity
    self.count = count
    self.firstTime = firstTime
    self.lastTime = lastTime
    self.enabled = enabled
  }

  /// Where the next record goes.
  @inlinable var cursor: UnsafeMutableRawPointer { storage + (TraceFormat.blockHeaderSize + used) }

  /// Accounts for a record just stored; returns true when the block is full.
  @inlinable
  mutating func commit(time: Double, size: Int) -> Bool {
    if count == 0 { firstTime = time }
    lastTime = time
    count += 1
    used += size
    return used >= capacity
  }
}

/// One block in the footer index.
struct BlockIndexEntry: Sendable, Equatable {
  var offset: UInt64
  var count: UInt32
  /// A `RecordKind` raw value or `TraceFormat.noteKindCode`.
  var kindCode: UInt8
  var firstTime: Double
  var lastTime: Double
}

/// Per-kind totals kept by the writer.
struct KindTotal {
  var records: UInt64 = 0
  var firstTime: Double = 0
  var lastTime: Double = 0
  mutating func add(count: Int, first: Double, last: Double) {
    if records == 0 { firstTime = first }
    lastTime = last
    records += UInt64(count)
  }
}
