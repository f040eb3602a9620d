import DriftSimNumerics

/// A two-sided confidence interval for a mean: mean ± halfWidth.
public struct ConfidenceInterval: Sendable, Equatable, Codable {
  /// The point estimate.
  public var mean: Double
  /// Half the width of the interval (t quantile × standard error).
  public var halfWidth: Double
  /// Confidence level, e.g. 0.95.
  public var level: Double
  /// Degrees of freedom of the Student-t quantile used.
  public var degreesOfFreedom: Double

  /// mean − halfWidth.
  public var lower: Double { mean - halfWidth }
  /// mean + halfWidth.
  public var upper: Double { mean + halfWidth }
  /// [lower, upper] as a two-element array (the JSON shape DriftSim prints).
  public var bounds: [Double] { [lower, upper] }

  /// Whether `value` lies in [lower, upper].
  public func contains(_ value: Double) -> Bool { value >= lower && value <= upper }

  /// Creates an interval directly.
  public init(mean: Double, halfWidth: Double, level: Double, degreesOfFreedom: Double) {
    self.mean = mean
    self.halfWidth = halfWidth
    self.level = level
    self.degreesOfFreedom = degreesOfFreedom
  }

  /// The Student-t interval mean ± t(1 − (1 − level)/2; ν) · standardError.
  /// - Throws: `NumericsError` if level ∉ (0, 1) or ν ≤ 0.
  public static func studentT(
    mean: Double, standardError: Double, degreesOfFreedom: Double, level: Double = 0.95
  ) throws(NumericsError) -> ConfidenceInterval {
    guard level > 0, level < 1 else {
      throw .invalidArgument(routine: "ConfidenceInterval", reason: "level must be in (0, 1), got \(level)")
    }
    let t = try studentTQuantile(1 - (1 - level) / 2, degreesOfFreedom: degreesOfFreedom)
    return ConfidenceInterval(
      mean: mean, halfWidth: t * standardError, level: level, degreesOfFreedom: degreesOfFreedom)
  }

  /// The Student-t interval for the mean of independent, identically distributed `samples`
  /// (replications, or batch means long enough to be nearly independent).
  /// - Returns: nil with fewer than two samples.
  public init?(samples: [Double], level: Double = 0.95) {
    guard samples.count >= 2 else { return nil }
    let moments = RunningMoments(samples)
    guard
      let interval = try? ConfidenceInterval.studentT(
        mean: moments.mean, standardError: moments.standardError,
        degreesOfFreedom: Double(samples.count - 1), level: level)
    else { return nil }
    self = interval
  }
}
