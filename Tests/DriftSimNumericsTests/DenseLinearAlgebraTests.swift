import ComplexModule
import Foundation
import Testing

@testable import DriftSimNumerics

@Suite("DenseLinearAlgebra.eigenvalues (gsl_eigen_nonsymm) against closed-form spectra")
struct EigenvalueTests {
  func sortedReals(_ values: [Complex<Double>]) -> [Double] { values.map(\.real).sorted() }

  @Test("triangular, symmetric, rotation and companion matrices")
  func knownSpectra() throws {
    let triangular = try DenseLinearAlgebra.eigenvalues([[3, 1, 4], [0, -2, 5], [0, 0, 7]])
    #expect(sortedReals(triangular) == [-2, 3, 7])
    // Symmetric tridiagonal 2,−1: eigenvalues 2 − 2cos(kπ/(n+1)).
    let n = 6
    let tridiagonal = (0..<n).map { i in (0..<n).map { j in i == j ? 2.0 : (abs(i - j) == 1 ? -1.0 : 0.0) } }
    let expected = (1...n).map { 2 - 2 * cos(Double($0) * Double.pi / Double(n + 1)) }.sorted()
    for (a, b) in zip(sortedReals(try DenseLinearAlgebra.eigenvalues(tridiagonal)), expected) {
      #expect(abs(a - b) <= 1e-13)
    }
    let rotation = try DenseLinearAlgebra.eigenvalues([[0, -1], [1, 0]])
    #expect(rotation.allSatisfy { abs($0.real) < 1e-15 && abs(abs($0.imaginary) - 1) < 1e-15 })
    // Companion matrix of (z − 1)(z − 2)(z + 3)(z² + 2z + 5): roots 1, 2, −3, −1 ± 2i.
    // Expanded: z^5 + 2z^4 − 2z^3 − 8z^2 − 23z + 30.
    let c: [Double] = [2, -2, -8, -23, 30]
    var companion = [[Double]](repeating: [Double](repeating: 0, count: 5), count: 5)
    for j in 0..<5 { companion[0][j] = -c[j] }
    for i in 1..<5 { companion[i][i - 1] = 1 }
    let roots = try DenseLinearAlgebra.eigenvalues(companion)
    let expectedRoots: [Complex<Double>] = [Complex(2, 0), Complex(1, 0), Complex(-1, 2), Complex(-1, -2), Complex(-3, 0)]
    for (a, b) in zip(roots, expectedRoots) {
      #expect(abs(a.real - b.real) < 1e-10 && abs(a.imaginary - b.imaginary) < 1e-10, "\(roots)")
    }
  }

  @Test("random matrices: trace and determinant match the spectrum")
  func randomInvariants() throws {
    var state: UInt64 = 42
    for size in [3, 5, 8, 12] {
      let a = (0..<size).map { _ in
        (0..<size).map { _ -> Double in
          state = state &* 6364136223846793005 &+ 1442695040888963407
          return Double(Int64(bitPattern: state) >> 11) / 4503599627370496.0
        }
      }
      let values = try DenseLinearAlgebra.eigenvalues(a)
      let trace = (0..<size).map { a[$0][$0] }.reduce(0, +)
      #expect(abs(values.map(\.real).reduce(0, +) - trace) < 1e-10)
      #expect(abs(values.map(\.imaginary).reduce(0, +)) < 1e-10)
      // Determinant by a hand elimination (independent of GSL) against the product of the eigenvalues.
      var product = Complex<Double>(1, 0)
      for v in values {
        product = Complex(product.real * v.real - product.imaginary * v.imaginary, product.real * v.imaginary + product.imaginary * v.real)
      }
      #expect(abs(product.real - determinant(a)) < 1e-9 * max(1, abs(determinant(a))))
    }
  }

  func determinant(_ matrix: [[Double]]) -> Double {
    var m = matrix
    var det = 1.0
    let n = m.count
    for c in 0..<n {
      var p = c
      for r in c..<n where abs(m[r][c]) > abs(m[p][c]) { p = r }
      if p != c {
        m.swapAt(p, c)
        det = -det
      }
      det *= m[c][c]
      for r in (c + 1)..<max(n, c + 1) {
        let f = m[r][c] / m[c][c]
        for j in c..<n { m[r][j] -= f * m[c][j] }
      }
    }
    return det
  }
}


@Suite("DenseLinearAlgebra.solve and null spaces (GSL LU, SVD)")
struct LinearSolveTests {
  @Test("LU solve reproduces a known solution; singular and malformed systems are errors")
  func solve() throws {
    // A x = b with x = (1, −2, 3) chosen by hand; A needs a row swap (zero leading pivot).
    let a: [[Double]] = [[0, 2, 1], [4, -1, 3], [2, 5, -2]]
    let x: [Double] = [1, -2, 3]
    let b = a.map { row in zip(row, x).map(*).reduce(0, +) }
    let y = try DenseLinearAlgebra.solve(a, b)
    for (u, v) in zip(y, x) { #expect(abs(u - v) <= 1e-14 * 3) }
    // Hilbert 4×4 with b = row sums: x = (1, 1, 1, 1); κ ≈ 1.6e4, so 1e-11 is generous.
    let hilbert = (0..<4).map { i in (0..<4).map { j in 1 / Double(i + j + 1) } }
    let ones = try DenseLinearAlgebra.solve(hilbert, hilbert.map { $0.reduce(0, +) })
    for v in ones { #expect(abs(v - 1) < 1e-11) }
    #expect(throws: NumericsError.self) { try DenseLinearAlgebra.solve([[1, 2], [2, 4]], [1, 2]) }
    #expect(throws: NumericsError.self) { try DenseLinearAlgebra.solve([[1, 2]], [1, 2]) }
    #expect(throws: NumericsError.self) { try DenseLinearAlgebra.solve([[1, .nan], [0, 1]], [1, 2]) }
    #expect(try DenseLinearAlgebra.solve([], []) == [])
  }

  @Test("null spaces: dimension n − rank, orthonormal, annihilated")
  func nullSpace() throws {
    // Birth–death jumps (−1, 1) and (1, −1): columns sum to zero, one law (1, 1)/√2.
    let laws = try DenseLinearAlgebra.leftNullSpace([[-1, 1], [1, -1]])
    #expect(laws.count == 1)
    #expect(abs(abs(laws[0][0]) - 0.5.squareRoot()) < 1e-15 && abs(laws[0][0] - laws[0][1]) < 1e-15)
    // A 3-state cycle plus a redundant column: rank 2, one law (1, 1, 1)/√3.
    let cycle: [[Double]] = [[-1, 0, 1, -2], [1, -1, 0, 2], [0, 1, -1, 0]]
    let cycleLaws = try DenseLinearAlgebra.leftNullSpace(cycle)
    #expect(cycleLaws.count == 1)
    for v in cycleLaws[0] { #expect(abs(abs(v) - (1 / 3.0).squareRoot()) < 1e-14) }
    // Complement of span{(1,1,1)} in R³: two orthonormal vectors orthogonal to it.
    let tangent = try DenseLinearAlgebra.orthogonalComplement(of: cycleLaws, dimension: 3)
    #expect(tangent.count == 2)
    for u in tangent {
      #expect(abs(u.reduce(0, +)) < 1e-14)
      #expect(abs(u.map { $0 * $0 }.reduce(0, +) - 1) < 1e-14)
    }
    #expect(abs(zip(tangent[0], tangent[1]).map(*).reduce(0, +)) < 1e-14)
    // No constraint: the whole space (standard basis); full rank: nothing.
    #expect(try DenseLinearAlgebra.orthogonalComplement(of: [], dimension: 2) == [[1, 0], [0, 1]])
    #expect(try DenseLinearAlgebra.nullSpace([[1, 0], [0, 1]], columns: 2).isEmpty)
    #expect(throws: NumericsError.self) { try DenseLinearAlgebra.nullSpace([[1, 0, 0]], columns: 2) }
  }

  @Test("eigenvalues: non-square or non-finite input is an error, not a trap")
  func eigenvalueErrors() {
    #expect(throws: NumericsError.self) { try DenseLinearAlgebra.eigenvalues([[1, 2]]) }
    #expect(throws: NumericsError.self) { try DenseLinearAlgebra.eigenvalues([[.infinity]]) }
  }
}
