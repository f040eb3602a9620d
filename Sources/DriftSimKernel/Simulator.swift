/// A model driven by the kernel: it reacts to its own events and schedules new ones.
///
/// `Event` is the model's event type, usually an enum with payloads; the kernel dispatches by
/// calling `handle`, which is specialised for the concrete model, so the hot loop has no
/// existentials or closures.
/// The handler may be non-copyable (`~Copyable`): a model that owns its buffers uniquely can
/// conform without giving up value semantics.
public protocol EventHandler<Event>: ~Copyable {
  /// The model's event type.
  associatedtype Event

  /// Reacts to `event` firing at `simulator.now` (seconds).
  /// - Parameters:
  ///   - event: the payload that was scheduled.
  ///   - simulator: the engine, to schedule further events or request a stop.
  mutating func handle(_ event: Event, simulator: inout Simulator<Event>)
}

/// What to run until. The run stops at whichever limit comes first.
public struct StopCondition: Sendable, Equatable {
  /// Simulated time, in seconds: events at times ≤ horizon run; then the clock is set to the
  /// horizon. `.infinity` for none.
  public var horizon: Double
  /// The most events this call of `run` may process. `.max` for none.
  public var eventBudget: UInt64

  /// Creates a stop condition.
  /// - Parameters:
  ///   - horizon: seconds of simulated time; must not be NaN.
  ///   - eventBudget: events to process at most in this call.
  public init(horizon: Double = .infinity, eventBudget: UInt64 = .max) {
    precondition(!horizon.isNaN, "StopCondition: horizon must not be NaN")
    self.horizon = horizon
    self.eventBudget = eventBudget
  }
}

/// Why `Simulator.run` returned.
public enum StopReason: String, Sendable, Equatable {
  /// No event was pending.
  case queueEmpty
  /// The next pending event lies beyond the horizon; the clock now equals the horizon.
  case horizonReached
  /// The call processed its event budget.
  case eventBudgetExhausted
  /// The caller's predicate returned true after an event.
  case predicateSatisfied
  /// The model called `requestStop()`.
  case stopRequested
}

/// The discrete-event engine: a clock in seconds and the pending events of one model.
///
/// A value type with `mutating` methods: a struct engine avoids the runtime exclusivity checks a
/// class would pay on every event. `run` may be called repeatedly; this is how warm-up is handled:
/// run to the end of the warm-up, reset the model's statistics, and run on.
@frozen
public struct Simulator<Event> {
  /// The simulated time, in seconds: the time of the event being handled, or where the last run
  /// stopped.
  @inlinable public var now: Double { clock }
  /// The pending events (while an event is being handled, it is no longer among them).
  @inlinable public var queue: EventQueue<Event> {
    guard currentPending else { return pending }
    var copy = pending
    copy.removeFirst()
    return copy
  }
  /// Events handled since creation, over all calls of `run`.
  @inlinable public var eventsProcessed: UInt64 { processedTotal }
  @usableFromInline var clock: Double
  @usableFromInline var pending: EventQueue<Event>
  @usableFromInline var processedTotal: UInt64
  @usableFromInline var stopRequested: Bool
  /// Whether the event being handled still occupies the heap's root: the first `schedule` during
  /// `handle` then replaces it (one fused sift-down instead of a pop and a push); if the handler
  /// schedules nothing, the loop removes it afterwards.
  @usableFromInline var currentPending: Bool

  /// Creates an engine with its clock at `startTime` seconds and no pending events.
  @inlinable
  public init(startTime: Double = 0, expectedPendingEvents: Int = 0) {
    precondition(startTime.isFinite, "Simulator: start time must be finite")
    clock = startTime
    pending = EventQueue(minimumCapacity: expectedPendingEvents)
    processedTotal = 0
    stopRequested = false
    currentPending = false
  }

  /// Schedules `event` at absolute time `time` (seconds, ≥ `now`). Events at the same time run in
  /// the order they were scheduled.
  /// - Precondition: `time >= now` and not NaN (scheduling into the past is a model bug).
  @inlinable
  public mutating func schedule(_ event: Event, at time: Double) {
    precondition(time >= now, "Simulator: event scheduled at \(time) s, before now = \(now) s")
    if currentPending {
      currentPending = false
      pending.replaceFirst(with: event, at: time)
    } else {
      pending.push(event, at: time)
    }
  }

  /// Schedules `event` after `delay` seconds (≥ 0).
  @inlinable
  public mutating func schedule(_ event: Event, after delay: Double) {
    schedule(event, at: now + delay)
  }

  /// Asks the running loop to return after the current event (reason `.stopRequested`).
  @inlinable
  public mutating func requestStop() {
    stopRequested = true
  }

  /// Runs events in (time, FIFO) order until the stop condition holds.
  /// - Parameters:
  ///   - handler: the model.
  ///   - condition: horizon and event budget.
  /// - Returns: why the run stopped.
  @inlinable
  @discardableResult
  public mutating func run<Handler: EventHandler & ~Copyable>(
    _ handler: inout Handler, until condition: StopCondition = StopCondition()
  ) -> StopReason where Handler.Event == Event {
    run(&handler, until: condition, stopWhen: { _, _ in false })
  }

  /// Runs events until the stop condition holds or `predicate` returns true after an event.
  /// - Parameters:
  ///   - handler: the model.
  ///   - condition: horizon and event budget.
  ///   - predicate: called after each event with the model and the clock (seconds).
  /// - Returns: why the run stopped.
  @inlinable
  @discardableResult
  public mutating func run<Handler: EventHandler & ~Copyable>(
    _ handler: inout Handler, until condition: StopCondition,
    stopWhen predicate: (borrowing Handler, Double) -> Bool
  ) -> StopReason where Handler.Event == Event {
    stopRequested = false
    var processed: UInt64 = 0
    while true {
      if processed == condition.eventBudget { return .eventBudgetExhausted }
      // The event stays at the root while it is handled (see `currentPending`).
      guard let event = pending.first else { return .queueEmpty }
      if event.time > condition.horizon {
        clock = condition.horizon
        return .horizonReached
      }
      clock = event.time
      currentPending = true
      handler.handle(event.payload, simulator: &self)
      if currentPending {
        currentPending = false
        pending.removeFirst()
      }
      processed &+= 1
      processedTotal &+= 1
      if stopRequested {
        stopRequested = false
        return .stopRequested
      }
      if predicate(handler, now) { return .predicateSatisfied }
    }
  }
}
