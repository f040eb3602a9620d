import DriftSim
import Testing

/// The umbrella module must re-export the library modules a researcher uses together.
@Test func umbrellaReExportsTheLibraries() throws {
  // One symbol per module, reached through `import DriftSim` alone.
  let e1 = try expintE1(1.0)  // E1(1) = 0.21938393439552027…
  #expect(abs(e1 - 0.219_383_934_395_520_27) < 1e-15)
  let queue = EventQueue<Int>()
  #expect(queue.isEmpty)
  let builder = try ScenarioBuilder(preset: "paper")
  #expect(builder.scenario.pairs == 5)
  // Names that two modules both declared would be ambiguous here and fail to compile: the run's
  // per-pair summary and the trace's are distinct types.
  let runPair: PairSummary.Type = PairSummary.self
  let tracePair: TracePairSummary.Type = TracePairSummary.self
  #expect("\(runPair)" != "\(tracePair)")
}
