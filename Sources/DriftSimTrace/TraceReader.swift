import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Reads a trace block by block in bounded memory (one block buffer), verifying every CRC32C.
///
/// ```swift
/// let reader = try TraceReader(path: "run.dstrace")          // parses and checks the header
/// reader.kinds = [.packetDepartures]                         // optional filters; skipped blocks
/// reader.timeWindow = 10.0...100.0                           //   are not read from disk
/// let integrity = try reader.forEachBlock { block in
///   for i in 0..<block.count { use(block.packetDeparture(i)) }
/// }
/// print(integrity.verdict)    // "complete", "truncated: ...", "corrupt: ..."
/// ```
/// - Without salvage, a damaged block throws `TraceError(.corruptBlock)` naming its byte offset; a
///   file without footer is read up to its last whole block and reported as truncated (not thrown).
/// - With `salvage: true`, damaged blocks are skipped (resynchronising on the next valid block
///   header) and listed in `TraceIntegrity.problems`.
/// - Any input, however damaged, gives an error or a verdict, never a crash or a hang.
public final class TraceReader {
  /// Path (or a name for in-memory traces), used in messages.
  public let path: String
  /// The parsed header.
  public let header: TraceHeader
  /// File size in bytes.
  public let fileSize: UInt64
  /// Offset of the first block (just after the header).
  public let dataOffset: UInt64
  /// The footer index, when present and intact.
  public let footer: TraceFooter?
  /// Why the footer is missing or unusable (nil when `footer` is set).
  public let footerProblem: TraceError?
  /// Whether damaged blocks are skipped instead of thrown.
  public let salvage: Bool
  /// Why the run stopped before its horizon, when the writer said so (format 1.1: footer flag and
  /// note block); "reason not recorded" when the flag is set but the note is unreadable.
  public let stoppedEarly: String?
  /// Bytes after the end of a complete trace (its trailer), when the file holds more: reported by
  /// every pass as trailing data, never as truncation.
  public let trailingBytes: UInt64
  /// Kinds delivered by `forEachBlock` (others are skipped without reading). Default: all.
  public var kinds: TraceLevel = .all
  /// Only blocks whose [firstTime, lastTime] overlaps this window are delivered (records inside
  /// a delivered block may still fall outside: filter them). Default: everything.
  public var timeWindow: ClosedRange<Double>?
  /// Whether blocks excluded by `kinds` or `timeWindow` are still read and CRC-checked, so that
  /// the returned integrity covers the whole file (default true). With false, a trace with an
  /// intact footer is read by seeking through the footer index straight to the needed blocks
  /// (seeking by time); without a footer, excluded blocks are skipped after their block header.
  /// Faster for narrow windows, but damage inside unread blocks goes unnoticed.
  public var verifySkippedBlocks = true
  /// Every block `forEachBlock` delivers has pair indices below this (the header's `pairs`
  /// metadata, a positive integer, which the content checks enforce); nil when the header does not
  /// declare it, and then pair indices are only known to fit in 32 bits. Analyses sized for this
  /// many pairs need not scan blocks for larger indices.
  public var validatedPairLimit: Int? { ContentValidator.pairLimit(header) }

  private let source: ByteSource
  private var buffer: UnsafeMutableRawPointer
  private var bufferCapacity: Int
  /// Bytes per record, by kind raw value (0 = kind not in this file's schema).
  private let recordSizes: [Int]

  /// Opens a trace file and checks its header and footer.
  /// - Throws: `TraceError` (.io, .notATrace, .unsupportedVersion, .corruptHeader, .truncated).
  public convenience init(path: String, salvage: Bool = false) throws {
    let fd = open(path, O_RDONLY)
    if fd < 0 { throw TraceError.io("open", path, errno: errno) }
    var st = stat()
    if fstat(fd, &st) != 0 {
      let e = errno
      close(fd)
      throw TraceError.io("stat", path, errno: e)
    }
    if (st.st_mode & S_IFMT) == S_IFDIR {
      close(fd)
      throw TraceError(.io, "cannot read '\(path)': it is a directory")
    }
    try self.init(source: .file(fd), size: UInt64(st.st_size), path: path, salvage: salvage)
  }

  /// Reads a trace held in memory (tests, fuzzing).
  public convenience init(bytes: [UInt8], name: String = "<memory>", salvage: Bool = false) throws {
    try self.init(source: .memory(bytes), size: UInt64(bytes.count), path: name, salvage: salvage)
  }

  private init(source: ByteSource, size: UInt64, path: String, salvage: Bool) throws {
    self.source = source
    self.fileSize = size
    self.path = path
    self.salvage = salvage
    bufferCapacity = 1 << 16
    buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferCapacity, alignment: 16)
    do {
      let (header, dataOffset, sizes) = try Self.readHeader(source: source, size: size, path: path)
      self.header = header
      self.dataOffset = dataOffset
      self.recordSizes = sizes
    } catch {
      buffer.deallocate()
      source.close()
      throw error
    }
    var footerProblem: TraceError?
    var trailing: UInt64 = 0
    var footer = Self.readFooter(
      source: source, size: size, dataOffset: dataOffset, recordSizes: recordSizes,
      minor: header.formatVersion.minor, problem: &footerProblem)
    if footer == nil, footerProblem?.problem == .truncated,
      let found = Self.locateFooter(
        source: source, size: size, dataOffset: dataOffset, recordSizes: recordSizes, minor: header.formatVersion.minor)
    {
      // A whole trace followed by other bytes: its own trailer is intact, the file goes on.
      footer = found.footer
      trailing = found.trailingBytes
      footerProblem = nil
    }
    self.footer = footer
    self.footerProblem = footerProblem
    self.trailingBytes = trailing
    if let footer, footer.stoppedEarly {
      stoppedEarly = Self.readNote(source: source, footer: footer)?.stoppedEarly ?? "reason not recorded"
    } else {
      stoppedEarly = nil
    }
  }

  deinit {
    buffer.deallocate()
    source.close()
  }

  // MARK: Header

  private static func readHeader(source: ByteSource, size: UInt64, path: String) throws -> (
    TraceHeader, UInt64, [Int]
  ) {
    var prefix = [UInt8](repeating: 0, count: TraceFormat.headerPrefixSize)
    let got = prefix.withUnsafeMutableBytes { source.read(at: 0, count: $0.count, into: $0.baseAddress!) }
    if got < 0 { throw TraceError(.io, "cannot read '\(path)'") }
    let magicLength = min(got, 8)
    if magicLength < 8 || Array(prefix[0..<8]) != TraceFormat.magic {
      if size == 0 { throw TraceError(.notATrace, "'\(path)' is empty, not a DriftSim trace") }
      if magicLength > 0 && Array(prefix[0..<magicLength]) == Array(TraceFormat.magic[0..<magicLength]) {
        throw TraceError(.truncated, "'\(path)' is truncated inside the header", offset: UInt64(magicLength))
      }
      throw TraceError(.notATrace, "'\(path)' is not a DriftSim trace (bad magic)", offset: 0)
    }
    if got < TraceFormat.headerPrefixSize {
      throw TraceError(.truncated, "'\(path)' is truncated inside the header", offset: UInt64(got))
    }
    let major = UInt16(prefix[8]) | UInt16(prefix[9]) << 8
    let minor = UInt16(prefix[10]) | UInt16(prefix[11]) << 8
    let jsonLength = Int(UInt32(prefix[12]) | UInt32(prefix[13]) << 8 | UInt32(prefix[14]) << 16 | UInt32(prefix[15]) << 24)
    let version = TraceFormatVersion(major: major, minor: minor)
    if major > TraceFormat.majorVersion {
      throw TraceError(
        .unsupportedVersion,
        "'\(path)' uses trace format \(version), newer than this reader (format \(TraceFormat.majorVersion).x); upgrade DriftSim to read it"
      )
    }
    if major == 0 {
      throw TraceError(.corruptHeader, "'\(path)': corrupt header (format version \(version) does not exist)", offset: 8)
    }
    if jsonLength > TraceFormat.maxHeaderJSONSize {
      throw TraceError(.corruptHeader, "'\(path)': corrupt header (header length \(jsonLength) bytes is implausible)", offset: 12)
    }
    let total = TraceFormat.headerPrefixSize + jsonLength + 4
    if UInt64(total) > size {
      throw TraceError(.truncated, "'\(path)' is truncated inside the header", offset: size)
    }
    var bytes = [UInt8](repeating: 0, count: total)
    let n = bytes.withUnsafeMutableBytes { source.read(at: 0, count: total, into: $0.baseAddress!) }
    if n != total { throw TraceError(.io, "cannot read the header of '\(path)'") }
    let stored = bytes.withUnsafeBytes { UnsafeRawPointer($0.baseAddress!).le(total - 4, as: UInt32.self) }
    let computed = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(total - 4)])) }
    if stored != computed {
      throw TraceError(.corruptHeader, "'\(path)': corrupt header (CRC32C mismatch)", offset: UInt64(total - 4))
    }
    let json: HeaderJSON
    do {
      json = try JSONDecoder().decode(HeaderJSON.self, from: Data(bytes[16..<(16 + jsonLength)]))
    } catch {
      throw TraceError(.corruptHeader, "'\(path)': corrupt header (unreadable header JSON)", offset: 16)
    }
    guard json.format == HeaderJSON.formatName else {
      throw TraceError(.corruptHeader, "'\(path)': header format is '\(json.format)', not '\(HeaderJSON.formatName)'", offset: 16)
    }
    guard json.stateCount >= 0, json.stateCount <= 1 << 20 else {
      throw TraceError(.corruptHeader, "'\(path)': header stateCount \(json.stateCount) out of range", offset: 16)
    }
    var sizes = [Int](repeating: 0, count: 256)
    for entry in json.schema {
      guard let kind = RecordKind(rawValue: UInt8(truncatingIfNeeded: entry.kind)), entry.kind >= 0, entry.kind < 256
      else { continue }  // a kind from a newer minor version: its blocks are skipped
      let known = kind.recordSize(stateCount: json.stateCount)
      let ok = minor > TraceFormat.minorVersion ? entry.recordSize >= known : entry.recordSize == known
      guard ok, entry.recordSize <= TraceFormat.maxBlockPayloadSize else {
        throw TraceError(
          .corruptHeader, "'\(path)': schema gives \(entry.recordSize) bytes per \(kind.name) record, expected \(known)",
          offset: 16)
      }
      sizes[Int(kind.rawValue)] = entry.recordSize
    }
    var level: TraceLevel = []
    for name in json.level { if let kind = RecordKind(name: name) { level.insert(TraceLevel(kind)) } }
    var header = TraceHeader(
      softwareVersion: json.softwareVersion, scenario: json.scenario, seed: json.seed, level: level,
      stateCount: json.stateCount, metadata: json.metadata)
    header.timeUnit = json.timeUnit
    header.formatVersion = version
    header.blockPayloadBytes = json.blockPayloadBytes
    return (header, UInt64(total), sizes)
  }

  // MARK: Footer

  private static func readFooter(
    source: ByteSource, size: UInt64, dataOffset: UInt64, recordSizes: [Int], minor: UInt16, problem: inout TraceError?
  ) -> TraceFooter? {
    let trailerSize = UInt64(TraceFormat.trailerSize)
    guard size >= dataOffset + trailerSize else {
      problem = TraceError(.truncated, "no footer (the file ends after the header)", offset: size)
      return nil
    }
    var trailer = [UInt8](repeating: 0, count: TraceFormat.trailerSize)
    let n = trailer.withUnsafeMutableBytes { source.read(at: size - trailerSize, count: $0.count, into: $0.baseAddress!) }
    guard n == TraceFormat.trailerSize else {
      problem = TraceError(.io, "cannot read the trailer")
      return nil
    }
    let (footerOffset, footerLength, magic) = trailer.withUnsafeBytes {
      let p = UnsafeRawPointer($0.baseAddress!)
      return (p.le(0, as: UInt64.self), p.le(8, as: UInt32.self), p.le(12, as: UInt32.self))
    }
    guard magic == TraceFormat.trailerMagic else {
      problem = TraceError(.truncated, "no footer (the trace was not finished)", offset: size)
      return nil
    }
    let minimum = UInt64(TraceFormat.footerPrefixSize + 4)
    guard footerOffset >= dataOffset, footerLength >= minimum, footerLength <= UInt32.max,
      footerOffset <= size, UInt64(footerLength) <= size - footerOffset,
      footerOffset + UInt64(footerLength) == size - trailerSize
    else {
      problem = TraceError(.corruptFooter, "corrupt trailer (footer offset/length inconsistent)", offset: size - trailerSize)
      return nil
    }
    return parseFooter(
      source: source, at: footerOffset, length: footerLength, dataOffset: dataOffset, recordSizes: recordSizes,
      minor: minor, problem: &problem)
  }

  /// Reads and checks the footer of `length` bytes at `footerOffset` (CRC, layout, consistency).
  private static func parseFooter(
    source: ByteSource, at footerOffset: UInt64, length footerLength: UInt32, dataOffset: UInt64, recordSizes: [Int],
    minor: UInt16, problem: inout TraceError?
  ) -> TraceFooter? {
    var bytes = [UInt8](repeating: 0, count: Int(footerLength))
    let m = bytes.withUnsafeMutableBytes { source.read(at: footerOffset, count: $0.count, into: $0.baseAddress!) }
    guard m == Int(footerLength) else {
      problem = TraceError(.io, "cannot read the footer")
      return nil
    }
    let parsed = bytes.withUnsafeBytes { raw -> TraceFooter? in
      let p = UnsafeRawPointer(raw.baseAddress!)
      let length = raw.count
      let stored = p.le(length - 4, as: UInt32.self)
      guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<(length - 4)])) == stored else {
        problem = TraceError(.corruptFooter, "corrupt footer (CRC32C mismatch)", offset: footerOffset)
        return nil
      }
      guard p.le(0, as: UInt32.self) == TraceFormat.footerMagic else {
        problem = TraceError(.corruptFooter, "corrupt footer (bad magic)", offset: footerOffset)
        return nil
      }
      let flags = p.le(4, as: UInt32.self)
      let blockCount = Int(p.le(8, as: UInt32.self))
      let kindCount = Int(p.le(12, as: UInt32.self))
      let expected =
        TraceFormat.footerPrefixSize + kindCount * TraceFormat.footerKindEntrySize + blockCount
        * TraceFormat.footerBlockEntrySize + 4
      guard kindCount <= 255, blockCount <= length, expected == length else {
        problem = TraceError(.corruptFooter, "corrupt footer (sizes inconsistent)", offset: footerOffset)
        return nil
      }
      var totals: [RecordKind: TraceFooter.KindTotals] = [:]
      var unknownKindTotals: UInt64 = 0
      var o = TraceFormat.footerPrefixSize
      for k in 0..<kindCount {
        if let kind = RecordKind(rawValue: UInt8(k + 1)) {
          totals[kind] = .init(records: p.le(o, as: UInt64.self), firstTime: p.f64(o + 8), lastTime: p.f64(o + 16))
        } else {
          let (sum, overflow) = unknownKindTotals.addingReportingOverflow(p.le(o, as: UInt64.self))
          unknownKindTotals = overflow ? .max : sum
        }
        o += TraceFormat.footerKindEntrySize
      }
      var blocks: [TraceFooter.BlockEntry] = []
      blocks.reserveCapacity(blockCount)
      for _ in 0..<blockCount {
        blocks.append(
          .init(
            offset: p.le(o, as: UInt64.self), count: Int(p.le(o + 8, as: UInt32.self)),
            kindCode: p.load(fromByteOffset: o + 12, as: UInt8.self), firstTime: p.f64(o + 16), lastTime: p.f64(o + 24)))
        o += TraceFormat.footerBlockEntrySize
      }
      return TraceFooter(
        offset: footerOffset, interrupted: flags & TraceFormat.flagInterrupted != 0,
        stoppedEarly: flags & TraceFormat.flagStoppedEarly != 0, totals: totals, blocks: blocks,
        unknownKindTotals: unknownKindTotals)
    }
    guard let parsed else { return nil }
    if let inconsistency = parsed.inconsistency(dataOffset: dataOffset, recordSizes: recordSizes, minor: minor) {
      problem = inconsistency
      return nil
    }
    return parsed
  }

  /// Walks the block headers from the data start to find a footer whose own trailer is intact
  /// although the file does not end there (bytes were appended): returns it and the number of
  /// bytes after its trailer. Nil when the walk meets a damaged block or the end of the file.
  private static func locateFooter(
    source: ByteSource, size: UInt64, dataOffset: UInt64, recordSizes: [Int], minor: UInt16
  ) -> (footer: TraceFooter, trailingBytes: UInt64)? {
    var pos = dataOffset
    var head = [UInt8](repeating: 0, count: TraceFormat.blockHeaderSize)
    while pos + UInt64(TraceFormat.footerPrefixSize) <= size {
      let n = head.withUnsafeMutableBytes { source.read(at: pos, count: TraceFormat.blockHeaderSize, into: $0.baseAddress!) }
      guard n >= TraceFormat.footerPrefixSize else { return nil }
      let magic = head.withUnsafeBytes { UnsafeRawPointer($0.baseAddress!).le(0, as: UInt32.self) }
      if magic == TraceFormat.footerMagic {
        let (blockCount, kindCount) = head.withUnsafeBytes {
          (UInt64(UnsafeRawPointer($0.baseAddress!).le(8, as: UInt32.self)), UInt64(UnsafeRawPointer($0.baseAddress!).le(12, as: UInt32.self)))
        }
        let length =
          UInt64(TraceFormat.footerPrefixSize) + kindCount * UInt64(TraceFormat.footerKindEntrySize) + blockCount
          * UInt64(TraceFormat.footerBlockEntrySize) + 4
        guard kindCount <= 255, length <= UInt64(UInt32.max), pos + length + UInt64(TraceFormat.trailerSize) < size else {
          return nil
        }
        var trailer = [UInt8](repeating: 0, count: TraceFormat.trailerSize)
        let t = trailer.withUnsafeMutableBytes { source.read(at: pos + length, count: $0.count, into: $0.baseAddress!) }
        guard t == TraceFormat.trailerSize else { return nil }
        let ok = trailer.withUnsafeBytes { raw -> Bool in
          let q = UnsafeRawPointer(raw.baseAddress!)
          return q.le(0, as: UInt64.self) == pos && UInt64(q.le(8, as: UInt32.self)) == length
            && q.le(12, as: UInt32.self) == TraceFormat.trailerMagic
        }
        guard ok else { return nil }
        var problem: TraceError?
        guard
          let footer = parseFooter(
            source: source, at: pos, length: UInt32(length), dataOffset: dataOffset, recordSizes: recordSizes,
            minor: minor, problem: &problem)
        else { return nil }
        return (footer, size - (pos + length + UInt64(TraceFormat.trailerSize)))
      }
      guard n == TraceFormat.blockHeaderSize else { return nil }
      let h = head.withUnsafeBytes { BlockHeader(UnsafeRawPointer($0.baseAddress!)) }
      guard h.valid else { return nil }
      pos += UInt64(TraceFormat.blockHeaderSize) + UInt64(h.payloadLength)
    }
    return nil
  }

  /// The note block (format 1.1) the footer indexes, decoded; nil when absent or damaged.
  private static func readNote(source: ByteSource, footer: TraceFooter) -> TraceNote? {
    guard let entry = footer.blocks.last(where: { $0.kindCode == TraceFormat.noteKindCode }) else { return nil }
    var head = [UInt8](repeating: 0, count: TraceFormat.blockHeaderSize)
    let n = head.withUnsafeMutableBytes { source.read(at: entry.offset, count: TraceFormat.blockHeaderSize, into: $0.baseAddress!) }
    guard n == TraceFormat.blockHeaderSize else { return nil }
    let h = head.withUnsafeBytes { BlockHeader(UnsafeRawPointer($0.baseAddress!)) }
    guard h.valid, h.kindCode == TraceFormat.noteKindCode, h.payloadLength <= UInt32(TraceFormat.maxNoteSize),
      entry.offset + UInt64(TraceFormat.blockHeaderSize) + UInt64(h.payloadLength) <= footer.offset
    else { return nil }
    var payload = [UInt8](repeating: 0, count: Int(h.payloadLength))
    let m = payload.withUnsafeMutableBytes {
      source.read(at: entry.offset + UInt64(TraceFormat.blockHeaderSize), count: $0.count, into: $0.baseAddress!)
    }
    guard m == payload.count, CRC32C.checksum(payload) == h.payloadCRC else { return nil }
    return payload.withUnsafeBytes { TraceNote.decode($0) }
  }

  // MARK: Blocks

  /// Visits every intact block that passes `kinds` and `timeWindow`, in file order.
  /// - Parameter body: called with each block; the block's payload is valid only during the call.
  /// - Returns: the integrity of the trace as far as it was read (blocks skipped by the filters are
  ///   CRC-checked too unless `verifySkippedBlocks` is false).
  /// - Throws: a damaged block (without salvage), an I/O error, or whatever `body` throws.
  @discardableResult
  public func forEachBlock(_ body: (TraceBlock) throws -> Void) throws -> TraceIntegrity {
    if let footer, !verifySkippedBlocks, timeWindow != nil || kinds != .all {
      return try forEachIndexedBlock(footer, body)
    }
    var integrity = TraceIntegrity()
    integrity.interrupted = footer?.interrupted ?? false
    integrity.stoppedEarly = stoppedEarly
    var validator = ContentValidator(header: header)
    let newerMinor = header.formatVersion.minor > TraceFormat.minorVersion
    let end: UInt64 = footer?.offset ?? fileSize
    var pos = dataOffset
    var blockIndex = 0
    let headerSize = UInt64(TraceFormat.blockHeaderSize)
    var head = [UInt8](repeating: 0, count: TraceFormat.blockHeaderSize)

    func damaged(_ error: TraceError) throws {
      if !salvage { throw error }
      integrity.problems.append(error)
      integrity.status = .corrupt
    }

    scan: while pos < end {
      let remaining = end - pos
      if remaining < headerSize {
        if footer == nil, isFooterStart(at: pos) { break scan }
        if footer == nil {
          integrity.markTruncated(
            TraceError(.truncated, "truncated: the file ends inside block \(blockIndex)", offset: pos))
          break scan
        }
        try damaged(TraceError(.corruptBlock, "corrupt block \(blockIndex) (\(remaining) stray bytes before the footer)", offset: pos))
        break scan
      }
      let n = head.withUnsafeMutableBytes { source.read(at: pos, count: TraceFormat.blockHeaderSize, into: $0.baseAddress!) }
      guard n == TraceFormat.blockHeaderSize else { throw TraceError(.io, "cannot read '\(path)'", offset: pos) }
      let h = head.withUnsafeBytes { BlockHeader(UnsafeRawPointer($0.baseAddress!)) }
      if !h.valid {
        if footer == nil, h.magic == TraceFormat.footerMagic { break scan }  // an unusable footer follows
        try damaged(TraceError(.corruptBlock, "corrupt block \(blockIndex) (bad block header)", offset: pos))
        guard let next = resynchronise(after: pos, end: end) else { break scan }
        pos = next
        blockIndex += 1
        continue scan
      }
      let kind = RecordKind(rawValue: h.kindCode)
      let recordSize = Int(h.kindCode) < recordSizes.count ? recordSizes[Int(h.kindCode)] : 0
      let blockEnd = pos + headerSize + UInt64(h.payloadLength)
      if blockEnd > end {
        if footer == nil {
          integrity.markTruncated(
            TraceError(.truncated, "truncated: the file ends inside block \(blockIndex)", offset: pos))
          break scan
        }
        try damaged(TraceError(.corruptBlock, "corrupt block \(blockIndex) (length runs past the footer)", offset: pos))
        guard let next = resynchronise(after: pos, end: end) else { break scan }
        pos = next
        blockIndex += 1
        continue scan
      }
      if let footer, integrity.status != .corrupt {
        if blockIndex < footer.blocks.count {
          let e = footer.blocks[blockIndex]
          if e.offset != pos || e.kindCode != h.kindCode || e.count != Int(h.count) || e.firstTime != h.firstTime
            || e.lastTime != h.lastTime
          {
            integrity.footerMismatch = true
            integrity.footerMismatchBlock = integrity.footerMismatchBlock ?? blockIndex
          }
        } else {
          integrity.footerMismatch = true
        }
      }
      if kind == nil, h.kindCode != TraceFormat.noteKindCode, !newerMinor {
        try damaged(
          TraceError(
            .corruptBlock,
            "corrupt block \(blockIndex) (kind code \(h.kindCode) is not defined in trace format \(header.formatVersion))",
            offset: pos))
        pos = blockEnd
        blockIndex += 1
        continue scan
      }
      guard let kind, recordSize > 0 else {
        // A kind from a newer minor version (or absent from the schema): skip it.
        pos = blockEnd
        blockIndex += 1
        integrity.blocksRead += 1
        continue scan
      }
      if h.payloadLength > UInt32(TraceFormat.maxBlockPayloadSize) || h.count == 0
        || Int(h.payloadLength) != Int(h.count) * recordSize
      {
        try damaged(
          TraceError(
            .corruptBlock,
            "corrupt block \(blockIndex) (\(h.count) records of \(recordSize) bytes do not fill \(h.payloadLength) bytes)",
            offset: pos))
        pos = blockEnd
        blockIndex += 1
        continue scan
      }
      let wanted =
        kinds.contains(kind) && (timeWindow.map { h.lastTime >= $0.lowerBound && h.firstTime <= $0.upperBound } ?? true)
      if wanted || verifySkippedBlocks {
        let length = Int(h.payloadLength)
        ensureCapacity(length)
        let got = source.read(at: pos + headerSize, count: length, into: buffer)
        guard got == length else { throw TraceError(.io, "cannot read '\(path)'", offset: pos + headerSize) }
        let payload = UnsafeRawBufferPointer(start: buffer, count: length)
        if CRC32C.checksum(payload) != h.payloadCRC {
          try damaged(TraceError(.corruptBlock, "corrupt block \(blockIndex) (payload CRC32C mismatch)", offset: pos))
          pos = blockEnd
          blockIndex += 1
          continue scan
        }
        let block = TraceBlock(
          kind: kind, index: blockIndex, offset: pos, count: Int(h.count), firstTime: h.firstTime,
          lastTime: h.lastTime, recordSize: recordSize, stateCount: header.stateCount, payload: payload)
        if let invalid = validator.check(block) {
          try damaged(invalid)
          pos = blockEnd
          blockIndex += 1
          continue scan
        }
        if wanted {
          try body(block)
          integrity.recordsRead[kind, default: 0] += Int(h.count)
        }
      }
      integrity.blocksRead += 1
      integrity.validEnd = blockEnd
      pos = blockEnd
      blockIndex += 1
    }
    if integrity.validEnd == 0 { integrity.validEnd = dataOffset }
    if let footer {
      if blockIndex != footer.blocks.count || integrity.footerMismatch {
        if integrity.status == .complete {
          let what =
            blockIndex != footer.blocks.count
            ? "it indexes \(footer.blocks.count) blocks, the file holds \(blockIndex)"
            : "its entry for block \(integrity.footerMismatchBlock ?? 0) does not match the block header"
          try damaged(TraceError(.corruptFooter, "corrupt footer (\(what))", offset: footer.offset))
        }
      }
      if trailingBytes > 0 {
        try damaged(trailingDataError(footer))
      }
    } else if integrity.status == .complete {
      // No usable footer and no truncation seen so far: the file ends after whole blocks.
      if let footerProblem, footerProblem.problem == .corruptFooter {
        try damaged(footerProblem)
      } else if pos < fileSize, isFooterStart(at: pos) {
        integrity.markTruncated(TraceError(.truncated, "truncated: the file ends inside the footer", offset: pos))
      } else {
        integrity.markTruncated(
          TraceError(.truncated, "truncated: no footer; \(integrity.blocksRead) whole blocks end", offset: integrity.validEnd))
      }
    }
    return integrity
  }

  /// Seeks with the footer index straight to the blocks that pass `kinds` and `timeWindow`
  /// (used when `verifySkippedBlocks` is false and a footer is present); other blocks are not read.
  private func forEachIndexedBlock(_ footer: TraceFooter, _ body: (TraceBlock) throws -> Void) throws
    -> TraceIntegrity
  {
    var integrity = TraceIntegrity()
    integrity.interrupted = footer.interrupted
    integrity.stoppedEarly = stoppedEarly
    var validator = ContentValidator(header: header)
    let headerSize = UInt64(TraceFormat.blockHeaderSize)
    var head = [UInt8](repeating: 0, count: TraceFormat.blockHeaderSize)
    func damaged(_ error: TraceError) throws {
      if !salvage { throw error }
      integrity.problems.append(error)
      integrity.status = .corrupt
    }
    for (index, entry) in footer.blocks.enumerated() {
      guard let kind = entry.kind, kinds.contains(kind),
        timeWindow.map({ entry.lastTime >= $0.lowerBound && entry.firstTime <= $0.upperBound }) ?? true
      else { continue }
      let pos = entry.offset
      guard pos >= dataOffset, pos <= footer.offset, footer.offset - pos >= headerSize else {
        try damaged(TraceError(.corruptFooter, "corrupt footer (block \(index) offset \(pos) is outside the data)", offset: footer.offset))
        continue
      }
      let n = head.withUnsafeMutableBytes { source.read(at: pos, count: TraceFormat.blockHeaderSize, into: $0.baseAddress!) }
      guard n == TraceFormat.blockHeaderSize else { throw TraceError(.io, "cannot read '\(path)'", offset: pos) }
      let h = head.withUnsafeBytes { BlockHeader(UnsafeRawPointer($0.baseAddress!)) }
      let recordSize = recordSizes[Int(kind.rawValue)]
      guard h.valid, h.kindCode == entry.kindCode, Int(h.count) == entry.count, recordSize > 0,
        h.firstTime == entry.firstTime, h.lastTime == entry.lastTime,
        h.count > 0, h.payloadLength <= UInt32(TraceFormat.maxBlockPayloadSize),
        Int(h.payloadLength) == Int(h.count) * recordSize,
        UInt64(h.payloadLength) <= footer.offset - pos - headerSize
      else {
        try damaged(TraceError(.corruptBlock, "corrupt block \(index) (bad block header or index entry)", offset: pos))
        continue
      }
      let length = Int(h.payloadLength)
      ensureCapacity(length)
      let got = source.read(at: pos + headerSize, count: length, into: buffer)
      guard got == length else { throw TraceError(.io, "cannot read '\(path)'", offset: pos + headerSize) }
      let payload = UnsafeRawBufferPointer(start: buffer, count: length)
      if CRC32C.checksum(payload) != h.payloadCRC {
        try damaged(TraceError(.corruptBlock, "corrupt block \(index) (payload CRC32C mismatch)", offset: pos))
        continue
      }
      let block = TraceBlock(
        kind: kind, index: index, offset: pos, count: Int(h.count), firstTime: h.firstTime, lastTime: h.lastTime,
        recordSize: recordSize, stateCount: header.stateCount, payload: payload)
      // Ordering across blocks is checked among the blocks read (the footer check covers the rest).
      if let invalid = validator.check(block) {
        try damaged(invalid)
        continue
      }
      try body(block)
      integrity.recordsRead[kind, default: 0] += Int(h.count)
      integrity.blocksRead += 1
    }
    integrity.validEnd = footer.offset
    integrity.blocksInFile = footer.blocks.count
    if trailingBytes > 0 { try damaged(trailingDataError(footer)) }
    return integrity
  }

  /// The error for bytes after the trailer of an otherwise whole trace.
  private func trailingDataError(_ footer: TraceFooter) -> TraceError {
    let end = fileSize - trailingBytes
    return TraceError(
      .trailingData,
      "\(trailingBytes) bytes of trailing data after the end of the trace (the trace itself ends with an intact footer at byte offset \(footer.offset))",
      offset: end)
  }

  /// Checks every block (all kinds, no time window) and returns the integrity.
  /// - Throws: a damaged block (without salvage) or an I/O error.
  public func verify() throws -> TraceIntegrity {
    let savedKinds = kinds
    let savedWindow = timeWindow
    kinds = .all
    timeWindow = nil
    defer {
      kinds = savedKinds
      timeWindow = savedWindow
    }
    return try forEachBlock { _ in }
  }

  private func isFooterStart(at pos: UInt64) -> Bool {
    var m: UInt32 = 0
    let n = withUnsafeMutableBytes(of: &m) { source.read(at: pos, count: 4, into: $0.baseAddress!) }
    return n == 4 && UInt32(littleEndian: m) == TraceFormat.footerMagic
  }

  /// The offset of the next valid block header after `pos` (or of the footer), nil if none.
  private func resynchronise(after pos: UInt64, end: UInt64) -> UInt64? {
    let chunk = 1 << 16
    var start = pos + 1
    var window = [UInt8](repeating: 0, count: chunk + TraceFormat.blockHeaderSize)
    while start < end {
      let want = Int(min(UInt64(window.count), end - start))
      let got = window.withUnsafeMutableBytes { source.read(at: start, count: want, into: $0.baseAddress!) }
      if got <= 0 { return nil }
      let found: Int? = window.withUnsafeBytes { raw -> Int? in
        let p = UnsafeRawPointer(raw.baseAddress!)
        var i = 0
        while i + TraceFormat.blockHeaderSize <= got {
          if p.le(i, as: UInt32.self) == TraceFormat.blockMagic, BlockHeader(p + i).valid { return i }
          i += 1
        }
        return nil
      }
      if let found { return start + UInt64(found) }
      if got < TraceFormat.blockHeaderSize + 1 { return nil }
      start += UInt64(got - TraceFormat.blockHeaderSize + 1)
    }
    return nil
  }

  private func ensureCapacity(_ n: Int) {
    guard n > bufferCapacity else { return }
    buffer.deallocate()
    bufferCapacity = max(n, bufferCapacity * 2)
    buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferCapacity, alignment: 16)
  }
}

/// A decoded block header.
private struct BlockHeader {
  var magic: UInt32
  var kindCode: UInt8
  var count: UInt32
  var payloadLength: UInt32
  var firstTime: Double
  var lastTime: Double
  var payloadCRC: UInt32
  var valid: Bool

  init(_ p: UnsafeRawPointer) {
    magic = p.le(0, as: UInt32.self)
    kindCode = p.load(fromByteOffset: 4, as: UInt8.self)
    count = p.le(8, as: UInt32.self)
    payloadLength = p.le(12, as: UInt32.self)
    firstTime = p.f64(16)
    lastTime = p.f64(24)
    payloadCRC = p.le(32, as: UInt32.self)
    let headerCRC = p.le(36, as: UInt32.self)
    valid = magic == TraceFormat.blockMagic && CRC32C.checksum(UnsafeRawBufferPointer(start: p, count: 36)) == headerCRC
  }
}

/// The footer index of a finished trace.
public struct TraceFooter: Sendable, Equatable {
  /// Records and time range of one kind.
  public struct KindTotals: Sendable, Equatable {
    /// Number of records.
    public var records: UInt64
    /// Time of the first record (s; 0 when there are none).
    public var firstTime: Double
    /// Time of the last record (s; 0 when there are none).
    public var lastTime: Double
  }
  /// One block of the index.
  public struct BlockEntry: Sendable, Equatable {
    /// Byte offset of the block header.
    public var offset: UInt64
    /// Records in the block.
    public var count: Int
    /// Kind byte (a `RecordKind` raw value, or a kind from a newer minor version).
    public var kindCode: UInt8
    /// First record time (s).
    public var firstTime: Double
    /// Last record time (s).
    public var lastTime: Double
    /// The record kind, if known to this reader.
    public var kind: RecordKind? { RecordKind(rawValue: kindCode) }
  }
  /// Byte offset of the footer.
  public var offset: UInt64
  /// Whether the run was interrupted by a signal.
  public var interrupted: Bool
  /// Whether the run stopped before its horizon (format 1.1; `TraceReader.stoppedEarly` has why).
  public var stoppedEarly: Bool = false
  /// Totals per kind.
  public var totals: [RecordKind: KindTotals]
  /// The block index, in file order (format 1.1 may add a note block, `kindCode` 0x80).
  public var blocks: [BlockEntry]
  /// Records totalled under kind slots this reader does not know (0 in a sound trace of a
  /// format this reader knows).
  var unknownKindTotals: UInt64 = 0

  /// Earliest and latest record time over all kinds with records, or nil for an empty trace.
  public var timeRange: ClosedRange<Double>? {
    let used = totals.values.filter { $0.records > 0 }
    guard let lo = used.map(\.firstTime).min(), let hi = used.map(\.lastTime).max(), lo <= hi else { return nil }
    return lo...hi
  }
}

/// How intact a trace is, as far as a pass read it.
public struct TraceIntegrity: Sendable, Equatable {
  /// The overall state.
  public enum Status: String, Sendable, Equatable, Codable {
    /// Footer present, every block intact.
    case complete
    /// The file ends early (no footer, or inside a block); everything before is intact.
    case truncated
    /// At least one block, the footer or the trailer is damaged.
    case corrupt
  }
  /// The overall state.
  public var status: Status = .complete
  /// The footer says the run was interrupted by a signal.
  public var interrupted = false
  /// Why the run stopped before its horizon (format 1.1), when the writer said so.
  public var stoppedEarly: String?
  /// Whole, framed blocks passed (delivered or filtered out).
  public var blocksRead = 0
  /// Records delivered to the callback, per kind.
  public var recordsRead: [RecordKind: Int] = [:]
  /// Offset just after the last intact block.
  public var validEnd: UInt64 = 0
  /// What went wrong, in file order (truncation, damaged blocks, footer problems).
  public var problems: [TraceError] = []
  var footerMismatch = false
  var footerMismatchBlock: Int?
  /// Set by an indexed read: the number of blocks the footer lists (only `blocksRead` were verified).
  public var blocksInFile: Int?

  mutating func markTruncated(_ e: TraceError) {
    if status == .complete { status = .truncated }
    problems.append(e)
  }

  /// One line: "complete", "complete (interrupted by a signal)", or the first problem.
  public var verdict: String {
    switch status {
    case .complete:
      (interrupted
        ? "complete (interrupted by a signal; the run ended early)"
        : stoppedEarly.map { "complete (the run stopped early: \($0))" } ?? "complete")
        + (blocksInFile.map { "; indexed read verified \(blocksRead) of \($0) blocks" } ?? "")
    case .truncated, .corrupt:
      problems.first.map { $0.message } ?? status.rawValue
    }
  }

  /// The first problem as an error (nil when complete).
  public var firstProblem: TraceError? { problems.first }
}

/// Where bytes come from: a file descriptor or memory.
private enum ByteSource {
  case file(Int32)
  case memory([UInt8])

  /// Reads up to `count` bytes at `offset`; returns the number read (short at the end), -1 on error.
  func read(at offset: UInt64, count: Int, into destination: UnsafeMutableRawPointer) -> Int {
    switch self {
    case .file(let fd):
      var done = 0
      while done < count {
        let n = pread(fd, destination + done, count - done, off_t(offset) + off_t(done))
        if n < 0 {
          if errno == EINTR { continue }
          return -1
        }
        if n == 0 { break }
        done += n
      }
      return done
    case .memory(let bytes):
      guard offset < UInt64(bytes.count) else { return 0 }
      let n = min(count, bytes.count - Int(offset))
      bytes.withUnsafeBytes { destination.copyMemory(from: $0.baseAddress! + Int(offset), byteCount: n) }
      return n
    }
  }

  func close() {
    if case .file(let fd) = self { closeDescriptor(fd) }
  }
}

/// Closes a file descriptor (the name `close` is shadowed inside `ByteSource`).
private func closeDescriptor(_ fd: Int32) {
  _ = close(fd)
}
