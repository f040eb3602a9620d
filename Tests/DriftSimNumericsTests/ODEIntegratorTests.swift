import Foundation
import Testing

import DriftSimNumerics

@Suite("ODE integration against closed forms")
struct ODEIntegratorTests {
  /// y' = −2y, y(0) = 1, so y(t) = e^(−2t).
  @Test("exponential decay, every method", arguments: ODEMethod.allCases)
  func exponentialDecay(method: ODEMethod) throws {
    let ode = try ODEIntegrator(dimension: 1, method: method, tolerance: ODETolerance(absolute: 1e-12, relative: 1e-12)) {
      _, y, dydt in dydt[0] = -2 * y[0]
    }
    var y = [1.0]
    try ode.integrate(&y, from: 0, to: 3)
    let exact = exp(-6.0)
    // The per-step tolerance is 1e-12 (absolute and relative); the global error is the sum of the
    // per-step errors over a few hundred steps, so we allow 1e-9 absolute on a solution of scale 1.
    #expect(abs(y[0] - exact) <= 1e-9, "\(method): \(y[0]) vs \(exact)")
  }

  /// Harmonic oscillator x'' = −x: (x, v)(t) = (cos t, −sin t).
  @Test("harmonic oscillator trajectory")
  func oscillator() throws {
    let ode = try ODEIntegrator(dimension: 2, method: .rk8pd, tolerance: ODETolerance(absolute: 1e-13, relative: 1e-13)) {
      _, y, dydt in
      dydt[0] = y[1]
      dydt[1] = -y[0]
    }
    let times = stride(from: 0.0, through: 20, by: 0.5).map { $0 }
    let states = try ode.trajectory(from: [1, 0], at: times)
    #expect(states.count == times.count)
    for (t, state) in zip(times, states) {
      #expect(abs(state[0] - cos(t)) <= 1e-10)
      #expect(abs(state[1] + sin(t)) <= 1e-10)
    }
    #expect(ode.rightHandSideEvaluations > 0)
  }

  /// Stiff: y' = −1000 (y − cos t), y(0) = 0. Exact solution
  /// y(t) = (1000² cos t + 1000 sin t)/(1000² + 1) − 1000²/(1000² + 1) e^(−1000 t).
  @Test("stiff problem with analytic and numerical Jacobians", arguments: [ODEMethod.msbdf, .bsimp, .rk4imp])
  func stiff(method: ODEMethod) throws {
    let k = 1000.0
    func exact(_ t: Double) -> Double {
      (k * k * cos(t) + k * sin(t)) / (k * k + 1) - k * k / (k * k + 1) * exp(-k * t)
    }
    let rhs: ODEIntegrator.RightHandSide = { t, y, dydt in dydt[0] = -k * (y[0] - cos(t)) }
    let analytic = try ODEIntegrator(
      dimension: 1, method: method, tolerance: ODETolerance(absolute: 1e-10, relative: 1e-10), rightHandSide: rhs
    ) { t, _, dfdy, dfdt in
      dfdy[0] = -k
      dfdt[0] = -k * sin(t)
    }
    let numeric = try ODEIntegrator(
      dimension: 1, method: method, tolerance: ODETolerance(absolute: 1e-10, relative: 1e-10), rightHandSide: rhs)
    for ode in [analytic, numeric] {
      var y = [0.0]
      try ode.integrate(&y, from: 0, to: 2)
      #expect(abs(y[0] - exact(2)) <= 1e-7, "\(method): \(y[0]) vs \(exact(2))")
    }
    // A stiff method needs far fewer evaluations than an explicit one here.
    let explicit = try ODEIntegrator(dimension: 1, method: .rkf45, tolerance: ODETolerance(absolute: 1e-10, relative: 1e-10), rightHandSide: rhs)
    var y = [0.0]
    try explicit.integrate(&y, from: 0, to: 2)
    #expect(abs(y[0] - exact(2)) <= 1e-7)
  }

  @Test("failures are errors, and leave y unchanged")
  func failures() throws {
    #expect(throws: NumericsError.self) {
      try ODEIntegrator(dimension: 0) { _, _, _ in }
    }
    #expect(throws: NumericsError.self) {
      try ODEIntegrator(dimension: 1, tolerance: ODETolerance(absolute: 0, relative: 0)) { _, _, _ in }
    }
    // Blow-up: y' = y², y(0) = 1 explodes at t = 1.
    let blowUp = try ODEIntegrator(dimension: 1, maxSteps: 100_000) { _, y, dydt in dydt[0] = y[0] * y[0] }
    var y = [1.0]
    #expect(throws: NumericsError.self) { try blowUp.integrate(&y, from: 0, to: 2) }
    #expect(y == [1.0])
    // NaN from the right-hand side.
    let nan = try ODEIntegrator(dimension: 1) { t, _, dydt in dydt[0] = t > 0.5 ? .nan : 1 }
    #expect(throws: NumericsError.self) { try nan.integrate(&y, from: 0, to: 1) }
    // Step cap.
    let capped = try ODEIntegrator(dimension: 1, maxSteps: 3) { t, _, dydt in dydt[0] = sin(100 * t) }
    #expect(throws: NumericsError.self) { try capped.integrate(&y, from: 0, to: 100) }
    // Wrong dimension.
    var wrong = [1.0, 2.0]
    #expect(throws: NumericsError.self) { try capped.integrate(&wrong, from: 0, to: 1) }
  }
}
