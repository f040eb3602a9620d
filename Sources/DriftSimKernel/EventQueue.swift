/// One pending event: when it fires, its insertion number, and the model's payload.
///
/// Events are ordered by `(time, sequence)`: earlier time first, and among events scheduled for
/// the same instant, the one scheduled first runs first (FIFO). That makes every run
/// deterministic, whatever the floating-point coincidences in the schedule.
@frozen
public struct ScheduledEvent<Payload> {
  /// When the event fires, in seconds of simulated time.
  public var time: Double
  /// Insertion order within its queue, starting at 0: the tie-breaker for equal times.
  public var sequence: UInt64
  /// The model-defined event (typically an enum with payloads).
  public var payload: Payload

  /// Creates an event.
  @inlinable
  public init(time: Double, sequence: UInt64, payload: Payload) {
    self.time = time
    self.sequence = sequence
    self.payload = payload
  }

  /// Whether `self` runs before `other` under the (time, sequence) order.
  @inlinable @inline(__always)
  public func runsBefore(_ other: ScheduledEvent) -> Bool {
    time < other.time || (time == other.time && sequence < other.sequence)
  }
}

/// The pending-event set: a binary min-heap of `ScheduledEvent`s keyed by (time, sequence).
///
/// A value type over one `ContiguousArray`; the sift loops run on its unsafe buffer, and every
/// operation is `@inlinable` so that it specialises for the model's payload type in the caller's
/// module (a non-inlinable generic heap in another module is about 8× slower). Invariant checks run
/// only when compiled with `-D DRIFTSIM_KERNEL_CHECKS`.
@frozen
public struct EventQueue<Payload> {
  @usableFromInline var storage: ContiguousArray<ScheduledEvent<Payload>>
  @usableFromInline var nextSequence: UInt64

  /// Creates an empty queue.
  /// - Parameter minimumCapacity: pending events to make room for up front.
  @inlinable
  public init(minimumCapacity: Int = 0) {
    storage = []
    storage.reserveCapacity(minimumCapacity)
    nextSequence = 0
  }

  /// The number of pending events.
  @inlinable public var count: Int { storage.count }

  /// Whether no event is pending.
  @inlinable public var isEmpty: Bool { storage.isEmpty }

  /// The number of events ever pushed; the next push gets this sequence number.
  @inlinable public var pushedCount: UInt64 { nextSequence }

  /// The next event to run, without removing it.
  /// - Complexity: O(1).
  @inlinable public var first: ScheduledEvent<Payload>? { storage.first }

  /// Adds `payload` to fire at `time`, after every event already pending for the same time.
  /// - Parameter time: seconds; any value that compares (NaN is rejected by `Simulator`).
  /// - Complexity: O(log n).
  @inlinable
  public mutating func push(_ payload: Payload, at time: Double) {
    let event = ScheduledEvent(time: time, sequence: nextSequence, payload: payload)
    nextSequence &+= 1
    storage.append(event)
    storage.withUnsafeMutableBufferPointer { heap in
      // Sift up with a hole: move parents down until the new event's place is found.
      var child = heap.count - 1
      while child > 0 {
        let parent = (child &- 1) >> 1
        guard event.runsBefore(heap[parent]) else { break }
        heap[child] = heap[parent]
        child = parent
      }
      heap[child] = event
    }
    checkInvariants()
  }

  /// Removes and returns the next event to run, or nil if none is pending.
  /// - Complexity: O(log n).
  @inlinable
  public mutating func popFirst() -> ScheduledEvent<Payload>? {
    guard let last = storage.popLast() else { return nil }
    guard !storage.isEmpty else { return last }
    let top = storage.withUnsafeMutableBufferPointer { heap -> ScheduledEvent<Payload> in
      let top = heap[0]
      // Sift `last` down from the root with a hole.
      let n = heap.count
      var parent = 0
      while true {
        var child = 2 &* parent &+ 1
        if child >= n { break }
        let right = child &+ 1
        if right < n && heap[right].runsBefore(heap[child]) { child = right }
        guard heap[child].runsBefore(last) else { break }
        heap[parent] = heap[child]
        parent = child
      }
      heap[parent] = last
      return top
    }
    checkInvariants()
    return top
  }

  /// Removes the next event and adds `payload` at `time` in one sift-down: the same queue (and the
  /// same sequence numbers) as `popFirst()` followed by `push(payload, at: time)`, at about half
  /// the cost. This is the common step of a simulation whose every event schedules one successor.
  /// - Returns: the removed event, or nil (and `payload` is simply pushed) if none was pending.
  /// - Complexity: O(log n).
  @inlinable
  @discardableResult
  public mutating func replaceFirst(with payload: Payload, at time: Double) -> ScheduledEvent<Payload>? {
    guard !storage.isEmpty else {
      push(payload, at: time)
      return nil
    }
    let event = ScheduledEvent(time: time, sequence: nextSequence, payload: payload)
    nextSequence &+= 1
    let top = storage.withUnsafeMutableBufferPointer { heap -> ScheduledEvent<Payload> in
      let top = heap[0]
      Self.siftDown(event, from: 0, in: heap)
      return top
    }
    checkInvariants()
    return top
  }

  /// Removes the next event without returning it (nothing happens if none is pending).
  /// - Complexity: O(log n).
  @inlinable
  public mutating func removeFirst() {
    guard let last = storage.popLast(), !storage.isEmpty else { return }
    storage.withUnsafeMutableBufferPointer { heap in Self.siftDown(last, from: 0, in: heap) }
    checkInvariants()
  }

  /// Places `event` at the hole `start` and sifts it down to its place.
  @inlinable @inline(__always)
  static func siftDown(_ event: ScheduledEvent<Payload>, from start: Int, in heap: UnsafeMutableBufferPointer<ScheduledEvent<Payload>>) {
    let n = heap.count
    var parent = start
    while true {
      var child = 2 &* parent &+ 1
      if child >= n { break }
      let right = child &+ 1
      if right < n && heap[right].runsBefore(heap[child]) { child = right }
      guard heap[child].runsBefore(event) else { break }
      heap[parent] = heap[child]
      parent = child
    }
    heap[parent] = event
  }

  /// Removes every pending event (the sequence counter keeps counting).
  @inlinable
  public mutating func removeAll(keepingCapacity: Bool = true) {
    storage.removeAll(keepingCapacity: keepingCapacity)
  }

  /// Makes room for `capacity` pending events.
  @inlinable
  public mutating func reserveCapacity(_ capacity: Int) {
    storage.reserveCapacity(capacity)
  }

  @inlinable @inline(__always)
  func checkInvariants() {
    #if DRIFTSIM_KERNEL_CHECKS
      for i in 1..<max(storage.count, 1) {
        precondition(!storage[i].runsBefore(storage[(i - 1) / 2]), "heap order violated at \(i)")
      }
    #endif
  }
}
