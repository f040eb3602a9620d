/// Metadata keys of a CTMC trace header: written by `DriftSimMeanField.MeanFieldSimulation`, read
/// by `DriftSimReplay.MeanFieldTraceAnalysis`. They live here, with the format, so that neither
/// module needs the other.
public enum MeanFieldTraceKeys {
  /// Model name.
  public static let model = "model"
  /// M, the number of objects.
  public static let population = "population"
  /// x* as a JSON array.
  public static let equilibrium = "equilibrium"
  /// Jump vectors per transition, as a JSON array of integer arrays.
  public static let jumpVectors = "jumpVectors"
  /// Counts at time 0, as a JSON array.
  public static let initialCounts = "initialCounts"
  /// State names, as a JSON array of strings.
  public static let stateNames = "stateNames"
  /// Simulated horizon (seconds).
  public static let horizonSeconds = "horizonSeconds"
  /// The relaxation time 1/|Re λ₁| of the mean-field ODE at x* (seconds), when x* is stable:
  /// the shortest batch-means window worth using is a multiple of it.
  public static let relaxationTimeSeconds = "relaxationTimeSeconds"
}

