import Foundation
import DriftSimNumerics
import DriftSimStats
import Testing

@testable import DriftSimInterference

/// Collects every record of a run.
final class CollectingRecorder: NetworkRecorder {
  var recordsPackets = true
  var recordsEpochs = true
  var recordsSlots = true
  var stopRequested = false
  var arrivals: [(pair: Int, id: UInt64, time: Double, bits: Double)] = []
  var departures: [(pair: Int, id: UInt64, time: Double, delay: Double)] = []
  var epochs: [(pair: Int, time: Double, queueBits: Double, weight: Double)] = []
  var slots: [(pair: Int, time: Double, power: Double, sinr: Double, bits: Double)] = []
  func packetArrived(pair: Int, packetID: UInt64, time: Double, bits: Double) { arrivals.append((pair, packetID, time, bits)) }
  func packetDeparted(pair: Int, packetID: UInt64, time: Double, delay: Double) { departures.append((pair, packetID, time, delay)) }
  func epochStarted(pair: Int, time: Double, queueBits: Double, weight: Double) { epochs.append((pair, time, queueBits, weight)) }
  func slotServed(pair: Int, time: Double, power: Double, sinr: Double, bitsServed: Double) { slots.append((pair, time, power, sinr, bitsServed)) }
}

func scenario(_ overrides: [String]) throws -> Scenario {
  var builder = ScenarioBuilder()
  for o in overrides { try builder.apply(override: o) }
  return try builder.validated()
}

@Suite("Packet-level interference network")
struct NetworkSimulationTests {
  /// One pair, no interference, a backlog that never empties: every slot is i.i.d., so the mean
  /// power and service have closed forms. With z = γ/(κL): E[p] = (κ/γ) e^(−z) − E1(z)/L and
  /// E[bits per slot] = (Wτ/N) E1(z) / ln 2. The bound is 5 standard errors, with Var(p) from
  /// quadrature of E[p²].
  @Test("saturated single pair: power and throughput equal their closed forms", arguments: [PolicyName.csiOnly, .tdma])
  func saturated(policy: PolicyName) throws {
    let s = try scenario([
      "pairs=1", "arrivalRate=0", "initialQueuePackets=20000", "policy=\(policy.rawValue)", "epochs=5000",
      "warmupEpochs=10", "gamma=1",
    ])
    let result = try NetworkRun.runReplication(s, gamma: 1, seed: 7)
    let kappa = s.kappa, z = 1 / kappa
    let meanPower = kappa * exp(-z) - (try expintE1(z))
    let secondMoment = try integrate(from: z, to: .infinity) { g in pow(kappa - 1 / g, 2) * exp(-g) }.value
    let n = Double(result.measuredSlots)
    let powerSE = ((secondMoment - meanPower * meanPower) / n).squareRoot()
    let measuredPower = result.pairs[0].powerSum / n
    #expect(abs(measuredPower - meanPower) <= 5 * powerSE, "\(measuredPower) vs \(meanPower) ± \(powerSE)")
    let bitsPerSlot = s.bandwidthHz * s.slotSeconds * (try expintE1(z)) / M_LN2
    let rateSecondMoment = try integrate(from: z, to: .infinity) { g in pow(log(g * kappa), 2) * exp(-g) }.value
    let bitsSE = s.bandwidthHz * s.slotSeconds / M_LN2 * ((rateSecondMoment - pow(try expintE1(z), 2)) / n).squareRoot()
    let measuredBits = result.pairs[0].bitsServed / n
    #expect(abs(measuredBits - bitsPerSlot) <= 5 * bitsSE, "\(measuredBits) vs \(bitsPerSlot) ± \(bitsSE)")
  }

  @Test("Little's law holds within the confidence interval for every policy", arguments: PolicyName.allCases.filter { $0 != .table && $0 != .vi })
  func littlesLaw(policy: PolicyName) throws {
    let s = try scenario([
      "pairs=3", "arrivalRate=0.6", "policy=\(policy.rawValue)", "epochs=6000", "warmupEpochs=500", "gamma=0.5",
    ])
    let (results, wall) = try NetworkRun.runReplications(s, gamma: s.gamma, jobs: 1)
    let summary = NetworkRun.summarize(s, gamma: s.gamma, results: results, wallSeconds: wall, calibration: nil)
    for pair in summary.pairs {
      let ci = try #require(pair.meanDelayCI95)
      let halfWidth = (ci[1] - ci[0]) / 2
      // Little's law is exact for packet-time inside the window; packets straddling its ends make a
      // difference of order (delay / window), far below the CI.
      let little = try #require(pair.littleDelayMs), delay = try #require(pair.meanDelayMs)
      #expect(abs(little - delay) <= halfWidth, "pair \(pair.pair): L/λ = \(little) ms, W = \(delay) ms ± \(halfWidth)")
      #expect(delay >= s.slotSeconds * 1e3 * 0.5)
    }
  }

  @Test("bits are conserved and packets leave at slot ends in FIFO order")
  func conservation() throws {
    let s = try scenario(["pairs=3", "arrivalRate=[0.8, 1.2, 0.5]", "epochs=400", "warmupEpochs=0", "policy=fluid", "gamma=0.2"])
    let recorder = CollectingRecorder()
    _ = try NetworkRun.runReplication(s, gamma: s.gamma, seed: 3, recorder: recorder)
    #expect(!recorder.departures.isEmpty)
    for d in recorder.departures {
      let slots = d.time / s.slotSeconds
      #expect(abs(slots - slots.rounded()) < 1e-6, "departure at \(d.time) is not a slot end")
      #expect(d.delay > 0)
    }
    for pair in 0..<3 {
      let arrivedIDs = recorder.arrivals.filter { $0.pair == pair }.map(\.id)
      let departedIDs = recorder.departures.filter { $0.pair == pair }.map(\.id)
      #expect(Array(arrivedIDs.prefix(departedIDs.count)) == departedIDs, "FIFO order")
      let arrivedBits = recorder.arrivals.filter { $0.pair == pair }.map(\.bits).reduce(0, +)
      let servedBits = recorder.slots.filter { $0.pair == pair }.map(\.bits).reduce(0, +)
      let departedBits = recorder.arrivals.filter { $0.pair == pair }.prefix(departedIDs.count).map(\.bits).reduce(0, +)
      #expect(servedBits <= arrivedBits * (1 + 1e-12))
      #expect(servedBits >= departedBits * (1 - 1e-12))
      // Served bits beyond those of departed packets are the head packet's partial service.
      let nextBits = recorder.arrivals.filter { $0.pair == pair }.dropFirst(departedIDs.count).first?.bits ?? 0
      #expect(servedBits - departedBits <= nextBits + 1e-6)
    }
    // Epoch records: one per pair per epoch, at multiples of τ.
    #expect(recorder.epochs.count == 3 * 400)
    #expect(recorder.slots.count == 3 * 400 * 10)
  }

  @Test("same seed ⇒ identical results, whatever the number of threads")
  func determinism() throws {
    let s = try scenario(["pairs=3", "epochs=800", "warmupEpochs=100", "replications=4", "gamma=0.5"])
    let (a, _) = try NetworkRun.runReplications(s, gamma: s.gamma, jobs: 1)
    let (b, _) = try NetworkRun.runReplications(s, gamma: s.gamma, jobs: 3)
    for (x, y) in zip(a, b) {
      #expect(x.pooledDelay.mean == y.pooledDelay.mean)
      #expect(x.pairs.map(\.powerSum) == y.pairs.map(\.powerSum))
      #expect(x.finalTime == y.finalTime)
    }
    #expect(a[0].pooledDelay.mean != a[1].pooledDelay.mean)
  }

  @Test("policies at the same seed see the same arrivals and channels (common random numbers)")
  func commonRandomNumbers() throws {
    var arrivals: [[Double]] = []
    for policy in PolicyName.allCases where policy != .table && policy != .vi {
      let s = try scenario(["pairs=2", "epochs=200", "warmupEpochs=0", "policy=\(policy.rawValue)", "arrivalRate=0.5"])
      let recorder = CollectingRecorder()
      _ = try NetworkRun.runReplication(s, gamma: 1, seed: 11, recorder: recorder)
      arrivals.append(recorder.arrivals.map(\.time))
    }
    #expect(Set(arrivals.map { $0.count }).count == 1)
    #expect(arrivals.allSatisfy { $0 == arrivals[0] })
  }

  @Test("unstable loads are refused or stopped, never run away")
  func stability() throws {
    let csi = try scenario(["policy=csi-only", "arrivalRate=3", "gamma=1"])
    #expect(throws: RunRefusal.self) { try NetworkRun.checkStability(csi, gamma: 1) }
    let tdma = try scenario(["policy=tdma", "arrivalRate=1", "gamma=1"])
    #expect(throws: RunRefusal.self) { try NetworkRun.checkStability(tdma, gamma: 1) }
    let fine = try scenario(["policy=tdma", "pairs=2", "arrivalRate=0.5", "gamma=1"])
    try NetworkRun.checkStability(fine, gamma: 1)
    // Above the bound a run stops at maxQueuePackets with a clear error instead of growing forever.
    let runaway = try scenario(["policy=csi-only", "pairs=1", "arrivalRate=3", "gamma=1", "maxQueuePackets=50", "epochs=100000"])
    do {
      _ = try NetworkRun.runReplication(runaway, gamma: 1, seed: 1)
      Issue.record("expected the run to stop")
    } catch {
      #expect("\(error)".contains("unstable"))
    }
  }

  @Test("TDMA bound by quadrature equals the closed form for one pair")
  func tdmaBound() throws {
    // With K = 1, TDMA is single-user water-filling: κ E1(γ/(κL)).
    let a = try NetworkRun.tdmaCapacity(kappa: 2.4, gamma: 0.7, directGains: [1.3])
    let b = try NetworkRun.csiOnlyCapacity(kappa: 2.4, gamma: 0.7, directGain: 1.3)
    #expect(abs(a - b) <= 1e-9 * b)
  }

  @Test("γ calibration hits the target SNR within its tolerance")
  func calibration() throws {
    let s = try scenario(["pairs=2", "policy=csi-only", "targetSNRdB=6", "epochs=1500", "pilotEpochs=1500", "warmupEpochs=100", "calibrationToleranceDB=0.05"])
    let c = try NetworkRun.calibrateGamma(s)
    #expect(abs(c.pilotSNRdB - 6) <= 0.05)
    // The pilot uses replication 0's seed and the same length, so the run reproduces it exactly.
    let result = try NetworkRun.runReplication(s, gamma: c.gamma, seed: replicationSeed(base: s.seed, replication: 0))
    let power = result.pairs.map(\.powerSum).reduce(0, +) / Double(result.measuredSlots * 2)
    #expect(abs(10 * log10(power) - c.pilotSNRdB) < 1e-9)
  }
}

@Suite("Queue bookkeeping under rounding")
struct QueueBookkeepingTests {
  /// Regression: rounding in the running bit count once left a sliver of a packet queued while the
  /// count said 0 bits, so the packet waited for the next arrival. At every epoch start a queue
  /// must hold bits exactly when it holds packets.
  @Test("a queue holds bits exactly when it holds packets", arguments: [PolicyName.fluid, .csiOnly])
  func noStrandedPackets(policy: PolicyName) throws {
    let s = try scenario(["policy=\(policy.rawValue)", "arrivalRate=2", "epochs=3000", "warmupEpochs=0", "gamma=0.12"])
    let recorder = CollectingRecorder()
    recorder.recordsSlots = false
    _ = try NetworkRun.runReplication(s, gamma: s.gamma, seed: 5, recorder: recorder)
    var arrivals = recorder.arrivals.makeIterator()
    var departures = recorder.departures.sorted { $0.time < $1.time }.makeIterator()
    var pending = [Int](repeating: 0, count: s.pairs)
    var nextArrival = arrivals.next(), nextDeparture = departures.next()
    var checked = 0
    for epoch in recorder.epochs {
      while let a = nextArrival, a.time < epoch.time {
        pending[a.pair] += 1
        nextArrival = arrivals.next()
      }
      while let d = nextDeparture, d.time <= epoch.time {
        pending[d.pair] -= 1
        nextDeparture = departures.next()
      }
      #expect((pending[epoch.pair] == 0) == (epoch.queueBits == 0), "pair \(epoch.pair) at \(epoch.time) s: \(pending[epoch.pair]) packets, \(epoch.queueBits) bits")
      checked += 1
    }
    #expect(checked == 3000 * s.pairs)
  }
}

@Suite("Overload warnings")
struct OverloadWarningTests {
  @Test("growing queues are flagged; a stable load is not")
  func queueGrowth() throws {
    // CSI-only serves at most κE1(γ/κL) = 1.76 packets/epoch at γ = 1 (no interference); λ = 2.5 overloads it.
    let overloaded = try scenario(["pairs=1", "policy=csi-only", "arrivalRate=2.5", "gamma=1", "epochs=4000", "warmupEpochs=400"])
    let (grown, wall) = try NetworkRun.runReplications(overloaded, gamma: 1, jobs: 1)
    let flagged = NetworkRun.summarize(overloaded, gamma: 1, results: grown, wallSeconds: wall, calibration: nil)
    #expect(flagged.warnings.contains { $0.kind == .queuesGrew }, "\(flagged.warnings)")
    let stable = try scenario(["pairs=1", "policy=fluid", "arrivalRate=1", "gamma=1", "epochs=4000", "warmupEpochs=400"])
    let (calm, wall2) = try NetworkRun.runReplications(stable, gamma: 1, jobs: 1)
    #expect(NetworkRun.summarize(stable, gamma: 1, results: calm, wallSeconds: wall2, calibration: nil).warnings.isEmpty)
  }
}
