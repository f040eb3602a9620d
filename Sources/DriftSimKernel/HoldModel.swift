import DriftSimNumerics

/// The classic *hold model* for benchmarking pending-event sets: N events are pending; each one,
/// when it fires at time t, schedules one successor at t + Exp(mean). The population stays N.
public struct HoldModel: EventHandler {
  /// The hold model's only event.
  public enum Event: Sendable { case hold }

  /// Mean of the exponential hold time, in seconds.
  public let meanHoldSeconds: Double
  @usableFromInline var random: RandomStream

  /// Creates the model.
  /// - Parameters:
  ///   - seed: base seed; the increments come from stream `StreamID(0x686F6C64)` ("hold").
  ///   - meanHoldSeconds: mean hold time, > 0.
  public init(seed: UInt64, meanHoldSeconds: Double = 1) {
    precondition(meanHoldSeconds > 0)
    self.meanHoldSeconds = meanHoldSeconds
    random = RandomStream(seed: seed, stream: StreamID(0x686F_6C64))
  }

  /// Schedules the initial population of `population` events at Exp(mean) times.
  public mutating func populate(_ simulator: inout Simulator<Event>, population: Int) {
    for _ in 0..<population {
      simulator.schedule(.hold, after: random.exponential(mean: meanHoldSeconds))
    }
  }

  @inlinable
  public mutating func handle(_ event: Event, simulator: inout Simulator<Event>) {
    simulator.schedule(.hold, after: random.exponential(mean: meanHoldSeconds))
  }
}

/// One timed run of the hold model.
public struct HoldBenchmarkResult: Sendable, Equatable {
  /// Pending events throughout the run.
  public var population: Int
  /// Events processed in the timed part.
  public var events: UInt64
  /// Wall-clock duration of the timed part, in seconds.
  public var wallSeconds: Double
  /// Simulated time when the run ended, in seconds: a determinism fingerprint (same seed ⇒ same
  /// value, bit for bit).
  public var finalSimulatedTime: Double
  /// Events per wall-clock second.
  public var eventsPerSecond: Double { Double(events) / wallSeconds }
}

/// Runs the hold model: fills the queue with `population` events (untimed), then times
/// `events` pop-and-push steps.
/// - Parameters:
///   - population: pending events, ≥ 1.
///   - events: events to process in the timed part, ≥ 1.
///   - seed: base seed.
public func runHoldBenchmark(population: Int, events: UInt64, seed: UInt64) -> HoldBenchmarkResult {
  precondition(population >= 1 && events >= 1)
  var model = HoldModel(seed: seed)
  var simulator = Simulator<HoldModel.Event>(expectedPendingEvents: population + 1)
  model.populate(&simulator, population: population)
  let clock = ContinuousClock()
  let start = clock.now
  simulator.run(&model, until: StopCondition(eventBudget: events))
  let elapsed = clock.now - start
  let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
  return HoldBenchmarkResult(
    population: population, events: simulator.eventsProcessed, wallSeconds: seconds,
    finalSimulatedTime: simulator.now)
}
