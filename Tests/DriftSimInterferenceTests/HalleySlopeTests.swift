import Foundation
import DriftSimNumerics
import Testing

@testable import DriftSimInterference

/// The fluid policy's Halley solve of q(y) = Q against the Brent root (`slope(atQueue:hint:solver:)`)
/// and against the 30-digit references.
@Suite("Fluid weight by Halley's method")
struct HalleySlopeTests {
  /// The paper's pair and four others far from it (light and heavy load, small and large β, γ, L).
  static let functions: [FluidValueFunction] = [
    (1.0, 1.0, 0.05, 1.0, 2.404_491_734_814_939), (0.2, 1, 0.05, 1, 2.4), (2.3, 1, 0.05, 1, 2.4),
    (1, 1e-3, 1, 0.1, 2.4), (1, 50, 1e-3, 10, 2.4),
  ].map { try! FluidValueFunction(arrivalRate: $0.0, beta: $0.1, gamma: $0.2, directGain: $0.3, kappa: $0.4) }

  /// |Halley − Brent| / Brent over random queues, log-uniform on [1e-6, 1e5] packets, from
  /// three kinds of start: none, the tangent at the previous random queue (as the policy starts),
  /// and a start 100× too high or too low.
  @Test("agrees with the Brent root to 1e-12 on random queues (1e-10 below 0.01 packets)", arguments: 0..<5)
  func random(function index: Int) throws {
    let fluid = Self.functions[index]
    let solver = BrentRootFinder()
    var random = RandomStream(seed: UInt64(300 + index), stream: StreamID(16))
    var worst = 0.0
    var previous: (queue: Double, slope: Double, derivative: Double)? = nil
    for trial in 0..<3000 {
      let queue = pow(10, -6 + 11 * random.uniformOpen())
      let brent = try fluid.slope(atQueue: queue, solver: solver)
      var start = -Double.infinity
      switch trial % 3 {
      case 0: break
      case 1: if let p = previous, p.derivative > 0 { start = p.slope + (queue - p.queue) / p.derivative }
      default: start = brent * (random.uniformOpen() < 0.5 ? 100 : 0.01)
      }
      let halley = try fluid.halleySlope(atQueue: queue, start: start, solver: solver)
      // Below 10⁻² packets the root is ill-conditioned: q has a double root at v, so the rounding
      // of q's terms (ulps of λκ/β · y) moves the root by ~(rounding/q″)^(1/2) — both solvers find
      // a root of the rounded q, and for λκ/β = 2400 they differ by up to 3e-11 at Q = 1e-6.
      let bound = queue >= 1e-2 ? 1e-12 : 1e-10
      worst = max(worst, abs(halley.slope - brent) / brent / bound)
      #expect(abs(halley.slope - brent) <= bound * brent, "Q = \(queue), start \(start): \(halley.slope) vs \(brent)")
      #expect(halley.derivative > 0)
      previous = (queue, halley.slope, halley.derivative)
    }
    #expect(worst <= 1)
  }

  @Test("matches the 30-digit J'(Q) references", arguments: FluidReference.queueTable)
  func reference(row: (String, String, String)) throws {
    let fluid = Self.functions[0]
    let q = Double(row.0)!
    let y = try fluid.halleySlope(atQueue: q, start: -.infinity, solver: BrentRootFinder()).slope
    #expect(close(y, row.2, relative: 1e-12), "J'(\(q)) = \(y)")
  }

  @Test("the fluid policy's weights are the Brent roots to 1e-12 along a queue path")
  func policy() throws {
    let fluid = Self.functions[0]
    var policy = FluidPolicy(valueFunctions: [fluid])
    var random = RandomStream(seed: 9, stream: StreamID(17))
    var queue = 0.0
    for _ in 0..<5000 {
      // A random walk like an epoch's arrivals and service, with returns to 0.
      queue = max(0, queue + (random.uniformOpen() - 0.55) * 3)
      let weight = try policy.weight(pair: 0, queuePackets: queue)
      let brent = try fluid.slope(atQueue: queue, solver: BrentRootFinder())
      #expect(abs(weight - brent) <= 1e-12 * brent, "Q = \(queue)")
    }
  }

  @Test("bad queues throw, Q = 0 gives v")
  func edges() throws {
    let fluid = Self.functions[0]
    let solver = BrentRootFinder()
    #expect(try fluid.halleySlope(atQueue: 0, start: 1, solver: solver).slope == fluid.v)
    #expect(throws: (any Error).self) { try fluid.halleySlope(atQueue: -1, start: 1, solver: solver) }
    #expect(throws: (any Error).self) { try fluid.halleySlope(atQueue: .nan, start: 1, solver: solver) }
    #expect(throws: (any Error).self) { try fluid.halleySlope(atQueue: .infinity, start: 1, solver: solver) }
  }
}
