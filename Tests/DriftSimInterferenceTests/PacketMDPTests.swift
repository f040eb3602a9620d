import DriftSimNumerics
import Foundation
import Testing

@testable import DriftSimInterference

private func built(_ overrides: [String]) throws -> Scenario {
  var builder = ScenarioBuilder()
  for o in overrides { try builder.apply(override: o) }
  return try builder.validated()
}

/// Independent Poisson probabilities (log-space products, no GSL).
private func poisson(_ k: Int, _ mu: Double) -> Double {
  if mu == 0 { return k == 0 ? 1 : 0 }
  return exp(Double(k) * log(mu) - mu - lgamma(Double(k) + 1))
}

/// A tiny packet-count model: N = 2 slots per epoch, 5 queue states, 17 capacities.
private func tinyModel(gamma: Double = 0.2, lambda: Double = 0.8) -> PerFlowPacketModel {
  PerFlowPacketModel(
    arrivalRate: lambda, beta: 1, gamma: gamma, directGain: 1.3, kappa: 2.4, slotsPerEpoch: 2, maxQueuePackets: 4,
    capacityStep: 0.25, maxCapacityPackets: 4)
}

/// An independent Bellman operator: Φ by adaptive quadrature of the Gamma density, transitions by
/// direct Poisson sums, and the fading expectation by the midpoint rule in the Exp(1) quantile on
/// `nodes` nodes with an exhaustive minimum over the capacity grid (no envelope, no E1).
private func bruteForceBellman(_ m: PerFlowPacketModel, h: [Double], nodes: Int) throws -> [Double] {
  let nmax = m.maxQueuePackets, n1 = Double(m.slotsPerEpoch), a = n1 / m.kappa
  let capacities = (0..<m.capacityPoints).map { Double($0) * m.capacityStep }
  let perSlot = m.arrivalRate / n1
  func w(_ j: Int) -> Double {
    var sum = 0.0, mass = 0.0
    for arrivals in 0..<200 {
      let p = poisson(arrivals, perSlot)
      sum += p * h[min(j + arrivals, nmax)]
      mass += p
    }
    return sum + (1 - mass) * h[nmax]
  }
  let cont = (0...nmax).map(w)
  var out = [Double](repeating: 0, count: nmax + 1)
  out[0] = m.beta / (2 * n1 * n1) + cont[0]
  for n in 1...nmax {
    var phi: [Double] = [], psi: [Double] = []
    for mu in capacities {
      // E[e^{a min(μ, B)}] − 1 with B ~ Gamma(n, 1), by quadrature of the density.
      let shape = Double(n)
      let density = { (b: Double) in exp((shape - 1) * log(max(b, 1e-300)) - b - lgamma(shape)) }
      var expectation = 0.0
      if mu > 0 {
        expectation = try integrate(from: 0, to: mu, absoluteTolerance: 1e-14, relativeTolerance: 1e-12) { exp(a * $0) * density($0) }.value
        let beyond = try integrate(from: mu, to: mu + 80, absoluteTolerance: 1e-16, relativeTolerance: 1e-12) { density($0) }.value
        expectation += exp(a * mu) * beyond
      } else {
        expectation = 1
      }
      phi.append(expectation - 1)
      var s = 0.0, served = 0.0
      for k in 0..<n {
        let p = poisson(k, mu)
        s += p * cont[n - k]
        served += p
      }
      s += (1 - served) * cont[0]
      psi.append(s)
    }
    var expected = 0.0
    for q in 0..<nodes {
      let g = m.directGain * -log1p(-(Double(q) + 0.5) / Double(nodes))
      let x = m.gamma / (n1 * g)
      var best = Double.infinity
      for i in 0..<capacities.count { best = min(best, x * phi[i] + psi[i]) }
      expected += best
    }
    out[n] = m.beta * Double(n) / (m.arrivalRate * n1) + m.beta / (2 * n1 * n1) + expected / Double(nodes)
  }
  return out
}

@Suite("vi-delay: the packet-count per-flow MDP")
struct PacketMDPTests {
  @Test("power cost Φ(n, μ) = E[e^{a min(μ, B)}] − 1 equals quadrature of the Gamma density", arguments: [0.6, 1.0, 1.7, 4.16])
  func powerCostMatchesQuadrature(exponent a: Double) throws {
    for n in [1, 2, 5, 13, 40] {
      for mu in [0.01, 0.3, 1.0, 2.5, 7.0, 12.0] {
        let shape = Double(n)
        let density = { (b: Double) in exp((shape - 1) * log(max(b, 1e-300)) - b - lgamma(shape)) }
        let inside = try integrate(from: 0, to: mu, absoluteTolerance: 0, relativeTolerance: 1e-13) { exp(a * $0) * density($0) }.value
        let beyond = try integrate(from: mu, to: mu + 200, absoluteTolerance: 0, relativeTolerance: 1e-13) { density($0) }.value
        let reference = inside + exp(a * mu) * beyond - 1
        let value = try PerFlowPacketMDP.powerCost(packets: n, capacity: mu, exponent: a)
        #expect(abs(value - reference) <= 1e-10 * max(1, abs(reference)), "n = \(n), μ = \(mu), a = \(a): \(value) vs \(reference)")
      }
    }
  }

  @Test("one Bellman step equals a brute-force evaluation (dense fading nodes, exhaustive minimum)")
  func bellmanMatchesBruteForce() throws {
    let model = tinyModel()
    let mdp = try PerFlowPacketMDP(model)
    let h = [0, 0.7, 1.9, 3.2, 4.4]
    let fast = try mdp.bellman(h)
    // The midpoint rule's error in the quantile is O(1/nodes²) away from the 1/g singularity, which
    // the minimum removes (small g serves nothing): 40 000 nodes give ~1e-7.
    let slow = try bruteForceBellman(model, h: h, nodes: 40_000)
    for n in 0..<h.count {
      #expect(abs(fast[n] - slow[n]) <= 2e-6 * max(1, abs(slow[n])), "n = \(n): \(fast[n]) vs \(slow[n])")
    }
  }

  @Test("θ of the solver equals relative value iteration on the brute-force operator")
  func thetaMatchesBruteForce() throws {
    let model = tinyModel(gamma: 0.5, lambda: 1.2)
    let solved = try PerFlowPacketMDP(model).solve(tolerance: 1e-12)
    #expect(solved.converged)
    var h = [Double](repeating: 0, count: model.maxQueuePackets + 1)
    var gain = 0.0
    for _ in 0..<120 {
      let t = try bruteForceBellman(model, h: h, nodes: 4000)
      gain = t[0] - h[0]
      h = t.map { $0 - t[0] }
    }
    let theta = gain * Double(model.slotsPerEpoch)
    #expect(abs(solved.theta - theta) <= 1e-5 * theta, "\(solved.theta) vs brute force \(theta)")
  }

  @Test("the decision is the exhaustive argmin of the Bellman bracket at any gain")
  func decisionIsArgmin() throws {
    let model = tinyModel()
    let mdp = try PerFlowPacketMDP(model)
    let solution = try mdp.solve(tolerance: 1e-12)
    let decision = try PerFlowPacketDecision(solution)
    let w = solution.continuation
    var rng = SystemRandomNumberGenerator()
    for _ in 0..<400 {
      let n = Int.random(in: 1...model.maxQueuePackets, using: &rng)
      let g = model.directGain * -log(Double.random(in: 1e-9..<1, using: &rng))
      let x = model.gamma / (Double(model.slotsPerEpoch) * g)
      var best = (value: Double.infinity, index: 0)
      for i in 0..<model.capacityPoints {
        let mu = Double(i) * model.capacityStep
        let phi = try PerFlowPacketMDP.powerCost(packets: n, capacity: mu, exponent: mdp.exponent)
        var psi = 0.0, served = 0.0
        for k in 0..<n {
          psi += poisson(k, mu) * w[n - k]
          served += poisson(k, mu)
        }
        psi += (1 - served) * w[0]
        let value = x * phi + psi
        if value < best.value - 1e-12 * abs(value) { best = (value, i) }
      }
      let chosen = decision.capacity(packets: n, directGain: g)
      let chosenPhi = try PerFlowPacketMDP.powerCost(packets: n, capacity: chosen, exponent: mdp.exponent)
      var chosenPsi = 0.0, chosenServed = 0.0
      for k in 0..<n {
        chosenPsi += poisson(k, chosen) * w[n - k]
        chosenServed += poisson(k, chosen)
      }
      chosenPsi += (1 - chosenServed) * w[0]
      // Ties between neighbouring capacities are allowed; the value must be the minimum.
      #expect(abs(x * chosenPhi + chosenPsi - best.value) <= 1e-10 * max(1, abs(best.value)), "n = \(n), g = \(g)")
      // Water-filling at the action weight gives the decision's power exactly.
      let weight = decision.actionWeight(packets: n, directGain: g)
      let power = max(weight * model.kappa / model.gamma - 1 / g, 0)
      #expect(abs(power - expm1(mdp.exponent * chosen) / g) <= 1e-9 * max(1, power))
    }
    #expect(decision.capacity(packets: 0, directGain: 1) == 0)
  }

  @Test("the optimum beats every constant-water-level policy of the same MDP (csi-only's class)")
  func optimumBeatsConstantLevel() throws {
    // Policy evaluation of "capacity = capacity of water level c at gain g" by the brute-force
    // operator with the argmin replaced by that action: θ(c) ≥ θ* for every level.
    let model = tinyModel(gamma: 0.3, lambda: 1)
    let theta = try PerFlowPacketMDP(model).solve(tolerance: 1e-12).theta
    #expect(theta > 0)
    let a = Double(model.slotsPerEpoch) / model.kappa
    let nmax = model.maxQueuePackets, n1 = Double(model.slotsPerEpoch), nodes = 4000
    let capacities = (0..<model.capacityPoints).map { Double($0) * model.capacityStep }
    // Φ and the completion probabilities on the capacity grid, computed once.
    var phi = [[Double]](repeating: [], count: nmax + 1)
    for n in 1...nmax { phi[n] = try capacities.map { try PerFlowPacketMDP.powerCost(packets: n, capacity: $0, exponent: a) } }
    let gains = (0..<nodes).map { model.directGain * -log1p(-(Double($0) + 0.5) / Double(nodes)) }
    for level in [0.5, 1.0, 2.0, 4.0] {
      // The fixed policy "water level c, capacity snapped down to the grid" (the optimum is over the
      // grid too), evaluated by relative value iteration with the brute-force ingredients.
      let chosen = gains.map { g -> Int in
        let exact = log1p(max(level - 1 / g, 0) * g) / a
        return min(Int((exact / model.capacityStep).rounded(.down)), capacities.count - 1)
      }
      var h = [Double](repeating: 0, count: nmax + 1)
      var gain = 0.0
      for _ in 0..<300 {
        var t = [Double](repeating: 0, count: nmax + 1)
        func w(_ j: Int) -> Double {
          var s = 0.0, mass = 0.0
          for k in 0..<60 {
            let p = poisson(k, model.arrivalRate / n1)
            s += p * h[min(j + k, nmax)]
            mass += p
          }
          return s + (1 - mass) * h[nmax]
        }
        let cont = (0...nmax).map(w)
        var psi = [[Double]](repeating: [Double](repeating: 0, count: capacities.count), count: nmax + 1)
        for n in 1...nmax {
          for (i, mu) in capacities.enumerated() {
            var value = 0.0, served = 0.0
            for k in 0..<n {
              value += poisson(k, mu) * cont[n - k]
              served += poisson(k, mu)
            }
            psi[n][i] = value + (1 - served) * cont[0]
          }
        }
        t[0] = model.beta / (2 * n1 * n1) + cont[0]
        for n in 1...nmax {
          var expected = 0.0
          for q in 0..<nodes { expected += model.gamma / (n1 * gains[q]) * phi[n][chosen[q]] + psi[n][chosen[q]] }
          t[n] = model.beta * Double(n) / (model.arrivalRate * n1) + model.beta / (2 * n1 * n1) + expected / Double(nodes)
        }
        gain = t[0] - h[0]
        h = t.map { $0 - t[0] }
      }
      #expect(gain * n1 >= theta * (1 - 1e-5), "level \(level): θ = \(gain * n1) below the optimum \(theta)")
    }
  }

  @Test("a prohibitive power price never serves: θ = β n_max/λ + β/(2N) exactly, never NaN", arguments: [1e6, 1e20, 1e300])
  func prohibitivePrice(gamma: Double) throws {
    // No slot is worth any power, so the queue fills to n_max and stays (arrivals dropped): per
    // epoch β n_max/λ of holding plus the half slot every arrival is charged, β/(2N).
    let model = tinyModel(gamma: gamma)
    let solved = try PerFlowPacketMDP(model).solve(tolerance: 1e-12)
    #expect(solved.converged)
    let expected = model.beta * Double(model.maxQueuePackets) / model.arrivalRate + model.beta / (2 * Double(model.slotsPerEpoch))
    #expect(abs(solved.theta - expected) <= 1e-9 * expected, "θ = \(solved.theta), expected \(expected)")
    #expect(solved.relativeValue.allSatisfy { $0.isFinite })
  }

  @Test("the disk cache round-trips a packet solution exactly")
  func cacheRoundTrip() throws {
    let dir = NSTemporaryDirectory() + "driftsim-packet-cache-\(getpid())"
    try? FileManager.default.removeItem(atPath: dir)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let model = tinyModel(gamma: 0.37)
    let first = try PerFlowSolutionCache.solution(for: model, directory: dir)
    #expect(first.source == .solved || first.source == .memory)
    #expect(FileManager.default.fileExists(atPath: PerFlowSolutionCache.path(for: model, directory: dir)))
    let data = try #require(FileManager.default.contents(atPath: PerFlowSolutionCache.path(for: model, directory: dir)))
    let decoded = try JSONDecoder().decode(PerFlowPacketSolution.self, from: data)
    #expect(decoded.model == model)
    #expect(decoded.theta == first.solution.theta)
    #expect(decoded.continuation == first.solution.continuation)
  }

  @Test("scenario keys of vi-delay are validated")
  func scenarioValidation() throws {
    #expect(throws: ScenarioError.self) { try built(["policy=vi-delay", "packetSizes=deterministic"]) }
    #expect(throws: ScenarioError.self) { try built(["policy=vi-delay", "viMaxQueuePackets=10.5"]) }
    #expect(throws: ScenarioError.self) { try built(["policy=vi-delay", "viCapacityStep=0.3", "viMaxCapacityPackets=1"]) }
    #expect(throws: ScenarioError.self) { try built(["viCapacityStep=0"]) }
    #expect(throws: ScenarioError.self) { try built(["calibrationReplications=0"]) }
    let ok = try built(["policy=vi-delay", "viMaxQueuePackets=30", "viCapacityStep=0.0625", "viMaxCapacityPackets=8"])
    #expect(ok.policy == .viDelay)
  }

  @Test("vi-delay at K = 1: the simulated cost β L/λ + γ p̄ is the solver's θ (short run, loose CI)")
  func simulatedCostIsTheta() throws {
    let dir = NSTemporaryDirectory() + "driftsim-packet-sim-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let scenario = try built([
      "pairs=1", "crossGain=0", "arrivalRate=1", "gamma=0.05", "policy=vi-delay", "epochs=6000", "warmupEpochs=300",
      "viCapacityStep=0.03125", "viMaxQueuePackets=24", "policyCacheDirectory=\(dir)",
    ])
    let model = PolicyRuns.perFlowPacketModel(scenario, gamma: 0.05, pair: 0)
    let theta = try PerFlowSolutionCache.solution(for: model, directory: dir).solution.theta
    var costs: [Double] = []
    for r in 0..<4 {
      let result = try NetworkRun.runReplication(scenario, gamma: 0.05, seed: replicationSeed(base: 9, point: 0, replication: r))
      let present = result.pairs[0].packetsPresent.average(upTo: result.finalTime)
      let power = result.pairs[0].powerSum / Double(result.measuredSlots)
      costs.append(present / 1 + 0.05 * power)
    }
    let mean = costs.reduce(0, +) / 4
    let sd = sqrt(costs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3)
    // Student t(3) 99.9 % quantile 12.92: a wrong model (e.g. bits instead of packets, or the cap
    // charged as uncapped power) is off by 10-30 %, far outside.
    #expect(abs(mean - theta) <= 12.92 * sd / 2 + 1e-3, "simulated \(mean) ± \(sd) vs θ \(theta)")
  }
}
