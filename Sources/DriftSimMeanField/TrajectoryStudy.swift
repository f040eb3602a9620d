import Foundation

/// The mean-field solution on a fine uniform grid with cubic Hermite interpolation (values and
/// the drift as derivatives), so x(t) can be evaluated at every jump time cheaply.
struct DenseODESolution {
  let step: Double
  let values: [[Double]]
  let slopes: [[Double]]

  init(system: MeanFieldSystem, initial: [Double], horizon: Double, points: Int) throws(MeanFieldError) {
    step = horizon / Double(points - 1)
    let times = (0..<points).map { Double($0) * horizon / Double(points - 1) }
    values = try system.trajectory(from: initial, at: times)
    slopes = values.map { system.drift($0) }
  }

  /// Writes x(t) into `out` (t clamped to the grid).
  func evaluate(_ t: Double, into out: inout [Double]) {
    let position = min(max(t / step, 0), Double(values.count - 1))
    var i = Int(position)
    if i >= values.count - 1 { i = values.count - 2 }
    let s = position - Double(i)
    let h00 = (1 + 2 * s) * (1 - s) * (1 - s), h10 = s * (1 - s) * (1 - s)
    let h01 = s * s * (3 - 2 * s), h11 = s * s * (s - 1)
    for k in out.indices {
      out[k] =
        h00 * values[i][k] + h10 * step * slopes[i][k] + h01 * values[i + 1][k] + h11 * step * slopes[i + 1][k]
    }
  }
}

/// Tracks sup_t ‖x^M(t) − x(t)‖ over the jump times and samples x^M on a grid.
struct TrajectoryObserver: CTMCObserver {
  let ode: DenseODESolution
  let inverseM: Double
  let sampleTimes: [Double]
  var nextSample = 0
  var samples: [[Double]] = []
  var supremum = 0.0
  var supremumTime = 0.0
  var scratch: [Double]

  init(ode: DenseODESolution, population: Int, sampleTimes: [Double], stateCount: Int) {
    self.ode = ode
    self.inverseM = 1 / Double(population)
    self.sampleTimes = sampleTimes
    scratch = [Double](repeating: 0, count: stateCount)
  }

  mutating func distance(at t: Double, counts: UnsafePointer<Int>) {
    ode.evaluate(t, into: &scratch)
    var s = 0.0
    for i in scratch.indices {
      let d = Double(counts[i]) * inverseM - scratch[i]
      s += d * d
    }
    let d = s.squareRoot()
    if d > supremum {
      supremum = d
      supremumTime = t
    }
  }

  mutating func hold(from: Double, to: Double, counts: UnsafePointer<Int>) {
    // x(t) moves by O(1/M) over a holding interval, so its endpoints bound the sup on it to O(1/M²).
    distance(at: from, counts: counts)
    distance(at: to, counts: counts)
    while nextSample < sampleTimes.count, sampleTimes[nextSample] <= to {
      samples.append((0..<scratch.count).map { Double(counts[$0]) * inverseM })
      nextSample += 1
    }
  }

  func jumped(at time: Double, transition: Int, counts: UnsafePointer<Int>) {}
}

/// One population of the trajectory study.
public struct TrajectoryRow: Sendable, Codable {
  /// M.
  public var population: Int
  /// sup over [0, T] of ‖x^M(t) − x(t)‖ (Euclidean norm of occupancy fractions), evaluated at
  /// every jump time on both sides of the jump.
  public var supDistance: Double
  /// When the supremum was attained (seconds).
  public var supDistanceTime: Double
  /// √M · supDistance (Kurtz: the fluctuations are O(1/√M), so this stays of order 1).
  public var scaledSupDistance: Double
  /// Jumps simulated.
  public var jumps: UInt64
  /// x^M at `sampleTimes` (for plots).
  public var samples: [[Double]]
}

/// Kurtz's picture (Ying, Fig. 1): CTMC paths for several M against the mean-field ODE from the
/// same x(0).
public struct TrajectoryResult: Sendable, Codable {
  /// Model name.
  public var model: String
  /// x(0).
  public var initialOccupancy: [Double]
  /// T in seconds.
  public var horizonSeconds: Double
  /// Sample times (seconds) of `odeSamples` and each row's `samples`.
  public var sampleTimes: [Double]
  /// x(t) at `sampleTimes`.
  public var odeSamples: [[Double]]
  /// One row per M.
  public var rows: [TrajectoryRow]
  /// Base seed.
  public var seed: UInt64
}

/// Runs the trajectory study.
public enum TrajectoryStudy {
  /// The most sample times per path (each M keeps `samples` occupancy vectors in memory).
  public static let maximumSamples = 100_000
  /// The longest horizon (seconds): the dense rk8pd reference solution's cost grows linearly with it.
  public static let maximumHorizon = 1e6

  /// Simulates each M from x(0) over [0, T] and compares with the ODE.
  /// - Parameters:
  ///   - horizon: T in seconds (> 0).
  ///   - samples: number of sample times for the plot (≥ 2).
  /// - Throws: `MeanFieldError`.
  public static func run(
    model: PopulationModel, populations: [Int], initial: [Double]?, horizon: Double, samples: Int = 400, seed: UInt64
  ) throws(MeanFieldError) -> TrajectoryResult {
    guard horizon > 0, horizon <= maximumHorizon else {
      throw MeanFieldError("horizon must be in (0, \(maximumHorizon)] seconds, got \(horizon) (the ODE's explicit steps grow linearly with it)")
    }
    guard (2...maximumSamples).contains(samples) else {
      throw MeanFieldError("samples must be in 2…\(maximumSamples), got \(samples)")
    }
    guard !populations.isEmpty, populations.allSatisfy({ $0 >= 1 }) else {
      throw MeanFieldError("populations must be a non-empty list of integers ≥ 1")
    }
    let system = try MeanFieldSystem(model: model)
    let x0 = try model.validateOccupancy(initial ?? model.initialOccupancy, what: "initial occupancy")
    for m in populations {
      try CTMCWorkLimit.check(model: model, population: m, occupancy: x0, seconds: horizon, what: "M = \(m) over the horizon")
    }
    let ode = try DenseODESolution(system: system, initial: x0, horizon: horizon, points: 20_001)
    let sampleTimes = (0..<samples).map { Double($0) * horizon / Double(samples - 1) }
    let odeSamples = try system.trajectory(from: x0, at: sampleTimes)
    var rows: [TrajectoryRow] = []
    for m in populations {
      var simulation = try CTMCSimulation(model: model, population: m, initialOccupancy: x0, seed: seed)
      // Compare with the ODE started from the rounded counts' occupancy only through x(0) itself:
      // rounding moves x(0) by at most n/(2M), which is part of the O(1/√M) picture.
      var observer = TrajectoryObserver(ode: ode, population: m, sampleTimes: sampleTimes, stateCount: model.stateCount)
      try simulation.run(until: horizon, observer: &observer)
      while observer.samples.count < samples { observer.samples.append(simulation.occupancy) }
      rows.append(
        TrajectoryRow(
          population: m, supDistance: observer.supremum, supDistanceTime: observer.supremumTime,
          scaledSupDistance: observer.supremum * Double(m).squareRoot(), jumps: simulation.jumps, samples: observer.samples))
    }
    return TrajectoryResult(
      model: model.name, initialOccupancy: x0, horizonSeconds: horizon, sampleTimes: sampleTimes, odeSamples: odeSamples,
      rows: rows, seed: seed)
  }
}
