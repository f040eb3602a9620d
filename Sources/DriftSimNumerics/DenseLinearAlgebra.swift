import CDriftSimGSL
import ComplexModule
import RealModule

/// Small dense linear algebra over GSL (n up to a few hundred): LU solve, null spaces by SVD and
/// eigenvalues of non-symmetric matrices. Matrices are arrays of rows; every GSL status is checked.
public enum DenseLinearAlgebra {
  /// The relative pivot size below which `solve` calls a matrix singular: |u_ii| ≤ 1e-13 · max|a_ij|.
  /// GSL's LU only rejects exact zeros; a pivot this small means the solution has no correct digit.
  public static let singularPivotTolerance = 1e-13

  /// The relative singular value below which `nullSpace` counts a direction as null:
  /// σ ≤ 1e-10 · σ_max. Mean-field jump matrices are small integers, so their rank is clear-cut.
  public static let rankTolerance = 1e-10

  /// Solves A y = b by LU decomposition with partial pivoting (`gsl_linalg_LU_decomp`/`_solve`).
  /// - Parameters:
  ///   - a: an n × n matrix as rows, finite entries.
  ///   - b: the right-hand side, n entries.
  /// - Returns: y, n entries.
  /// - Throws: `NumericsError.invalidArgument` for a non-square or non-finite input or one that is
  ///   singular to working precision (see `singularPivotTolerance`); `.gsl` for any other GSL failure.
  public static func solve(_ a: [[Double]], _ b: [Double]) throws(NumericsError) -> [Double] {
    GSLRuntime.ensureConfigured()
    let n = b.count
    let routine = "linear solve"
    guard a.count == n, a.allSatisfy({ $0.count == n }) else {
      throw .invalidArgument(routine: routine, reason: "the matrix must be \(n)×\(n) for a right-hand side of \(n) entries")
    }
    guard n > 0 else { return [] }
    try requireFinite(a, routine: routine)
    guard b.allSatisfy(\.isFinite) else { throw .invalidArgument(routine: routine, reason: "the right-hand side has a non-finite entry") }
    let matrix = try GSLMatrix(rows: a, routine: routine)
    defer { matrix.free() }
    guard let permutation = gsl_permutation_alloc(n) else { throw .gsl(routine: routine, status: Int32(GSL_ENOMEM), reason: "out of memory") }
    defer { gsl_permutation_free(permutation) }
    var signum: Int32 = 0
    try check(gsl_linalg_LU_decomp(matrix.pointer, permutation, &signum), routine: "gsl_linalg_LU_decomp")
    let scale = a.lazy.flatMap { $0 }.map(abs).max() ?? 0
    for i in 0..<n {
      let pivot = gsl_matrix_get(matrix.pointer, i, i)
      guard abs(pivot) > singularPivotTolerance * max(scale, Double.leastNormalMagnitude) else {
        throw .invalidArgument(
          routine: routine, reason: "the \(n)×\(n) matrix is singular to working precision (LU pivot \(pivot) in column \(i))")
      }
    }
    let rhs = try GSLVector(b, routine: routine)
    defer { rhs.free() }
    let solution = try GSLVector(count: n, routine: routine)
    defer { solution.free() }
    try check(gsl_linalg_LU_solve(matrix.pointer, permutation, rhs.pointer, solution.pointer), routine: "gsl_linalg_LU_solve")
    let y = solution.values
    guard y.allSatisfy(\.isFinite) else {
      throw .invalidArgument(routine: routine, reason: "the solution overflows (the matrix is too ill-conditioned)")
    }
    return y
  }

  /// An orthonormal basis of the null space {v : B v = 0} of a rows × columns matrix B, from the
  /// right singular vectors of B whose singular values are ≤ `rankTolerance` · σ_max
  /// (`gsl_linalg_SV_decomp`).
  /// - Parameters:
  ///   - b: the matrix as rows (all of length `columns`; may have no rows).
  ///   - columns: the dimension of the space.
  /// - Returns: columns − rank B vectors of length `columns`; the standard basis when B is zero.
  /// - Throws: `NumericsError` for ragged or non-finite input, or a GSL failure.
  public static func nullSpace(_ b: [[Double]], columns: Int) throws(NumericsError) -> [[Double]] {
    GSLRuntime.ensureConfigured()
    let routine = "null space"
    guard columns >= 0, b.allSatisfy({ $0.count == columns }) else {
      throw .invalidArgument(routine: routine, reason: "every row must have \(columns) entries")
    }
    guard columns > 0 else { return [] }
    try requireFinite(b, routine: routine)
    let standard = (0..<columns).map { i in (0..<columns).map { $0 == i ? 1.0 : 0.0 } }
    let largest = b.lazy.flatMap { $0 }.map(abs).max() ?? 0
    guard largest > 0 else { return standard }
    // gsl_linalg_SV_decomp needs at least as many rows as columns: zero rows change no singular
    // vector, so pad with them.
    var padded = b
    while padded.count < columns { padded.append([Double](repeating: 0, count: columns)) }
    let u = try GSLMatrix(rows: padded, routine: routine)
    defer { u.free() }
    let v = try GSLMatrix(rowCount: columns, columnCount: columns, routine: routine)
    defer { v.free() }
    let s = try GSLVector(count: columns, routine: routine)
    defer { s.free() }
    let work = try GSLVector(count: columns, routine: routine)
    defer { work.free() }
    try check(gsl_linalg_SV_decomp(u.pointer, v.pointer, s.pointer, work.pointer), routine: "gsl_linalg_SV_decomp")
    let sigma = s.values
    let sigmaMax = sigma.max() ?? 0
    var basis: [[Double]] = []
    for j in 0..<columns where sigma[j] <= rankTolerance * sigmaMax {
      basis.append((0..<columns).map { gsl_matrix_get(v.pointer, $0, j) })
    }
    return basis
  }

  /// An orthonormal basis of the vectors w with wᵀ A = 0 (the left null space of the n × K matrix A).
  /// - Returns: n − rank A vectors of length n, e.g. ±(1, …, 1)/√n when every column sums to 0.
  /// - Throws: `NumericsError` for ragged or non-finite input, or a GSL failure.
  public static func leftNullSpace(_ a: [[Double]]) throws(NumericsError) -> [[Double]] {
    let n = a.count
    guard n > 0 else { return [] }
    let k = a[0].count
    guard a.allSatisfy({ $0.count == k }) else { throw .invalidArgument(routine: "left null space", reason: "ragged matrix") }
    let transposed = (0..<k).map { j in (0..<n).map { a[$0][j] } }
    return try nullSpace(transposed, columns: n)
  }

  /// An orthonormal basis of the orthogonal complement of span(vectors) in R^dimension.
  /// - Throws: `NumericsError` for vectors of the wrong length or non-finite entries.
  public static func orthogonalComplement(of vectors: [[Double]], dimension: Int) throws(NumericsError) -> [[Double]] {
    try nullSpace(vectors, columns: dimension)
  }

  /// The eigenvalues of a real square matrix (`gsl_eigen_nonsymm` with balancing: Hessenberg
  /// reduction and the Francis double-shift QR algorithm).
  /// - Parameter matrix: n × n, as rows, finite entries.
  /// - Returns: n eigenvalues sorted by decreasing real part, then decreasing imaginary part (so a
  ///   complex-conjugate pair is adjacent, positive imaginary part first).
  /// - Throws: `NumericsError.invalidArgument` for a non-square or non-finite matrix,
  ///   `.noConvergence` when the QR iteration does not converge, `.gsl` for other GSL failures.
  public static func eigenvalues(_ matrix: [[Double]]) throws(NumericsError) -> [Complex<Double>] {
    GSLRuntime.ensureConfigured()
    let routine = "eigenvalues"
    let n = matrix.count
    guard matrix.allSatisfy({ $0.count == n }) else { throw .invalidArgument(routine: routine, reason: "the matrix must be square") }
    guard n > 0 else { return [] }
    try requireFinite(matrix, routine: routine)
    let a = try GSLMatrix(rows: matrix, routine: routine)
    defer { a.free() }
    guard let values = gsl_vector_complex_alloc(n) else { throw .gsl(routine: routine, status: Int32(GSL_ENOMEM), reason: "out of memory") }
    defer { gsl_vector_complex_free(values) }
    guard let workspace = gsl_eigen_nonsymm_alloc(n) else {
      throw .gsl(routine: routine, status: Int32(GSL_ENOMEM), reason: "out of memory")
    }
    defer { gsl_eigen_nonsymm_free(workspace) }
    // Balancing (D⁻¹AD) makes the QR iteration accurate on badly scaled Jacobians.
    gsl_eigen_nonsymm_params(0, 1, workspace)
    let status = gsl_eigen_nonsymm(a.pointer, values, workspace)
    if status == GSL_EMAXITER {
      throw .noConvergence(routine: "gsl_eigen_nonsymm (\(n)×\(n))", iterations: Int(workspace.pointee.n_evals))
    }
    try check(status, routine: "gsl_eigen_nonsymm")
    let data = values.pointee.data!
    let stride = values.pointee.stride
    var result = (0..<n).map { Complex(data[2 * $0 * stride], data[2 * $0 * stride + 1]) }
    result.sort { ($0.real, $0.imaginary) > ($1.real, $1.imaginary) }
    return result
  }

  private static func requireFinite(_ rows: [[Double]], routine: String) throws(NumericsError) {
    for (i, row) in rows.enumerated() {
      if let j = row.firstIndex(where: { !$0.isFinite }) {
        throw .invalidArgument(routine: routine, reason: "matrix entry (\(i), \(j)) is \(row[j]), expected a finite number")
      }
    }
  }

  private static func check(_ status: Int32, routine: String) throws(NumericsError) {
    guard status == GSL_SUCCESS else { throw .gsl(routine: routine, status: status, reason: GSLRuntime.reason(status)) }
  }
}

/// An owned `gsl_matrix` (freed explicitly; never escapes this file).
private struct GSLMatrix {
  let pointer: UnsafeMutablePointer<gsl_matrix>

  init(rowCount: Int, columnCount: Int, routine: String) throws(NumericsError) {
    guard let p = gsl_matrix_calloc(rowCount, columnCount) else {
      throw .gsl(routine: routine, status: Int32(GSL_ENOMEM), reason: "out of memory")
    }
    pointer = p
  }

  init(rows: [[Double]], routine: String) throws(NumericsError) {
    try self.init(rowCount: rows.count, columnCount: rows.first?.count ?? 0, routine: routine)
    for (i, row) in rows.enumerated() {
      for (j, value) in row.enumerated() { gsl_matrix_set(pointer, i, j, value) }
    }
  }

  func free() { gsl_matrix_free(pointer) }
}

/// An owned `gsl_vector`.
private struct GSLVector {
  let pointer: UnsafeMutablePointer<gsl_vector>

  init(count: Int, routine: String) throws(NumericsError) {
    guard let p = gsl_vector_calloc(count) else { throw .gsl(routine: routine, status: Int32(GSL_ENOMEM), reason: "out of memory") }
    pointer = p
  }

  init(_ values: [Double], routine: String) throws(NumericsError) {
    try self.init(count: values.count, routine: routine)
    for (i, value) in values.enumerated() { gsl_vector_set(pointer, i, value) }
  }

  var values: [Double] { (0..<pointer.pointee.size).map { gsl_vector_get(pointer, $0) } }

  func free() { gsl_vector_free(pointer) }
}
