import Foundation

// The record kinds of a DriftSim trace, their fixed little-endian layouts and the trace level
// (which kinds a run writes). The layouts are the on-disk format: see traces/FORMAT.md.

/// One kind of trace record. The raw value is the kind byte stored in each block header.
///
/// Every record of a kind has the same size; all fields are little-endian and packed without
/// padding. Time (seconds, IEEE binary64) is always the first field, at byte offset 0.
public enum RecordKind: UInt8, CaseIterable, Sendable, Codable, CustomStringConvertible {
  /// A packet arrives at a transmitter: time f64 @0, packetID u64 @8, bits f32 @16, pair u32 @20.
  case packetArrival = 1
  /// A packet's last bit is delivered: time f64 @0, packetID u64 @8, delay f32 @16 (seconds),
  /// pair u32 @20.
  case packetDeparture = 2
  /// Start of a decision epoch for one pair: time f64 @0, queueBits f64 @8, weight f32 @16
  /// (policy weight or water level), pair u32 @20.
  case epoch = 3
  /// One slot of one pair: time f64 @0 (slot start), power f32 @8 (noise units), sinr f32 @12
  /// (linear), bitsServed f32 @16, pair u32 @20.
  case slot = 4
  /// A CTMC transition fires: time f64 @0, transition u32 @8.
  case ctmcJump = 5
  /// CTMC population counts: time f64 @0, counts u32[stateCount] @8.
  case ctmcSnapshot = 6

  /// The name used in headers, JSON output, CSV/Arrow file names and the Python reader.
  public var name: String {
    switch self {
    case .packetArrival: "packetArrival"
    case .packetDeparture: "packetDeparture"
    case .epoch: "epoch"
    case .slot: "slot"
    case .ctmcJump: "ctmcJump"
    case .ctmcSnapshot: "ctmcSnapshot"
    }
  }

  public var description: String { name }

  /// The kind with the given `name`, or nil.
  public init?(name: String) {
    guard let kind = RecordKind.allCases.first(where: { $0.name == name }) else { return nil }
    self = kind
  }

  /// Bytes per record; `stateCount` matters only for `.ctmcSnapshot` (8 + 4·stateCount).
  @inlinable
  public func recordSize(stateCount: Int) -> Int {
    switch self {
    case .packetArrival, .packetDeparture, .epoch, .slot: 24
    case .ctmcJump: 12
    case .ctmcSnapshot: 8 + 4 * stateCount
    }
  }

  /// The fields of one record in order: (name, numpy-style type, byte offset, element count).
  public func fields(stateCount: Int) -> [RecordField] {
    switch self {
    case .packetArrival:
      [.init("time", "<f8", 0), .init("packetID", "<u8", 8), .init("bits", "<f4", 16), .init("pair", "<u4", 20)]
    case .packetDeparture:
      [.init("time", "<f8", 0), .init("packetID", "<u8", 8), .init("delay", "<f4", 16), .init("pair", "<u4", 20)]
    case .epoch:
      [.init("time", "<f8", 0), .init("queueBits", "<f8", 8), .init("weight", "<f4", 16), .init("pair", "<u4", 20)]
    case .slot:
      [
        .init("time", "<f8", 0), .init("power", "<f4", 8), .init("sinr", "<f4", 12),
        .init("bitsServed", "<f4", 16), .init("pair", "<u4", 20),
      ]
    case .ctmcJump:
      [.init("time", "<f8", 0), .init("transition", "<u4", 8)]
    case .ctmcSnapshot:
      [.init("time", "<f8", 0), .init("counts", "<u4", 8, count: stateCount)]
    }
  }
}

/// One field of a record layout, as written in the header's schema.
public struct RecordField: Sendable, Equatable, Codable {
  /// Field name (camelCase).
  public var name: String
  /// numpy type string: "<f8" binary64, "<f4" binary32, "<u8" / "<u4" unsigned integers.
  public var type: String
  /// Byte offset inside the record.
  public var offset: Int
  /// Number of consecutive elements (1 except for snapshot counts).
  public var count: Int

  /// Creates a field description.
  public init(_ name: String, _ type: String, _ offset: Int, count: Int = 1) {
    self.name = name
    self.type = type
    self.offset = offset
    self.count = count
  }
}

/// Which record kinds a trace contains (size versus detail). Each write call of a kind that is not
/// in the level returns at once without writing.
public struct TraceLevel: OptionSet, Sendable, Hashable {
  public let rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  /// The level holding exactly one kind.
  public init(_ kind: RecordKind) { rawValue = 1 << UInt32(kind.rawValue) }

  /// Packet arrivals.
  public static let packetArrivals = TraceLevel(.packetArrival)
  /// Packet departures (with delays).
  public static let packetDepartures = TraceLevel(.packetDeparture)
  /// Packet arrivals and departures.
  public static let packets: TraceLevel = [.packetArrivals, .packetDepartures]
  /// Per-epoch queue and policy weight of each pair.
  public static let epochs = TraceLevel(.epoch)
  /// Per-slot power, SINR and bits served of each pair.
  public static let slots = TraceLevel(.slot)
  /// Every CTMC transition.
  public static let ctmcJumps = TraceLevel(.ctmcJump)
  /// CTMC population snapshots.
  public static let ctmcSnapshots = TraceLevel(.ctmcSnapshot)
  /// CTMC transitions and snapshots.
  public static let ctmc: TraceLevel = [.ctmcJumps, .ctmcSnapshots]
  /// Every kind.
  public static let all: TraceLevel = [.packets, .epochs, .slots, .ctmc]

  /// Whether records of `kind` are written.
  @inlinable
  public func contains(_ kind: RecordKind) -> Bool { rawValue & (1 << UInt32(kind.rawValue)) != 0 }

  /// The kinds in the level, in kind order.
  public var kinds: [RecordKind] { RecordKind.allCases.filter { contains($0) } }

  /// Parses a comma-separated list such as "packets,epochs" for command-line options.
  ///
  /// Accepted words: none, packets, arrivals, departures, epochs, slots, ctmc, jumps, snapshots, all,
  /// and the kind names (packetArrival, ...).
  /// - Returns: nil if a word is unknown (the caller names it in its error message).
  public init?(parsing text: String) {
    var level: TraceLevel = []
    for word in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !word.isEmpty {
      switch word.lowercased() {
      case "none": break
      case "packets": level.formUnion(.packets)
      case "arrivals": level.formUnion(.packetArrivals)
      case "departures": level.formUnion(.packetDepartures)
      case "epochs": level.formUnion(.epochs)
      case "slots": level.formUnion(.slots)
      case "ctmc": level.formUnion(.ctmc)
      case "jumps": level.formUnion(.ctmcJumps)
      case "snapshots": level.formUnion(.ctmcSnapshots)
      case "all": level.formUnion(.all)
      default:
        guard let kind = RecordKind(name: word) else { return nil }
        level.formUnion(TraceLevel(kind))
      }
    }
    self = level
  }
}

/// A packet arrival record, decoded.
public struct PacketArrival: Sendable, Equatable {
  /// Transmitter-receiver pair index.
  public var pair: Int
  /// Packet identifier (unique per run or per pair, as the simulator chooses).
  public var packetID: UInt64
  /// Arrival time in seconds.
  public var time: Double
  /// Packet size in bits (stored as binary32).
  public var bits: Double
  /// Creates a record.
  public init(pair: Int, packetID: UInt64, time: Double, bits: Double) {
    self.pair = pair
    self.packetID = packetID
    self.time = time
    self.bits = bits
  }
}

/// A packet departure record, decoded.
public struct PacketDeparture: Sendable, Equatable {
  /// Pair index.
  public var pair: Int
  /// Packet identifier (as in its arrival).
  public var packetID: UInt64
  /// Departure time in seconds (end of the slot that delivered the last bit).
  public var time: Double
  /// Delay (departure − arrival) in seconds (stored as binary32).
  public var delay: Double
  /// Creates a record.
  public init(pair: Int, packetID: UInt64, time: Double, delay: Double) {
    self.pair = pair
    self.packetID = packetID
    self.time = time
    self.delay = delay
  }
}

/// An epoch record, decoded.
public struct EpochRecord: Sendable, Equatable {
  /// Pair index.
  public var pair: Int
  /// Epoch start time in seconds.
  public var time: Double
  /// Bits in the pair's queue at the epoch start.
  public var queueBits: Double
  /// Policy weight or water level (stored as binary32).
  public var weight: Double
  /// Creates a record.
  public init(pair: Int, time: Double, queueBits: Double, weight: Double) {
    self.pair = pair
    self.time = time
    self.queueBits = queueBits
    self.weight = weight
  }
}

/// A slot record, decoded.
public struct SlotRecord: Sendable, Equatable {
  /// Pair index.
  public var pair: Int
  /// Slot start time in seconds.
  public var time: Double
  /// Transmit power in noise units (a linear SNR; binary32).
  public var power: Double
  /// Received SINR, linear (binary32).
  public var sinr: Double
  /// Bits delivered in the slot (binary32).
  public var bitsServed: Double
  /// Creates a record.
  public init(pair: Int, time: Double, power: Double, sinr: Double, bitsServed: Double) {
    self.pair = pair
    self.time = time
    self.power = power
    self.sinr = sinr
    self.bitsServed = bitsServed
  }
}

/// A CTMC jump record, decoded.
public struct CTMCJump: Sendable, Equatable {
  /// Jump time in seconds.
  public var time: Double
  /// Index of the transition that fired (model-defined).
  public var transition: Int
  /// Creates a record.
  public init(time: Double, transition: Int) {
    self.time = time
    self.transition = transition
  }
}
