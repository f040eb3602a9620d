import DriftSimNumerics
import Testing

@testable import DriftSimKernel

@Suite("Fused pop-and-push")
struct FusedStepTests {
  /// replaceFirst must leave the same queue as popFirst + push: drain both and compare every
  /// (time, sequence, payload), on random schedules with frequent exact ties.
  @Test("replaceFirst equals popFirst followed by push", arguments: [UInt64(1), 2, 3, 4])
  func replaceEqualsPopPush(seed: UInt64) {
    var random = RandomStream(seed: seed, stream: StreamID(7))
    var fused = EventQueue<Int>(), plain = EventQueue<Int>()
    for tag in 0..<50 {
      let time = Double(random.nextRaw() % 10) * 0.5
      fused.push(tag, at: time)
      plain.push(tag, at: time)
    }
    for tag in 50..<5000 {
      let time = (fused.first?.time ?? 0) + Double(random.nextRaw() % 8) * 0.25
      let a = fused.replaceFirst(with: tag, at: time)
      let b = plain.popFirst()
      plain.push(tag, at: time)
      #expect(a?.time == b?.time && a?.sequence == b?.sequence && a?.payload == b?.payload)
      if random.uniformOpen() < 0.1 {
        fused.removeFirst()
        _ = plain.popFirst()
      }
    }
    while let a = fused.popFirst() {
      let b = plain.popFirst()
      #expect(a.time == b?.time && a.sequence == b?.sequence && a.payload == b?.payload)
    }
    #expect(plain.isEmpty)
  }

  @Test("replaceFirst on an empty queue pushes; removeFirst on an empty queue does nothing")
  func emptyQueue() {
    var queue = EventQueue<Int>()
    queue.removeFirst()
    #expect(queue.replaceFirst(with: 1, at: 2) == nil)
    #expect(queue.count == 1 && queue.first?.payload == 1)
  }

  /// A non-copyable model (it owns a buffer) runs on the engine; during `handle` the event being
  /// handled is no longer in `queue`.
  struct Owner: ~Copyable, EventHandler {
    enum Event { case tick(Int) }
    let buffer: UnsafeMutablePointer<Int>
    var seenPending: [Int] = []
    init() {
      buffer = .allocate(capacity: 1)
      buffer.initialize(to: 0)
    }
    deinit { buffer.deallocate() }
    mutating func handle(_ event: Event, simulator: inout Simulator<Event>) {
      guard case let .tick(n) = event else { return }
      buffer.pointee += n
      seenPending.append(simulator.queue.count)
      if n < 5 { simulator.schedule(.tick(n + 1), after: 1) }
    }
  }

  @Test("a ~Copyable handler runs; the handled event is not pending during handle")
  func nonCopyableHandler() {
    var owner = Owner()
    var simulator = Simulator<Owner.Event>()
    simulator.schedule(.tick(1), at: 0)
    simulator.schedule(.tick(5), at: 10)
    let reason = simulator.run(&owner)
    #expect(reason == .queueEmpty)
    #expect(owner.buffer.pointee == 1 + 2 + 3 + 4 + 5 + 5)
    #expect(owner.seenPending == [1, 1, 1, 1, 1, 0])
    #expect(simulator.now == 10)
  }
}
