import Foundation
import Testing

@testable import DriftSimTrace

/// The content validator's fast path (`plausible`: per-field loops on bit patterns) must never
/// accept a block in which its record-major loop finds a bad record, and must accept every sound
/// block, so verdicts and messages do not depend on which path ran. Random blocks of every kind,
/// built from ordinary values and the
/// IEEE special cases (±0, subnormals, ±∞, NaNs of both signs, extremes), are checked both ways.
@Suite("Trace content validation: the fast path agrees with the record-major loop")
struct ValidatorFastPathTests {
  static let specials64: [UInt64] = [
    0, (-0.0).bitPattern, Double.leastNonzeroMagnitude.bitPattern, (-Double.leastNonzeroMagnitude).bitPattern,
    Double.greatestFiniteMagnitude.bitPattern, (-1.0).bitPattern, Double.infinity.bitPattern,
    (-Double.infinity).bitPattern, Double.nan.bitPattern, (-Double.nan).bitPattern, 0x7FF0_0000_0000_0001,
    0xFFF8_0000_0000_0000, 0x8000_0000_0000_0001,
  ]
  static let specials32: [UInt32] = [
    0, (-Float(0)).bitPattern, Float.leastNonzeroMagnitude.bitPattern, (-Float.leastNonzeroMagnitude).bitPattern,
    Float.greatestFiniteMagnitude.bitPattern, (-Float(1)).bitPattern, Float.infinity.bitPattern,
    (-Float.infinity).bitPattern, Float.nan.bitPattern, (-Float.nan).bitPattern, 0x7F80_0001, 0xFFC0_0000,
    0x8000_0001, 3, 4, 10, 11, UInt32.max, UInt32.max - 1,
  ]

  /// One field value: usually ordinary for its rule, sometimes a special bit pattern.
  func value(_ field: RecordField, _ g: inout SplitMix64, rare: Int) -> UInt64 {
    let special = g.below(rare) == 0
    switch field.type {
    case "<f8":
      return special ? Self.specials64[g.below(Self.specials64.count)] : (Double(g.below(1000)) * 0.37).bitPattern
    case "<f4":
      return UInt64(special ? Self.specials32[g.below(Self.specials32.count)] : (Float(g.below(1000)) * 0.37).bitPattern)
    case "<u8":
      return special ? UInt64.max - UInt64(g.below(2)) : UInt64(g.below(3))
    default:
      return UInt64(special ? Self.specials32[g.below(Self.specials32.count)] : UInt32(g.below(3)))
    }
  }

  @Test("random blocks of every kind with special values: same verdict and message both ways")
  func agreement() throws {
    let stateCount = 3
    let header = TraceHeader(
      softwareVersion: "t", scenario: "{}", seed: 0, level: .all, stateCount: stateCount,
      metadata: ["pairs": "3", "population": "10"])
    var g = SplitMix64(state: 42)
    var accepted = 0, rejected = 0
    for trial in 0..<6000 {
      let kind = RecordKind.allCases[trial % RecordKind.allCases.count]
      let size = kind.recordSize(stateCount: stateCount)
      let fields = kind.fields(stateCount: stateCount)
      let count = 1 + g.below(12)
      let rare = [4, 30, 200, 1_000_000][g.below(4)]
      var bytes = [UInt8](repeating: 0, count: count * size)
      var time = Double(g.below(5))
      var times: [Double] = []
      for r in 0..<count {
        for field in fields {
          for j in 0..<field.count {
            let o = r * size + field.offset + j * (field.type.hasSuffix("8") ? 8 : 4)
            var v = value(field, &g, rare: rare)
            if field.name == "time" {
              // Mostly nondecreasing times; sometimes a step back or a special value.
              time += Double(g.below(3)) * 0.5
              v = g.below(rare) == 0 ? Self.specials64[g.below(Self.specials64.count)] : time.bitPattern
              if g.below(rare) == 0 { v = (time - 1).bitPattern }
              times.append(Double(bitPattern: v))
            }
            let width = field.type.hasSuffix("8") ? 8 : 4
            for k in 0..<width { bytes[o + k] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(k))) }
          }
        }
      }
      // Block header times: usually the first and last record times, sometimes not.
      var first = times.first!, last = times.last!
      if !first.isFinite || g.below(50) == 0 { first = Double(g.below(3)) }
      if !last.isFinite || g.below(50) == 0 { last = first + Double(g.below(3)) }
      if g.below(40) == 0 { first = -1 }
      try bytes.withUnsafeBytes { raw in
        let block = TraceBlock(
          kind: kind, index: trial, offset: 1000, count: count, firstTime: first, lastTime: last, recordSize: size,
          stateCount: stateCount, payload: raw)
        var fast = ContentValidator(header: header)
        var slow = ContentValidator(header: header)
        let a = fast.check(block)
        let b = slow.check(block, fastPath: false)
        #expect(a == b, "trial \(trial) (\(kind.name)): fast \(a?.message ?? "ok"), slow \(b?.message ?? "ok")")
        if a == nil { accepted += 1 } else { rejected += 1 }
        // The fast path alone answers "plausible" exactly when the record-major loop finds nothing.
        if first.isFinite, last.isFinite, first <= last {
          let base = try #require(raw.baseAddress)
          let layout = kind.fields(stateCount: stateCount).map {
            CompiledField(
              offset: $0.offset, stride: $0.type.hasSuffix("8") ? 8 : 4, encoding: FieldEncoding($0.type),
              rule: FieldRule.of($0.name), count: $0.count)
          }
          var record = ContentValidator(header: header)
          let recordMajor = record.check(block, fastPath: false)
          let recordsFine = recordMajor == nil || recordMajor!.message.contains("the block header says")
          let plausible = fast.plausible(base, block, layout, pairLimit: 3)
          // Never "plausible" when a record is wrong (that would hide the error) ...
          if plausible { #expect(recordsFine, "trial \(trial) (\(kind.name)): \(recordMajor?.message ?? "")") }
          // ... and always "plausible" for a sound block, so sound traces never take the slow loop.
          if recordMajor == nil { #expect(plausible, "trial \(trial) (\(kind.name))") }
        }
      }
    }
    // Both outcomes must be well represented, or the comparison proves little.
    #expect(accepted > 1000 && rejected > 1000, "accepted \(accepted), rejected \(rejected)")
  }
}
