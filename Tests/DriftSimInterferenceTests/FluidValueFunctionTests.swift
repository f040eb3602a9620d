import Foundation
import DriftSimNumerics
import Testing

@testable import DriftSimInterference

/// Adaptive Gauss–Kronrod (7, 15) quadrature, written here independently of the code under test,
/// to evaluate the expectations in the HJB equation by brute force.
func integrate(_ f: (Double) -> Double, _ a: Double, _ b: Double, tolerance: Double = 1e-14, depth: Int = 0) -> Double {
  let xgk: [Double] = [
    0.991455371120812639206854697526329, 0.949107912342758524526189684047851, 0.864864423359769072789712788640926,
    0.741531185599394439863864773280788, 0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
    0.207784955007898467600689403773245, 0,
  ]
  let wgk: [Double] = [
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204, 0.104790010322250183839876322541518,
    0.140653259715525918745189590510238, 0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
  ]
  let wg: [Double] = [
    0.129484966168869693270611432679082, 0.279705391489276667901467771423780, 0.381830050505118944950369775488975,
    0.417959183673469387755102040816327,
  ]
  let center = (a + b) / 2, half = (b - a) / 2
  var kronrod = wgk[7] * f(center), gauss = wg[3] * f(center)
  for i in 0..<7 {
    let dx = half * xgk[i]
    let sum = f(center - dx) + f(center + dx)
    kronrod += wgk[i] * sum
    if i % 2 == 1 { gauss += wg[i / 2] * sum }
  }
  kronrod *= half
  gauss *= half
  if abs(kronrod - gauss) <= tolerance * max(abs(kronrod), 1e-300) || depth > 40 { return kronrod }
  return integrate(f, a, center, tolerance: tolerance, depth: depth + 1)
    + integrate(f, center, b, tolerance: tolerance, depth: depth + 1)
}

func close(_ value: Double, _ reference: String, relative: Double, absolute: Double = 0) -> Bool {
  let r = Double(reference)!
  return abs(value - r) <= relative * abs(r) + absolute
}

@Suite("Per-flow fluid value function")
struct FluidValueFunctionTests {
  let fluid = try! FluidValueFunction(
    arrivalRate: 1, beta: 1, gamma: 0.05, directGain: 1, kappa: Double(FluidReference.kappa)!)

  @Test("κ of the paper's setting")
  func kappa() {
    let kappa = 10e6 * 0.005 / (30_000 * log(2.0))
    #expect(close(kappa, FluidReference.kappa, relative: 1e-15))
  }

  @Test("steady-state constants match the 30-digit references")
  func constants() {
    #expect(close(fluid.v, FluidReference.v, relative: 1e-14))
    #expect(close(fluid.z0, FluidReference.z0, relative: 1e-14))
    #expect(close(fluid.cInf, FluidReference.cInf, relative: 1e-13))
    #expect(close(fluid.b, FluidReference.b, relative: 1e-12))
  }

  /// q(y) and J(y) are sums of terms of size ~1e-2 that cancel to ~1e-8 just above v (q has a
  /// double root there), so their absolute error is ~ε·1e-2; we allow 1e-12 relative plus 1e-17.
  @Test("parametric q(y) and J(y) match the references", arguments: FluidReference.yTable)
  func parametric(row: (String, String, String)) {
    let y = Double(row.0)!
    #expect(close(fluid.queue(atSlope: y), row.1, relative: 1e-12, absolute: 1e-17), "q(\(y))")
    #expect(close(fluid.value(atSlope: y), row.2, relative: 1e-12, absolute: 1e-17), "J(\(y))")
  }

  @Test("J(Q) and J'(Q) match the references", arguments: FluidReference.queueTable)
  func byQueue(row: (String, String, String)) throws {
    let solver = BrentRootFinder()
    let q = Double(row.0)!
    let slope = try fluid.slope(atQueue: q, solver: solver)
    #expect(close(slope, row.2, relative: 1e-12), "J'(\(q)) = \(slope)")
    #expect(close(try fluid.value(atQueue: q, solver: solver), row.1, relative: 1e-12), "J(\(q))")
  }

  @Test("warm starts give the same root from either side")
  func warmStart() throws {
    let solver = BrentRootFinder()
    let cold = try fluid.slope(atQueue: 37, solver: solver)
    let fromBelow = try fluid.slope(atQueue: 37, hint: (30, try fluid.slope(atQueue: 30, solver: solver)), solver: solver)
    let fromAbove = try fluid.slope(atQueue: 37, hint: (50, try fluid.slope(atQueue: 50, solver: solver)), solver: solver)
    #expect(abs(fromBelow - cold) <= 4 * cold.ulp && abs(fromAbove - cold) <= 4 * cold.ulp)
    #expect(throws: (any Error).self) { try fluid.slope(atQueue: -1, solver: solver) }
    #expect(throws: (any Error).self) { try fluid.slope(atQueue: .nan, solver: solver) }
  }

  /// The HJB equation with the expectations over |H|² ~ Exp(1) evaluated by adaptive quadrature:
  /// βQ/λ + γ E[p*] − c∞ + J'(Q) (λ − κ E[log(1 + p* L g)]) = 0, p* = (J'κ/γ − 1/(L g))⁺.
  @Test("J'(Q) satisfies the per-flow HJB equation", arguments: [0.001, 0.1, 1, 5, 20, 100, 1000, 1e5])
  func hjb(queue: Double) throws {
    let y = try fluid.slope(atQueue: queue, solver: BrentRootFinder())
    let (kappa, gamma, L, lambda, beta) = (fluid.kappa, fluid.gamma, fluid.directGain, fluid.arrivalRate, fluid.beta)
    let threshold = gamma / (y * kappa * L)  // p* > 0 iff g exceeds this
    let upper = threshold + 60  // e^(−60) tail is below 1e-26
    let power = integrate({ g in (y * kappa / gamma - 1 / (L * g)) * exp(-g) }, threshold, upper)
    let rate = integrate({ g in log(y * kappa * L * g / gamma) * exp(-g) }, threshold, upper)
    let terms = [beta * queue / lambda, gamma * power, -fluid.cInf, y * lambda, -y * kappa * rate]
    let residual = terms.reduce(0, +)
    let scale = terms.map(abs).reduce(0, +)
    #expect(abs(residual) / scale <= 1e-9, "Q = \(queue): residual \(residual) of scale \(scale)")
  }

  @Test("J'(Q) grows like Q / log Q: it follows the Lambert-W asymptote and J'·ln Q / Q → β/(λκ)")
  func growth() throws {
    let solver = BrentRootFinder()
    var previousRatio = Double.infinity
    for exponent in [3.0, 4, 6, 8, 10, 12] {
      let q = pow(10, exponent)
      let slope = try fluid.slope(atQueue: q, solver: solver)
      #expect(abs(slope - fluid.asymptoticSlope(queue: q)) / slope < 0.003)
      let ratio = slope * log(q) / q / (fluid.beta / (fluid.arrivalRate * fluid.kappa))
      // The ratio is ln Q / W0(aR e^(−c)) → 1; it peaks near Q = 1e4 and decreases from there.
      if exponent >= 4 { #expect(ratio > 1 && ratio < previousRatio, "ratio \(ratio) at Q = \(q)") }
      previousRatio = exponent >= 4 ? ratio : .infinity
    }
    #expect(previousRatio < 1.1)
    // J / (Q² / ln Q) lies in the paper's Fig. 4 band (model.md: 0.228–0.255 on Q ∈ [10, 100]).
    for q in [10.0, 30, 100] {
      let ratio = try fluid.value(atQueue: q, solver: solver) / (q * q / log(q))
      #expect(ratio > 0.228 && ratio < 0.256, "J/(Q²/lnQ) = \(ratio) at Q = \(q)")
    }
  }

  @Test("scaling in γ: z0 is fixed and J(Q; γ) = γ² Ĵ(Q/γ)")
  func gammaScaling() throws {
    let solver = BrentRootFinder()
    let unit = try FluidValueFunction(arrivalRate: 1, beta: 1, gamma: 1, directGain: 1, kappa: fluid.kappa)
    for gamma in [0.01, 0.05, 3.0, 40] {
      let f = try FluidValueFunction(arrivalRate: 1, beta: 1, gamma: gamma, directGain: 1, kappa: fluid.kappa)
      #expect(abs(f.z0 - unit.z0) <= 1e-14 * unit.z0)
      for q in [0.5, 7.0, 60] {
        let scaled = gamma * gamma * (try unit.value(atQueue: q / gamma, solver: solver))
        let direct = try f.value(atQueue: q, solver: solver)
        #expect(abs(direct - scaled) <= 1e-10 * abs(direct), "γ = \(gamma), Q = \(q)")
      }
    }
  }

  @Test("invalid parameters are rejected with the parameter's name")
  func invalid() {
    do {
      _ = try FluidValueFunction(arrivalRate: 1, beta: 1, gamma: 0, directGain: 1, kappa: 2)
      Issue.record("expected an error")
    } catch {
      #expect("\(error)".contains("gamma"))
    }
  }
}
