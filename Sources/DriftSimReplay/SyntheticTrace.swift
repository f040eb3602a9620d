import Foundation
import DriftSimTrace

/// A small deterministic trace generator (golden traces, tests and benchmarks; not a simulator).
///
/// Packet part: `pairs` transmitter-receiver pairs with Poisson arrivals (rate
/// `arrivalRatePerEpoch` per epoch), exponential packet sizes (mean `meanPacketBits`), FIFO queues
/// in bits served slot by slot at (bandwidthHz · slotSeconds) · log2(1 + SINR) bits, on/off power,
/// exponential fading. A packet's delay ends at the end of the slot that sends its last bit.
/// CTMC part: an SIS epidemic of `population` objects (states [susceptible, infected]; transition
/// 0 = infection, 1 = recovery) with snapshots every `snapshotInterval` seconds.
/// Random numbers come from SplitMix64 and `log` from the C library, so traces are byte-identical
/// across runs on one platform (the golden-trace test pins them on Linux).
public struct SyntheticTrace: Sendable {
  /// Number of pairs.
  public var pairs = 2
  /// Epochs to simulate (packet part; 0 disables it).
  public var epochs = 200
  /// Epoch length τ in seconds.
  public var epochSeconds = 0.005
  /// Slots per epoch N.
  public var slotsPerEpoch = 10
  /// Mean packet size S̄ in bits.
  public var meanPacketBits = 3000.0
  /// Packet arrivals per epoch λ (each pair).
  public var arrivalRatePerEpoch = 0.5
  /// Bandwidth W in Hz.
  public var bandwidthHz = 200_000.0
  /// Transmit power when the queue is not empty (noise units).
  public var power = 10.0
  /// Cross gain L_kj (direct gains are 1).
  public var crossGain = 0.1
  /// CTMC objects M (0 disables the CTMC part).
  public var population = 0
  /// CTMC simulated time in seconds.
  public var ctmcSeconds = 20.0
  /// Infection rate β, external infection ε and recovery rate μ (per second).
  public var infection = 2.0, externalInfection = 0.05, recovery = 1.0
  /// Seconds between CTMC snapshots.
  public var snapshotInterval = 0.1
  /// Base seed.
  public var seed: UInt64 = 1

  /// Creates the default configuration (2 pairs, 200 epochs, no CTMC part).
  public init() {}

  /// The header this configuration writes.
  public func header(level: TraceLevel) -> TraceHeader {
    var metadata: [String: String] = ["generator": "SyntheticTrace"]
    if epochs > 0 {
      metadata["pairs"] = String(pairs)
      metadata["meanPacketBits"] = String(meanPacketBits)
      metadata["epochSeconds"] = String(epochSeconds)
      metadata["slotsPerEpoch"] = String(slotsPerEpoch)
      metadata["arrivalRatePerEpoch"] = String(arrivalRatePerEpoch)
    }
    if population > 0 {
      metadata["population"] = String(population)
      let p = infection - recovery - externalInfection
      let x = (p + (p * p + 4 * infection * externalInfection).squareRoot()) / (2 * infection)
      metadata["equilibrium"] = "[\(1 - x),\(x)]"
    }
    let scenario = """
      {"generator":"SyntheticTrace","pairs":\(pairs),"epochs":\(epochs),"epochSeconds":\(epochSeconds),\
      "slotsPerEpoch":\(slotsPerEpoch),"meanPacketBits":\(meanPacketBits),"arrivalRatePerEpoch":\(arrivalRatePerEpoch),\
      "bandwidthHz":\(bandwidthHz),"power":\(power),"crossGain":\(crossGain),"population":\(population),\
      "ctmcSeconds":\(ctmcSeconds),"seed":\(seed)}
      """
    return TraceHeader(
      softwareVersion: "driftsim-replay synthetic 1", scenario: scenario, seed: seed, level: level,
      stateCount: population > 0 ? 2 : 0, metadata: metadata)
  }

  /// Generates the trace at `path`.
  /// - Returns: the writer's summary.
  /// - Throws: `TraceError` from the writer.
  @discardableResult
  public func write(to path: String, level: TraceLevel = .all, blockPayloadBytes: Int = TraceFormat.defaultBlockPayloadBytes)
    throws -> TraceWriteSummary
  {
    var level = level
    if population == 0 { level.subtract(.ctmc) }
    let writer = try TraceWriter(
      path: path, header: header(level: level), blockPayloadBytes: blockPayloadBytes, durable: false)
    if epochs > 0 { generatePackets(writer) }
    if population > 0 { generateCTMC(writer) }
    return try writer.finish(interrupted: false)
  }

  private struct Packet {
    var id: UInt64
    var arrival: Double
    var remainingBits: Double
  }

  private func generatePackets(_ writer: TraceWriter) {
    var rng = SplitMix64(seed: seed)
    let slotSeconds = epochSeconds / Double(slotsPerEpoch)
    let ratePerSecond = arrivalRatePerEpoch / epochSeconds
    var queues = [[Packet]](repeating: [], count: pairs)
    var heads = [Int](repeating: 0, count: pairs)
    var queueBits = [Double](repeating: 0, count: pairs)
    var nextArrival = (0..<pairs).map { _ in rng.exponential(mean: 1 / ratePerSecond) }
    var nextID: UInt64 = 1
    var pending: [(time: Double, pair: Int, bits: Double)] = []
    var powers = [Double](repeating: 0, count: pairs)
    var gains = [Double](repeating: 0, count: pairs * pairs)
    for e in 0..<epochs {
      for s in 0..<slotsPerEpoch {
        let t = Double(e * slotsPerEpoch + s) * slotSeconds
        // Arrivals before the slot start join the queues (served from this slot on).
        pending.removeAll(keepingCapacity: true)
        for k in 0..<pairs {
          while nextArrival[k] < t {
            pending.append((nextArrival[k], k, rng.exponential(mean: meanPacketBits)))
            nextArrival[k] += rng.exponential(mean: 1 / ratePerSecond)
          }
        }
        pending.sort { $0.time < $1.time }
        for a in pending {
          writer.writePacketArrival(pair: a.pair, packetID: nextID, time: a.time, bits: a.bits)
          queues[a.pair].append(Packet(id: nextID, arrival: a.time, remainingBits: a.bits))
          queueBits[a.pair] += a.bits
          nextID += 1
        }
        if s == 0 {
          for k in 0..<pairs {
            writer.writeEpoch(pair: k, time: t, queueBits: queueBits[k], weight: queueBits[k] / meanPacketBits)
          }
        }
        for k in 0..<pairs { powers[k] = queueBits[k] > 0 ? power : 0 }
        for i in 0..<(pairs * pairs) {
          gains[i] = (i / pairs == i % pairs ? 1 : crossGain) * rng.exponential(mean: 1)
        }
        for k in 0..<pairs {
          var interference = 1.0
          for j in 0..<pairs where j != k { interference += powers[j] * gains[k * pairs + j] }
          let sinr = powers[k] * gains[k * pairs + k] / interference
          var capacity = min(bandwidthHz * slotSeconds * log2(1 + sinr), queueBits[k])
          let served = capacity
          while capacity > 0, heads[k] < queues[k].count {
            let take = min(capacity, queues[k][heads[k]].remainingBits)
            queues[k][heads[k]].remainingBits -= take
            capacity -= take
            if queues[k][heads[k]].remainingBits <= 1e-9 {
              let p = queues[k][heads[k]]
              writer.writePacketDeparture(pair: k, packetID: p.id, time: t + slotSeconds, delay: t + slotSeconds - p.arrival)
              heads[k] += 1
            }
          }
          queueBits[k] = max(0, queueBits[k] - served)
          if heads[k] == queues[k].count { queueBits[k] = 0 }
          if heads[k] > 1024 {
            queues[k].removeFirst(heads[k])
            heads[k] = 0
          }
          writer.writeSlot(pair: k, time: t, power: powers[k], sinr: sinr, bitsServed: served)
        }
      }
    }
  }

  private func generateCTMC(_ writer: TraceWriter) {
    var rng = SplitMix64(seed: seed &+ 0x5EED)
    let m = Double(population)
    var infected = population / 10
    var t = 0.0
    var snapshotIndex = 0
    var nextSnapshot = 0.0
    while t < ctmcSeconds {
      let up = (infection * Double(infected) / m + externalInfection) * Double(population - infected)
      let down = recovery * Double(infected)
      let total = up + down
      let dt = total > 0 ? rng.exponential(mean: 1 / total) : ctmcSeconds
      while nextSnapshot <= min(t + dt, ctmcSeconds) {
        writer.writeCTMCSnapshot(time: nextSnapshot, counts: [population - infected, infected])
        snapshotIndex += 1
        nextSnapshot = Double(snapshotIndex) * snapshotInterval
      }
      t += dt
      if t >= ctmcSeconds || total == 0 { break }
      if rng.uniform() * total < up {
        infected += 1
        writer.writeCTMCJump(time: t, transition: 0)
      } else {
        infected -= 1
        writer.writeCTMCJump(time: t, transition: 1)
      }
    }
  }
}

/// SplitMix64 (Steele, Lea & Flood 2014): tiny, fast and identical on every platform.
struct SplitMix64 {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// Uniform in (0, 1).
  mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) * 0x1p-53 }
  mutating func exponential(mean: Double) -> Double { -mean * log(uniform()) }
}
