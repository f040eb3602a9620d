import DriftSimNumerics

/// J'(Q) of one fluid value function as a table of quintic Hermite pieces, for the fluid policy's
/// per-epoch weights: one polynomial evaluation (about 25 instructions) instead of a Halley solve
/// (two or three E1 evaluations, about 900 instructions).
///
/// The pieces live on a geometric grid in the queue Q (packets): every binary octave
/// [2^e, 2^(e+1)), e = `lowestOctave` … `highestOctave` − 1, is split into 64 equal intervals, so
/// the piece holding Q and Q's position in it come from Q's bit pattern alone (exponent and top 6
/// fraction bits; the other 46 bits are the position t ∈ [0, 1)), without a search or a log. A
/// geometric grid suits J', which rises like v + c√Q near the empty queue and like Q/ln Q for long
/// ones: every interval spans at most 1/64 of its left end.
///
/// Each piece matches J' and its first two derivatives at both ends, J'' = 1/q′(y) and
/// J''' = −q″(y)/q′(y)³ (q(y) the queue at slope y, `FluidValueFunction.queueWithDerivatives`),
/// from node values solved as the policy solved them before the table (`halleySlope`, ≈ 10⁻¹⁶
/// relative). Its error is of order (1/64)⁶ of the local scale: ≈ 3·10⁻¹⁵ relative on the paper
/// preset (measured against 30-digit mpmath roots at every midpoint; 10⁻¹¹ with 16 intervals per
/// octave). Every piece is checked when the table is built: at its midpoint, where the quintic's
/// error t³(1 − t)³ peaks, the piece must agree with a direct solve to `tolerance` (10⁻¹³)
/// relative; a piece that does not, or whose nodes could not be solved, is left out, and Q in it,
/// or outside the octaves, or 0, is answered by the caller's direct solve instead (`slope(atQueue:)`
/// returns nil).
public final class FluidSlopeTable: Sendable {
  /// The first octave covered: Q ≥ 2^lowestOctave packets (≈ 9.3 · 10⁻¹⁰).
  public static let lowestOctave = -30
  /// The octave past the last one covered: Q < 2^highestOctave packets (65 536).
  public static let highestOctave = 16
  /// Intervals per octave (a power of two: the index is the top fraction bits).
  public static let intervalsPerOctave = 64
  /// The largest relative difference from a direct solve accepted at a piece's midpoint.
  public static let tolerance = 1e-13

  private static let fractionBitsBelowIndex: UInt64 = 52 - 6
  private static let pieceCount = (highestOctave - lowestOctave) * intervalsPerOctave

  /// Six coefficients per piece, c0 … c5 of y(t) = c0 + c1 t + … + c5 t⁵, t ∈ [0, 1); a piece
  /// left out holds NaN in c0.
  private let coefficients: [Double]
  /// The number of pieces left out (failed midpoint check or unsolvable nodes).
  public let omittedPieces: Int

  /// Builds the table for one fluid value function (about 6 000 direct solves, a few ms).
  public init(_ function: FluidValueFunction) {
    let n = Self.pieceCount
    let solver = BrentRootFinder()
    // Node i is the left end of piece i; node n the right end of the last piece.
    func nodeQueue(_ i: Int) -> Double {
      let octave = Self.lowestOctave + i / Self.intervalsPerOctave
      let j = i % Self.intervalsPerOctave
      return Double(sign: .plus, exponent: octave, significand: 1 + Double(j) / Double(Self.intervalsPerOctave))
    }
    var slopes = [Double](repeating: .nan, count: n + 1)
    var first = [Double](repeating: .nan, count: n + 1)
    var second = [Double](repeating: .nan, count: n + 1)
    var start = -Double.infinity
    for i in 0...n {
      let queue = nodeQueue(i)
      guard let solved = try? function.halleySlope(atQueue: queue, start: start, solver: solver) else {
        start = -.infinity
        continue
      }
      let (_, q1, q2) = function.queueWithDerivatives(atSlope: solved.slope)
      slopes[i] = solved.slope
      first[i] = 1 / q1
      second[i] = -q2 / (q1 * q1 * q1)
      // The next node is at most 1/64 further: the tangent is a close start.
      start = solved.slope + (nodeQueue(i + 1) - queue) * first[i]
    }
    var table = [Double](repeating: .nan, count: 6 * n)
    var omitted = 0
    for i in 0..<n {
      let q0 = nodeQueue(i), width = nodeQueue(i + 1) - q0
      let f0 = slopes[i], f1 = slopes[i + 1]
      let d0 = width * first[i], d1 = width * first[i + 1]
      let s0 = width * width * second[i], s1 = width * width * second[i + 1]
      let c = [
        f0, d0, s0 / 2,
        10 * (f1 - f0) - 6 * d0 - 4 * d1 - 1.5 * s0 + 0.5 * s1,
        -15 * (f1 - f0) + 8 * d0 + 7 * d1 + 1.5 * s0 - s1,
        6 * (f1 - f0) - 3 * d0 - 3 * d1 - 0.5 * s0 + 0.5 * s1,
      ]
      let midpoint = q0 + 0.5 * width
      guard c.allSatisfy(\.isFinite),
        let exact = try? function.halleySlope(atQueue: midpoint, start: 0.5 * (f0 + f1), solver: solver).slope,
        abs(Self.evaluate(c[0], c[1], c[2], c[3], c[4], c[5], at: 0.5) - exact) <= Self.tolerance * exact
      else {
        omitted += 1
        continue
      }
      for k in 0..<6 { table[6 * i + k] = c[k] }
    }
    coefficients = table
    omittedPieces = omitted
  }

  @inline(__always)
  private static func evaluate(
    _ c0: Double, _ c1: Double, _ c2: Double, _ c3: Double, _ c4: Double, _ c5: Double, at t: Double
  ) -> Double {
    c0 + t * (c1 + t * (c2 + t * (c3 + t * (c4 + t * c5))))
  }

  /// J'(Q) from the table, or nil where the caller must solve directly: Q = 0 (J'(0) = v), Q
  /// outside [2^lowestOctave, 2^highestOctave) packets, a piece left out, or a non-finite Q.
  /// - Parameter queue: Q in packets.
  @inline(__always)
  public func slope(atQueue queue: Double) -> Double? {
    let bits = queue.bitPattern
    // A positive normal double: biased exponent in the 11 bits above the 52 fraction bits (the
    // sign bit of a negative Q makes `octave` huge, and so out of range).
    let octave = Int(truncatingIfNeeded: bits >> 52) &- 1023 &- Self.lowestOctave
    guard octave >= 0, octave < Self.highestOctave &- Self.lowestOctave else { return nil }
    let piece = octave &* Self.intervalsPerOctave &+ Int(truncatingIfNeeded: (bits >> Self.fractionBitsBelowIndex) & 63)
    let t = Double(bits & ((1 << Self.fractionBitsBelowIndex) - 1)) * 0x1p-46
    return coefficients.withUnsafeBufferPointer { c in
      let base = 6 &* piece
      let c0 = c[base]
      guard !c0.isNaN else { return nil }
      return Self.evaluate(c0, c[base &+ 1], c[base &+ 2], c[base &+ 3], c[base &+ 4], c[base &+ 5], at: t)
    }
  }
}
