import DriftSimNumerics
import Testing

@testable import DriftSimKernel

/// A test model that logs what it handles and can spawn children.
struct Recorder: EventHandler {
  enum Event: Equatable {
    case tick(Int)
    case spawn(count: Int, delay: Double)
    case stop
  }

  var log: [(time: Double, event: Event)] = []

  mutating func handle(_ event: Event, simulator: inout Simulator<Event>) {
    log.append((simulator.now, event))
    switch event {
    case .tick: break
    case let .spawn(count, delay):
      for i in 0..<count { simulator.schedule(.tick(100 + i), after: delay) }
    case .stop: simulator.requestStop()
    }
  }
}

@Suite("Simulator run loop")
struct SimulatorTests {
  @Test("simultaneous events run FIFO, including ones scheduled while running")
  func fifoTies() {
    var sim = Simulator<Recorder.Event>()
    var model = Recorder()
    sim.schedule(.tick(1), at: 1)
    sim.schedule(.spawn(count: 3, delay: 0), at: 1)
    sim.schedule(.tick(2), at: 1)
    let reason = sim.run(&model)
    #expect(reason == .queueEmpty)
    #expect(model.log.map(\.event) == [.tick(1), .spawn(count: 3, delay: 0), .tick(2), .tick(100), .tick(101), .tick(102)])
    #expect(model.log.allSatisfy { $0.time == 1 })
    #expect(sim.eventsProcessed == 6)
  }

  @Test("horizon: events at the horizon run, the clock stops there, and the run resumes")
  func horizonAndResume() {
    var sim = Simulator<Recorder.Event>()
    var model = Recorder()
    for i in 0..<10 { sim.schedule(.tick(i), at: Double(i)) }
    #expect(sim.run(&model, until: StopCondition(horizon: 4)) == .horizonReached)
    #expect(model.log.count == 5)
    #expect(sim.now == 4)
    #expect(sim.run(&model, until: StopCondition(horizon: 4.5)) == .horizonReached)
    #expect(sim.now == 4.5)
    #expect(model.log.count == 5)
    #expect(sim.run(&model) == .queueEmpty)
    #expect(model.log.map(\.event) == (0..<10).map { .tick($0) })
    #expect(sim.now == 9)
  }

  @Test("event budget counts per call")
  func budget() {
    var sim = Simulator<Recorder.Event>()
    var model = Recorder()
    for i in 0..<10 { sim.schedule(.tick(i), at: Double(i)) }
    #expect(sim.run(&model, until: StopCondition(eventBudget: 3)) == .eventBudgetExhausted)
    #expect(sim.run(&model, until: StopCondition(eventBudget: 3)) == .eventBudgetExhausted)
    #expect(model.log.count == 6)
    #expect(sim.eventsProcessed == 6)
    #expect(sim.run(&model, until: StopCondition(eventBudget: 0)) == .eventBudgetExhausted)
    #expect(model.log.count == 6)
  }

  @Test("predicate and stop request")
  func predicateAndStop() {
    var sim = Simulator<Recorder.Event>()
    var model = Recorder()
    for i in 0..<10 { sim.schedule(.tick(i), at: Double(i)) }
    sim.schedule(.stop, at: 7.5)
    let reason = sim.run(&model, until: StopCondition()) { model, now in model.log.count == 3 }
    #expect(reason == .predicateSatisfied)
    #expect(sim.now == 2)
    #expect(sim.run(&model) == .stopRequested)
    #expect(sim.now == 7.5)
    #expect(model.log.last?.event == .stop)
    #expect(sim.run(&model) == .queueEmpty)
    #expect(model.log.count == 11)
  }

  @Test("hold model: same seed gives the same run, another seed another run")
  func holdDeterminism() {
    let a = runHoldBenchmark(population: 500, events: 20_000, seed: 4)
    let b = runHoldBenchmark(population: 500, events: 20_000, seed: 4)
    let c = runHoldBenchmark(population: 500, events: 20_000, seed: 5)
    #expect(a.finalSimulatedTime == b.finalSimulatedTime)
    #expect(a.finalSimulatedTime != c.finalSimulatedTime)
    #expect(a.events == 20_000)
    // Each event advances its own chain by Exp(1); with N chains the clock after E events is close
    // to E / N seconds (renewal theory): 40 s here, with a relative spread of a few percent.
    #expect(abs(a.finalSimulatedTime - 40) / 40 < 0.1)
  }
}
