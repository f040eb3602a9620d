import Foundation
import DriftSimKernel
import DriftSimNumerics

/// Gibson & Bruck's next-reaction method on the Kernel's event queue, kept to measure it against
/// the direct method (`driftsim meanfield bench --method next-reaction`).
///
/// Every transition has one pending firing time. After a jump, the fired transition gets a fresh
/// Exp(M β) delay and every other one is rescaled, τ ← t + (β_old/β_new)(τ − t) (one draw per
/// jump). The Kernel's queue has no decrease-key, so rescheduled events are pushed anew and the
/// stale ones are recognised by a version number and skipped when popped. Here every jump changes
/// every rate, so each jump costs K pushes and K pops: this is why `CTMCSimulation` uses the
/// direct method.
public struct NextReactionSimulation {
  struct Firing {
    var transition: Int32
    var version: UInt32
  }

  struct Handler: EventHandler {
    let model: PopulationModel
    let m: Double
    var counts: [Int]
    var rates: [Double]
    var previousRates: [Double]
    var firingTimes: [Double]
    var versions: [UInt32]
    var random: RandomStream
    var jumps: UInt64 = 0
    var x: [Double]
    var stack: [Double]

    mutating func computeRates() {
      for i in counts.indices { x[i] = Double(counts[i]) / m }
      x.withUnsafeBufferPointer { xs in
        rates.withUnsafeMutableBufferPointer { r in
          stack.withUnsafeMutableBufferPointer { s in model.evaluateRates(x: xs.baseAddress!, into: r.baseAddress!, stack: s.baseAddress!) }
        }
      }
    }

    mutating func handle(_ event: Firing, simulator: inout Simulator<Firing>) {
      let fired = Int(event.transition)
      guard event.version == versions[fired] else { return }  // stale
      let now = simulator.now
      let jump = model.transitions[fired].jump
      for i in jump.indices where jump[i] != 0 { counts[i] += jump[i] }
      jumps += 1
      for k in rates.indices { previousRates[k] = rates[k] }
      computeRates()
      for k in rates.indices {
        versions[k] &+= 1
        let newRate = m * rates[k]
        guard newRate > 0 else {
          firingTimes[k] = .infinity
          continue
        }
        let time: Double
        if k == fired || !firingTimes[k].isFinite || previousRates[k] <= 0 {
          time = now - Foundation.log(random.uniformOpen()) / newRate
        } else {
          time = now + (previousRates[k] / rates[k]) * (firingTimes[k] - now)
        }
        firingTimes[k] = time
        simulator.schedule(Firing(transition: Int32(k), version: versions[k]), at: time)
      }
    }
  }

  var simulator = Simulator<Firing>()
  var handler: Handler

  /// Starts from `initial` (default x(0)) with M objects.
  public init(model: PopulationModel, population: Int, initialOccupancy: [Double]?, seed: UInt64) throws(MeanFieldError) {
    let counts = try CTMCSimulation.counts(
      for: initialOccupancy ?? model.initialOccupancy, population: population, stateCount: model.stateCount)
    handler = Handler(
      model: model, m: Double(population), counts: counts, rates: [Double](repeating: 0, count: model.transitionCount),
      previousRates: [Double](repeating: 0, count: model.transitionCount),
      firingTimes: [Double](repeating: .infinity, count: model.transitionCount),
      versions: [UInt32](repeating: 0, count: model.transitionCount),
      random: RandomStream(seed: seed, stream: StreamID(0x4E52_4D43, UInt64(population))), x: [Double](repeating: 0, count: model.stateCount),
      stack: [Double](repeating: 0, count: model.stackDepth + 1))
    handler.computeRates()
    for k in 0..<model.transitionCount where handler.rates[k] > 0 {
      let time = -Foundation.log(handler.random.uniformOpen()) / (handler.m * handler.rates[k])
      handler.firingTimes[k] = time
      simulator.schedule(Firing(transition: Int32(k), version: 0), at: time)
    }
  }

  /// Simulates `jumps` more jumps (or until no event is pending).
  public mutating func advance(jumps: UInt64) {
    let target = handler.jumps + jumps
    guard handler.jumps < target else { return }
    simulator.run(&handler, until: StopCondition()) { handler, _ in handler.jumps >= target }
  }

  /// Jumps simulated.
  public var jumps: UInt64 { handler.jumps }
  /// Simulated time (seconds).
  public var time: Double { simulator.now }
  /// Current counts.
  public var counts: [Int] { handler.counts }
}
