import ComplexModule
import RealModule
import Foundation
import DriftSimNumerics

/// The mean-field ODE dx/dt = f(x) of a population model: trajectories, Jacobians, the
/// equilibrium x* and its local stability.
public struct MeanFieldSystem: Sendable {
  /// The model.
  public let model: PopulationModel
  /// An orthonormal basis of the conservation laws: vectors w with wᵀℓ = 0 for every jump ℓ, so
  /// wᵀx is constant along both the ODE and the CTMC. Empty when nothing is conserved.
  public let conservationLaws: [[Double]]
  /// An orthonormal basis of the invariant (tangent) subspace {v : wᵀv = 0 for all laws}.
  public let tangentBasis: [[Double]]

  /// Builds the system of `model`: its conservation laws and invariant subspace, by SVD.
  /// - Throws: `MeanFieldError` if GSL's SVD fails (it does not on a model's integer jumps).
  public init(model: PopulationModel) throws(MeanFieldError) {
    self.model = model
    do {
      conservationLaws = try DenseLinearAlgebra.leftNullSpace(model.jumpMatrix)
      tangentBasis = try DenseLinearAlgebra.orthogonalComplement(of: conservationLaws, dimension: model.stateCount)
    } catch {
      throw MeanFieldError("model '\(model.name)': conservation laws of the jump matrix: \(error)")
    }
  }

  /// f(x) = Σ_ℓ ℓ β_ℓ(x), in occupancy per second.
  public func drift(_ x: [Double]) -> [Double] { model.drift(at: x) }

  /// The Jacobian ∂f_i/∂x_j at x (rows i), by central differences with step 1e-6 (error ≈ 1e-10
  /// for smooth rates).
  public func jacobian(at x: [Double]) -> [[Double]] {
    let n = model.stateCount
    var columns: [[Double]] = []
    for j in 0..<n {
      let h = 1e-6 * max(1, abs(x[j]))
      var plus = x, minus = x
      plus[j] += h
      minus[j] -= h
      let fp = drift(plus), fm = drift(minus)
      columns.append((0..<n).map { (fp[$0] - fm[$0]) / (2 * h) })
    }
    return (0..<n).map { i in (0..<n).map { columns[$0][i] } }
  }

  /// The longest horizon (seconds) `trajectory` accepts with an explicit method: their stable step
  /// is bounded by ~1/|λ_max| even at equilibrium, so the cost grows linearly with the horizon.
  public static let maximumExplicitHorizon = 1e6
  /// The longest horizon (seconds) with an implicit (stiff) method, whose steps can grow.
  public static let maximumImplicitHorizon = 1e12
  /// The most output times of one trajectory.
  public static let maximumPoints = 1_000_000

  /// The mean-field trajectory from x(0) at the given times (GSL rk8pd, tolerance 1e-10).
  /// - Parameters:
  ///   - initial: x(0).
  ///   - times: increasing output times in seconds; the first is the start time.
  /// - Returns: one occupancy per time.
  /// - Throws: `MeanFieldError` if the integration fails.
  public func trajectory(from initial: [Double], at times: [Double], method: ODEMethod = .rk8pd) throws(MeanFieldError)
    -> [[Double]]
  {
    try Self.trajectory(of: model, from: initial, at: times, method: method)
  }

  /// The same trajectory without building the system (no conservation-law SVD, which costs O(n³)
  /// and is not needed to integrate).
  public static func trajectory(of model: PopulationModel, from initial: [Double], at times: [Double], method: ODEMethod = .rk8pd)
    throws(MeanFieldError) -> [[Double]]
  {
    let n = model.stateCount
    guard times.count <= Self.maximumPoints else {
      throw MeanFieldError("mean-field ODE: \(times.count) output times; at most \(Self.maximumPoints)")
    }
    let limit = method.isImplicit ? Self.maximumImplicitHorizon : Self.maximumExplicitHorizon
    if let first = times.first, let last = times.last, !(last - first <= limit) {
      throw MeanFieldError(
        "mean-field ODE: horizon \(last - first) s exceeds \(limit) s for the \(method.isImplicit ? "implicit" : "explicit") method \(method.rawValue)\(method.isImplicit ? "" : " (its stable step is bounded even at equilibrium; use an implicit method such as msbdf for up to \(Self.maximumImplicitHorizon) s)")")
    }
    guard initial.count == n else {
      throw MeanFieldError("mean-field ODE: x(0) has \(initial.count) entries, model '\(model.name)' has \(n) states")
    }
    do {
      let integrator = try ODEIntegrator(dimension: n, method: method) { _, y, dydt in
        let f = model.drift(at: Array(y))
        for i in 0..<n { dydt[i] = f[i] }
      }
      return try integrator.trajectory(from: initial, at: times)
    } catch {
      if case let .nonFiniteValue(_, t) = error {
        throw MeanFieldError(
          "mean-field ODE of \(model.name): the drift f(x) = Σ ℓ β_ℓ(x) became NaN or infinite at t = \(t) s; the rate expressions must stay finite along the path (check the model's rates and parameters)")
      }
      throw MeanFieldError("mean-field ODE of \(model.name) (method \(method.rawValue)): \(error)")
    }
  }

  /// The fixed point reached from `initial`: the ODE is integrated until ‖f(x)‖ is small, then
  /// Newton's method on the invariant subspace (which keeps every conservation law wᵀx = wᵀx(0))
  /// polishes it to ‖f(x*)‖∞ ≤ 1e-13.
  /// - Throws: `MeanFieldError` if the ODE does not settle within 1e5 s or Newton fails.
  public func equilibrium(from initial: [Double]? = nil) throws(MeanFieldError) -> [Double] {
    if let initial { try model.validateOccupancy(initial, what: "equilibrium search start") }
    var x = initial ?? model.initialOccupancy
    let model = self.model
    let n = model.stateCount
    func residual(_ x: [Double]) -> Double { drift(x).map(abs).max() ?? 0 }
    do {
      let integrator = try ODEIntegrator(dimension: n, method: .rk8pd, tolerance: ODETolerance(absolute: 1e-12, relative: 1e-10)) {
        _, y, dydt in
        let f = model.drift(at: Array(y))
        for i in 0..<n { dydt[i] = f[i] }
      }
      var t = 0.0, step = 1.0
      while residual(x) > 1e-6 {
        guard t < 1e5 else {
          throw MeanFieldError(
            "equilibrium of \(model.name): the ODE has not settled after \(t) s (‖f(x)‖∞ = \(residual(x))); no stable fixed point reached from \(initial ?? model.initialOccupancy)")
        }
        try integrator.integrate(&x, from: t, to: t + step)
        t += step
        step = min(step * 2, 1000)
      }
    } catch let error as MeanFieldError {
      throw error
    } catch {
      throw MeanFieldError("equilibrium of \(model.name): \(error)")
    }
    return try newton(from: x)
  }

  /// Newton's method for f(x) = 0 restricted to x(0) + span(tangentBasis).
  func newton(from start: [Double]) throws(MeanFieldError) -> [Double] {
    var x = start
    let basis = tangentBasis
    let m = basis.count
    guard m > 0 else { return x }
    for _ in 0..<50 {
      let f = drift(x)
      if (f.map(abs).max() ?? 0) <= 1e-14 { return x }
      let j = jacobian(at: x)
      // Reduced system (Qᵀ J Q) Δz = −Qᵀ f.
      _ = j
      let reduced = reducedJacobian(at: x)
      let rhs = (0..<m).map { r in -zip(basis[r], f).map(*).reduce(0, +) }
      let dz: [Double]
      do {
        dz = try DenseLinearAlgebra.solve(reduced, rhs)
      } catch {
        throw MeanFieldError(
          "equilibrium of \(model.name): the Jacobian on the invariant subspace is singular at x = \(x) (a degenerate fixed point): \(error)")
      }
      var step = 0.0
      for i in 0..<x.count {
        var d = 0.0
        for c in 0..<m { d += basis[c][i] * dz[c] }
        x[i] += d
        step = max(step, abs(d))
      }
      if step <= 1e-15 { break }
    }
    let r = drift(x).map(abs).max() ?? 0
    guard r <= 1e-10 else {
      throw MeanFieldError("equilibrium of \(model.name): Newton's method stalled with ‖f(x)‖∞ = \(r)")
    }
    return x
  }

  /// The Jacobian restricted to the invariant subspace, Qᵀ J Q (size n − number of laws).
  public func reducedJacobian(at x: [Double]) -> [[Double]] {
    let j = jacobian(at: x)
    let b = tangentBasis
    let n = x.count
    var result = [[Double]](repeating: [Double](repeating: 0, count: b.count), count: b.count)
    for (r, row) in b.enumerated() {
      for (c, column) in b.enumerated() {
        var s = 0.0
        for i in 0..<n {
          var jc = 0.0
          for l in 0..<n { jc += j[i][l] * column[l] }
          s += row[i] * jc
        }
        result[r][c] = s
      }
    }
    return result
  }

  /// The equilibrium with its Jacobian spectrum and a stability verdict.
  /// - Throws: `MeanFieldError` if the equilibrium or the eigenvalues cannot be computed.
  public func analyseEquilibrium(from initial: [Double]? = nil) throws(MeanFieldError) -> EquilibriumAnalysis {
    let x = try equilibrium(from: initial)
    let full: [Complex<Double>], reduced: [Complex<Double>]
    do {
      full = try DenseLinearAlgebra.eigenvalues(jacobian(at: x))
      reduced = try DenseLinearAlgebra.eigenvalues(reducedJacobian(at: x))
    } catch {
      throw MeanFieldError("equilibrium of \(model.name): Jacobian spectrum at x* = \(x): \(error)")
    }
    let scale = max(full.map(\.length).max() ?? 0, 1e-300)
    let maxReal = reduced.map(\.real).max() ?? -Double.infinity
    let verdict: StabilityVerdict
    if maxReal < -1e-8 * scale {
      verdict = .locallyExponentiallyStable
    } else if maxReal > 1e-8 * scale {
      verdict = .unstable
    } else {
      verdict = .inconclusive
    }
    return EquilibriumAnalysis(
      equilibrium: x, residual: drift(x).map(abs).max() ?? 0, jacobianEigenvalues: full,
      invariantSubspaceEigenvalues: reduced, conservationLawCount: conservationLaws.count, spectralAbscissa: maxReal,
      verdict: verdict)
  }
}

/// Local stability of a fixed point from the spectrum of the Jacobian on the invariant subspace.
public enum StabilityVerdict: String, Sendable, Codable {
  /// Every eigenvalue has a negative real part: x* is locally exponentially stable.
  case locallyExponentiallyStable
  /// Some eigenvalue has a positive real part.
  case unstable
  /// The largest real part is 0 to working precision: linearisation cannot decide.
  case inconclusive
}

/// The equilibrium of the mean-field ODE and its linear stability.
public struct EquilibriumAnalysis: Sendable, Codable {
  /// x*, the fixed point (occupancy fractions).
  public var equilibrium: [Double]
  /// ‖f(x*)‖∞ (1/s).
  public var residual: Double
  /// Eigenvalues of the full n × n Jacobian at x* (1/s); each conservation law adds a 0.
  public var jacobianEigenvalues: [Complex<Double>]
  /// Eigenvalues of the Jacobian restricted to the invariant subspace (1/s): these decide stability.
  public var invariantSubspaceEigenvalues: [Complex<Double>]
  /// Number of independent conservation laws (e.g. 1: Σx = 1).
  public var conservationLawCount: Int
  /// The largest real part among `invariantSubspaceEigenvalues` (1/s): −(exponential decay rate).
  public var spectralAbscissa: Double
  /// The verdict.
  public var verdict: StabilityVerdict

  /// 1/|spectral abscissa| (seconds) when x* is locally exponentially stable: the time scale on
  /// which deviations from x* decay, hence the correlation time of the stationary CTMC path.
  public var relaxationTimeSeconds: Double? {
    verdict == .locallyExponentiallyStable && spectralAbscissa < 0 ? 1 / -spectralAbscissa : nil
  }
}
