import Foundation
import Testing

@testable import DriftSimTrace

/// A fresh temporary directory for one test.
func temporaryDirectory() -> URL {
  let url = FileManager.default.temporaryDirectory.appendingPathComponent("trace-tests-\(UUID().uuidString)")
  try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
  return url
}

/// Expected records of every kind, generated deterministically (no RNG: closed-form values).
struct SampleRecords {
  var arrivals: [PacketArrival] = []
  var departures: [PacketDeparture] = []
  var epochs: [EpochRecord] = []
  var slots: [SlotRecord] = []
  var jumps: [CTMCJump] = []
  var snapshots: [(time: Double, counts: [UInt32])] = []

  static let stateCount = 3

  /// `n` records of each kind with values exactly representable in the stored precision.
  init(n: Int) {
    for i in 0..<n {
      let t = Double(i) * 0.001 + 0.25
      arrivals.append(PacketArrival(pair: i % 3, packetID: UInt64(i) * 7 + 1, time: t, bits: Double(1000 + i)))
      departures.append(PacketDeparture(pair: i % 3, packetID: UInt64(i) * 7 + 1, time: t + 0.5, delay: 0.5 + Double(i % 4) * 0.25))
      epochs.append(EpochRecord(pair: i % 2, time: t, queueBits: Double(i) * 12345.678, weight: Double(i % 8) * 0.5))
      slots.append(SlotRecord(pair: i % 3, time: t, power: Double(i % 5) * 0.25, sinr: Double(i % 7) * 2, bitsServed: Double(i * 3)))
      jumps.append(CTMCJump(time: t, transition: i % 5))
      snapshots.append((t, [UInt32(i), UInt32(2 * i), UInt32(3 * i + 1)]))
    }
  }

  /// Writes everything (interleaved as a simulator would) to `path`.
  @discardableResult
  func write(to path: String, level: TraceLevel = .all, blockPayloadBytes: Int = 240, metadata: [String: String] = ["pairs": "3"])
    throws -> TraceWriteSummary
  {
    let header = TraceHeader(
      softwareVersion: "trace-tests 1", scenario: "{\"model\":\"test\"}", seed: 0xFEED_BEEF_0000_0001, level: level,
      stateCount: Self.stateCount, metadata: metadata)
    let writer = try TraceWriter(path: path, header: header, blockPayloadBytes: blockPayloadBytes, durable: false)
    for i in 0..<arrivals.count {
      let a = arrivals[i]
      writer.writePacketArrival(pair: a.pair, packetID: a.packetID, time: a.time, bits: a.bits)
      let d = departures[i]
      writer.writePacketDeparture(pair: d.pair, packetID: d.packetID, time: d.time, delay: d.delay)
      let e = epochs[i]
      writer.writeEpoch(pair: e.pair, time: e.time, queueBits: e.queueBits, weight: e.weight)
      let s = slots[i]
      writer.writeSlot(pair: s.pair, time: s.time, power: s.power, sinr: s.sinr, bitsServed: s.bitsServed)
      writer.writeCTMCJump(time: jumps[i].time, transition: jumps[i].transition)
      if i % 2 == 0 {
        snapshots[i].counts.withUnsafeBufferPointer { writer.writeCTMCSnapshot(time: snapshots[i].time, counts: $0) }
      } else {
        writer.writeCTMCSnapshot(time: snapshots[i].time, counts: snapshots[i].counts.map { Int($0) })
      }
    }
    return try writer.finish(interrupted: false)
  }
}

/// Everything a reader delivered, decoded.
struct ReadBack {
  var arrivals: [PacketArrival] = []
  var departures: [PacketDeparture] = []
  var epochs: [EpochRecord] = []
  var slots: [SlotRecord] = []
  var jumps: [CTMCJump] = []
  var snapshots: [(time: Double, counts: [UInt32])] = []
  var integrity = TraceIntegrity()

  init(_ reader: TraceReader) throws {
    var copy = ReadBack.empty
    integrity = try reader.forEachBlock { block in
      for i in 0..<block.count {
        switch block.kind {
        case .packetArrival: copy.arrivals.append(block.packetArrival(i))
        case .packetDeparture: copy.departures.append(block.packetDeparture(i))
        case .epoch: copy.epochs.append(block.epoch(i))
        case .slot: copy.slots.append(block.slot(i))
        case .ctmcJump: copy.jumps.append(block.ctmcJump(i))
        case .ctmcSnapshot: copy.snapshots.append((block.time(i), block.snapshotCounts(i)))
        }
      }
    }
    arrivals = copy.arrivals
    departures = copy.departures
    epochs = copy.epochs
    slots = copy.slots
    jumps = copy.jumps
    snapshots = copy.snapshots
  }

  private init() {}
  private static var empty: ReadBack { ReadBack() }

  var total: Int { arrivals.count + departures.count + epochs.count + slots.count + jumps.count + snapshots.count }
}
