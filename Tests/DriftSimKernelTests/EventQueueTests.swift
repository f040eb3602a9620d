import DriftSimNumerics
import Testing

@testable import DriftSimKernel

/// The naive reference: an array kept in (time, insertion) order by a stable search.
struct NaiveQueue {
  var events: [(time: Double, sequence: UInt64, tag: Int)] = []
  var nextSequence: UInt64 = 0

  mutating func push(tag: Int, at time: Double) {
    let index = events.firstIndex { $0.time > time } ?? events.count  // after all with equal time
    events.insert((time, nextSequence, tag), at: index)
    nextSequence += 1
  }

  mutating func popFirst() -> (time: Double, sequence: UInt64, tag: Int)? {
    events.isEmpty ? nil : events.removeFirst()
  }
}

@Suite("EventQueue against a naive sorted reference")
struct EventQueueTests {
  /// Random interleavings of pushes and pops. Times come from a small grid so that exact ties are
  /// frequent (about half the pushes tie with a pending event).
  @Test("random schedules with many exact ties", arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
  func randomSchedules(seed: UInt64) {
    var random = RandomStream(seed: seed, stream: StreamID(99))
    var queue = EventQueue<Int>()
    var naive = NaiveQueue()
    var tag = 0
    for _ in 0..<4000 {
      let pushes = random.uniformOpen() < 0.55
      if pushes {
        // Grid of 20 distinct times, or occasionally a continuous time.
        let time = random.uniformOpen() < 0.8 ? Double(random.nextRaw() % 20) * 0.25 : random.uniformOpen() * 5
        queue.push(tag, at: time)
        naive.push(tag: tag, at: time)
        tag += 1
      } else {
        let a = queue.popFirst(), b = naive.popFirst()
        #expect(a?.payload == b?.tag)
        #expect(a?.time == b?.time)
        #expect(a?.sequence == b?.sequence)
      }
      #expect(queue.count == naive.events.count)
      #expect(queue.first?.payload == naive.events.first?.tag)
    }
    while let b = naive.popFirst() {
      let a = queue.popFirst()
      #expect(a?.payload == b.tag)
    }
    #expect(queue.isEmpty)
    #expect(queue.popFirst() == nil)
  }

  @Test("all events at one instant come out in insertion order")
  func allTies() {
    var queue = EventQueue<Int>()
    for i in 0..<1000 { queue.push(i, at: 3.0) }
    var order: [Int] = []
    while let e = queue.popFirst() { order.append(e.payload) }
    #expect(order == Array(0..<1000))
  }

  @Test("descending, ascending and signed-zero times")
  func orderings() {
    var queue = EventQueue<Int>(minimumCapacity: 16)
    for i in (0..<100).reversed() { queue.push(i, at: Double(i)) }
    queue.push(-1, at: -0.0)
    queue.push(-2, at: 0.0)
    var out: [Int] = []
    while let e = queue.popFirst() { out.append(e.payload) }
    // −0.0 == 0.0, so the three events at time zero run in insertion order: 0, then −1, then −2.
    #expect(out == [0, -1, -2] + Array(1..<100))
    #expect(queue.pushedCount == 102)
  }
}
