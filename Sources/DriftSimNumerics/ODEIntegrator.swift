import CDriftSimGSL

/// A stepping method for `ODEIntegrator` (GSL `gsl_odeiv2_step_*`).
public enum ODEMethod: String, CaseIterable, Sendable {
  /// Explicit embedded Runge–Kutta Prince–Dormand (8, 9): the default for non-stiff systems.
  case rk8pd
  /// Explicit embedded Runge–Kutta–Fehlberg (4, 5).
  case rkf45
  /// Explicit embedded Runge–Kutta Cash–Karp (4, 5).
  case rkck
  /// Variable-order BDF (Adams in Nordsieck form): the default for stiff systems.
  case msbdf
  /// Implicit Bulirsch–Stoer (Bader–Deuflhard), for stiff systems.
  case bsimp
  /// Implicit 4th-order Runge–Kutta at Gaussian points, for stiff systems.
  case rk4imp

  /// Whether the method needs the Jacobian (all stiff methods do).
  public var isImplicit: Bool {
    switch self {
    case .rk8pd, .rkf45, .rkck: return false
    case .msbdf, .bsimp, .rk4imp: return true
    }
  }

  var stepType: UnsafePointer<gsl_odeiv2_step_type> {
    switch self {
    case .rk8pd: return driftsim_ode_rk8pd()
    case .rkf45: return driftsim_ode_rkf45()
    case .rkck: return driftsim_ode_rkck()
    case .msbdf: return driftsim_ode_msbdf()
    case .bsimp: return driftsim_ode_bsimp()
    case .rk4imp: return driftsim_ode_rk4imp()
    }
  }
}

/// Local error control for `ODEIntegrator`: each step keeps the estimated error of component i
/// below `absolute + relative · |y_i|` (GSL's standard control with a_y = 1, a_dydt = 0).
public struct ODETolerance: Sendable, Equatable {
  /// Absolute error per component, in the units of y.
  public var absolute: Double
  /// Relative error per component.
  public var relative: Double

  /// Creates a tolerance; both must be ≥ 0 and not both 0.
  public init(absolute: Double, relative: Double) {
    self.absolute = absolute
    self.relative = relative
  }

  /// 1e-10 absolute and relative: DriftSim's default for mean-field and fluid trajectories.
  public static let standard = ODETolerance(absolute: 1e-10, relative: 1e-10)
}

/// An adaptive integrator for dy/dt = f(t, y) over GSL's `gsl_odeiv2_driver`.
///
/// The right-hand side writes f(t, y) into `dydt`. Implicit (stiff) methods also need the
/// Jacobian; when none is given it is approximated by forward differences with step
/// sqrt(ε)·max(|y_j|, 1), which costs `dimension + 1` evaluations of f per Jacobian.
/// A right-hand side that produces NaN or an infinity stops the integration with
/// `NumericsError.nonFiniteValue`. Not thread-safe: use one integrator per thread.
public final class ODEIntegrator {
  /// f(t, y) → dydt. `y` and `dydt` have `dimension` elements.
  public typealias RightHandSide =
    (_ t: Double, _ y: UnsafeBufferPointer<Double>, _ dydt: UnsafeMutableBufferPointer<Double>) -> Void
  /// The Jacobian ∂f/∂y as a row-major `dimension × dimension` matrix (dfdy[i·n + j] = ∂f_i/∂y_j)
  /// and ∂f/∂t.
  public typealias Jacobian =
    (
      _ t: Double, _ y: UnsafeBufferPointer<Double>, _ dfdy: UnsafeMutableBufferPointer<Double>,
      _ dfdt: UnsafeMutableBufferPointer<Double>
    ) -> Void

  /// Number of equations.
  public let dimension: Int
  /// The stepping method.
  public let method: ODEMethod
  /// The error control.
  public let tolerance: ODETolerance
  /// Evaluations of the right-hand side so far (including those for numerical Jacobians).
  public private(set) var rightHandSideEvaluations = 0

  private let rightHandSide: RightHandSide
  private let jacobian: Jacobian?
  private let system: UnsafeMutablePointer<gsl_odeiv2_system>
  private var driver: UnsafeMutablePointer<gsl_odeiv2_driver>!
  private var scratchY: [Double]
  private var scratchF0: [Double]
  private var scratchF1: [Double]
  private var lastNonFiniteTime: Double?
  private let maxSteps: Int

  /// Creates an integrator.
  /// - Parameters:
  ///   - dimension: number of equations, ≥ 1.
  ///   - method: the stepper (`.rk8pd` for non-stiff, `.msbdf` for stiff systems).
  ///   - tolerance: local error control.
  ///   - initialStep: first trial step, in the units of t (adapted from there on).
  ///   - maxSteps: the most steps one call of `integrate` may take before failing.
  ///   - rightHandSide: f(t, y).
  ///   - jacobian: ∂f/∂y and ∂f/∂t, used by implicit methods; nil for finite differences.
  /// - Throws: `NumericsError.invalidArgument` for a bad dimension, tolerance or step.
  public init(
    dimension: Int,
    method: ODEMethod = .rk8pd,
    tolerance: ODETolerance = .standard,
    initialStep: Double = 1e-6,
    maxSteps: Int = 10_000_000,
    rightHandSide: @escaping RightHandSide,
    jacobian: Jacobian? = nil
  ) throws(NumericsError) {
    GSLRuntime.ensureConfigured()
    guard dimension >= 1 else {
      throw .invalidArgument(routine: "ODEIntegrator", reason: "dimension must be ≥ 1, got \(dimension)")
    }
    guard tolerance.absolute >= 0, tolerance.relative >= 0, tolerance.absolute + tolerance.relative > 0 else {
      throw .invalidArgument(routine: "ODEIntegrator", reason: "tolerances must be ≥ 0 and not both 0, got \(tolerance)")
    }
    guard initialStep > 0, initialStep.isFinite else {
      throw .invalidArgument(routine: "ODEIntegrator", reason: "initial step must be positive, got \(initialStep)")
    }
    guard maxSteps >= 1 else {
      throw .invalidArgument(routine: "ODEIntegrator", reason: "maxSteps must be ≥ 1, got \(maxSteps)")
    }
    self.dimension = dimension
    self.method = method
    self.tolerance = tolerance
    self.rightHandSide = rightHandSide
    self.jacobian = jacobian
    self.maxSteps = maxSteps
    scratchY = Array(repeating: 0, count: dimension)
    scratchF0 = Array(repeating: 0, count: dimension)
    scratchF1 = Array(repeating: 0, count: dimension)
    system = .allocate(capacity: 1)
    system.initialize(
      to: gsl_odeiv2_system(function: nil, jacobian: nil, dimension: dimension, params: nil))
    system.pointee.params = Unmanaged.passUnretained(self).toOpaque()
    system.pointee.function = { t, y, dydt, params in
      Unmanaged<ODEIntegrator>.fromOpaque(params!).takeUnretainedValue().evaluate(t: t, y: y!, dydt: dydt!)
    }
    system.pointee.jacobian = { t, y, dfdy, dfdt, params in
      Unmanaged<ODEIntegrator>.fromOpaque(params!).takeUnretainedValue()
        .evaluateJacobian(t: t, y: y!, dfdy: dfdy!, dfdt: dfdt!)
    }
    guard
      let d = gsl_odeiv2_driver_alloc_y_new(
        system, method.stepType, initialStep, tolerance.absolute, tolerance.relative)
    else {
      system.deallocate()
      throw .gsl(routine: "ODEIntegrator", status: Int32(GSL_ENOMEM), reason: "could not allocate the GSL driver")
    }
    driver = d
    _ = gsl_odeiv2_driver_set_nmax(d, UInt(maxSteps))
  }

  deinit {
    gsl_odeiv2_driver_free(driver)
    system.deinitialize(count: 1)
    system.deallocate()
  }

  private func evaluate(t: Double, y: UnsafePointer<Double>, dydt: UnsafeMutablePointer<Double>) -> Int32 {
    rightHandSideEvaluations += 1
    rightHandSide(t, UnsafeBufferPointer(start: y, count: dimension), UnsafeMutableBufferPointer(start: dydt, count: dimension))
    for i in 0..<dimension where !dydt[i].isFinite {
      lastNonFiniteTime = t
      return Int32(GSL_EBADFUNC)
    }
    return Int32(GSL_SUCCESS)
  }

  private func evaluateJacobian(
    t: Double, y: UnsafePointer<Double>, dfdy: UnsafeMutablePointer<Double>, dfdt: UnsafeMutablePointer<Double>
  ) -> Int32 {
    let n = dimension
    if let jacobian {
      jacobian(
        t, UnsafeBufferPointer(start: y, count: n), UnsafeMutableBufferPointer(start: dfdy, count: n * n),
        UnsafeMutableBufferPointer(start: dfdt, count: n))
    } else {
      // Forward differences; the step balances truncation against rounding error.
      let root = Double.ulpOfOne.squareRoot()
      for i in 0..<n { scratchY[i] = y[i] }
      var status = scratchY.withUnsafeBufferPointer { yb in
        scratchF0.withUnsafeMutableBufferPointer { f0 in evaluate(t: t, y: yb.baseAddress!, dydt: f0.baseAddress!) }
      }
      guard status == GSL_SUCCESS else { return status }
      for j in 0..<n {
        let h = root * max(abs(y[j]), 1)
        scratchY[j] = y[j] + h
        status = scratchY.withUnsafeBufferPointer { yb in
          scratchF1.withUnsafeMutableBufferPointer { f1 in evaluate(t: t, y: yb.baseAddress!, dydt: f1.baseAddress!) }
        }
        guard status == GSL_SUCCESS else { return status }
        let step = scratchY[j] - y[j]  // the step actually representable
        for i in 0..<n { dfdy[i * n + j] = (scratchF1[i] - scratchF0[i]) / step }
        scratchY[j] = y[j]
      }
      let ht = root * max(abs(t), 1)
      status = scratchY.withUnsafeBufferPointer { yb in
        scratchF1.withUnsafeMutableBufferPointer { f1 in evaluate(t: t + ht, y: yb.baseAddress!, dydt: f1.baseAddress!) }
      }
      guard status == GSL_SUCCESS else { return status }
      for i in 0..<n { dfdt[i] = (scratchF1[i] - scratchF0[i]) / ht }
    }
    for i in 0..<(n * n) where !dfdy[i].isFinite {
      lastNonFiniteTime = t
      return Int32(GSL_EBADFUNC)
    }
    return Int32(GSL_SUCCESS)
  }

  /// Advances `y` from time `t0` to time `t1` (t1 may be below t0 to integrate backwards).
  /// - Throws: `.nonFiniteValue` if f produced NaN/∞, `.noConvergence` if `maxSteps` were used up,
  ///   `.gsl` if the step size collapsed or GSL failed otherwise. On error `y` is left unchanged.
  public func integrate(_ y: inout [Double], from t0: Double, to t1: Double) throws(NumericsError) {
    guard y.count == dimension else {
      throw .invalidArgument(routine: "ODEIntegrator.integrate", reason: "y has \(y.count) components, expected \(dimension)")
    }
    guard t0.isFinite, t1.isFinite else {
      throw .invalidArgument(routine: "ODEIntegrator.integrate", reason: "times must be finite, got \(t0) → \(t1)")
    }
    if t0 == t1 { return }
    var t = t0
    var work = y
    lastNonFiniteTime = nil
    _ = gsl_odeiv2_driver_reset(driver)
    let status = work.withUnsafeMutableBufferPointer { gsl_odeiv2_driver_apply(driver, &t, t1, $0.baseAddress!) }
    switch Int(status) {
    case Int(GSL_SUCCESS):
      y = work
    case Int(GSL_EBADFUNC):
      throw .nonFiniteValue(routine: "ODEIntegrator(\(method.rawValue))", at: lastNonFiniteTime ?? t)
    case Int(GSL_EMAXITER):
      throw .noConvergence(routine: "ODEIntegrator(\(method.rawValue)) from t=\(t0) to t=\(t1), stopped at t=\(t)", iterations: maxSteps)
    default:
      throw .gsl(routine: "ODEIntegrator(\(method.rawValue)) at t=\(t)", status: status, reason: GSLRuntime.reason(status))
    }
  }

  /// The solution at each of `times`, starting from `y0` at `times[0]`.
  /// - Parameter times: output times in increasing (or decreasing) order; the first is the start.
  /// - Returns: one state per time; the first is `y0`.
  /// - Throws: see `integrate`.
  public func trajectory(from y0: [Double], at times: [Double]) throws(NumericsError) -> [[Double]] {
    guard let first = times.first else { return [] }
    var y = y0
    var states: [[Double]] = [y0]
    states.reserveCapacity(times.count)
    var t = first
    for next in times.dropFirst() {
      try integrate(&y, from: t, to: next)
      states.append(y)
      t = next
    }
    return states
  }
}
