import Foundation
import DriftSimInterference
import DriftSimNumerics
import Testing

@testable import DriftSimFluidValidation

/// κ of the paper's setting (W = 10 MHz, τ = 5 ms, S̄ = 30 kbit).
let paperKappa = 2.404491734814939

func makeMDP(gamma: Double = 1, truncation: Int = 40) throws -> SinglePairMDP {
  try SinglePairMDP(arrivalRate: 1, beta: 1, gamma: gamma, directGain: 1, kappa: paperKappa, truncation: truncation)
}

/// A convex continuation W(m) = c m^1.5 + m (slopes increase).
func convexContinuation(_ n: Int, scale: Double) -> [Double] {
  (0...n).map { scale * pow(Double($0), 1.5) + Double($0) }
}

@Suite("single-pair MDP: Bellman pieces against independent computations")
struct SinglePairMDPTests {
  @Test("Poisson continuation: W(m) = m + λ for h(m) = m away from N, and W(N) = h(N)")
  func continuation() throws {
    let mdp = try makeMDP(truncation: 60)
    let h = (0...60).map(Double.init)
    let w = mdp.continuation(h)
    #expect(abs(w[10] - 11) < 1e-12)
    #expect(abs(w[60] - 60) < 1e-12)
    #expect(w[59] < 60)
  }

  @Test("closed form with E1 matches composite quadrature for convex W̃", arguments: [0.05, 1.0, 10.0])
  func closedFormAgainstQuadrature(gamma: Double) throws {
    let mdp = try makeMDP(gamma: gamma, truncation: 40)
    let w = convexContinuation(40, scale: 0.7 * gamma)
    for q in [1, 2, 5, 17, 40] {
      let closed = try mdp.optimalExpectation(queue: q, w: w)
      let quadrature = try mdp.optimalExpectation(queue: q, w: w, forceQuadrature: true)
      #expect(closed.closedForm)
      #expect(!quadrature.closedForm)
      #expect(abs(closed.value - quadrature.value) <= 1e-10 * abs(closed.value), "Q = \(q): \(closed.value) vs \(quadrature.value)")
    }
  }

  @Test("the optimal expectation matches a brute-force minimum over s integrated by GSL QAGIU")
  func optimalAgainstBruteForce() throws {
    let mdp = try makeMDP(gamma: 1, truncation: 12)
    let w = convexContinuation(12, scale: 0.9)
    let q = 6
    func interpolated(_ r: Double) -> Double {
      let m = min(Int(r.rounded(.down)), 11)
      return w[m] + (w[m + 1] - w[m]) * (r - Double(m))
    }
    // Independent: golden-section search over s on every unit segment (the objective is convex there).
    func pointwise(_ g: Double) -> Double {
      var best = Double.infinity
      for segment in 0..<q {
        var lo = Double(segment), hi = Double(segment + 1)
        func f(_ s: Double) -> Double { (1 / g) * expm1(s / paperKappa) + interpolated(Double(q) - s) }
        for _ in 0..<200 {
          let m1 = lo + (hi - lo) * 0.381966, m2 = hi - (hi - lo) * 0.381966
          if f(m1) < f(m2) { hi = m2 } else { lo = m1 }
        }
        best = min(best, f(lo), f(Double(segment)), f(Double(segment + 1)))
      }
      return best
    }
    let reference = try integrate(from: 0, to: .infinity, absoluteTolerance: 1e-9, relativeTolerance: 1e-9) { g in
      g == 0 ? w[q] : pointwise(g) * exp(-g)
    }.value
    let closed = try mdp.optimalExpectation(queue: q, w: w).value
    #expect(abs(closed - reference) < 1e-7 * abs(reference), "\(closed) vs \(reference)")
  }

  @Test("water-filling expectation matches GSL quadrature of the pointwise cost")
  func waterFillingAgainstQuadrature() throws {
    let mdp = try makeMDP(gamma: 0.5, truncation: 30)
    let w = (0...30).map { 3 * sin(Double($0)) + Double($0) * 1.2 }  // not convex: the formula must not care
    for (q, y) in [(1, 0.3), (8, 1.5), (30, 4.0)] {
      // Split at every point where the residual crosses an integer (the integrand's kinks).
      var cuts = [0.0] + (0...q).map { exp(Double($0) / paperKappa) / (mdp.a * y) }
      cuts.append(.infinity)
      var reference = 0.0
      for (lower, upper) in zip(cuts, cuts.dropFirst()) {
        reference += try integrate(from: lower, to: upper, absoluteTolerance: 1e-12, relativeTolerance: 1e-11) { g in
        let s = g == 0 ? 0 : min(Double(q), max(0, paperKappa * log(mdp.a * y * g)))
        let power = g == 0 ? 0 : expm1(s / paperKappa) / g
        let r = Double(q) - s
        let m = min(Int(r.rounded(.down)), q - 1)
        let value = w[m] + (w[m + 1] - w[m]) * (r - Double(m))
        return (0.5 * power + value) * exp(-g)
      }.value
      }
      let formula = mdp.waterFillingExpectation(queue: q, level: y, w: w)
      #expect(abs(formula - reference) < 1e-9 * max(1, abs(reference)), "Q = \(q): \(formula) vs \(reference)")
    }
  }

  @Test("fluid-policy value iteration on N = 4 matches a linear solve of the policy-evaluation equations")
  func policyEvaluationAgainstLinearSolve() throws {
    let n = 4
    let gamma = 1.0
    let mdp = try makeMDP(gamma: gamma, truncation: n)
    let fluid = try mdp.fluidValueFunction()
    let levels = try mdp.fluidLevels(fluid)
    let solution = try mdp.solve(policy: .fluid, options: ValueIterationOptions(relativeTolerance: 1e-14), initial: [Double](repeating: 0, count: n + 1))
    #expect(solution.converged)
    // Independent: transition probabilities and costs by GSL quadrature, then Gaussian elimination.
    let lambda = 1.0
    func poisson(_ k: Int) -> Double { exp(-lambda) * pow(lambda, Double(k)) / tgamma(Double(k) + 1) }
    var matrix = [[Double]](repeating: [Double](repeating: 0, count: n + 2), count: n + 1)  // unknowns θ, h1…hN; rhs last
    for q in 0...n {
      let y = levels[q]
      func served(_ g: Double) -> Double { q == 0 || g == 0 ? 0 : min(Double(q), max(0, paperKappa * log(mdp.a * y * g))) }
      let power = q == 0 ? 0 : try integrate(from: 0, to: .infinity, relativeTolerance: 1e-12) { g in
        g == 0 ? 0 : expm1(served(g) / paperKappa) / g * exp(-g)
      }.value
      // P(residual rounds to m).
      var residual = [Double](repeating: 0, count: q + 1)
      for m in 0...q {
        residual[m] = try integrate(from: 0, to: .infinity, relativeTolerance: 1e-12) { g in
          let r = Double(q) - served(g)
          let below = r.rounded(.down), fraction = r - below
          var p = 0.0
          if Int(below) == m { p += 1 - fraction }
          if Int(below) + 1 == m { p += fraction }
          return p * exp(-g)
        }.value
      }
      var row = [Double](repeating: 0, count: n + 2)
      row[0] = 1  // θ
      if q > 0 { row[q] += 1 }  // h(q)
      for m in 0...q {
        for a in 0...(n + 20) {
          let next = min(n, m + a)
          if next > 0 { row[next] -= residual[m] * poisson(a) }
        }
      }
      row[n + 1] = Double(q) / lambda + gamma * power
      matrix[q] = row
    }
    // Gaussian elimination with partial pivoting.
    for column in 0...n {
      let pivot = (column...n).max { abs(matrix[$0][column]) < abs(matrix[$1][column]) }!
      matrix.swapAt(column, pivot)
      for row in 0...n where row != column {
        let factor = matrix[row][column] / matrix[column][column]
        for k in column...(n + 1) { matrix[row][k] -= factor * matrix[column][k] }
      }
    }
    let theta = matrix[0][n + 1] / matrix[0][0]
    #expect(abs(theta - solution.theta) < 1e-8, "θ: \(theta) vs \(solution.theta)")
    for q in 1...n {
      let h = matrix[q][n + 1] / matrix[q][q]
      #expect(abs(h - solution.h[q]) < 1e-7 * max(1, abs(h)), "h(\(q)): \(h) vs \(solution.h[q])")
    }
  }

  @Test("the optimum is no worse than the fluid policy, and θ does not depend on the start")
  func optimalityAndStart() throws {
    let mdp = try makeMDP(gamma: 1, truncation: 60)
    let optimal = try mdp.solve(policy: .optimal)
    let fromZero = try mdp.solve(policy: .optimal, initial: [Double](repeating: 0, count: 61))
    let fluidPolicy = try mdp.solve(policy: .fluid)
    #expect(optimal.converged && fromZero.converged && fluidPolicy.converged)
    #expect(abs(optimal.theta - fromZero.theta) < 1e-9)
    #expect(optimal.theta <= fluidPolicy.theta + 1e-12)
    #expect(optimal.thetaBounds.lower <= optimal.theta && optimal.theta <= optimal.thetaBounds.upper)
  }

  @Test("Gauss–Legendre rule integrates x^38 exactly")
  func gaussLegendre() {
    let rule = GaussLegendre.twenty
    let sum = zip(rule.nodes, rule.weights).map { pow($0.0, 38) * $0.1 }.reduce(0, +)
    #expect(abs(sum - 2.0 / 39) < 1e-14)
    #expect(abs(rule.weights.reduce(0, +) - 2) < 1e-14)
  }
}

@Suite("fluid drain ODE")
struct FluidDrainTests {
  @Test("the ODE trajectory empties at the quadrature drain time and passes the quadrature time to Q(0)/2")
  func drainAgainstQuadrature() throws {
    let fluid = try FluidValueFunction(arrivalRate: 1, beta: 1, gamma: 1, directGain: 1, kappa: paperKappa)
    let model = FluidDrainModel(fluid: fluid)
    let q0 = 40.0
    let total = try model.drainTime(initialQueue: q0)
    // Independent: time from Q(0) to Q(0)/2 = ∫_{Q0/2}^{Q0} dq / (service − λ).
    let half = try integrate(from: q0 / 2, to: q0, relativeTolerance: 1e-12) { q in 1 / ((try! model.service(atQueue: q)) - 1) }.value
    let path = try model.trajectory(initialQueue: q0, horizon: total + 2, step: 0.01)
    let crossing = path.times[path.queue.firstIndex { $0 <= q0 / 2 }!]
    #expect(abs(crossing - half) < 0.011, "\(crossing) vs \(half)")
    let empty = path.times[path.queue.firstIndex { $0 <= 1e-6 }!]
    #expect(abs(empty - total) < 0.05, "\(empty) vs \(total)")
    #expect(path.queue.last == 0)
    #expect(abs(try model.drift(atQueue: 1e-300)) < 1e-9)  // κ E1(z0) = λ at an empty queue
  }

  @Test("constant-service sanity: with huge β/γ the drift is strongly negative and grows with q")
  func driftMonotone() throws {
    let model = FluidDrainModel(fluid: try FluidValueFunction(arrivalRate: 1, beta: 1, gamma: 0.05, directGain: 1, kappa: paperKappa))
    let d10 = try model.drift(atQueue: 10), d100 = try model.drift(atQueue: 100)
    #expect(d10 < 0 && d100 < d10)
  }
}

/// Issue 13 regressions: settings that trapped or ran unbounded are errors.
@Suite("Value iteration: hostile settings are errors")
struct ValueIterationHardeningTests {
  @Test("truncation, action step and queue bounds")
  func bounds() throws {
    #expect(throws: FluidValidationError.self) {
      try SinglePairMDP(arrivalRate: 1, beta: 1, gamma: 1, directGain: 1, kappa: 2.4, truncation: 1_000_000_000)
    }
    for step in [1e-300, 0, .nan, 2] {
      #expect(throws: FluidValidationError.self, "\(step)") {
        try TwoPairMDP(
          arrivalRates: [1, 1], beta: 1, gamma: 1, directGains: [1, 1], crossGains: [0.05, 0.05], kappa: 2.4, truncation: 4, step: step)
      }
    }
    #expect(throws: FluidValidationError.self) {
      try TwoPairMDP(arrivalRates: [1, 1], beta: 1, gamma: 1, directGains: [1, 1], crossGains: [0, 0], kappa: 2.4, truncation: 100_000)
    }
    let options = ValueIterationOptions(relativeTolerance: 1e-9, maxIterations: 1000, jobs: 1)
    for (queues, range) in [([0, 11], 1...5), ([0, 1], 1...11), ([-1], 1...5), ([0], 0...5)] {
      let c = ValueIterationStudy.Configuration(truncation: 10, checkTruncation: nil, queues: queues, range: range, options: options)
      #expect(throws: FluidValidationError.self, "\(queues) \(range)") {
        try ValueIterationStudy.run(arrivalRate: 1, beta: 1, gamma: 1, directGain: 1, kappa: 2.4, configuration: c)
      }
    }
  }

  @Test("fluid value function: parameters that would give NaN or noise are named")
  func fluidParameters() {
    for (beta, gamma, gain) in [(1e-300, 1.0, 1.0), (1.0, 1e300, 1.0), (1.0, 1e-300, 1e300)] {
      #expect(throws: FluidValueFunction.ParameterError.self, "β \(beta) γ \(gamma) L \(gain)") {
        try FluidValueFunction(arrivalRate: 1, beta: beta, gamma: gamma, directGain: gain, kappa: 2.4)
      }
    }
  }

  @Test("study results do not depend on the number of threads")
  func threads() throws {
    func run(_ jobs: Int) throws -> ValueIterationStudy.Report {
      let c = ValueIterationStudy.Configuration(
        truncation: 25, checkTruncation: 30, queues: [0, 1, 5, 25], range: 2...20,
        options: ValueIterationOptions(relativeTolerance: 1e-11, maxIterations: 10_000, jobs: jobs))
      var report = try ValueIterationStudy.run(arrivalRate: 1, beta: 1, gamma: 1, directGain: 1, kappa: 2.4, configuration: c).report
      report.wallSeconds = 0
      return report
    }
    #expect(try run(1) == run(2))
  }
}
