import DriftSimSupport
import Foundation
import DriftSimKernel
import DriftSimNumerics
import DriftSimStats

/// Scenario values resolved per pair, in the units the simulation uses.
public struct NetworkParameters: Sendable {
  /// K.
  public let pairs: Int
  /// λ_k in packets per second.
  public let arrivalRatePerSecond: [Double]
  /// λ_k in packets per epoch.
  public let arrivalRatePerEpoch: [Double]
  /// L_kk.
  public let directGain: [Double]
  /// L_kj, row-major K × K with zero diagonal (receiver k, transmitter j).
  public let crossGain: [Double]
  /// Whether every cross gain is zero (no interference at all).
  public let interferenceFree: Bool
  /// τ/N in seconds.
  public let slotSeconds: Double
  /// N.
  public let slotsPerEpoch: Int
  /// W τ / N: bits per slot per unit of log2(1 + SINR).
  public let bitsPerLog2: Double
  /// κ.
  public let kappa: Double
  /// γ.
  public let gamma: Double
  /// S̄ in bits.
  public let meanPacketBits: Double

  /// Resolves a validated scenario (γ given explicitly so calibration can vary it).
  public init(_ scenario: Scenario, gamma: Double) {
    pairs = scenario.pairs
    arrivalRatePerEpoch = scenario.arrivalRate.resolved(pairs: pairs)!
    arrivalRatePerSecond = arrivalRatePerEpoch.map { $0 / scenario.epochSeconds }
    directGain = scenario.directGain.resolved(pairs: pairs)!
    var cross = [Double](repeating: 0, count: pairs * pairs)
    for k in 0..<pairs {
      for j in 0..<pairs where j != k {
        switch scenario.crossGain {
        case let .all(value): cross[k * pairs + j] = value
        case let .matrix(rows): cross[k * pairs + j] = rows[k][j]
        }
      }
    }
    crossGain = cross
    interferenceFree = cross.allSatisfy { $0 == 0 }
    slotSeconds = scenario.slotSeconds
    slotsPerEpoch = scenario.slotsPerEpoch
    bitsPerLog2 = scenario.bandwidthHz * scenario.slotSeconds
    kappa = scenario.kappa
    self.gamma = gamma
    meanPacketBits = scenario.meanPacketBits
  }
}

/// Counts finished epochs across threads for progress display.
public final class ProgressCounter: @unchecked Sendable {
  private let lock = NSLock()
  private var done = 0
  /// Creates a counter at 0.
  public init() {}
  /// Adds `epochs`.
  public func add(_ epochs: Int) {
    lock.lock()
    done += epochs
    lock.unlock()
  }
  /// The total so far.
  public var value: Int {
    lock.lock()
    defer { lock.unlock() }
    return done
  }
}

/// Receives the records of a run as it happens (the trace writer implements it). Calls are made
/// only for the levels the sink asks for.
///
/// The simulation is generic over its recorder, so the slot loop calls a concrete type (no
/// existential, no optional): a run without a trace uses `NoRecorder`, whose calls compile to
/// nothing.
public protocol NetworkRecorder {
  /// Whether packet arrivals and departures are wanted.
  var recordsPackets: Bool { get }
  /// Whether per-epoch queue and weight records are wanted.
  var recordsEpochs: Bool { get }
  /// Whether per-slot power, SINR and bits served are wanted.
  var recordsSlots: Bool { get }
  /// A packet of `bits` arrived at pair `pair` at `time` seconds.
  func packetArrived(pair: Int, packetID: UInt64, time: Double, bits: Double)
  /// A packet left pair `pair` at `time` seconds after `delay` seconds in the system.
  func packetDeparted(pair: Int, packetID: UInt64, time: Double, delay: Double)
  /// At the epoch start `time`, pair `pair` held `queueBits` bits and got weight `weight`.
  func epochStarted(pair: Int, time: Double, queueBits: Double, weight: Double)
  /// In the slot starting at `time`, pair `pair` sent at `power` with `sinr` and served `bitsServed`.
  func slotServed(pair: Int, time: Double, power: Double, sinr: Double, bitsServed: Double)
  /// Whether the run should stop now (e.g. SIGINT); polled once per epoch.
  var stopRequested: Bool { get }
}

/// The recorder of a run without a trace: it asks for no records and never requests a stop.
public struct NoRecorder: NetworkRecorder {
  /// Creates the no-op recorder.
  public init() {}
  public var recordsPackets: Bool { false }
  public var recordsEpochs: Bool { false }
  public var recordsSlots: Bool { false }
  @inline(__always) public func packetArrived(pair: Int, packetID: UInt64, time: Double, bits: Double) {}
  @inline(__always) public func packetDeparted(pair: Int, packetID: UInt64, time: Double, delay: Double) {}
  @inline(__always) public func epochStarted(pair: Int, time: Double, queueBits: Double, weight: Double) {}
  @inline(__always) public func slotServed(pair: Int, time: Double, power: Double, sinr: Double, bitsServed: Double) {}
  public var stopRequested: Bool { false }
}

/// Forwards every call to a recorder whose type the simulation is not specialised for (one
/// dynamic dispatch per record, as with an existential).
struct ForwardingRecorder: NetworkRecorder {
  let base: any NetworkRecorder
  var recordsPackets: Bool { base.recordsPackets }
  var recordsEpochs: Bool { base.recordsEpochs }
  var recordsSlots: Bool { base.recordsSlots }
  func packetArrived(pair: Int, packetID: UInt64, time: Double, bits: Double) {
    base.packetArrived(pair: pair, packetID: packetID, time: time, bits: bits)
  }
  func packetDeparted(pair: Int, packetID: UInt64, time: Double, delay: Double) {
    base.packetDeparted(pair: pair, packetID: packetID, time: time, delay: delay)
  }
  func epochStarted(pair: Int, time: Double, queueBits: Double, weight: Double) {
    base.epochStarted(pair: pair, time: time, queueBits: queueBits, weight: weight)
  }
  func slotServed(pair: Int, time: Double, power: Double, sinr: Double, bitsServed: Double) {
    base.slotServed(pair: pair, time: time, power: power, sinr: sinr, bitsServed: bitsServed)
  }
  var stopRequested: Bool { base.stopRequested }
}

/// Statistics of one pair over the measurement window (after warm-up).
public struct PairStatistics: Sendable {
  /// Delays (seconds) of packets that left in the window, in departure order.
  public var delay = BatchMeans()
  /// Σ power over the window's slots (noise units · slots).
  public var powerSum = 0.0
  /// Bits served in the window.
  public var bitsServed = 0.0
  /// Packets that arrived in the window.
  public var arrivals = 0
  /// Packets present (arrived, not yet departed), time-averaged.
  public var packetsPresent: TimeAverage
  init(time: Double, present: Int) { packetsPresent = TimeAverage(startTime: time, value: Double(present)) }
}

/// The outcome of one replication.
public struct ReplicationResult: Sendable {
  /// Per pair.
  public var pairs: [PairStatistics]
  /// Pooled delays (seconds) over all pairs, in departure order.
  public var pooledDelay: BatchMeans
  /// Mean power over all pairs per epoch of the window (for the SNR's confidence interval).
  public var epochPower: BatchMeans
  /// Length of the measurement window in seconds.
  public var measuredSeconds: Double
  /// Slots in the window.
  public var measuredSlots: Int
  /// Power-iteration iterations summed over all slots (weight-based policies).
  public var iterations = 0
  /// Slots in which the power iteration ran.
  public var iteratedSlots = 0
  /// Slots whose iteration hit maxIterations.
  public var nonConvergedSlots = 0
  /// Epochs simulated (warm-up included).
  public var epochsSimulated = 0
  /// Mean packets queued over all pairs, per quarter of the window (for the stability warning).
  public var quarterQueueMeans: [Double]
  /// Final simulated time, seconds.
  public var finalTime: Double
}

/// Why a run could not finish.
public struct SimulationError: Error, CustomStringConvertible, Sendable {
  /// What happened, with the epoch and pair.
  public var description: String
}

/// The packet-level K-pair interference network on the event kernel (model.md Part A).
///
/// Events: Poisson packet arrivals per transmitter, and slot boundaries. At a slot boundary the
/// previous slot's service is applied (its departures happen at this instant, the end of the slot
/// that sent their last bit), an epoch boundary updates the weights, then the new slot's fading is
/// drawn and powers are allocated from the queues as they are now (packets that arrive during the
/// slot wait for the next one).
///
/// Random streams per replication seed s: arrivals of pair k `StreamID(1, k)`, sizes `StreamID(2, k)`,
/// fading at receiver k `StreamID(3, k)`. Every slot draws all non-zero gains whatever the policy,
/// so policies at the same seed see the same channels and arrivals (common random numbers).
///
/// A `NetworkSimulation` is a value that describes one replication (scenario, policy, seed,
/// recorder); it holds no simulation state, so copies are independent. `run()` builds the state —
/// queues, slot buffers, allocator, streams — in a non-copyable `NetworkReplication` that owns
/// them alone, specialised for the recorder's concrete type.
public struct NetworkSimulation<Policy: PowerPolicy> {
  /// Events of the network.
  public typealias Event = NetworkEvent

  let parameters: NetworkParameters
  let scenario: Scenario
  let policy: Policy
  let seed: UInt64
  let recorder: (any NetworkRecorder)?
  let progress: ProgressCounter?

  /// Sets up a replication.
  /// - Parameters:
  ///   - scenario: the validated scenario (its `epochs`, `warmupEpochs` and iteration settings).
  ///   - parameters: the resolved network (with the γ to use).
  ///   - policy: the power policy.
  ///   - seed: this replication's seed (see `replicationSeed`).
  ///   - recorder: a trace sink, or nil.
  ///   - progress: a shared epoch counter, or nil.
  public init(
    scenario: Scenario, parameters: NetworkParameters, policy: Policy, seed: UInt64,
    recorder: (any NetworkRecorder)? = nil, progress: ProgressCounter? = nil
  ) {
    self.scenario = scenario
    self.parameters = parameters
    self.policy = policy
    self.seed = seed
    self.recorder = recorder
    self.progress = progress
  }

  /// Runs the replication to its end (or until it fails) and returns its statistics.
  /// - Throws: `SimulationError` if the queue exceeded `maxQueuePackets`, the policy failed or the
  ///   recorder asked to stop.
  public mutating func run() throws(SimulationError) -> ReplicationResult {
    // Each call below is specialised for a concrete recorder type. Opening the existential
    // instead would run the replication unspecialised in its recorder (every field access through
    // runtime layout, ~25 % slower with a trace), so the trace writer is matched by type and any
    // other recorder goes through a forwarding wrapper.
    guard let recorder else { return try execute(NoRecorder()) }
    if let trace = recorder as? NetworkTraceRecorder { return try execute(trace) }
    return try execute(ForwardingRecorder(base: recorder))
  }

  /// Runs with the given recorder type.
  private func execute<Recorder: NetworkRecorder>(_ recorder: Recorder) throws(SimulationError) -> ReplicationResult {
    var replication = NetworkReplication(
      scenario: scenario, parameters: parameters, policy: policy, seed: seed, recorder: recorder, progress: progress)
    return try replication.run()
  }
}

/// Events of the network.
public enum NetworkEvent: Sendable {
  /// A packet arrives at a pair.
  case arrival(pair: Int32)
  /// A slot boundary.
  case slotBoundary
}

/// The state of one running replication (see `NetworkSimulation`). Non-copyable: it owns its
/// queues, slot buffers, allocator and random streams (reference types over raw memory, so the
/// slot loop pays no copy-on-write checks), and no copy can alias them.
struct NetworkReplication<Policy: PowerPolicy, Recorder: NetworkRecorder>: ~Copyable, EventHandler {
  typealias Event = NetworkEvent

  let parameters: NetworkParameters
  let scenario: Scenario
  var policy: Policy
  let arrivalStreams: RandomStreamBank
  let sizeStreams: RandomStreamBank
  let fadingStreams: RandomStreamBank
  let queues: PacketQueues
  let work: SlotWorkspace
  let allocator: PowerAllocator
  let recordPackets: Bool
  let recordEpochs: Bool
  let recordSlots: Bool
  var nextSlotIndex = 0
  let totalSlots: Int
  let warmupSlots: Int
  var nextPacketID: UInt64 = 0
  var inWindow = false
  var windowStart = 0.0
  var result: ReplicationResult
  var epochPowerSum = 0.0
  var epochPowerSlots = 0
  var queueQuarterSums = [Double](repeating: 0, count: 4)
  var queueQuarterCounts = [Int](repeating: 0, count: 4)
  /// Set when the run had to stop (unstable queue, numerical failure, interruption).
  private(set) var failure: SimulationError?
  let recorder: Recorder
  let progress: ProgressCounter?
  var epochsSinceProgress = 0

  init(
    scenario: Scenario, parameters: NetworkParameters, policy: Policy, seed: UInt64, recorder: Recorder,
    progress: ProgressCounter?
  ) {
    self.scenario = scenario
    self.parameters = parameters
    self.policy = policy
    let k = parameters.pairs
    arrivalStreams = RandomStreamBank(seed: seed, streams: (0..<k).map { StreamID(1, UInt64($0)) })
    sizeStreams = RandomStreamBank(seed: seed, streams: (0..<k).map { StreamID(2, UInt64($0)) })
    fadingStreams = RandomStreamBank(seed: seed, streams: (0..<k).map { StreamID(3, UInt64($0)) })
    queues = PacketQueues(pairs: k)
    var pathGains = parameters.crossGain
    for i in 0..<k { pathGains[i * k + i] = parameters.directGain[i] }
    work = SlotWorkspace(pairs: k, pathGains: pathGains)
    allocator = PowerAllocator(pairs: k)
    recordPackets = recorder.recordsPackets
    recordEpochs = recorder.recordsEpochs
    recordSlots = recorder.recordsSlots
    totalSlots = scenario.epochs * parameters.slotsPerEpoch
    warmupSlots = scenario.warmupEpochs * parameters.slotsPerEpoch
    result = ReplicationResult(
      pairs: (0..<k).map { _ in PairStatistics(time: 0, present: 0) }, pooledDelay: BatchMeans(),
      epochPower: BatchMeans(), measuredSeconds: 0, measuredSlots: 0, quarterQueueMeans: [], finalTime: 0)
    self.recorder = recorder
    self.progress = progress
  }

  /// Schedules the first arrivals and the first slot boundary.
  mutating func start(_ simulator: inout Simulator<Event>) {
    let backlog = scenario.initialQueuePackets.resolved(pairs: parameters.pairs)!
    for k in 0..<parameters.pairs where backlog[k] > 0 {
      for _ in 0..<Int(backlog[k]) {
        let bits = drawPacketBits(k)
        let id = nextPacketID
        nextPacketID &+= 1
        queues.push(k, id: id, arrivalTime: 0, bits: bits)
        work.queueBits[k] += bits
        if recordPackets { recorder.packetArrived(pair: k, packetID: id, time: 0, bits: bits) }
      }
    }
    for k in 0..<parameters.pairs where parameters.arrivalRatePerSecond[k] > 0 {
      simulator.schedule(
        .arrival(pair: Int32(k)), after: arrivalStreams.exponential(k, mean: 1 / parameters.arrivalRatePerSecond[k]))
    }
    simulator.schedule(.slotBoundary, at: 0)
  }

  mutating func handle(_ event: Event, simulator: inout Simulator<Event>) {
    switch event {
    case let .arrival(pair):
      arrive(pair: Int(pair), simulator: &simulator)
    case .slotBoundary:
      slotBoundary(simulator: &simulator)
    }
  }

  /// A packet size in bits: exponential with mean S̄ (stream `StreamID(2, k)`), or exactly S̄.
  @inline(__always)
  private func drawPacketBits(_ k: Int) -> Double {
    scenario.packetSizes == .deterministic ? parameters.meanPacketBits : sizeStreams.exponential(k, mean: parameters.meanPacketBits)
  }

  private mutating func arrive(pair k: Int, simulator: inout Simulator<Event>) {
    let now = simulator.now
    let bits = drawPacketBits(k)
    let id = nextPacketID
    nextPacketID &+= 1
    queues.push(k, id: id, arrivalTime: now, bits: bits)
    work.queueBits[k] += bits
    if inWindow {
      result.pairs[k].arrivals += 1
      result.pairs[k].packetsPresent.record(Double(queues.count(k)), at: now)
    }
    if recordPackets { recorder.packetArrived(pair: k, packetID: id, time: now, bits: bits) }
    simulator.schedule(.arrival(pair: Int32(k)), after: arrivalStreams.exponential(k, mean: 1 / parameters.arrivalRatePerSecond[k]))
  }

  private mutating func slotBoundary(simulator: inout Simulator<Event>) {
    let index = nextSlotIndex
    let now = Double(index) * parameters.slotSeconds
    let k = parameters.pairs
    if index > 0 { finishSlot(startTime: now - parameters.slotSeconds, endTime: now) }
    if index == warmupSlots { openWindow(at: now) }
    if index == totalSlots {
      closeRun(at: now)
      simulator.requestStop()
      return
    }
    if index % parameters.slotsPerEpoch == 0 {
      guard startEpoch(index / parameters.slotsPerEpoch, at: now) else {
        closeRun(at: now)
        simulator.requestStop()
        return
      }
    } else if Policy.isQueueAware && scenario.weightUpdate == .slot {
      guard refreshWeights(slot: index) else {
        closeRun(at: now)
        simulator.requestStop()
        return
      }
    }
    // Draw this slot's fading at every receiver: all non-zero links, whatever the policy, in
    // transmitter order (zero links keep their zero gain and draw nothing).
    let gains = work.gains, pathGains = work.pathGains, links = work.fadingLinks
    fadingStreams.fillScaledRayleighPowerGains(
      streams: k, links: links, streamEnds: work.fadingLinkEnd, scales: pathGains, into: gains)
    for receiver in 0..<k {
      work.bitsAtSlotStart[receiver] = work.queueBits[receiver]
      work.packetsAtSlotStart[receiver] = queues.count(receiver)
    }
    if Policy.decidesEachSlot {
      for pair in 0..<k {
        work.weights[pair] = policy.slotWeight(
          pair: pair, queuePackets: work.queueBits[pair] / parameters.meanPacketBits,
          packetCount: work.packetsAtSlotStart[pair], directGain: gains[pair * k + pair])
      }
    }
    allocate()
    nextSlotIndex = index + 1
    simulator.schedule(.slotBoundary, at: Double(index + 1) * parameters.slotSeconds)
  }

  private mutating func allocate() {
    let k = parameters.pairs
    let g = UnsafeBufferPointer(start: work.gains, count: k * k)
    let b = UnsafeBufferPointer(start: work.bitsAtSlotStart, count: k)
    if Policy.isOrthogonal {
      _ = allocator.orthogonal(gains: g, bits: b, kappa: parameters.kappa, gamma: parameters.gamma, bitsPerLog2: parameters.bitsPerLog2)
      return
    }
    let outcome = allocator.waterFill(
      gains: g, weights: UnsafeBufferPointer(start: work.weights, count: k), bits: b, kappa: parameters.kappa,
      gamma: parameters.gamma, bitsPerLog2: parameters.bitsPerLog2, tolerance: scenario.tolerance,
      maxIterations: scenario.maxIterations, update: scenario.powerUpdate, interferenceFree: parameters.interferenceFree)
    if inWindow {
      result.iterations += outcome.iterations
      result.iteratedSlots += 1
      if !outcome.converged { result.nonConvergedSlots += 1 }
    }
  }

  /// Applies the service of the slot [startTime, endTime): departures happen at endTime.
  private mutating func finishSlot(startTime: Double, endTime: Double) {
    let k = parameters.pairs
    var slotPower = 0.0
    let powers = allocator.powerBuffer, sinrs = allocator.sinrBuffer
    for pair in 0..<k {
      let power = powers[pair]
      var served = 0.0
      if power > 0 {
        let capacity = parameters.bitsPerLog2 * log2(1 + sinrs[pair])
        let available = work.bitsAtSlotStart[pair]
        // A power at its cap p_up sends the whole queue; allow for rounding in p_up and log2.
        if capacity >= available * (1 - 1e-9) {
          served = available
          serveAll(pair: pair, packets: work.packetsAtSlotStart[pair], bits: available, at: endTime)
        } else {
          served = capacity
          serve(pair: pair, bits: served, at: endTime)
        }
      }
      slotPower += power
      if inWindow {
        work.powerSum[pair] += power
        work.bitsServed[pair] += served
      }
      if recordSlots {
        recorder.slotServed(pair: pair, time: startTime, power: power, sinr: sinrs[pair], bitsServed: served)
      }
    }
    if inWindow {
      result.measuredSlots += 1
      epochPowerSum += slotPower / Double(k)
      epochPowerSlots += 1
      if epochPowerSlots == parameters.slotsPerEpoch {
        result.epochPower.add(epochPowerSum / Double(epochPowerSlots))
        epochPowerSum = 0
        epochPowerSlots = 0
      }
    }
  }

  /// Sends every packet that was queued at the slot start (they leave at `time`, the slot end).
  /// Counting packets rather than comparing bit totals keeps rounding in the running bit count from
  /// stranding a sliver of a packet.
  private mutating func serveAll(pair: Int, packets: Int, bits: Double, at time: Double) {
    for _ in 0..<packets { depart(pair: pair, at: time) }
    work.queueBits[pair] = queues.count(pair) == 0 ? 0 : max(work.queueBits[pair] - bits, 0)
    if packets > 0 && inWindow {
      result.pairs[pair].packetsPresent.record(Double(queues.count(pair)), at: time)
    }
  }

  @inline(__always)
  private mutating func depart(pair: Int, at time: Double) {
    let head = queues.first(pair)
    queues.removeFirst(pair)
    let delay = time - head.arrivalTime
    if inWindow {
      result.pairs[pair].delay.add(delay)
      result.pooledDelay.add(delay)
    }
    if recordPackets { recorder.packetDeparted(pair: pair, packetID: head.id, time: time, delay: delay) }
  }

  private mutating func serve(pair: Int, bits: Double, at time: Double) {
    var remaining = bits
    var departed = 0
    while remaining > 0 && queues.count(pair) > 0 {
      let head = queues.first(pair)
      // A remainder below a micro-bit is rounding, not data: the packet is complete.
      if head.remainingBits <= remaining + 1e-6 {
        remaining -= head.remainingBits
        depart(pair: pair, at: time)
        departed += 1
      } else {
        queues.serveHead(pair, bits: remaining)
        remaining = 0
      }
    }
    work.queueBits[pair] = queues.count(pair) == 0 ? 0 : max(work.queueBits[pair] - bits, 0)
    if departed > 0 && inWindow {
      result.pairs[pair].packetsPresent.record(Double(queues.count(pair)), at: time)
    }
  }

  /// Updates weights at the start of `epoch`; returns false if the run must stop.
  private mutating func startEpoch(_ epoch: Int, at now: Double) -> Bool {
    let k = parameters.pairs
    if inWindow && epoch > scenario.warmupEpochs {
      var queued = 0.0
      for pair in 0..<k { queued += work.queueBits[pair] / parameters.meanPacketBits }
      let measuredEpochs = scenario.epochs - scenario.warmupEpochs
      let quarter = min(3, (epoch - scenario.warmupEpochs) * 4 / max(measuredEpochs, 1))
      queueQuarterSums[quarter] += queued
      queueQuarterCounts[quarter] += 1
    }
    for pair in 0..<k {
      // Re-sum small queues exactly so rounding in the running bit count cannot accumulate.
      if queues.count(pair) <= 64 { work.queueBits[pair] = queues.totalBits(pair) }
      let packets = work.queueBits[pair] / parameters.meanPacketBits
      if packets > scenario.maxQueuePackets {
        failure = SimulationError(
          description: "the queue of pair \(pair) reached \(Int(packets)) packets at epoch \(epoch) "
            + "(maxQueuePackets = \(Int(scenario.maxQueuePackets))): the load is unstable for policy "
            + "\(Policy.name) at γ = \(parameters.gamma)")
        return false
      }
      do {
        work.weights[pair] = try policy.weight(pair: pair, queuePackets: packets)
      } catch {
        failure = SimulationError(description: "epoch \(epoch), pair \(pair): the policy's weight failed: \(error)")
        return false
      }
      if recordEpochs {
        recorder.epochStarted(pair: pair, time: now, queueBits: work.queueBits[pair], weight: work.weights[pair])
      }
    }
    result.epochsSimulated = epoch
    if let progress {
      epochsSinceProgress += 1
      if epochsSinceProgress == 256 {
        progress.add(epochsSinceProgress)
        epochsSinceProgress = 0
      }
    }
    if recorder.stopRequested {
      failure = SimulationError(description: "interrupted at epoch \(epoch)")
      return false
    }
    return true
  }

  /// `weightUpdate = slot`: recomputes every weight from the queue at this slot's start.
  private mutating func refreshWeights(slot: Int) -> Bool {
    for pair in 0..<parameters.pairs {
      do {
        work.weights[pair] = try policy.weight(pair: pair, queuePackets: work.queueBits[pair] / parameters.meanPacketBits)
      } catch {
        failure = SimulationError(description: "slot \(slot), pair \(pair): the policy's weight failed: \(error)")
        return false
      }
    }
    return true
  }

  private mutating func openWindow(at now: Double) {
    inWindow = true
    windowStart = now
    for pair in 0..<parameters.pairs {
      result.pairs[pair] = PairStatistics(time: now, present: queues.count(pair))
      work.powerSum[pair] = 0
      work.bitsServed[pair] = 0
    }
    result.pooledDelay = BatchMeans()
    result.epochPower = BatchMeans()
    epochPowerSum = 0
    epochPowerSlots = 0
  }

  private mutating func closeRun(at now: Double) {
    if let progress { progress.add(epochsSinceProgress) }
    epochsSinceProgress = 0
    if failure == nil { result.epochsSimulated = scenario.epochs }
    result.measuredSeconds = inWindow ? now - windowStart : 0
    for pair in 0..<parameters.pairs {
      result.pairs[pair].packetsPresent.record(Double(queues.count(pair)), at: now)
      result.pairs[pair].powerSum = work.powerSum[pair]
      result.pairs[pair].bitsServed = work.bitsServed[pair]
    }
    result.quarterQueueMeans = (0..<4).map { queueQuarterCounts[$0] > 0 ? queueQuarterSums[$0] / Double(queueQuarterCounts[$0]) : 0 }
    result.finalTime = now
  }

  /// Runs the replication to its end (or until it fails) and returns its statistics.
  mutating func run() throws(SimulationError) -> ReplicationResult {
    var simulator = Simulator<Event>(expectedPendingEvents: parameters.pairs + 2)
    start(&simulator)
    simulator.run(&self)
    if let failure { throw failure }
    return result
  }
}

/// The seed of replication `replication` at sweep point `point` of a run with base seed `seed`:
/// `StreamID(seed, point, replication).rawValue` (SplitMix64-mixed, see `StreamID`).
public func replicationSeed(base seed: UInt64, point: Int = 0, replication: Int) -> UInt64 {
  StreamID(seed, UInt64(point), UInt64(replication)).rawValue
}

/// Reported by the command runner as one line, exit status 1.
extension SimulationError: ReportableError {}
