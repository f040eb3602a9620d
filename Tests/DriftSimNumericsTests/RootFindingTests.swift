import Foundation
import Testing

import DriftSimNumerics

@Suite("Brent root finding")
struct RootFindingTests {
  @Test("finds roots to machine tolerance")
  func knownRoots() throws {
    let dottie = try findRoot(in: 0...1) { cos($0) - $0 }
    #expect(relativeError(dottie, MPMathReference.dottie) <= 1e-15)
    let cubeRoot = try findRoot(in: 1...2) { $0 * $0 * $0 - 2 }
    #expect(relativeError(cubeRoot, MPMathReference.cubeRootOfTwo) <= 1e-15)
    // A root at the end of the bracket, and a decreasing function.
    #expect(try findRoot(in: 2...5) { $0 - 2 } == 2)
    let decreasing = try findRoot(in: 0...10) { 3 - $0 }
    #expect(abs(decreasing - 3) <= 1e-15)
  }

  @Test("a reusable solver counts iterations and honours a loose tolerance")
  func reusableSolver() throws {
    let solver = BrentRootFinder()
    let loose = try solver.findRoot(in: 0...4, tolerance: RootTolerance(absolute: 1e-3, relative: 0)) { $0 * $0 - 2 }
    #expect(abs(loose - 2.0.squareRoot()) <= 1e-3)
    let loosePasses = solver.lastIterationCount
    let tight = try solver.findRoot(in: 0...4) { $0 * $0 - 2 }
    #expect(abs(tight - 2.0.squareRoot()) <= 4e-16)
    #expect(solver.lastIterationCount > loosePasses)
  }

  @Test("bad brackets, non-finite functions and iteration caps are errors")
  func failures() {
    #expect(throws: NumericsError.self) { try findRoot(in: 2...3) { $0 * $0 - 2 } }
    #expect(throws: NumericsError.self) { try findRoot(in: 0...1) { _ in Double.nan } }
    #expect(throws: NumericsError.self) { try findRoot(in: 0...(.infinity)) { $0 - 1 } }
    #expect(throws: NumericsError.self) {
      try findRoot(in: 0...1, tolerance: RootTolerance(absolute: 0, relative: 0)) { $0 - 0.5 }
    }
    // A function that turns NaN inside the bracket (Brent's first secant step lands at 0.3).
    #expect(throws: NumericsError.self) {
      try findRoot(in: -1...2) { x in x > 0 && x < 1 ? Double.nan : x - 0.3 }
    }
    do {
      _ = try findRoot(in: 0...1, maxIterations: 2) { cos($0) - $0 }
      Issue.record("expected noConvergence")
    } catch {
      #expect(error == .noConvergence(routine: "findRoot", iterations: 2))
    }
  }
}

@Suite("Adaptive integration")
struct IntegrationTests {
  @Test("closed forms on finite and semi-infinite intervals")
  func closedForms() throws {
    // ∫0^π sin = 2; ∫0^1 x^(-1/2) = 2 (endpoint singularity); ∫1^∞ e^(−x)/x = E1(1); ∫0^∞ e^(−x) ln x = −γ_Euler.
    #expect(abs(try integrate(from: 0, to: .pi) { sin($0) }.value - 2) <= 1e-13)
    #expect(abs(try integrate(from: 0, to: 1, relativeTolerance: 1e-10) { 1 / $0.squareRoot() }.value - 2) <= 1e-9)
    #expect(relativeError(try integrate(from: 1, to: .infinity) { exp(-$0) / $0 }.value, "0.21938393439552027367716377546") <= 1e-12)
    #expect(abs(try integrate(from: 0, to: .infinity, relativeTolerance: 1e-10) { exp(-$0) * log($0) }.value + 0.577215664901532860606512090082) <= 1e-9)
  }

  @Test("bad integrands and arguments are errors")
  func failures() {
    #expect(throws: NumericsError.self) { try integrate(from: 0, to: 1) { _ in .nan } }
    #expect(throws: NumericsError.self) { try integrate(from: 1, to: 0) { $0 } }
    #expect(throws: NumericsError.self) { try integrate(from: 0, to: 1, maxSubintervals: 3) { sin(1 / ($0 + 1e-9)) } }
  }
}
