import Foundation
import DriftSimNumerics
import Testing

@testable import DriftSimInterference

private func built(_ overrides: [String]) throws -> Scenario {
  var builder = ScenarioBuilder()
  for o in overrides { try builder.apply(override: o) }
  return try builder.validated()
}

private func temporaryDirectory(_ name: String) -> String {
  let dir = NSTemporaryDirectory() + "driftsim-policy-tests-\(getpid())-\(name)"
  try? FileManager.default.removeItem(atPath: dir)
  try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
  return dir
}

/// An independent Bellman operator for the slot-level model with deterministic sizes: W by direct
/// Poisson sums of the interpolated h, and the minimum over r by exhaustive search on a dense grid
/// of [0, x] (no water-filling, no bisection, no convexity assumption).
private func bruteForceTheta(_ m: PerFlowSlotModel, searchPoints: Int, sweeps: Int) -> Double {
  let n = m.gridPoints, delta = m.gridStep, xMax = m.maxQueuePackets
  let mu = m.arrivalRate / Double(m.slotsPerEpoch), slots = Double(m.slotsPerEpoch)
  var pmf: [Double] = []
  var term = exp(-mu)
  for k in 0..<60 {
    pmf.append(term)
    term *= mu / Double(k + 1)
  }
  func interpolate(_ v: [Double], _ x: Double) -> Double {
    let p = min(x, xMax) / delta
    let j = min(Int(p), n - 2)
    return v[j] + (p - Double(j)) * (v[j + 1] - v[j])
  }
  let gains = (0..<m.fadingNodes).map { q in m.directGain * -log(1 - (Double(q) + 0.5) / Double(m.fadingNodes)) }
  var h = [Double](repeating: 0, count: n)
  var gain = 0.0
  for _ in 0..<sweeps {
    let w = (0..<n).map { i -> Double in
      let x = Double(i) * delta
      return pmf.enumerated().reduce(0) { $0 + $1.element * interpolate(h, min(x + Double($1.offset), xMax)) }
    }
    var t = [Double](repeating: 0, count: n)
    for i in 0..<n {
      let x = Double(i) * delta
      var expected = 0.0
      for g in gains {
        func objective(_ r: Double) -> Double { m.gamma * (exp(slots * (x - r) / m.kappa) - 1) / g / slots + interpolate(w, r) }
        // Exhaustive search on a grid of [0, x], then again on a grid around the best point.
        var best = Double.infinity, bestR = 0.0
        for s in 0...searchPoints {
          let r = x * Double(s) / Double(searchPoints)
          let v = objective(r)
          if v < best { best = v; bestR = r }
        }
        let width = 2 * x / Double(searchPoints)
        for s in 0...searchPoints {
          let r = min(max(bestR - width / 2 + width * Double(s) / Double(searchPoints), 0), x)
          best = min(best, objective(r))
        }
        expected += best / Double(gains.count)
      }
      t[i] = m.beta * x / (m.arrivalRate * slots) + expected
    }
    gain = t[0]
    h = t.map { $0 - gain }
  }
  return gain * slots
}

@Suite("Policies beyond the paper")
struct PolicyTests {
  @Test("slot-level solver at a tiny grid equals exhaustive search over actions")
  func solverMatchesBruteForce() throws {
    for slots in [1, 2] {
      let model = PerFlowSlotModel(
        arrivalRate: 0.8, beta: 1, gamma: 0.3, directGain: 1, kappa: 2.404491734814939, slotsPerEpoch: slots,
        packetSizes: .deterministic, gridStep: 0.5, maxQueuePackets: 4, fadingNodes: 6)
      let solution = try PerFlowSlotMDP(model).solve(tolerance: 1e-13)
      #expect(solution.converged)
      let reference = bruteForceTheta(model, searchPoints: 1_000, sweeps: 120)
      // Two rounds of 1001-point search miss the minimum by O((x/10⁶)²) only where the objective is
      // smooth; 120 sweeps converge this 9-state chain far below the tolerance.
      #expect(abs(solution.theta - reference) <= 1e-6 * reference, "N = \(slots): \(solution.theta) vs brute force \(reference)")
    }
  }

  @Test("arrival kernel: exponential sizes give mass 1 and mean λδ/N per slot on the grid")
  func kernelMoments() throws {
    let model = PerFlowSlotModel(
      arrivalRate: 1.5, beta: 1, gamma: 0.1, directGain: 1, kappa: 2.4, slotsPerEpoch: 10, packetSizes: .exponential,
      gridStep: 0.125, maxQueuePackets: 40, fadingNodes: 8)
    let mdp = try PerFlowSlotMDP(model)
    let mass = mdp.arrivalKernel.reduce(0, +)
    let mean = mdp.arrivalKernel.enumerated().reduce(0) { $0 + Double($1.offset) * model.gridStep * $1.element }
    // Compound Poisson(0.15) of Exp(1): mass 1, mean 0.15 packets (tents preserve the mean exactly).
    #expect(abs(mass - 1) < 1e-12)
    #expect(abs(mean - 0.15) < 1e-10)
  }

  @Test("the action weight reproduces the minimiser of the Bellman right-hand side (dense search)")
  func actionWeightIsOptimal() throws {
    let model = PerFlowSlotModel(
      arrivalRate: 1, beta: 1, gamma: 0.2, directGain: 1, kappa: 2.404491734814939, slotsPerEpoch: 10,
      packetSizes: .exponential, gridStep: 0.25, maxQueuePackets: 24, fadingNodes: 16)
    let solution = try PerFlowSlotMDP(model).solve(tolerance: 1e-11)
    let decision = try PerFlowDecision(solution)
    for x in [0.3, 1.0, 2.7, 6.1] {
      for g in [0.05, 0.4, 1.3, 4.0] {
        let w = decision.actionWeight(queuePackets: x, directGain: g)
        let p = max(model.kappa * w / model.gamma - 1 / g, 0)
        let served = min(x, model.kappa / 10 * log1p(p * g))
        func objective(_ r: Double) -> Double {
          model.gamma / (10 * g) * expm1(10 * (x - r) / model.kappa) + decision.continuationValue(queuePackets: r)
        }
        let best = (0...20_000).map { objective(x * Double($0) / 20_000) }.min()!
        #expect(objective(x - served) <= best + 1e-9, "x = \(x), g = \(g)")
      }
    }
  }

  @Test("slot refresh: warm-started J'(Q) equals a cold solve to 1e-14 relative")
  func warmStartedSlopes() throws {
    let f = try FluidValueFunction(arrivalRate: 1, beta: 1, gamma: 0.05, directGain: 1, kappa: 2.404491734814939)
    var policy = FluidPolicy(valueFunctions: [f])
    var rng = SystemRandomNumberGenerator()
    var q = 3.0
    for _ in 0..<2_000 {
      q = max(0, q + Double.random(in: -0.6...0.7, using: &rng))
      let warm = try policy.weight(pair: 0, queuePackets: q)
      let cold = try f.slope(atQueue: q, solver: BrentRootFinder())
      #expect(abs(warm - cold) <= 1e-14 * cold, "Q = \(q)")
    }
  }

  @Test("table: piecewise-linear interpolation, held past the last row")
  func tableInterpolation() throws {
    let t = try WeightTable(queuePackets: [0, 1, 4], weights: [1, 3, 0])
    #expect(t.weight(atQueue: 0) == 1)
    #expect(t.weight(atQueue: 0.25) == 1.5)
    #expect(t.weight(atQueue: 2.5) == 1.5)
    #expect(t.weight(atQueue: 9) == 0)
    #expect(!t.isMonotone)
  }

  @Test("table CSV errors name the file and line", arguments: [
    ("queuePackets,weight\n1,1\n", "first row must be at queuePackets = 0"),
    ("queuePackets,weight\n0,1\n0,2\n", "t.csv:3: queuePackets must increase"),
    ("queuePackets,weight\n0,nan\n", "t.csv:2: weight must be a finite number"),
    ("queuePackets,weight\n0,-1\n", "t.csv:2: weight must be a finite number ≥ 0"),
    ("q,w\n0,1\n", "t.csv:1: expected the header"),
    ("queuePackets,weight,pair\n0,1,0\n", "no rows for pair 1"),
    ("queuePackets,weight,pair\n0,1,5\n", "t.csv:2: pair must be an integer from 0 to 1"),
    ("queuePackets,weight\n0,1,2\n", "t.csv:2: expected 2 comma-separated values"),
  ])
  func tableErrors(text: String, expected: String) {
    #expect {
      _ = try WeightTableFile.parse(text, source: "t.csv", pairs: 2)
    } throws: { error in
      "\(error)".contains(expected)
    }
  }

  @Test("a constant table of 1 reproduces csi-only bit for bit", arguments: [WeightUpdate.epoch, .slot])
  func constantTableIsCSIOnly(update: WeightUpdate) throws {
    let dir = temporaryDirectory("table-\(update.rawValue)")
    let path = dir + "/ones.csv"
    try "queuePackets,weight\n0,1\n5,1\n".write(toFile: path, atomically: true, encoding: .utf8)
    let base = ["pairs=3", "arrivalRate=0.9", "crossGain=0.1", "epochs=1500", "warmupEpochs=100", "gamma=0.1", "weightUpdate=\(update.rawValue)"]
    let csi = try NetworkRun.runReplication(try built(base + ["policy=csi-only"]), gamma: 0.1, seed: 11)
    let table = try NetworkRun.runReplication(
      try built(base + ["policy=table", "policyTable=\(path)"]), gamma: 0.1, seed: 11, recorder: nil, progress: nil)
    for k in 0..<3 {
      #expect(csi.pairs[k].powerSum.bitPattern == table.pairs[k].powerSum.bitPattern)
      #expect(csi.pairs[k].bitsServed.bitPattern == table.pairs[k].bitsServed.bitPattern)
      #expect(csi.pairs[k].delay.mean.bitPattern == table.pairs[k].delay.mean.bitPattern)
    }
    #expect(csi.iterations == table.iterations)
    try? FileManager.default.removeItem(atPath: dir)
  }

  @Test("deterministic packet sizes: every arrival carries exactly S̄ bits")
  func deterministicSizes() throws {
    let s = try built(["pairs=2", "arrivalRate=1", "epochs=200", "warmupEpochs=10", "packetSizes=deterministic", "policy=csi-only", "gamma=0.1"])
    let recorder = CollectingRecorder()
    _ = try NetworkRun.runReplication(s, gamma: 0.1, seed: 3, recorder: recorder)
    #expect(!recorder.arrivals.isEmpty)
    #expect(recorder.arrivals.allSatisfy { $0.bits == s.meanPacketBits })
  }

  @Test("slot refresh: weights recorded at epoch starts equal J'(Q) + β/(2λ) of the queue (fluid-corrected)")
  func fluidCorrectedWeights() throws {
    let s = try built(["pairs=2", "arrivalRate=1", "epochs=300", "warmupEpochs=10", "policy=fluid-corrected", "gamma=0.05", "traceLevel=epochs"])
    let recorder = CollectingRecorder()
    _ = try NetworkRun.runReplication(s, gamma: 0.05, seed: 5, recorder: recorder, progress: nil)
    let f = try FluidValueFunction(arrivalRate: 1, beta: 1, gamma: 0.05, directGain: 1, kappa: s.kappa)
    for e in recorder.epochs.prefix(200) {
      let expected = try f.slope(atQueue: e.queueBits / s.meanPacketBits, solver: BrentRootFinder()) + 0.5
      #expect(abs(e.weight - expected) <= 1e-13 * expected)
    }
  }

  @Test("the disk cache round-trips exactly, and a corrupt file is recomputed")
  func cache() throws {
    let dir = temporaryDirectory("cache")
    let model = PerFlowSlotModel(
      arrivalRate: 1, beta: 1, gamma: 0.5, directGain: 1, kappa: 2.4, slotsPerEpoch: 2, packetSizes: .exponential,
      gridStep: 0.5, maxQueuePackets: 8, fadingNodes: 8)
    let solved = try PerFlowSlotMDP(model).solve()
    PerFlowSolutionCache.store(solved, directory: dir)
    let loaded = try #require(PerFlowSolutionCache.load(model, directory: dir))
    #expect(loaded == solved)
    try "{not json".write(toFile: PerFlowSolutionCache.path(for: model, directory: dir), atomically: true, encoding: .utf8)
    #expect(PerFlowSolutionCache.load(model, directory: dir) == nil)
    var other = model
    other.gamma = 0.25
    // A file for another model under this model's name is not trusted.
    PerFlowSolutionCache.store(try PerFlowSlotMDP(other).solve(), directory: dir)
    try FileManager.default.moveItem(
      atPath: PerFlowSolutionCache.path(for: other, directory: dir), toPath: PerFlowSolutionCache.path(for: model, directory: dir) + ".x")
    try? FileManager.default.removeItem(atPath: PerFlowSolutionCache.path(for: model, directory: dir))
    try FileManager.default.moveItem(
      atPath: PerFlowSolutionCache.path(for: model, directory: dir) + ".x", toPath: PerFlowSolutionCache.path(for: model, directory: dir))
    #expect(PerFlowSolutionCache.load(model, directory: dir) == nil)
    try? FileManager.default.removeItem(atPath: dir)
  }

  @Test("scenario keys of the new policies are validated")
  func keys() throws {
    #expect(throws: ScenarioError.self) { try built(["weightUpdate=sometimes"]) }
    #expect(throws: ScenarioError.self) { try built(["viGridStep=0.3"]) }
    #expect(throws: ScenarioError.self) { try built(["policy=table"]) }
    #expect(try built(["viGridStep=0.125"]).viGridStep == 0.125)
  }
}
