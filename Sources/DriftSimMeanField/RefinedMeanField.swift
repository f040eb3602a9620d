import DriftSimNumerics
import Foundation

/// The refined mean-field approximation of Gast & Van Houdt ("A refined mean field
/// approximation", Proc. ACM Meas. Anal. Comput. Syst. 1(2), 2017): E[X/M] ≈ x* + V/M + O(1/M²)
/// in the stationary regime.
///
/// With A = ∂f/∂x (x*), B_{i,j,k} = ∂²f_i/∂x_j∂x_k (x*) and the diffusion matrix
/// Q = Σ_ℓ ℓ ℓᵀ β_ℓ(x*), the covariance term W solves the Lyapunov equation A W + W Aᵀ + Q = 0 and
/// V solves A V = −½ Σ_{j,k} B_{·,j,k} W_{j,k}. With conservation laws A is singular, so all of this
/// is done in coordinates of the invariant subspace (x = x* + Q_t z, Q_t orthonormal) and mapped back.
public struct RefinedMeanField: Sendable, Codable {
  /// x* (occupancy fractions).
  public var equilibrium: [Double]
  /// V: E[X/M] ≈ x* + V/M.
  public var correction: [Double]
  /// W in the original coordinates: M · Cov(X/M) → W as M → ∞.
  public var covariance: [[Double]]
  /// tr W = lim M · E‖X/M − x*‖², the limit the scaling study's scaled error approaches.
  public var scaledErrorLimit: Double

  /// Computes the refined correction at the equilibrium reached from the model's initial state.
  /// - Throws: `MeanFieldError` if the equilibrium is not found, the Jacobian is singular on the
  ///   invariant subspace, or the invariant subspace is too large (more than 40 dimensions).
  public init(system: MeanFieldSystem, equilibrium given: [Double]? = nil) throws(MeanFieldError) {
    let model = system.model
    let xStar: [Double]
    if let given { xStar = given } else { xStar = try system.equilibrium() }
    let basis = system.tangentBasis
    let n = model.stateCount, m = basis.count
    guard m > 0 else { throw MeanFieldError("refined mean field: the model has no free dimension") }
    guard m <= 40 else { throw MeanFieldError("refined mean field: \(m) free dimensions is too many (at most 40)") }
    func point(_ z: [Double]) -> [Double] {
      var x = xStar
      for c in 0..<m where z[c] != 0 { for i in 0..<n { x[i] += basis[c][i] * z[c] } }
      return x
    }
    func g(_ z: [Double]) -> [Double] {
      let f = system.drift(point(z))
      return basis.map { zip($0, f).map(*).reduce(0, +) }
    }
    let a = system.reducedJacobian(at: xStar)  // m × m
    // Second derivatives of g by central differences (exact for quadratic rates up to rounding).
    let h = 1e-4
    var b = [[[Double]]](repeating: [[Double]](repeating: [Double](repeating: 0, count: m), count: m), count: m)
    for j in 0..<m {
      for k in j..<m {
        func shifted(_ sj: Double, _ sk: Double) -> [Double] {
          var z = [Double](repeating: 0, count: m)
          z[j] += sj * h
          z[k] += sk * h
          return g(z)
        }
        let pp = shifted(1, 1), pm = shifted(1, -1), mp = shifted(-1, 1), mm = shifted(-1, -1)
        for i in 0..<m {
          let d = (pp[i] - pm[i] - mp[i] + mm[i]) / (4 * h * h)
          b[i][j][k] = d
          b[i][k][j] = d
        }
      }
    }
    // Diffusion Q = Σ ℓ ℓᵀ β_ℓ(x*), reduced to Q_tᵀ Q Q_t.
    let rates = model.rates(at: xStar)
    var diffusion = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
    for (k, t) in model.transitions.enumerated() {
      let projected = basis.map { row in zip(row, t.jump).map { $0 * Double($1) }.reduce(0, +) }
      for r in 0..<m { for c in 0..<m { diffusion[r][c] += projected[r] * projected[c] * rates[k] } }
    }
    // Lyapunov A W + W Aᵀ = −Q as an m² system (vec index r·m + c).
    let size = m * m
    var kron = [[Double]](repeating: [Double](repeating: 0, count: size), count: size)
    var rhs = [Double](repeating: 0, count: size)
    for r in 0..<m {
      for c in 0..<m {
        let row = r * m + c
        rhs[row] = -diffusion[r][c]
        for s in 0..<m {
          kron[row][s * m + c] += a[r][s]
          kron[row][r * m + s] += a[c][s]
        }
      }
    }
    let wVector: [Double]
    do {
      wVector = try DenseLinearAlgebra.solve(kron, rhs)
    } catch {
      throw MeanFieldError("refined mean field: the Lyapunov equation is singular (x* is not hyperbolic): \(error)")
    }
    let w = (0..<m).map { r in (0..<m).map { wVector[r * m + $0] } }
    let source = (0..<m).map { i in
      var s = 0.0
      for j in 0..<m { for k in 0..<m { s += b[i][j][k] * w[j][k] } }
      return -0.5 * s
    }
    let vReduced: [Double]
    do {
      vReduced = try DenseLinearAlgebra.solve(a, source)
    } catch {
      throw MeanFieldError("refined mean field: the Jacobian at x* is singular (x* is not hyperbolic): \(error)")
    }
    equilibrium = xStar
    correction = (0..<n).map { i in (0..<m).map { basis[$0][i] * vReduced[$0] }.reduce(0, +) }
    covariance = (0..<n).map { i in
      (0..<n).map { j in
        var s = 0.0
        for r in 0..<m { for c in 0..<m { s += basis[r][i] * w[r][c] * basis[c][j] } }
        return s
      }
    }
    scaledErrorLimit = (0..<m).map { w[$0][$0] }.reduce(0, +)
  }
}
