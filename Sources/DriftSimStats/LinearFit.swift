import DriftSimNumerics

/// An ordinary least-squares line y ≈ intercept + slope · x, with the slope's standard error.
///
/// Used e.g. for the slope of log E‖x − x*‖² against log M (theory: −1).
public struct LinearFit: Sendable, Equatable, Codable {
  /// Fitted slope.
  public var slope: Double
  /// Fitted intercept.
  public var intercept: Double
  /// Standard error of the slope (from the residual variance); NaN with two points.
  public var slopeStandardError: Double
  /// Residual degrees of freedom, n − 2.
  public var residualDegreesOfFreedom: Int

  /// Fits a line through the points.
  /// - Returns: nil with fewer than two points or when all x are equal.
  public init?(x: [Double], y: [Double]) {
    guard x.count == y.count, x.count >= 2 else { return nil }
    let n = Double(x.count)
    let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
    var sxx = 0.0, sxy = 0.0
    for (xi, yi) in zip(x, y) {
      sxx += (xi - mx) * (xi - mx)
      sxy += (xi - mx) * (yi - my)
    }
    guard sxx > 0 else { return nil }
    slope = sxy / sxx
    intercept = my - slope * mx
    residualDegreesOfFreedom = x.count - 2
    if residualDegreesOfFreedom > 0 {
      var ssr = 0.0
      for (xi, yi) in zip(x, y) {
        let r = yi - intercept - slope * xi
        ssr += r * r
      }
      slopeStandardError = (ssr / Double(residualDegreesOfFreedom) / sxx).squareRoot()
    } else {
      slopeStandardError = .nan
    }
  }

  /// The Student-t confidence interval of the slope (n − 2 degrees of freedom).
  /// - Returns: nil with fewer than three points.
  public func slopeInterval(level: Double = 0.95) -> ConfidenceInterval? {
    guard residualDegreesOfFreedom > 0 else { return nil }
    return try? ConfidenceInterval.studentT(
      mean: slope, standardError: slopeStandardError, degreesOfFreedom: Double(residualDegreesOfFreedom),
      level: level)
  }
}

/// Little's law L = λ W as a consistency check between a time-average number in system and a
/// mean sojourn time.
public struct LittlesLawCheck: Sendable, Equatable, Codable {
  /// Time-average number in the system (packets).
  public var meanNumberInSystem: Double
  /// Arrival rate (packets per second).
  public var arrivalRate: Double
  /// Measured mean sojourn time (seconds).
  public var meanSojournTime: Double

  /// Creates the check.
  public init(meanNumberInSystem: Double, arrivalRate: Double, meanSojournTime: Double) {
    self.meanNumberInSystem = meanNumberInSystem
    self.arrivalRate = arrivalRate
    self.meanSojournTime = meanSojournTime
  }

  /// L / λ, the sojourn time Little's law predicts (seconds).
  public var predictedSojournTime: Double { meanNumberInSystem / arrivalRate }

  /// (L/λ − W) / W.
  public var relativeDiscrepancy: Double { (predictedSojournTime - meanSojournTime) / meanSojournTime }
}
