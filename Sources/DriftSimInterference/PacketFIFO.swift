/// The FIFO packet queues of all K transmitters, in bits: one growable ring buffer per pair over
/// raw memory, so steady-state pushes and pops allocate nothing and pay no copy-on-write checks.
///
/// A `final class` owned by exactly one `NetworkReplication` (a non-copyable type), so it is never
/// shared. Index and emptiness preconditions are checked with `assert`: in debug builds (and so in
/// `swift test`) a violation traps with its message; release builds do not pay for them.
final class PacketQueues {
  let pairs: Int
  private let ids: UnsafeMutablePointer<UnsafeMutablePointer<UInt64>>
  private let arrivals: UnsafeMutablePointer<UnsafeMutablePointer<Double>>
  private let remaining: UnsafeMutablePointer<UnsafeMutablePointer<Double>>
  private let heads: UnsafeMutablePointer<Int>
  private let counts: UnsafeMutablePointer<Int>
  private let capacities: UnsafeMutablePointer<Int>

  init(pairs: Int, initialCapacity: Int = 64) {
    self.pairs = pairs
    let capacity = max(4, initialCapacity.nextPowerOfTwo)
    ids = .allocate(capacity: pairs)
    arrivals = .allocate(capacity: pairs)
    remaining = .allocate(capacity: pairs)
    heads = .allocate(capacity: pairs)
    counts = .allocate(capacity: pairs)
    capacities = .allocate(capacity: pairs)
    for k in 0..<pairs {
      (ids + k).initialize(to: .allocate(capacity: capacity))
      (arrivals + k).initialize(to: .allocate(capacity: capacity))
      (remaining + k).initialize(to: .allocate(capacity: capacity))
      heads[k] = 0
      counts[k] = 0
      capacities[k] = capacity
    }
  }

  deinit {
    for k in 0..<pairs {
      ids[k].deallocate()
      arrivals[k].deallocate()
      remaining[k].deallocate()
    }
    ids.deallocate()
    arrivals.deallocate()
    remaining.deallocate()
    heads.deallocate()
    counts.deallocate()
    capacities.deallocate()
  }

  /// Packets queued at pair k.
  @inline(__always) func count(_ k: Int) -> Int {
    assert(k >= 0 && k < pairs, "PacketQueues: pair \(k) out of 0..<\(pairs)")
    return counts[k]
  }

  /// Appends a packet at the tail of pair k's queue.
  @inline(__always) func push(_ k: Int, id: UInt64, arrivalTime: Double, bits: Double) {
    assert(k >= 0 && k < pairs, "PacketQueues: pair \(k) out of 0..<\(pairs)")
    assert(bits >= 0, "PacketQueues: negative packet size \(bits) bits")
    if counts[k] == capacities[k] { grow(k) }
    let slot = (heads[k] + counts[k]) & (capacities[k] - 1)
    ids[k][slot] = id
    arrivals[k][slot] = arrivalTime
    remaining[k][slot] = bits
    counts[k] += 1
  }

  /// The head packet of pair k: (id, arrival time in seconds, remaining bits).
  @inline(__always) func first(_ k: Int) -> (id: UInt64, arrivalTime: Double, remainingBits: Double) {
    assert(k >= 0 && k < pairs && counts[k] > 0, "PacketQueues: first of pair \(k)'s empty queue")
    let h = heads[k]
    return (ids[k][h], arrivals[k][h], remaining[k][h])
  }

  /// Removes pair k's head packet.
  @inline(__always) func removeFirst(_ k: Int) {
    assert(k >= 0 && k < pairs && counts[k] > 0, "PacketQueues: removeFirst on pair \(k)'s empty queue")
    heads[k] = (heads[k] + 1) & (capacities[k] - 1)
    counts[k] -= 1
  }

  /// The bits remaining in pair k's queue, summed packet by packet (O(count)).
  func totalBits(_ k: Int) -> Double {
    var sum = 0.0
    for i in 0..<counts[k] { sum += remaining[k][(heads[k] + i) & (capacities[k] - 1)] }
    return sum
  }

  /// Reduces pair k's head packet by `bits`.
  @inline(__always) func serveHead(_ k: Int, bits: Double) {
    assert(k >= 0 && k < pairs && counts[k] > 0, "PacketQueues: serveHead on pair \(k)'s empty queue")
    assert(bits >= 0 && bits <= remaining[k][heads[k]], "PacketQueues: serving \(bits) bits of a smaller head packet")
    remaining[k][heads[k]] -= bits
  }

  private func grow(_ k: Int) {
    let old = capacities[k], new = old * 2
    let newIDs = UnsafeMutablePointer<UInt64>.allocate(capacity: new)
    let newArrivals = UnsafeMutablePointer<Double>.allocate(capacity: new)
    let newRemaining = UnsafeMutablePointer<Double>.allocate(capacity: new)
    for i in 0..<counts[k] {
      let slot = (heads[k] + i) & (old - 1)
      newIDs[i] = ids[k][slot]
      newArrivals[i] = arrivals[k][slot]
      newRemaining[i] = remaining[k][slot]
    }
    ids[k].deallocate()
    arrivals[k].deallocate()
    remaining[k].deallocate()
    ids[k] = newIDs
    arrivals[k] = newArrivals
    remaining[k] = newRemaining
    heads[k] = 0
    capacities[k] = new
  }
}

/// Per-slot working state of a network simulation over raw buffers (see `PowerAllocator`).
final class SlotWorkspace {
  let pairs: Int
  /// g_kj of the current slot, K × K row-major.
  let gains: UnsafeMutablePointer<Double>
  /// L_kj with L_kk on the diagonal, K × K row-major.
  let pathGains: UnsafeMutablePointer<Double>
  /// Bits in each queue now.
  let queueBits: UnsafeMutablePointer<Double>
  /// Bits in each queue at the start of the current slot.
  let bitsAtSlotStart: UnsafeMutablePointer<Double>
  /// Packets in each queue at the start of the current slot.
  let packetsAtSlotStart: UnsafeMutablePointer<Int>
  /// Epoch weights w_k.
  let weights: UnsafeMutablePointer<Double>
  /// Σ power over the measurement window's slots.
  let powerSum: UnsafeMutablePointer<Double>
  /// Bits served in the measurement window.
  let bitsServed: UnsafeMutablePointer<Double>
  /// Row-major indices k·K + j of the links with a non-zero path gain, receiver by receiver and
  /// in transmitter order: the gains the slot loop draws (an interference-free network draws K).
  let fadingLinks: UnsafeMutablePointer<Int>
  /// End (exclusive) in `fadingLinks` of receiver k's links; receiver k's start at the end of k − 1.
  let fadingLinkEnd: UnsafeMutablePointer<Int>

  init(pairs: Int, pathGains: [Double]) {
    self.pairs = pairs
    func zeros(_ n: Int) -> UnsafeMutablePointer<Double> {
      let p = UnsafeMutablePointer<Double>.allocate(capacity: n)
      p.initialize(repeating: 0, count: n)
      return p
    }
    gains = zeros(pairs * pairs)
    self.pathGains = zeros(pairs * pairs)
    for i in 0..<(pairs * pairs) { self.pathGains[i] = pathGains[i] }
    queueBits = zeros(pairs)
    bitsAtSlotStart = zeros(pairs)
    weights = zeros(pairs)
    packetsAtSlotStart = .allocate(capacity: pairs)
    packetsAtSlotStart.initialize(repeating: 0, count: pairs)
    powerSum = zeros(pairs)
    bitsServed = zeros(pairs)
    fadingLinks = .allocate(capacity: max(pairs * pairs, 1))
    fadingLinkEnd = .allocate(capacity: max(pairs, 1))
    var links = 0
    for receiver in 0..<pairs {
      for transmitter in 0..<pairs where pathGains[receiver * pairs + transmitter] != 0 {
        (fadingLinks + links).initialize(to: receiver * pairs + transmitter)
        links += 1
      }
      (fadingLinkEnd + receiver).initialize(to: links)
    }
  }

  deinit {
    for p in [gains, pathGains, queueBits, bitsAtSlotStart, weights, powerSum, bitsServed] { p.deallocate() }
    packetsAtSlotStart.deallocate()
    fadingLinks.deallocate()
    fadingLinkEnd.deallocate()
  }
}

extension Int {
  /// The smallest power of two ≥ self (self ≥ 1).
  var nextPowerOfTwo: Int { self <= 1 ? 1 : 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount) }
}
