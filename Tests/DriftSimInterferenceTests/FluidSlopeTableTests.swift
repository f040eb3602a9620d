import DriftSimNumerics
import Foundation
import Testing

@testable import DriftSimInterference

@Suite("Fluid slope table: J'(Q) from quintic pieces")
struct FluidSlopeTableTests {
  static let kappa = Double(FluidReference.kappa)!

  /// The 30-digit references (independent 250-digit computation) give pairs (y, q(y)); the table
  /// at Q = q(y) must return y.
  @Test("matches the 30-digit references J'(q(y)) = y to 1e-13", arguments: FluidReference.yTable)
  func reference(entry: (String, String, String)) throws {
    let function = try FluidValueFunction(arrivalRate: 1, beta: 1, gamma: 0.05, directGain: 1, kappa: Self.kappa)
    let table = FluidSlopeTable(function)
    let queue = Double(entry.1)!, slope = Double(entry.0)!
    // Below 1e-4 packets pieces may be left out (see `coverage`): the policy solves directly there.
    guard let value = table.slope(atQueue: queue) else {
      #expect(queue < 1e-4)
      return
    }
    #expect(abs(value - slope) <= 1e-13 * slope, "Q = \(queue): \(value) vs \(slope)")
  }

  /// Against the Brent root (a separate solver path: bracket + Brent to 4 ulp), on queues spread
  /// log-uniformly over the whole table, for parameter sets around the paper preset.
  @Test("matches the Brent root on 4 000 log-uniform queues from 1e-4 to 6e4 packets",
        arguments: [(1.0, 1.0, 0.05, 1.0), (1.0, 1.0, 1.0, 1.0), (0.3, 2.0, 0.01, 0.5), (2.2, 0.5, 0.2, 3.0)])
  func brent(parameters: (Double, Double, Double, Double)) throws {
    let (lambda, beta, gamma, gain) = parameters
    let function = try FluidValueFunction(arrivalRate: lambda, beta: beta, gamma: gamma, directGain: gain, kappa: Self.kappa)
    let table = FluidSlopeTable(function)
    let solver = BrentRootFinder()
    var random = RandomStream(seed: 31, stream: StreamID(7))
    var worst = 0.0
    for _ in 0..<4000 {
      let queue = 1e-4 * pow(6e8, random.uniformOpen())
      let value = try #require(table.slope(atQueue: queue))
      let exact = try function.slope(atQueue: queue, solver: solver)
      worst = max(worst, abs(value - exact) / exact)
    }
    #expect(worst <= 2e-13, "worst relative difference \(worst)")
  }

  @Test("answers nil where the caller must solve: 0, outside the octaves, negative, not finite")
  func outside() throws {
    let function = try FluidValueFunction(arrivalRate: 1, beta: 1, gamma: 0.05, directGain: 1, kappa: Self.kappa)
    let table = FluidSlopeTable(function)
    for queue in [0, -0.0, -1, 0x1p-31, 0x1p16, 1e6, .infinity, .nan, .leastNonzeroMagnitude] {
      #expect(table.slope(atQueue: queue) == nil, "Q = \(queue)")
    }
    #expect(table.slope(atQueue: 0x1p16.nextDown) != nil)
  }

  /// Pieces are left out only where q(y) − Q itself is too rounded for any solve to give 1e-13:
  /// near the empty queue, where q has a double root at v (absolute rounding of q ≈ 1e-17 moves
  /// the root by ≈ 1e-17/q′, which is more than 1e-13 · y for Q below ≈ 1e-5 packets; 1e-4 packets is 3 bits of a 30 kbit packet).
  @Test("covers every piece from 1e-4 packets up; the pieces left out are all below that",
        arguments: [(1.0, 1.0, 0.05, 1.0), (1.0, 1.0, 1.0, 1.0), (0.3, 2.0, 0.01, 0.5), (2.2, 0.5, 0.2, 3.0)])
  func coverage(parameters: (Double, Double, Double, Double)) throws {
    let (lambda, beta, gamma, gain) = parameters
    let function = try FluidValueFunction(arrivalRate: lambda, beta: beta, gamma: gamma, directGain: gain, kappa: Self.kappa)
    let table = FluidSlopeTable(function)
    var omitted = 0
    var highestOmitted = 0.0
    for octave in FluidSlopeTable.lowestOctave..<FluidSlopeTable.highestOctave {
      for j in 0..<FluidSlopeTable.intervalsPerOctave {
        let midpoint = Double(sign: .plus, exponent: octave, significand: 1 + (Double(j) + 0.5) / 64)
        if table.slope(atQueue: midpoint) == nil {
          omitted += 1
          highestOmitted = max(highestOmitted, midpoint)
        }
      }
    }
    #expect(omitted == table.omittedPieces)
    #expect(highestOmitted < 1e-4, "a piece at \(highestOmitted) packets is left out")
  }

  @Test("the fluid policy's weights: the table inside its range, the Halley solve beyond, v at 0")
  func policy() throws {
    let function = try FluidValueFunction(arrivalRate: 1, beta: 1, gamma: 0.05, directGain: 1, kappa: Self.kappa)
    let other = try FluidValueFunction(arrivalRate: 0.5, beta: 1, gamma: 0.05, directGain: 1, kappa: Self.kappa)
    var policy = FluidPolicy(valueFunctions: [function, function, other])
    #expect(policy.slopeTables[0] === policy.slopeTables[1] && policy.slopeTables[0] !== policy.slopeTables[2])
    let solver = BrentRootFinder()
    #expect(try policy.weight(pair: 0, queuePackets: 0) == function.v)
    for queue in [0.3, 2.5, 17.0, 1e5, 3e5] {
      let weight = try policy.weight(pair: 0, queuePackets: queue)
      let exact = try function.slope(atQueue: queue, solver: solver)
      #expect(abs(weight - exact) <= 2e-13 * exact, "Q = \(queue)")
      if queue < 0x1p16 { #expect(weight == policy.slopeTables[0].slope(atQueue: queue)) }
    }
    let slow = try policy.weight(pair: 2, queuePackets: 4)
    #expect(abs(slow - (try other.slope(atQueue: 4, solver: solver))) <= 2e-13 * slow)
  }
}
