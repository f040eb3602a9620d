import Foundation
import Testing

@testable import DriftSimNumerics

/// Relative error of `value` against a reference given as a decimal string.
func relativeError(_ value: Double, _ reference: String) -> Double {
  let exact = Double(reference)!
  return exact == 0 ? abs(value) : abs(value - exact) / abs(exact)
}

@Suite("Special functions against mpmath references")
struct SpecialFunctionTests {
  @Test("E1 matches mpmath to 1e-12 relative", arguments: MPMathReference.expintE1)
  func expintE1MatchesReference(point: (String, String)) throws {
    let value = try expintE1(Double(point.0)!)
    #expect(relativeError(value, point.1) <= 1e-12, "E1(\(point.0)) = \(value), expected \(point.1)")
  }

  @Test("E1 values quoted in model.md")
  func expintE1ModelValues() throws {
    #expect(relativeError(try expintE1(1), "0.21938393439552027") <= 1e-15)
    #expect(relativeError(try expintE1(1e-6), "13.238295893062491") <= 1e-15)
    #expect(relativeError(try expintE1(50), "3.783264029550459e-24") <= 1e-14)
  }

  @Test("E1 returns 0 where it underflows and throws where it overflows or is undefined")
  func expintE1Edges() throws {
    #expect(try expintE1(750) == 0)
    #expect(try expintE1(1e10) == 0)
    #expect(try expintE1(.infinity) == 0)
    #expect(throws: NumericsError.self) { try expintE1(0) }
    #expect(throws: NumericsError.self) { try expintE1(.nan) }
    #expect(throws: NumericsError.self) { try expintE1(-800) }
    // Negative arguments give −Ei(−x): E1(−1) = −Ei(1) = −1.89511781635593675546652093433.
    #expect(relativeError(try expintE1(-1), "-1.89511781635593675546652093433") <= 1e-13)
  }

  @Test("W0 matches mpmath to 1e-12 relative", arguments: MPMathReference.lambertW0)
  func lambertW0MatchesReference(point: (String, String)) throws {
    let value = try lambertW0(Double(point.0)!)
    #expect(relativeError(value, point.1) <= 1e-12, "W0(\(point.0)) = \(value), expected \(point.1)")
  }

  @Test("W−1 matches mpmath to 1e-12 relative", arguments: MPMathReference.lambertWm1)
  func lambertWm1MatchesReference(point: (String, String)) throws {
    let value = try lambertWm1(Double(point.0)!)
    #expect(relativeError(value, point.1) <= 1e-12, "W−1(\(point.0)) = \(value), expected \(point.1)")
  }

  @Test("W0 near the branch point, within its conditioning")
  func lambertW0NearBranchPoint() throws {
    let x = Double(MPMathReference.lambertW0NearBranchArgument)!
    let value = try lambertW0(x)
    // dW/dx ≈ 3.7e4 here, so one ulp of x (5.6e-17) moves W by ~2e-12; GSL's series near the branch
    // point is good to ~1e-9 relative. Tolerance 1e-8 documents that loss, and is 1e8 times tighter
    // than the distance to the branch value −1.
    #expect(relativeError(value, MPMathReference.lambertW0NearBranch) <= 1e-8)
    #expect(try lambertW0(lambertWBranchPoint) == -1)
    #expect(try lambertWm1(lambertWBranchPoint) == -1)
  }

  @Test("Lambert W domains are enforced")
  func lambertDomains() {
    #expect(throws: NumericsError.self) { try lambertW0(-0.37) }
    #expect(throws: NumericsError.self) { try lambertW0(.nan) }
    #expect(throws: NumericsError.self) { try lambertW0(.infinity) }
    // GSL's Wm1 would silently return W0(x) for x > 0 and 0 at x = 0: we refuse both.
    #expect(throws: NumericsError.self) { try lambertWm1(0) }
    #expect(throws: NumericsError.self) { try lambertWm1(0.5) }
    #expect(throws: NumericsError.self) { try lambertWm1(-0.4) }
  }

  @Test("W satisfies w·e^w = x on both branches")
  func lambertIdentity() throws {
    for x in stride(from: -0.3678, through: -1e-6, by: 0.0123) {
      let w0 = try lambertW0(x), wm1 = try lambertWm1(x)
      #expect(abs(w0 * exp(w0) - x) <= 1e-14)
      #expect(abs(wm1 * exp(wm1) - x) <= 1e-14)
      #expect(w0 >= -1 && wm1 <= -1)
    }
  }

  @Test("Student-t quantiles match mpmath", arguments: MPMathReference.studentTQuantile)
  func studentT(point: (String, String, String)) throws {
    let value = try studentTQuantile(Double(point.0)!, degreesOfFreedom: Double(point.1)!)
    if Double(point.2)! == 0 {
      #expect(abs(value) <= 1e-15)
    } else {
      // GSL inverts its t CDF iteratively; it is good to ~1e-13 relative in this range.
      #expect(relativeError(value, point.2) <= 1e-11, "t(\(point.0); \(point.1)) = \(value), expected \(point.2)")
    }
  }

  @Test("Student-t quantile errors, and its normal limit")
  func studentTEdges() throws {
    #expect(throws: NumericsError.self) { try studentTQuantile(0, degreesOfFreedom: 3) }
    #expect(throws: NumericsError.self) { try studentTQuantile(1, degreesOfFreedom: 3) }
    #expect(throws: NumericsError.self) { try studentTQuantile(0.5, degreesOfFreedom: 0) }
    #expect(throws: NumericsError.self) { try studentTQuantile(.nan, degreesOfFreedom: 3) }
    // Φ⁻¹(0.975) = 1.95996398454005423552459443052 (mpmath).
    #expect(relativeError(try normalQuantile(0.975), "1.95996398454005423552459443052") <= 1e-14)
    #expect(relativeError(try studentTQuantile(0.975, degreesOfFreedom: 1e8), "1.95996398454005423552459443052") <= 1e-7)
  }
}
