import Dispatch
import Foundation
import DriftSimNumerics
import DriftSimStats

/// One pair's results in the JSON shape of `driftsim run` (units in the key names).
public struct PairSummary: Codable, Sendable {
  /// Pair index k.
  public var pair: Int
  /// Mean delay (ms) of packets that left during the measurement window.
  public var meanDelayMs: Double
  /// 95 % confidence interval of the mean delay (ms): replications if ≥ 2, else batch means; null
  /// when there is too little data.
  public var meanDelayCI95: [Double]?
  /// Time-average transmit power (noise units; idle slots count as 0).
  public var avgPower: Double
  /// 10·log10(avgPower).
  public var avgSNRdB: Double
  /// Bits served per second.
  public var throughputBitsPerSecond: Double
  /// Time-average number of packets present (arrival to departure), so L = λW holds.
  public var meanQueuePackets: Double
  /// Packets that departed in the window (over all replications).
  public var packets: Int
  /// Packets that arrived in the window.
  public var arrivals: Int
  /// Little's law: meanQueuePackets / (measured arrival rate), in ms, next to meanDelayMs.
  public var littleDelayMs: Double
}

/// The result of `driftsim run` (JSON keys are stable; see README).
public struct RunSummary: Codable, Sendable {
  /// Policy name.
  public var policy: String
  /// γ used (calibrated if targetSNRdB was set).
  public var gamma: Double
  /// Per pair.
  public var pairs: [PairSummary]
  /// Mean delay over all packets (ms).
  public var meanDelayMs: Double
  /// Its 95 % confidence interval (ms).
  public var meanDelayCI95: [Double]?
  /// 10·log10 of the time-average power over all pairs and slots.
  public var avgSNRdB: Double
  /// 95 % confidence interval of avgSNRdB.
  public var avgSNRdBCI95: [Double]?
  /// Time-average power over all pairs and slots (noise units).
  public var avgPower: Double
  /// Little's law over all pairs: Σ L_k / Σ λ_k in ms, next to meanDelayMs.
  public var littleDelayMs: Double
  /// Simulated epochs (all replications, warm-up included) per wall-clock second.
  public var epochsPerSecond: Double
  /// Wall-clock seconds of the simulation (calibration excluded).
  public var wallSeconds: Double
  /// Replications run.
  public var replications: Int
  /// Epochs per replication and warm-up epochs.
  public var epochs: Int
  /// Warm-up epochs excluded.
  public var warmupEpochs: Int
  /// Base seed.
  public var seed: UInt64
  /// Mean power iterations per slot (weight-based policies; 1 when interference-free).
  public var meanIterationsPerSlot: Double
  /// Fraction of slots whose iteration hit maxIterations.
  public var nonConvergedSlotFraction: Double
  /// The γ calibration, when targetSNRdB was set.
  public var calibration: CalibrationResult?
  /// Things the user should know (possible instability, poor convergence).
  public var warnings: [String]
}

/// The outcome of calibrating γ to a target SNR.
public struct CalibrationResult: Codable, Sendable {
  /// Target average transmit SNR (dB).
  public var targetSNRdB: Double
  /// The γ found.
  public var gamma: Double
  /// The SNR of the last pilot run at that γ (dB).
  public var pilotSNRdB: Double
  /// Pilot runs used.
  public var pilotRuns: Int
  /// Epochs per pilot run.
  public var pilotEpochs: Int
}

/// Runs scenarios: stability checks, γ calibration, replications in parallel, aggregation.
public enum NetworkRun {
  /// Upper bound of the packets per epoch pair k can be served under CSI-only water-filling at γ
  /// (no interference): κ E1(γ/(κ L_kk)).
  public static func csiOnlyCapacity(kappa: Double, gamma: Double, directGain: Double) throws -> Double {
    kappa * (try expintE1(gamma / (kappa * directGain)))
  }

  /// Upper bound of the total packets per epoch TDMA can serve at γ: κ E[(ln(M κ/γ))⁺] where M is
  /// the largest of the K direct gains L_kk |H_kk|², computed by quadrature:
  /// κ ∫_{γ/κ}^∞ (1 − Π_k (1 − e^(−m/L_kk))) / m dm.
  public static func tdmaCapacity(kappa: Double, gamma: Double, directGains: [Double]) throws -> Double {
    let start = gamma / kappa
    let value = try integrate(from: start, to: .infinity, relativeTolerance: 1e-10) { m in
      var allBelow = 1.0
      for l in directGains { allBelow *= -expm1(-m / l) }
      return (1 - allBelow) / m
    }.value
    return kappa * value
  }

  /// Refuses loads that the policy cannot serve at γ even without interference (csi-only, tdma);
  /// fluid and QWTO raise their water level with the queue, so no fixed bound applies to them and a
  /// runaway queue is caught during the run by `maxQueuePackets`.
  public static func checkStability(_ scenario: Scenario, gamma: Double) throws {
    let p = NetworkParameters(scenario, gamma: gamma)
    switch scenario.policy {
    case .csiOnly:
      for k in 0..<p.pairs {
        let bound = try csiOnlyCapacity(kappa: p.kappa, gamma: gamma, directGain: p.directGain[k])
        if p.arrivalRatePerEpoch[k] >= bound {
          throw ScenarioError(
            "unstable: pair \(k) has arrivalRate \(p.arrivalRatePerEpoch[k]) packets/epoch, but csi-only at γ = \(gamma) "
              + "serves at most \(String(format: "%.4g", bound)) packets/epoch even without interference (κ E1(γ/(κL)))")
        }
      }
    case .tdma:
      let bound = try tdmaCapacity(kappa: p.kappa, gamma: gamma, directGains: p.directGain)
      let total = p.arrivalRatePerEpoch.reduce(0, +)
      if total >= bound {
        throw ScenarioError(
          "unstable: the total arrival rate \(total) packets/epoch exceeds what tdma serves at γ = \(gamma), "
            + "\(String(format: "%.4g", bound)) packets/epoch (one pair per slot, best direct channel)")
      }
    case .fluid, .qwto, .fluidCorrected, .vi, .table:
      break
    }
  }

  /// Runs one replication with the scenario's policy.
  public static func runReplication(
    _ scenario: Scenario, gamma: Double, seed: UInt64, recorder: (any NetworkRecorder)? = nil,
    progress: ProgressCounter? = nil
  ) throws -> ReplicationResult {
    let parameters = NetworkParameters(scenario, gamma: gamma)
    switch scenario.policy {
    case .fluid:
      let functions = try (0..<parameters.pairs).map { k in
        try FluidValueFunction(
          arrivalRate: max(parameters.arrivalRatePerEpoch[k], 1e-12), beta: scenario.beta, gamma: gamma,
          directGain: parameters.directGain[k], kappa: parameters.kappa)
      }
      var simulation = NetworkSimulation(
        scenario: scenario, parameters: parameters, policy: FluidPolicy(valueFunctions: functions), seed: seed,
        recorder: recorder, progress: progress)
      return try simulation.run()
    case .csiOnly:
      var simulation = NetworkSimulation(
        scenario: scenario, parameters: parameters, policy: CSIOnlyPolicy(), seed: seed, recorder: recorder, progress: progress)
      return try simulation.run()
    case .qwto:
      var simulation = NetworkSimulation(
        scenario: scenario, parameters: parameters, policy: QWTOPolicy(), seed: seed, recorder: recorder, progress: progress)
      return try simulation.run()
    case .tdma:
      var simulation = NetworkSimulation(
        scenario: scenario, parameters: parameters, policy: TDMAPolicy(), seed: seed, recorder: recorder, progress: progress)
      return try simulation.run()
    case .fluidCorrected, .vi, .table:
      return try PolicyRuns.runReplication(scenario, gamma: gamma, seed: seed, recorder: recorder, progress: progress)
    }
  }

  /// Runs `scenario.replications` replications on up to `jobs` threads. Replication r uses
  /// `replicationSeed(base: seed, point: point, replication: r)`, so the results do not depend on
  /// `jobs`. The recorder (if any) receives replication 0 only.
  /// - Returns: the replications in order and the wall-clock seconds.
  public static func runReplications(
    _ scenario: Scenario, gamma: Double, point: Int = 0, jobs: Int, recorder: (any NetworkRecorder)? = nil,
    progress: ProgressCounter? = nil
  ) throws -> (results: [ReplicationResult], wallSeconds: Double) {
    let count = scenario.replications
    let box = ResultBox(count: count)
    let recorderBox = UncheckedBox(recorder)
    let start = DispatchTime.now()
    let workers = max(1, min(jobs, count))
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      var r = worker
      while r < count {
        let seed = replicationSeed(base: scenario.seed, point: point, replication: r)
        do {
          box.set(r, .success(try runReplication(scenario, gamma: gamma, seed: seed, recorder: r == 0 ? recorderBox.value : nil, progress: progress)))
        } catch {
          box.set(r, .failure(error))
        }
        r += workers
      }
    }
    let wall = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) * 1e-9
    var results: [ReplicationResult] = []
    for r in 0..<count {
      switch box.get(r) {
      case let .success(result)?: results.append(result)
      case let .failure(error)?: throw error
      case nil: throw SimulationError(description: "replication \(r) produced no result")
      }
    }
    return (results, wall)
  }

  /// Finds γ such that the average transmit SNR hits `scenario.targetSNRdB` within
  /// `calibrationToleranceDB`: pilot runs of `pilotEpochs` epochs (capped at `epochs`) with common
  /// random numbers (replication 0's seed at sweep point `point`), bracketing in log γ by factors of 4
  /// from `scenario.gamma`, then Brent on log γ. With the default `pilotEpochs` the pilot is
  /// replication 0 itself; other replications scatter around the target within their sampling error.
  /// The achieved SNR of the full run is reported separately with its CI.
  public static func calibrateGamma(_ scenario: Scenario, point: Int = 0) throws -> CalibrationResult {
    guard let target = scenario.targetSNRdB else {
      throw ScenarioError("calibration needs targetSNRdB")
    }
    var pilot = scenario
    pilot.replications = 1
    pilot.epochs = min(scenario.epochs, scenario.pilotEpochs)
    // A full-length pilot is replication 0 of the run itself (same seed, length and warm-up), so that
    // replication reproduces the calibrated SNR exactly; shorter pilots keep a fifth for warm-up.
    pilot.warmupEpochs = pilot.epochs == scenario.epochs ? scenario.warmupEpochs : min(scenario.warmupEpochs, pilot.epochs / 5)
    let seed = replicationSeed(base: scenario.seed, point: point, replication: 0)
    var runs = 0
    var lastSNR = Double.nan
    var accepted: (gamma: Double, snr: Double)? = nil
    func excess(_ logGamma: Double) throws -> Double {
      runs += 1
      let gamma = exp(logGamma)
      let snr: Double
      do {
        let result = try runReplication(pilot, gamma: gamma, seed: seed)
        let power = result.pairs.map(\.powerSum).reduce(0, +) / Double(max(result.measuredSlots, 1) * result.pairs.count)
        snr = 10 * log10(power)
      } catch is SimulationError {
        snr = -1000  // the pilot's queue ran away: γ is far too high (power far too low)
      }
      lastSNR = snr
      let difference = snr - target
      if abs(difference) <= scenario.calibrationToleranceDB {
        accepted = (gamma, snr)
        return 0
      }
      return difference
    }
    var low = log(scenario.gamma), high = low
    let first = try excess(low)
    if let accepted { return CalibrationResult(targetSNRdB: target, gamma: accepted.gamma, pilotSNRdB: accepted.snr, pilotRuns: runs, pilotEpochs: pilot.epochs) }
    // SNR decreases as γ grows: move in the direction that changes the sign.
    let step = log(4.0)
    var value = first
    for _ in 0..<40 {
      if first > 0 { low = high; high += step } else { high = low; low -= step }
      value = try excess(first > 0 ? high : low)
      if accepted != nil || (value < 0) == (first > 0) { break }
    }
    if let accepted { return CalibrationResult(targetSNRdB: target, gamma: accepted.gamma, pilotSNRdB: accepted.snr, pilotRuns: runs, pilotEpochs: pilot.epochs) }
    guard (value < 0) == (first > 0) else {
      throw ScenarioError("cannot reach targetSNRdB = \(target): the SNR stays at \(lastSNR) dB over γ from \(exp(low)) to \(exp(high))")
    }
    var failure: (any Error)? = nil
    let solver = BrentRootFinder()
    let root = try solver.findRoot(in: low...high, tolerance: RootTolerance(absolute: 1e-4, relative: 0), maxIterations: 60) { logGamma in
      do { return try excess(logGamma) } catch {
        failure = error
        return .nan
      }
    }
    if let failure { throw failure }
    let gamma = accepted?.gamma ?? exp(root)
    return CalibrationResult(targetSNRdB: target, gamma: gamma, pilotSNRdB: accepted?.snr ?? lastSNR, pilotRuns: runs, pilotEpochs: pilot.epochs)
  }

  /// Aggregates replications into the `driftsim run` summary.
  public static func summarize(
    _ scenario: Scenario, gamma: Double, results: [ReplicationResult], wallSeconds: Double,
    calibration: CalibrationResult?
  ) -> RunSummary {
    let k = scenario.pairs
    let r = results.count
    var pairs: [PairSummary] = []
    var warnings: [String] = []
    var totalPresent = 0.0, totalArrivalRate = 0.0
    for pair in 0..<k {
      let stats = results.map { $0.pairs[pair] }
      let seconds = results.map(\.measuredSeconds).reduce(0, +)
      let slots = results.map(\.measuredSlots).reduce(0, +)
      let departures = stats.map(\.delay.count).reduce(0, +)
      let arrivals = stats.map(\.arrivals).reduce(0, +)
      let delayMeans = stats.map(\.delay.mean)
      let meanDelay: Double
      let interval: ConfidenceInterval?
      if r >= 2 {
        meanDelay = delayMeans.reduce(0, +) / Double(r)
        interval = ConfidenceInterval(samples: delayMeans)
      } else {
        meanDelay = stats[0].delay.mean
        interval = stats[0].delay.interval()
      }
      let present = zip(stats, results).map { $0.packetsPresent.average(upTo: $1.finalTime) }.reduce(0, +) / Double(r)
      let power = stats.map(\.powerSum).reduce(0, +) / Double(max(slots, 1))
      let arrivalRate = Double(arrivals) / max(seconds, 1e-300)
      totalPresent += present
      totalArrivalRate += arrivalRate
      pairs.append(
        PairSummary(
          pair: pair, meanDelayMs: meanDelay * 1e3, meanDelayCI95: interval.map { [$0.lower * 1e3, $0.upper * 1e3] },
          avgPower: power, avgSNRdB: 10 * log10(power),
          throughputBitsPerSecond: stats.map(\.bitsServed).reduce(0, +) / max(seconds, 1e-300),
          meanQueuePackets: present, packets: departures, arrivals: arrivals,
          littleDelayMs: arrivalRate > 0 ? present / arrivalRate * 1e3 : .nan))
    }
    let pooledMeans = results.map(\.pooledDelay.mean)
    let meanDelay = r >= 2 ? pooledMeans.reduce(0, +) / Double(r) : results[0].pooledDelay.mean
    let delayInterval = r >= 2 ? ConfidenceInterval(samples: pooledMeans) : results[0].pooledDelay.interval()
    let avgPower = pairs.map(\.avgPower).reduce(0, +) / Double(k)
    let powerInterval = r >= 2 ? ConfidenceInterval(samples: results.map(\.epochPower.mean)) : results[0].epochPower.interval()
    let iterations = results.map(\.iterations).reduce(0, +)
    let iterated = results.map(\.iteratedSlots).reduce(0, +)
    let nonConverged = results.map(\.nonConvergedSlots).reduce(0, +)
    let nonConvergedFraction = iterated > 0 ? Double(nonConverged) / Double(iterated) : 0
    if nonConvergedFraction > 0.01 {
      warnings.append(
        "the power iteration hit maxIterations = \(scenario.maxIterations) in \(String(format: "%.2f", 100 * nonConvergedFraction)) % of slots")
    }
    for (index, result) in results.enumerated() {
      let q = result.quarterQueueMeans
      // Linear growth that began before the window gives q[3]/q[1] ≈ 2; stationary queues give ≈ 1.
      if q.count == 4 && q[3] > 10 && q[3] > 1.5 * q[1] {
        warnings.append(
          "replication \(index): the queues grew during the run (mean \(String(format: "%.1f", q[1])) packets in the 2nd quarter, "
            + "\(String(format: "%.1f", q[3])) in the 4th): the load may be unstable for \(scenario.policy.rawValue) at γ = \(gamma)")
        break
      }
    }
    let epochs = results.map(\.epochsSimulated).reduce(0, +)
    return RunSummary(
      policy: scenario.policy.rawValue, gamma: gamma, pairs: pairs, meanDelayMs: meanDelay * 1e3,
      meanDelayCI95: delayInterval.map { [$0.lower * 1e3, $0.upper * 1e3] }, avgSNRdB: 10 * log10(avgPower),
      avgSNRdBCI95: powerInterval.map { [10 * log10(max($0.lower, 1e-300)), 10 * log10($0.upper)] }, avgPower: avgPower,
      littleDelayMs: totalArrivalRate > 0 ? totalPresent / totalArrivalRate * 1e3 : .nan,
      epochsPerSecond: Double(epochs) / max(wallSeconds, 1e-9), wallSeconds: wallSeconds, replications: r,
      epochs: scenario.epochs, warmupEpochs: scenario.warmupEpochs, seed: scenario.seed,
      meanIterationsPerSlot: iterated > 0 ? Double(iterations) / Double(iterated) : 0,
      nonConvergedSlotFraction: nonConvergedFraction, calibration: calibration, warnings: warnings)
  }
}

/// Results written by worker threads, each to its own index.
final class ResultBox: @unchecked Sendable {
  private let lock = NSLock()
  private var results: [Result<ReplicationResult, any Error>?]
  init(count: Int) { results = Array(repeating: nil, count: count) }
  func set(_ index: Int, _ result: Result<ReplicationResult, any Error>) {
    lock.lock()
    results[index] = result
    lock.unlock()
  }
  func get(_ index: Int) -> Result<ReplicationResult, any Error>? {
    lock.lock()
    defer { lock.unlock() }
    return results[index]
  }
}

/// Carries a non-Sendable value into a concurrent region where only one thread uses it
/// (the trace recorder goes to replication 0 only).
struct UncheckedBox<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
