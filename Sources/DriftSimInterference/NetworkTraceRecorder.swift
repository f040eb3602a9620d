import Foundation
import DriftSimTrace

/// Writes a network run to a binary trace (module Trace): the `NetworkRecorder` that
/// `driftsim run --trace PATH` uses.
///
/// The header carries the scenario as JSON (`driftsim run` reads it back, so the run can be
/// repeated exactly) and metadata for offline analysis: pairs, meanPacketBits, epochSeconds,
/// slotsPerEpoch, warmupEpochs, arrivalRatePerEpoch (JSON list), policy, gamma and exponential
/// (the variate method, "ziggurat-256").
public final class NetworkTraceRecorder: NetworkRecorder {
  /// The underlying writer.
  public let writer: TraceWriter
  public let recordsPackets: Bool
  public let recordsEpochs: Bool
  public let recordsSlots: Bool

  /// The trace level that a scenario's `traceLevel` selects.
  public static func traceLevel(_ level: NetworkTraceLevel) -> TraceLevel {
    switch level {
    case .off: return []
    case .packets: return .packets
    case .epochs: return [.packets, .epochs]
    case .slots: return [.packets, .epochs, .slots]
    }
  }

  /// Opens `path` (written as `path.partial` until `finish`).
  /// - Parameters:
  ///   - scenario: the scenario as run.
  ///   - gamma: the γ used (after calibration).
  ///   - softwareVersion: e.g. "driftsim 0.1.0".
  /// - Throws: `TraceError` if the file cannot be created.
  public init(path: String, scenario: Scenario, gamma: Double, softwareVersion: String) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
    let scenarioText = String(decoding: try encoder.encode(scenario), as: UTF8.self)
    let level: TraceLevel = Self.traceLevel(scenario.traceLevel)
    let rates = scenario.arrivalRate.resolved(pairs: scenario.pairs) ?? []
    let header = TraceHeader(
      softwareVersion: softwareVersion, scenario: scenarioText, seed: scenario.seed, level: level, stateCount: 0,
      metadata: [
        "model": "interference",
        "pairs": String(scenario.pairs),
        "meanPacketBits": String(scenario.meanPacketBits),
        "epochSeconds": String(scenario.epochSeconds),
        "slotsPerEpoch": String(scenario.slotsPerEpoch),
        "warmupEpochs": String(scenario.warmupEpochs),
        "arrivalRatePerEpoch": "[" + rates.map { String($0) }.joined(separator: ",") + "]",
        "policy": scenario.policy.rawValue,
        "gamma": String(gamma),
        "replication": "0",
        // Which exponential sampler drew the packet sizes, inter-arrival times and fading gains:
        // traces before this key existed used GSL's inversion (gsl_ran_exponential).
        "exponential": "ziggurat-256",
      ])
    writer = try TraceWriter(path: path, header: header)
    recordsPackets = level.contains(.packetArrival)
    recordsEpochs = level.contains(.epoch)
    recordsSlots = level.contains(.slot)
  }

  public func packetArrived(pair: Int, packetID: UInt64, time: Double, bits: Double) {
    writer.writePacketArrival(pair: pair, packetID: packetID, time: time, bits: bits)
  }

  public func packetDeparted(pair: Int, packetID: UInt64, time: Double, delay: Double) {
    writer.writePacketDeparture(pair: pair, packetID: packetID, time: time, delay: delay)
  }

  public func epochStarted(pair: Int, time: Double, queueBits: Double, weight: Double) {
    writer.writeEpoch(pair: pair, time: time, queueBits: queueBits, weight: weight)
  }

  public func slotServed(pair: Int, time: Double, power: Double, sinr: Double, bitsServed: Double) {
    writer.writeSlot(pair: pair, time: time, power: power, sinr: sinr, bitsServed: bitsServed)
  }

  public var stopRequested: Bool { TraceInterruption.isRequested }
}
