import Foundation

/// A complex number (an eigenvalue), real and imaginary parts.
public struct ComplexValue: Sendable, Equatable, Codable, CustomStringConvertible {
  /// Real part.
  public var real: Double
  /// Imaginary part.
  public var imaginary: Double
  /// Creates a + b i.
  public init(_ real: Double, _ imaginary: Double = 0) {
    self.real = real
    self.imaginary = imaginary
  }
  public var description: String {
    imaginary == 0 ? "\(real)" : "\(real) \(imaginary < 0 ? "−" : "+") \(abs(imaginary))i"
  }
}

/// Small dense linear algebra for mean-field computations (n up to a few hundred).
public enum DenseLinearAlgebra {
  /// Solves A y = b by LU decomposition with partial pivoting.
  /// - Parameters:
  ///   - a: a square matrix as rows.
  ///   - b: the right-hand side.
  /// - Throws: `MeanFieldError` when A is singular to working precision.
  public static func solve(_ a: [[Double]], _ b: [Double]) throws(MeanFieldError) -> [Double] {
    let n = b.count
    precondition(a.count == n && a.allSatisfy { $0.count == n }, "solve: A must be \(n)×\(n)")
    var m = a, y = b
    let scale = a.flatMap { $0 }.map(abs).max() ?? 0
    for column in 0..<n {
      var pivot = column
      for row in (column + 1)..<max(n, column + 1) where abs(m[row][column]) > abs(m[pivot][column]) { pivot = row }
      guard abs(m[pivot][column]) > 1e-13 * max(scale, Double.leastNormalMagnitude) else {
        throw MeanFieldError("linear system is singular (pivot \(m[pivot][column]) in column \(column))")
      }
      if pivot != column {
        m.swapAt(pivot, column)
        y.swapAt(pivot, column)
      }
      let p = m[column][column]
      for row in (column + 1)..<max(n, column + 1) {
        let factor = m[row][column] / p
        if factor == 0 { continue }
        for j in column..<n { m[row][j] -= factor * m[column][j] }
        y[row] -= factor * y[column]
      }
    }
    for row in stride(from: n - 1, through: 0, by: -1) {
      var s = y[row]
      for j in (row + 1)..<max(n, row + 1) { s -= m[row][j] * y[j] }
      y[row] = s / m[row][row]
    }
    return y
  }

  /// An orthonormal basis of the vectors w with wᵀ A = 0 (the left null space of the n × K
  /// matrix A), by Gram–Schmidt on the complement of A's column space.
  /// - Returns: r vectors of length n (r = n − rank A), e.g. (1, …, 1)/√n when every column sums to 0.
  public static func leftNullSpace(_ a: [[Double]]) -> [[Double]] {
    let n = a.count
    guard n > 0 else { return [] }
    let k = a[0].count
    let columns = (0..<k).map { j in (0..<n).map { a[$0][j] } }
    let range = orthonormalize(columns)
    return orthonormalComplement(range, dimension: n)
  }

  /// An orthonormal basis of span(vectors) (dependent vectors are dropped).
  public static func orthonormalize(_ vectors: [[Double]]) -> [[Double]] {
    var basis: [[Double]] = []
    for v in vectors {
      if let u = reduced(v, against: basis) { basis.append(u) }
    }
    return basis
  }

  /// An orthonormal basis of the orthogonal complement of span(basis) in R^dimension.
  /// - Parameter basis: orthonormal vectors.
  public static func orthonormalComplement(_ basis: [[Double]], dimension n: Int) -> [[Double]] {
    var all = basis
    var complement: [[Double]] = []
    for i in 0..<n {
      var e = [Double](repeating: 0, count: n)
      e[i] = 1
      if let u = reduced(e, against: all) {
        all.append(u)
        complement.append(u)
      }
      if all.count == n { break }
    }
    return complement
  }

  /// v minus its projection on the orthonormal `basis` (twice, for stability), normalised; nil
  /// when nothing independent is left.
  private static func reduced(_ v: [Double], against basis: [[Double]]) -> [Double]? {
    let norm0 = (v.map { $0 * $0 }.reduce(0, +)).squareRoot()
    guard norm0 > 0 else { return nil }
    var u = v
    for _ in 0..<2 {
      for b in basis {
        let dot = zip(u, b).map(*).reduce(0, +)
        for i in u.indices { u[i] -= dot * b[i] }
      }
    }
    let norm = (u.map { $0 * $0 }.reduce(0, +)).squareRoot()
    guard norm > 1e-10 * norm0 else { return nil }
    return u.map { $0 / norm }
  }

  /// The eigenvalues of a real square matrix: balancing, reduction to upper Hessenberg form by
  /// stabilised elementary similarity transformations, then the Francis double-shift QR algorithm
  /// (as in EISPACK `balanc`/`elmhes`/`hqr`).
  /// - Parameter matrix: n × n, as rows, finite entries.
  /// - Returns: n eigenvalues, complex-conjugate pairs adjacent (positive imaginary part first),
  ///   sorted by decreasing real part.
  /// - Throws: `MeanFieldError` if an entry is not finite or the QR iteration does not converge
  ///   (60 iterations for one eigenvalue, with exceptional shifts every 10).
  public static func eigenvalues(_ matrix: [[Double]]) throws(MeanFieldError) -> [ComplexValue] {
    let n = matrix.count
    precondition(matrix.allSatisfy { $0.count == n }, "eigenvalues: the matrix must be square")
    guard n > 0 else { return [] }
    guard matrix.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
      throw MeanFieldError("eigenvalues: the matrix has a non-finite entry")
    }
    // 1-based storage keeps the classic algorithm's indices readable.
    var a = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: n + 1)
    for i in 0..<n { for j in 0..<n { a[i + 1][j + 1] = matrix[i][j] } }
    balance(&a, n)
    reduceToHessenberg(&a, n)
    var wr = [Double](repeating: 0, count: n + 1), wi = wr
    try hessenbergQR(&a, n, &wr, &wi)
    var values = (1...n).map { ComplexValue(wr[$0], wi[$0]) }
    values.sort { ($0.real, $0.imaginary) > ($1.real, $1.imaginary) }
    return values
  }

  private static func balance(_ a: inout [[Double]], _ n: Int) {
    let radix = 2.0, radixSquared = 4.0
    var done = false
    while !done {
      done = true
      for i in 1...n {
        var r = 0.0, c = 0.0
        for j in 1...n where j != i {
          c += abs(a[j][i])
          r += abs(a[i][j])
        }
        if c != 0, r != 0 {
          var g = r / radix
          var f = 1.0
          let s = c + r
          while c < g {
            f *= radix
            c *= radixSquared
          }
          g = r * radix
          while c > g {
            f /= radix
            c /= radixSquared
          }
          if (c + r) / f < 0.95 * s {
            done = false
            g = 1 / f
            for j in 1...n { a[i][j] *= g }
            for j in 1...n { a[j][i] *= f }
          }
        }
      }
    }
  }

  private static func reduceToHessenberg(_ a: inout [[Double]], _ n: Int) {
    guard n >= 3 else { return }
    for m in 2..<n {
      var x = 0.0
      var i = m
      for j in m...n where abs(a[j][m - 1]) > abs(x) {
        x = a[j][m - 1]
        i = j
      }
      if i != m {
        for j in (m - 1)...n { (a[i][j], a[m][j]) = (a[m][j], a[i][j]) }
        for j in 1...n { (a[j][i], a[j][m]) = (a[j][m], a[j][i]) }
      }
      if x != 0 {
        for i in (m + 1)...n {
          var y = a[i][m - 1]
          if y != 0 {
            y /= x
            a[i][m - 1] = y
            for j in m...n { a[i][j] -= y * a[m][j] }
            for j in 1...n { a[j][m] += y * a[j][i] }
          }
        }
      }
    }
    // Clear the multipliers left below the subdiagonal.
    for i in 3...n { for j in 1...(i - 2) { a[i][j] = 0 } }
  }

  private static func hessenbergQR(_ a: inout [[Double]], _ n: Int, _ wr: inout [Double], _ wi: inout [Double])
    throws(MeanFieldError)
  {
    func sign(_ a: Double, _ b: Double) -> Double { b >= 0 ? abs(a) : -abs(a) }
    var anorm = 0.0
    for i in 1...n { for j in max(i - 1, 1)...n { anorm += abs(a[i][j]) } }
    var nn = n
    var t = 0.0
    var p = 0.0, q = 0.0, r = 0.0, s = 0.0, w = 0.0, x = 0.0, y = 0.0, z = 0.0
    while nn >= 1 {
      var its = 0
      var l = 1
      repeat {
        l = 1
        var ll = nn
        while ll >= 2 {
          s = abs(a[ll - 1][ll - 1]) + abs(a[ll][ll])
          if s == 0 { s = anorm }
          if abs(a[ll][ll - 1]) + s == s {
            a[ll][ll - 1] = 0
            l = ll
            break
          }
          ll -= 1
        }
        x = a[nn][nn]
        if l == nn {
          wr[nn] = x + t
          wi[nn] = 0
          nn -= 1
        } else {
          y = a[nn - 1][nn - 1]
          w = a[nn][nn - 1] * a[nn - 1][nn]
          if l == nn - 1 {
            p = 0.5 * (y - x)
            q = p * p + w
            z = abs(q).squareRoot()
            x += t
            if q >= 0 {
              z = p + sign(z, p)
              wr[nn - 1] = x + z
              wr[nn] = x + z
              if z != 0 { wr[nn] = x - w / z }
              wi[nn - 1] = 0
              wi[nn] = 0
            } else {
              wr[nn - 1] = x + p
              wr[nn] = x + p
              wi[nn - 1] = z
              wi[nn] = -z
            }
            nn -= 2
          } else {
            if its == 60 {
              throw MeanFieldError("eigenvalues: the QR iteration did not converge within 60 iterations")
            }
            if its % 10 == 0 && its > 0 {
              // Exceptional shift, to break cycles.
              t += x
              for i in 1...nn { a[i][i] -= x }
              s = abs(a[nn][nn - 1]) + abs(a[nn - 1][nn - 2])
              x = 0.75 * s
              y = x
              w = -0.4375 * s * s
            }
            its += 1
            var m = nn - 2
            while m >= l {
              z = a[m][m]
              r = x - z
              s = y - z
              p = (r * s - w) / a[m + 1][m] + a[m][m + 1]
              q = a[m + 1][m + 1] - z - r - s
              r = a[m + 2][m + 1]
              s = abs(p) + abs(q) + abs(r)
              p /= s
              q /= s
              r /= s
              if m == l { break }
              let u = abs(a[m][m - 1]) * (abs(q) + abs(r))
              let v = abs(p) * (abs(a[m - 1][m - 1]) + abs(z) + abs(a[m + 1][m + 1]))
              if u + v == v { break }
              m -= 1
            }
            for i in (m + 2)...nn {
              a[i][i - 2] = 0
              if i != m + 2 { a[i][i - 3] = 0 }
            }
            var k = m
            while k <= nn - 1 {
              if k != m {
                p = a[k][k - 1]
                q = a[k + 1][k - 1]
                r = 0
                if k != nn - 1 { r = a[k + 2][k - 1] }
                x = abs(p) + abs(q) + abs(r)
                if x != 0 {
                  p /= x
                  q /= x
                  r /= x
                }
              }
              s = sign((p * p + q * q + r * r).squareRoot(), p)
              if s != 0 {
                if k == m {
                  if l != m { a[k][k - 1] = -a[k][k - 1] }
                } else {
                  a[k][k - 1] = -s * x
                }
                p += s
                x = p / s
                y = q / s
                z = r / s
                q /= p
                r /= p
                for j in k...nn {
                  p = a[k][j] + q * a[k + 1][j]
                  if k != nn - 1 {
                    p += r * a[k + 2][j]
                    a[k + 2][j] -= p * z
                  }
                  a[k + 1][j] -= p * y
                  a[k][j] -= p * x
                }
                let mmin = nn < k + 3 ? nn : k + 3
                for i in l...mmin {
                  p = x * a[i][k] + y * a[i][k + 1]
                  if k != nn - 1 {
                    p += z * a[i][k + 2]
                    a[i][k + 2] -= p * r
                  }
                  a[i][k + 1] -= p * q
                  a[i][k] -= p
                }
              }
              k += 1
            }
          }
        }
      } while nn >= 1 && l < nn - 1
    }
  }
}
