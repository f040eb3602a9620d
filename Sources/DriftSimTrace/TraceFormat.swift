import Foundation

/// Constants of the on-disk layout (see traces/FORMAT.md). All integers are little-endian.
public enum TraceFormat {
  /// The first 8 bytes of every trace: ASCII "DRIFTTRC".
  public static let magic: [UInt8] = Array("DRIFTTRC".utf8)
  /// The major version this library writes and the newest it reads. A reader refuses a newer major.
  public static let majorVersion: UInt16 = 1
  /// The minor version this library writes. Readers read any minor version of their major
  /// (newer minors only add record kinds, which older readers skip, or fields at the end of a record).
  /// 1.1 adds the stopped-early footer flag and its note block (older readers skip both).
  public static let minorVersion: UInt16 = 1
  /// Bytes before the header JSON: magic (8), major (2), minor (2), JSON length (4).
  public static let headerPrefixSize = 16
  /// Largest header JSON a reader accepts (bytes), so corrupt lengths cannot exhaust memory.
  public static let maxHeaderJSONSize = 64 << 20
  /// Block header size: magic u32, kind u8, 3 reserved, count u32, payload length u32,
  /// first time f64, last time f64, payload CRC32C u32, header CRC32C u32.
  public static let blockHeaderSize = 40
  /// Block magic "DTBK" read as a little-endian u32.
  public static let blockMagic: UInt32 = 0x4B42_5444
  /// Footer magic "DTFT" read as a little-endian u32.
  public static let footerMagic: UInt32 = 0x5446_5444
  /// Trailer magic "DTND" read as a little-endian u32; the trailer is the last 16 bytes:
  /// footer offset u64, footer length u32 (including its CRC), magic u32.
  public static let trailerMagic: UInt32 = 0x444E_5444
  /// Trailer size in bytes.
  public static let trailerSize = 16
  /// Footer bytes before the per-kind totals: magic, flags, block count, kind count.
  public static let footerPrefixSize = 16
  /// Bytes per kind in the footer totals: records u64, first time f64, last time f64.
  public static let footerKindEntrySize = 24
  /// Bytes per block in the footer index: offset u64, count u32, kind u8, 3 reserved, first f64, last f64.
  public static let footerBlockEntrySize = 32
  /// Footer flag: the run was interrupted (SIGINT/SIGTERM) and the trace ends early.
  public static let flagInterrupted: UInt32 = 1
  /// Footer flag (format 1.1): the run stopped before its horizon for a reason the simulation
  /// gives (e.g. a queue passed `maxQueuePackets`); a note block holds the reason.
  public static let flagStoppedEarly: UInt32 = 2
  /// Kind byte of a note block (format 1.1): one record, the UTF-8 JSON object
  /// `{"stoppedEarly": REASON}`. Readers of format 1.0 skip it like any kind they do not know.
  public static let noteKindCode: UInt8 = 0x80
  /// Largest note payload a writer writes and a reader accepts (bytes).
  public static let maxNoteSize = 4096
  /// Largest block payload a reader accepts (bytes).
  public static let maxBlockPayloadSize = 64 << 20
  /// Default block payload capacity of the writer (bytes): 64 KiB keeps per-kind buffers small and
  /// CRC/syscall overhead per record negligible.
  public static let defaultBlockPayloadBytes = 1 << 16
}

/// A format version (major.minor).
public struct TraceFormatVersion: Sendable, Equatable, Comparable, CustomStringConvertible {
  /// Incompatible layout changes.
  public var major: UInt16
  /// Backward-compatible additions.
  public var minor: UInt16
  /// Creates a version.
  public init(major: UInt16, minor: UInt16) {
    self.major = major
    self.minor = minor
  }
  /// The version this library writes.
  public static let current = TraceFormatVersion(major: TraceFormat.majorVersion, minor: TraceFormat.minorVersion)
  public var description: String { "\(major).\(minor)" }
  public static func < (a: Self, b: Self) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
}

/// The self-describing header of a trace: what produced it and how to repeat the run.
public struct TraceHeader: Sendable, Equatable {
  /// The version of the software that wrote the trace (e.g. "driftsim 0.1.0").
  public var softwareVersion: String
  /// The full scenario as text (UTF-8, typically JSON) from which the run can be repeated.
  public var scenario: String
  /// The base seed of the run.
  public var seed: UInt64
  /// Unit of every time field; always "s" (seconds) for traces written by this library.
  public var timeUnit: String
  /// The record kinds written.
  public var level: TraceLevel
  /// Number of CTMC states per snapshot record (0 when snapshots are not used).
  public var stateCount: Int
  /// Free key/value metadata, e.g. "pairs", "meanPacketBits", "epochSeconds", "slotsPerEpoch",
  /// "arrivalRatePerEpoch", "exponential" (the variate method, "ziggurat-256"; interference) or
  /// "equilibrium" (mean field, a JSON array).
  public var metadata: [String: String]
  /// The format version of the file (set by the reader; the writer always writes `.current`).
  public internal(set) var formatVersion: TraceFormatVersion = .current
  /// Block payload capacity the writer used, in bytes (informational).
  public internal(set) var blockPayloadBytes: Int = TraceFormat.defaultBlockPayloadBytes

  /// Creates a header.
  /// - Parameters:
  ///   - softwareVersion: name and version of the program writing the trace.
  ///   - scenario: the complete scenario text the run can be repeated from.
  ///   - seed: the base seed.
  ///   - level: which record kinds to write.
  ///   - stateCount: CTMC states per snapshot (needed only with `.ctmcSnapshots`).
  ///   - metadata: free key/value pairs (see the property's documentation for known keys).
  public init(
    softwareVersion: String, scenario: String, seed: UInt64, level: TraceLevel, stateCount: Int = 0,
    metadata: [String: String] = [:]
  ) {
    self.softwareVersion = softwareVersion
    self.scenario = scenario
    self.seed = seed
    self.timeUnit = "s"
    self.level = level
    self.stateCount = stateCount
    self.metadata = metadata
  }

  /// Bytes per record of `kind` in this trace.
  @inlinable
  public func recordSize(_ kind: RecordKind) -> Int { kind.recordSize(stateCount: stateCount) }

  /// A metadata value parsed as a number, or nil.
  public func number(_ key: String) -> Double? { metadata[key].flatMap { Double($0) } }
}

/// The JSON form of the header (keys sorted when written, so bytes are deterministic).
struct HeaderJSON: Codable {
  struct KindSchema: Codable {
    var kind: Int
    var name: String
    var recordSize: Int
    var fields: [RecordField]
  }
  var format: String
  var formatVersion: String
  var softwareVersion: String
  var scenario: String
  var seed: UInt64
  var timeUnit: String
  var level: [String]
  var stateCount: Int
  var blockPayloadBytes: Int
  var metadata: [String: String]
  var schema: [KindSchema]

  static let formatName = "driftsim-trace"

  init(_ h: TraceHeader) {
    format = Self.formatName
    formatVersion = TraceFormatVersion.current.description
    softwareVersion = h.softwareVersion
    scenario = h.scenario
    seed = h.seed
    timeUnit = h.timeUnit
    level = h.level.kinds.map(\.name)
    stateCount = h.stateCount
    blockPayloadBytes = h.blockPayloadBytes
    metadata = h.metadata
    schema = RecordKind.allCases.map {
      KindSchema(
        kind: Int($0.rawValue), name: $0.name, recordSize: $0.recordSize(stateCount: h.stateCount),
        fields: $0.fields(stateCount: h.stateCount))
    }
  }

  /// The full header bytes: prefix, JSON, CRC32C.
  static func encode(_ header: TraceHeader) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let json = try encoder.encode(HeaderJSON(header))
    var bytes = TraceFormat.magic
    bytes.appendLE(TraceFormat.majorVersion)
    bytes.appendLE(TraceFormat.minorVersion)
    bytes.appendLE(UInt32(json.count))
    bytes.append(contentsOf: json)
    let crc = CRC32C.checksum(bytes)
    bytes.appendLE(crc)
    return bytes
  }
}

extension Array where Element == UInt8 {
  /// Appends the little-endian bytes of an integer.
  mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
    Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
  }
  /// Appends the little-endian bytes of a binary64.
  mutating func appendLE(_ value: Double) { appendLE(value.bitPattern) }
}

extension UnsafeRawPointer {
  /// Loads a little-endian integer at `offset` (any alignment).
  @inlinable
  func le<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
    T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
  }
  /// Loads a little-endian binary64 at `offset`.
  @inlinable
  func f64(_ offset: Int) -> Double { Double(bitPattern: le(offset, as: UInt64.self)) }
  /// Loads a little-endian binary32 at `offset`, widened.
  @inlinable
  func f32(_ offset: Int) -> Double { Double(Float(bitPattern: le(offset, as: UInt32.self))) }
}

/// The payload of a note block (format 1.1): why a run stopped before its horizon.
struct TraceNote: Codable, Equatable {
  /// The simulation's reason, one line.
  var stoppedEarly: String

  /// Sorted-key JSON bytes (deterministic).
  func encoded() -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(self)).map { Array($0) } ?? Array("{\"stoppedEarly\":\"\"}".utf8)
  }

  /// Decodes a note payload; nil when it is not a note this reader understands.
  static func decode(_ bytes: UnsafeRawBufferPointer) -> TraceNote? {
    try? JSONDecoder().decode(TraceNote.self, from: Data(bytes))
  }
}
