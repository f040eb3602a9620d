import CDriftSimGSL
import Testing

@testable import DriftSimNumerics

@Suite("Numerics error messages name the routine, the input and the rule")
struct NumericsErrorTests {
  @Test("every case names the routine and the input and states the rule, on one line")
  func messages() {
    let cases: [(NumericsError, [String])] = [
      (.domain(function: "expintE1", argument: 0, expected: "x ≠ 0"), ["expintE1(0.0)", "expected x ≠ 0"]),
      (.overflow(function: "expintE1", argument: -800), ["expintE1(-800.0)", "overflows"]),
      (.notBracketed(lower: 1, upper: 2, valueAtLower: 3, valueAtUpper: 4), ["f(1.0) = 3.0", "change sign"]),
      (.noConvergence(routine: "findRoot", iterations: 100), ["findRoot", "100 iterations", "tolerance"]),
      (.nonFiniteValue(routine: "integrate", at: 25), ["integrate", "x = 25.0", "must be finite"]),
      (.gsl(routine: "solve(3×3 matrix)", status: Int32(GSL_ESING), reason: "matrix is singular"),
        ["solve(3×3 matrix)", "GSL status 21", "singular"]),
      (.gsl(routine: "ODEIntegrator(rk45) at t=2.0", status: Int32(GSL_EBADFUNC), reason: "bad function"),
        ["ODEIntegrator(rk45) at t=2.0", "NaN or an infinity"]),
    ]
    for (error, parts) in cases {
      let text = error.message
      for part in parts { #expect(text.contains(part), "\(text) lacks \(part)") }
      #expect(!text.contains("\n") && !text.hasPrefix("GSL error"))
    }
  }

  @Test("a real GSL failure reaches the caller with the routine and the rule")
  func realFailure() {
    do {
      _ = try expintE1(0)
      Issue.record("E1(0) returned a value")
    } catch {
      #expect(error.description.hasPrefix("expintE1(0.0)"))
    }
  }
}
