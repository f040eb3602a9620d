import Foundation
import DriftSimInterference
import DriftSimNumerics
import Testing

@testable import DriftSimFluidValidation

/// A scenario with the paper's κ and the given size, cross gain and γ.
func coupledScenario(pairs: Int, crossGain: Double, gamma: Double) -> Scenario {
  var s = Scenario()
  s.pairs = pairs
  s.crossGain = .all(crossGain)
  s.gamma = gamma
  return s
}

@Suite("coupled fluid ODE against independent references")
struct CoupledFluidTests {
  @Test(
    "K = 1: the Monte Carlo service equals the closed form κ E1(γ/(κ L J'(q))) within 4 standard errors",
    arguments: [(FadingSampling.monteCarlo, 1.0, 20.0), (.antithetic, 1.0, 20.0), (.monteCarlo, 0.05, 50.0), (.antithetic, 0.05, 5.0)])
  func singlePairClosedForm(sampling: FadingSampling, gamma: Double, queue: Double) throws {
    let scenario = coupledScenario(pairs: 1, crossGain: 0, gamma: gamma)
    let model = try CoupledFluidModel(scenario: scenario, samples: 4096, sampling: sampling, seed: 11)
    let estimate = try model.service(atQueues: [queue])
    // Closed form with GSL's E1; J' from the parametric inversion (an independent code path: no
    // fading samples, no Algorithm 3). The slot cap N q is far above the service here.
    let fluid = try FluidValueFunction(arrivalRate: 1, beta: 1, gamma: gamma, directGain: 1, kappa: scenario.kappa)
    let slope = try fluid.slope(atQueue: queue, solver: BrentRootFinder())
    let reference = scenario.kappa * (try expintE1(gamma / (scenario.kappa * 1 * slope)))
    let error = estimate.standardError[0]
    #expect(error > 0 && error < 0.05 * reference)
    #expect(abs(estimate.meanService[0] - reference) <= 4 * error, "MC \(estimate.meanService[0]) ± \(error) vs \(reference)")
  }

  @Test("antithetic sampling has a smaller standard error than plain Monte Carlo at the same M")
  func antitheticHelps() throws {
    let scenario = coupledScenario(pairs: 3, crossGain: 0.1, gamma: 1)
    let plain = try CoupledFluidModel(scenario: scenario, samples: 2048, sampling: .monteCarlo, seed: 3).service(atQueues: [40, 40, 40])
    let anti = try CoupledFluidModel(scenario: scenario, samples: 2048, sampling: .antithetic, seed: 3).service(atQueues: [40, 40, 40])
    for k in 0..<3 { #expect(anti.standardError[k] < plain.standardError[k]) }
  }

  @Test("L = 0: the coupled ODE equals the decoupled one within its Monte Carlo error (drift and trajectory)")
  func zeroCrossGain() throws {
    let scenario = coupledScenario(pairs: 2, crossGain: 0, gamma: 1)
    let model = try CoupledFluidModel(scenario: scenario, samples: 2048, sampling: .monteCarlo, seed: 5)
    let decoupled = FluidDrainModel(
      fluid: try FluidValueFunction(arrivalRate: 1, beta: 1, gamma: 1, directGain: 1, kappa: scenario.kappa))
    var worstError = 0.0
    for q in [2.0, 10, 30] {
      let estimate = try model.service(atQueues: [q, q])
      let reference = try decoupled.service(atQueue: q)
      for k in 0..<2 {
        #expect(abs(estimate.meanService[k] - reference) <= 4 * estimate.standardError[k], "q = \(q), pair \(k)")
        worstError = max(worstError, estimate.standardError[k])
      }
    }
    // A drift error below 4 SE everywhere moves the queue by at most 4 SE · t before it drains.
    let q0 = 30.0
    let drain = try decoupled.drainTime(initialQueue: q0)
    let horizon = (0.8 * drain).rounded(.down)
    let coupled = try model.trajectory(initialQueues: [q0, q0], horizon: horizon)
    let reference = try decoupled.trajectory(initialQueue: q0, horizon: horizon)
    for (i, t) in coupled.times.enumerated() {
      for k in 0..<2 { #expect(abs(coupled.queues[i][k] - reference.queue[i]) <= 4 * worstError * t + 1e-3, "t = \(t)") }
    }
  }

  @Test("fixed samples make the coupled trajectory deterministic; interference slows the drain")
  func determinismAndInterference() throws {
    let scenario = coupledScenario(pairs: 3, crossGain: 0.1, gamma: 1)
    let a = try CoupledFluidModel(scenario: scenario, samples: 128, sampling: .antithetic, seed: 9)
    let b = try CoupledFluidModel(scenario: scenario, samples: 128, sampling: .antithetic, seed: 9)
    let pa = try a.trajectory(initialQueues: [30, 30, 30], horizon: 10)
    let pb = try b.trajectory(initialQueues: [30, 30, 30], horizon: 10)
    #expect(pa.queues == pb.queues)
    let free = try CoupledFluidModel(scenario: coupledScenario(pairs: 3, crossGain: 0, gamma: 1), samples: 128, sampling: .antithetic, seed: 9)
    let pf = try free.trajectory(initialQueues: [30, 30, 30], horizon: 10)
    #expect(pa.meanQueue.last! > pf.meanQueue.last! + 1)
  }

  @Test("the slot cap: at q = 0 the service is 0 and the drift is λ; TDMA serves one pair per slot")
  func capAndTDMA() throws {
    let scenario = coupledScenario(pairs: 2, crossGain: 0.1, gamma: 1)
    let model = try CoupledFluidModel(scenario: scenario, samples: 64, seed: 2)
    #expect(try model.drift(atQueues: [0, 0]) == [1, 1])
    // TDMA with q1 = 0: pair 2 always transmits alone, so its service is single-user water-filling at
    // weight 1, κ E1(γ/κ) in closed form.
    let tdma = try CoupledFluidModel(scenario: scenario, policy: .tdma, samples: 4096, sampling: .monteCarlo, seed: 4)
    let estimate = try tdma.service(atQueues: [0, 50])
    let reference = scenario.kappa * (try expintE1(1 / scenario.kappa))
    #expect(estimate.meanService[0] == 0)
    #expect(abs(estimate.meanService[1] - reference) <= 4 * estimate.standardError[1])
  }

  @Test("bad sizes are reported, not trapped")
  func badInput() throws {
    let scenario = coupledScenario(pairs: 2, crossGain: 0.1, gamma: 1)
    #expect(throws: FluidValidationError.self) { try CoupledFluidModel(scenario: scenario, samples: 1, seed: 1) }
    #expect(throws: FluidValidationError.self) { try CoupledFluidModel(scenario: scenario, samples: 7, sampling: .antithetic, seed: 1) }
    let model = try CoupledFluidModel(scenario: scenario, samples: 8, seed: 1)
    #expect(throws: FluidValidationError.self) { try model.service(atQueues: [1]) }
    #expect(throws: FluidValidationError.self) { try model.service(atQueues: [1, .nan]) }
    #expect(throws: FluidValidationError.self) { try model.trajectory(initialQueues: [-1, 1], horizon: 1) }
  }
}

@Suite("drain study input limits and the decoupling study")
struct DrainAndDecouplingTests {
  @Test("DrainStudy refuses Q(0) outside 1…100000, a horizon beyond the limit and R < 2")
  func drainLimits() throws {
    let scenario = coupledScenario(pairs: 1, crossGain: 0, gamma: 1)
    for q in [0, 100_001, Int.max] {
      #expect(throws: FluidValidationError.self) { try DrainStudy.run(scenario, initialQueue: q, replications: 2, point: 0, jobs: 1) }
    }
    #expect(throws: FluidValidationError.self) {
      try DrainStudy.run(scenario, initialQueue: 5, horizonEpochs: 2_000_000, replications: 2, point: 0, jobs: 1)
    }
    #expect(throws: FluidValidationError.self) { try DrainStudy.run(scenario, initialQueue: 5, replications: 1, point: 0, jobs: 1) }
  }

  @Test("a coupled drain case has both fluids, and the same result with 1 and 2 threads")
  func coupledDrain() throws {
    var scenario = coupledScenario(pairs: 2, crossGain: 0.1, gamma: 1)
    scenario.slotsPerEpoch = 2
    let options = CoupledDrainOptions(samples: 32, sampling: .antithetic, seed: 1, monteCarloCheck: true)
    let one = try DrainStudy.run(scenario, initialQueue: 10, replications: 2, point: 0, jobs: 1, model: .both, coupledOptions: options)
    let two = try DrainStudy.run(scenario, initialQueue: 10, replications: 2, point: 0, jobs: 2, model: .both, coupledOptions: options)
    let coupled = try #require(one.coupled)
    #expect(coupled.fluidQueuePackets.count == one.timesEpochs.count)
    #expect(coupled.monteCarloCheckSupScaled != nil)
    #expect(one.meanQueuePackets == two.meanQueuePackets)
    #expect(coupled.fluidQueuePackets == two.coupled?.fluidQueuePackets)
    // Interference: the coupled fluid drains no earlier than the decoupled one.
    #expect((coupled.drainMarkEpoch ?? .infinity) >= (one.decoupledDrainMarkEpoch ?? 0))
  }

  @Test("decoupling study: zero coupling gap at L = 0, a positive one that grows with L, and a fit per state")
  func decoupling() throws {
    let scenario = coupledScenario(pairs: 2, crossGain: 0, gamma: 1)
    let options = DecouplingStudyOptions(
      crossGains: [0, 0.05, 0.2], queues: [[2, 2], [3, 0]], truncation: 5, checkTruncation: 6, checkCrossGain: 0.2,
      fadingNodes: (2, 1), actionStep: 1, valueIteration: ValueIterationOptions(relativeTolerance: 1e-9))
    let result = try DecouplingStudy.run(scenario, options: options)
    let zero = result.points.filter { $0.crossGain == 0 }
    #expect(zero.count == 2 && zero.allSatisfy { $0.couplingGap == 0 })
    let diagonal = result.points.filter { $0.q1 == 2 && $0.q2 == 2 }.map(\.couplingGap)
    #expect(diagonal.count == 3 && diagonal[1] > 0 && diagonal[2] > diagonal[1])
    #expect(result.fits.contains { $0.q1 == 2 && $0.q2 == 2 && $0.order > 0 })
    #expect(result.truncationCheck.count == 2)
    #expect(throws: FluidValidationError.self) {
      try DecouplingStudy.run(scenario, options: DecouplingStudyOptions(crossGains: [0], truncation: 5, checkTruncation: nil))
    }
  }
}
