import Dispatch
import DriftSimNumerics
import DriftSimStats
import DriftSimSupport
import Foundation

/// One pair's results in the JSON shape of `driftsim run` (units in the key names).
public struct PairSummary: Codable, Sendable {
  /// Pair index k.
  public var pair: Int
  /// Mean delay (ms) of packets that left during the measurement window; null when this pair
  /// delivered no packet in the window (a pair with λ_k = 0), never a made-up 0.
  public var meanDelayMs: Double?
  /// 95 % confidence interval of the mean delay (ms): replications if ≥ 2, else batch means; null
  /// when there is too little data.
  public var meanDelayCI95: [Double]?
  /// Time-average transmit power (noise units; idle slots count as 0).
  public var avgPower: Double
  /// 10·log10(avgPower); null when the pair never transmitted (avgPower = 0).
  public var avgSNRdB: Double?
  /// Bits served per second.
  public var throughputBitsPerSecond: Double
  /// Time-average number of packets present (arrival to departure), so L = λW holds.
  public var meanQueuePackets: Double
  /// Packets that departed in the window (over all replications).
  public var packets: Int
  /// Packets that arrived in the window.
  public var arrivals: Int
  /// Little's law: meanQueuePackets / (measured arrival rate), in ms, next to meanDelayMs; null
  /// when the pair had no arrivals in the window.
  public var littleDelayMs: Double?
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
  /// 95 % confidence interval of avgSNRdB; null when the power interval reaches 0 or below, where
  /// it has no dB form (a warning of kind `snrIntervalUndefined` says so), never a clamped bound.
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
  /// Things the user should know (possible instability, poor convergence), each with a kind that
  /// programs test instead of the message text.
  public var warnings: [RunWarning]

  /// Refuses a summary that measured nothing: no packet delivered in the window, or a statistic
  /// that is not a finite number (an overflowing power, a delay over no packets).
  /// - Throws: `RunRefusal` (`nothingDelivered` or `nonFiniteStatistics`) naming the statistic.
  public func checkMeasured() throws(RunRefusal) {
    let delivered = pairs.reduce(0) { $0 + $1.packets }
    let arrived = pairs.reduce(0) { $0 + $1.arrivals }
    guard delivered > 0 else {
      throw RunRefusal(
        .nothingDelivered,
        "no packet was delivered in the measurement window (\(arrived) arrived over \(replications) replication(s) of "
          + "\(epochs - warmupEpochs) measured epochs), so there is no delay to report; check arrivalRate, crossGain, beta and gamma")
    }
    let named: [(String, Double)] = [
      ("meanDelayMs", meanDelayMs), ("avgSNRdB", avgSNRdB), ("avgPower", avgPower), ("littleDelayMs", littleDelayMs),
    ]
    for (name, value) in named where !value.isFinite {
      throw RunRefusal(.nonFiniteStatistics, "\(name) is \(value), not a finite number (avgPower = \(avgPower) at γ = \(gamma)): the scenario is outside what the simulation can measure")
    }
  }
}

/// Something the user should know about a finished run; `kind` is what programs test.
public struct RunWarning: Codable, Sendable, Equatable, CustomStringConvertible {
  /// What kind of warning.
  public enum Kind: String, Codable, Sendable, CaseIterable {
    /// The per-slot power iteration hit maxIterations in more than 1 % of slots.
    case powerIterationNotConverged
    /// The queues grew through the run: no steady state (the delay grows with the run length).
    case queuesGrew
    /// The power confidence interval reaches ≤ 0, so the SNR interval has no dB form.
    case snrIntervalUndefined
    /// A batch-means interval (from one replication) does not contain the run's own estimate:
    /// the incomplete last batch, left out of the interval, holds a heavy tail. Use replications.
    case intervalExcludesEstimate
  }
  /// The kind.
  public var kind: Kind
  /// One line for people.
  public var message: String

  /// Creates a warning.
  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  public var description: String { message }
}

/// Why a scenario cannot be run or measured (exit status 1 from `driftsim run`; an invalid row with
/// this reason in a sweep). `reason` is what programs test.
public struct RunRefusal: ReportableError, CustomStringConvertible, Equatable {
  /// The reason.
  public enum Reason: String, Codable, Sendable, CaseIterable {
    /// The load exceeds what the policy serves at γ even without interference.
    case unstable
    /// No packet was delivered in the measurement window.
    case nothingDelivered
    /// A statistic is NaN or infinite.
    case nonFiniteStatistics
    /// No γ gives the target SNR.
    case calibrationUnreachable
  }
  /// The reason.
  public var reason: Reason
  /// One line naming the key or statistic and the rule.
  public var description: String

  /// Creates a refusal.
  public init(_ reason: Reason, _ description: String) {
    self.reason = reason
    self.description = description
  }
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
  /// - Throws: `RunRefusal(.unstable)` naming the pair and the bound; GSL errors of the quadrature.
  public static func checkStability(_ scenario: Scenario, gamma: Double) throws {
    let p = NetworkParameters(scenario, gamma: gamma)
    switch scenario.policy {
    case .csiOnly:
      for k in 0..<p.pairs {
        let bound = try csiOnlyCapacity(kappa: p.kappa, gamma: gamma, directGain: p.directGain[k])
        if p.arrivalRatePerEpoch[k] >= bound {
          throw RunRefusal(
            .unstable, "unstable: pair \(k) has arrivalRate \(p.arrivalRatePerEpoch[k]) packets/epoch, but csi-only at γ = \(gamma) "
              + "serves at most \(String(format: "%.4g", bound)) packets/epoch even without interference (κ E1(γ/(κL)))")
        }
      }
    case .tdma:
      let bound = try tdmaCapacity(kappa: p.kappa, gamma: gamma, directGains: p.directGain)
      let total = p.arrivalRatePerEpoch.reduce(0, +)
      if total >= bound {
        throw RunRefusal(
          .unstable, "unstable: the total arrival rate \(total) packets/epoch exceeds what tdma serves at γ = \(gamma), "
            + "\(String(format: "%.4g", bound)) packets/epoch (one pair per slot, best direct channel)")
      }
    case .fluid, .qwto, .fluidCorrected, .vi, .viDelay, .table:
      break
    }
  }

  /// Runs one replication with the scenario's policy (every built-in policy is built here; a
  /// policy from outside DriftSim runs through `PolicyRunner`).
  public static func runReplication(
    _ scenario: Scenario, gamma: Double, seed: UInt64, recorder: (any NetworkRecorder)? = nil,
    progress: ProgressCounter? = nil
  ) throws -> ReplicationResult {
    let parameters = NetworkParameters(scenario, gamma: gamma)
    func simulate<Policy: PowerPolicy>(_ policy: Policy) throws -> ReplicationResult {
      var simulation = NetworkSimulation(
        scenario: scenario, parameters: parameters, policy: policy, seed: seed, recorder: recorder, progress: progress)
      return try simulation.run()
    }
    switch scenario.policy {
    case .fluid: return try simulate(FluidPolicy(valueFunctions: fluidValueFunctions(scenario, parameters: parameters)))
    case .fluidCorrected:
      return try simulate(FluidCorrectedPolicy(valueFunctions: fluidValueFunctions(scenario, parameters: parameters)))
    case .csiOnly: return try simulate(CSIOnlyPolicy())
    case .qwto: return try simulate(QWTOPolicy())
    case .tdma: return try simulate(TDMAPolicy())
    case .vi:
      return try simulate(
        VIPolicy(
          decisions: try PolicyRuns.viDecisions(scenario, gamma: gamma), rule: scenario.viWeight,
          interferenceFree: parameters.interferenceFree))
    case .viDelay:
      return try simulate(
        VIDelayPolicy(
          decisions: try PolicyRuns.viDelayDecisions(scenario, gamma: gamma), rule: scenario.viWeight,
          interferenceFree: parameters.interferenceFree,
          gainScale: (0..<parameters.pairs).map { PolicyRuns.viDelayGainScale(scenario, pair: $0) }))
    case .table:
      guard let path = scenario.policyTable else {
        throw ScenarioError("key 'policyTable': policy table needs a CSV file (set policyTable=PATH)")
      }
      return try simulate(TablePolicy(tables: try WeightTableFile.load(path: path, pairs: parameters.pairs)))
    }
  }

  /// Each pair's fluid value function at the resolved network's γ (a pair with λ = 0 uses
  /// λ = 1e-12: J is defined only for λ > 0, and such a pair's queue stays empty anyway).
  static func fluidValueFunctions(_ scenario: Scenario, parameters: NetworkParameters) throws -> [FluidValueFunction] {
    try (0..<parameters.pairs).map { k in
      try FluidValueFunction(
        arrivalRate: max(parameters.arrivalRatePerEpoch[k], 1e-12), beta: scenario.beta, gamma: parameters.gamma,
        directGain: parameters.directGain[k], kappa: parameters.kappa)
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
    let recorderBox = UncheckedBox(recorder)
    let start = DispatchTime.now()
    let results = try parallelMap(count: scenario.replications, jobs: jobs) { r in
      let seed = replicationSeed(base: scenario.seed, point: point, replication: r)
      return try runReplication(scenario, gamma: gamma, seed: seed, recorder: r == 0 ? recorderBox.value : nil, progress: progress)
    }
    let wall = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) * 1e-9
    return (results, wall)
  }

  /// Finds γ such that the average transmit SNR hits `scenario.targetSNRdB` within
  /// `calibrationToleranceDB`: pilot runs of `pilotEpochs` epochs (capped at `epochs`) with common
  /// random numbers (replication 0's seed at sweep point `point`), bracketing in log γ by factors of 4
  /// from `scenario.gamma`, then Brent on log γ. Each pilot pools the power of the first
  /// `calibrationReplications` replications (their own seeds; default 1). With the default
  /// `pilotEpochs` a pilot replication is the run's replication itself, so with
  /// `calibrationReplications = replications` the run's achieved SNR is the calibrated one; with
  /// fewer, the other replications scatter around the target within their sampling error.
  /// The achieved SNR of the full run is reported separately with its CI.
  public static func calibrateGamma(_ scenario: Scenario, point: Int = 0) throws -> CalibrationResult {
    try calibrateGamma(scenario, point: point) { pilot, gamma, seed in try runReplication(pilot, gamma: gamma, seed: seed) }
  }

  /// `calibrateGamma(_:point:)` with the pilot runs made by `replicate` (scenario, γ, seed), so a
  /// policy defined outside DriftSim (`PolicyRunner`) is calibrated the same way.
  static func calibrateGamma(
    _ scenario: Scenario, point: Int, replicate: (Scenario, Double, UInt64) throws -> ReplicationResult
  ) throws -> CalibrationResult {
    guard let target = scenario.targetSNRdB else {
      throw ScenarioError("calibration needs targetSNRdB")
    }
    var pilot = scenario
    pilot.replications = 1
    pilot.epochs = min(scenario.epochs, scenario.pilotEpochs)
    // A full-length pilot is the run's replication itself (same seed, length and warm-up), so that
    // replication reproduces the calibrated SNR exactly; shorter pilots keep a fifth for warm-up.
    pilot.warmupEpochs = pilot.epochs == scenario.epochs ? scenario.warmupEpochs : min(scenario.warmupEpochs, pilot.epochs / 5)
    let seeds = (0..<max(1, min(scenario.calibrationReplications, scenario.replications))).map {
      replicationSeed(base: scenario.seed, point: point, replication: $0)
    }
    var runs = 0
    var lastSNR = Double.nan
    var accepted: (gamma: Double, snr: Double)? = nil
    func excess(_ logGamma: Double) throws -> Double {
      runs += 1
      let gamma = exp(logGamma)
      let snr: Double
      do {
        // Pooled as the run pools them: total power over total pair-slots.
        var powerSum = 0.0, pairSlots = 0
        for seed in seeds {
          let result = try replicate(pilot, gamma, seed)
          powerSum += result.pairs.map(\.powerSum).reduce(0, +)
          pairSlots += result.measuredSlots * result.pairs.count
        }
        snr = 10 * log10(powerSum / Double(max(pairSlots, 1)))
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
      throw RunRefusal(.calibrationUnreachable, "cannot reach targetSNRdB = \(target): the SNR stays at \(lastSNR) dB over γ from \(exp(low)) to \(exp(high))")
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
    summarize(scenario, gamma: gamma, digests: results.map(ReplicationDigest.init), wallSeconds: wallSeconds, calibration: calibration)
  }

  /// Aggregates replication digests (in replication order) into the `driftsim run` summary; a
  /// sweep merges digests written by separate processes through this same function, so a merged
  /// sweep equals a local one.
  /// - Precondition: `digests` is not empty and each has `scenario.pairs` pairs.
  public static func summarize(
    _ scenario: Scenario, gamma: Double, digests results: [ReplicationDigest], wallSeconds: Double,
    calibration: CalibrationResult?
  ) -> RunSummary {
    let k = scenario.pairs
    let r = results.count
    var pairs: [PairSummary] = []
    var warnings: [RunWarning] = []
    var totalPresent = 0.0, totalArrivalRate = 0.0
    for pair in 0..<k {
      let stats = results.map { $0.pairs[pair] }
      let seconds = results.map(\.measuredSeconds).reduce(0, +)
      let slots = results.map(\.measuredSlots).reduce(0, +)
      let departures = stats.map(\.departures).reduce(0, +)
      let arrivals = stats.map(\.arrivals).reduce(0, +)
      let delayMeans = stats.map(\.meanDelay)
      let meanDelay: Double?
      let interval: ConfidenceInterval?
      if departures == 0 {
        (meanDelay, interval) = (nil, nil)
      } else if r >= 2 {
        meanDelay = delayMeans.reduce(0, +) / Double(r)
        interval = ConfidenceInterval(samples: delayMeans)
      } else {
        meanDelay = stats[0].meanDelay
        interval = stats[0].delayInterval.map { ConfidenceInterval(mean: $0[0], halfWidth: $0[1], level: 0.95, degreesOfFreedom: $0[2]) }
      }
      let present = stats.map(\.meanPresent).reduce(0, +) / Double(r)
      let power = stats.map(\.powerSum).reduce(0, +) / Double(max(slots, 1))
      let arrivalRate = Double(arrivals) / max(seconds, 1e-300)
      totalPresent += present
      totalArrivalRate += arrivalRate
      pairs.append(
        PairSummary(
          pair: pair, meanDelayMs: meanDelay.map { $0 * 1e3 }, meanDelayCI95: interval.map { [$0.lower * 1e3, $0.upper * 1e3] },
          avgPower: power, avgSNRdB: power > 0 ? 10 * log10(power) : nil,
          throughputBitsPerSecond: stats.map(\.bitsServed).reduce(0, +) / max(seconds, 1e-300),
          meanQueuePackets: present, packets: departures, arrivals: arrivals,
          littleDelayMs: arrivalRate > 0 ? present / arrivalRate * 1e3 : nil))
    }
    let pooledMeans = results.map(\.pooledMeanDelay)
    let meanDelay = r >= 2 ? pooledMeans.reduce(0, +) / Double(r) : results[0].pooledMeanDelay
    let delayInterval =
      r >= 2
      ? ConfidenceInterval(samples: pooledMeans)
      : results[0].pooledDelayInterval.map { ConfidenceInterval(mean: $0[0], halfWidth: $0[1], level: 0.95, degreesOfFreedom: $0[2]) }
    let avgPower = pairs.map(\.avgPower).reduce(0, +) / Double(k)
    let powerInterval =
      r >= 2
      ? ConfidenceInterval(samples: results.map(\.epochPowerMean))
      : results[0].epochPowerInterval.map { ConfidenceInterval(mean: $0[0], halfWidth: $0[1], level: 0.95, degreesOfFreedom: $0[2]) }
    let iterations = results.map(\.iterations).reduce(0, +)
    let iterated = results.map(\.iteratedSlots).reduce(0, +)
    let nonConverged = results.map(\.nonConvergedSlots).reduce(0, +)
    let nonConvergedFraction = iterated > 0 ? Double(nonConverged) / Double(iterated) : 0
    if nonConvergedFraction > 0.01 {
      warnings.append(
        RunWarning(
          .powerIterationNotConverged,
          "the power iteration hit maxIterations = \(scenario.maxIterations) in \(String(format: "%.2f", 100 * nonConvergedFraction)) % of slots"))
    }
    for (index, result) in results.enumerated() {
      let q = result.quarterQueueMeans
      // Linear growth that began before the window gives q[3]/q[1] ≈ 2; stationary queues give ≈ 1.
      if q.count == 4 && q[3] > 10 && q[3] > 1.5 * q[1] {
        warnings.append(
          RunWarning(
            .queuesGrew,
            "replication \(index): the queues grew during the run (mean \(String(format: "%.1f", q[1])) packets in the 2nd quarter, "
              + "\(String(format: "%.1f", q[3])) in the 4th): the load may be unstable for \(scenario.policy.rawValue) at γ = \(gamma)"))
        break
      }
    }
    // A power interval reaching 0 or below has no dB form: say so instead of clamping a bound.
    var snrInterval: [Double]? = nil
    if let powerInterval {
      if powerInterval.lower > 0 && powerInterval.upper.isFinite {
        snrInterval = [10 * log10(powerInterval.lower), 10 * log10(powerInterval.upper)]
      } else {
        warnings.append(
          RunWarning(
            .snrIntervalUndefined,
            "the 95 % interval of the average power, [\(String(format: "%.4g", powerInterval.lower)), \(String(format: "%.4g", powerInterval.upper))], "
              + "reaches 0 or below, so avgSNRdBCI95 has no dB form and is left out"))
      }
    }
    // With one replication the intervals come from complete batches only; a heavy tail in the
    // incomplete last batch can put the run's own estimate outside them. Say so, never hide it.
    for (name, estimate, interval) in [
      ("mean delay (s)", meanDelay, delayInterval.map { [$0.lower, $0.upper] }),
      ("average power", avgPower, powerInterval.map { [$0.lower, $0.upper] }),
    ] {
      if let interval, estimate.isFinite, estimate < interval[0] || estimate > interval[1] {
        warnings.append(
          RunWarning(
            .intervalExcludesEstimate,
            "the batch-means interval of the \(name) [\(String(format: "%.4g", interval[0])), \(String(format: "%.4g", interval[1]))] "
              + "does not contain the estimate \(String(format: "%.4g", estimate)) (a heavy tail in the last, incomplete batch); run ≥ 2 replications for an interval"))
      }
    }
    let epochs = results.map(\.epochsSimulated).reduce(0, +)
    return RunSummary(
      policy: scenario.policy.rawValue, gamma: gamma, pairs: pairs, meanDelayMs: meanDelay * 1e3,
      meanDelayCI95: delayInterval.map { [$0.lower * 1e3, $0.upper * 1e3] }, avgSNRdB: 10 * log10(avgPower),
      avgSNRdBCI95: snrInterval, avgPower: avgPower,
      littleDelayMs: totalArrivalRate > 0 ? totalPresent / totalArrivalRate * 1e3 : .nan,
      epochsPerSecond: Double(epochs) / max(wallSeconds, 1e-9), wallSeconds: wallSeconds, replications: r,
      epochs: scenario.epochs, warmupEpochs: scenario.warmupEpochs, seed: scenario.seed,
      meanIterationsPerSlot: iterated > 0 ? Double(iterations) / Double(iterated) : 0,
      nonConvergedSlotFraction: nonConvergedFraction, calibration: calibration, warnings: warnings)
  }
}

/// What a summary needs from one replication, small enough to write to a file: a sweep task
/// writes these and `sweep merge` aggregates them exactly as a local run does (JSON keeps every
/// Double exactly). Intervals are `[mean, halfWidth, degreesOfFreedom]` of 95 % batch-means CIs.
public struct ReplicationDigest: Codable, Sendable, Equatable {
  /// One pair's totals in the measurement window.
  public struct Pair: Codable, Sendable, Equatable {
    /// Packets that departed.
    public var departures: Int
    /// Packets that arrived.
    public var arrivals: Int
    /// Mean delay (seconds) of the departed packets (0 when none departed).
    public var meanDelay: Double
    /// Batch-means 95 % CI of the delay (seconds), when there is enough data.
    public var delayInterval: [Double]?
    /// Time-average number of packets present.
    public var meanPresent: Double
    /// Sum of the transmit power over the window's slots (noise units).
    public var powerSum: Double
    /// Bits served.
    public var bitsServed: Double
  }
  /// Per pair.
  public var pairs: [Pair]
  /// Mean delay (seconds) over all pairs.
  public var pooledMeanDelay: Double
  /// Its batch-means CI.
  public var pooledDelayInterval: [Double]?
  /// Mean per-epoch power over all pairs.
  public var epochPowerMean: Double
  /// Its batch-means CI.
  public var epochPowerInterval: [Double]?
  /// Window length (seconds).
  public var measuredSeconds: Double
  /// Slots in the window.
  public var measuredSlots: Int
  /// Power-iteration iterations, iterated slots and slots that hit maxIterations.
  public var iterations: Int
  /// Slots in which the power iteration ran.
  public var iteratedSlots: Int
  /// Slots whose iteration hit maxIterations.
  public var nonConvergedSlots: Int
  /// Epochs simulated, warm-up included.
  public var epochsSimulated: Int
  /// Mean packets queued per quarter of the window.
  public var quarterQueueMeans: [Double]

  /// The digest of a finished replication.
  public init(_ result: ReplicationResult) {
    func triple(_ interval: ConfidenceInterval?) -> [Double]? {
      interval.map { [$0.mean, $0.halfWidth, $0.degreesOfFreedom] }
    }
    pairs = result.pairs.map { p in
      Pair(
        departures: p.delay.count, arrivals: p.arrivals, meanDelay: p.delay.mean, delayInterval: triple(p.delay.interval()),
        meanPresent: p.packetsPresent.average(upTo: result.finalTime), powerSum: p.powerSum, bitsServed: p.bitsServed)
    }
    pooledMeanDelay = result.pooledDelay.mean
    pooledDelayInterval = triple(result.pooledDelay.interval())
    epochPowerMean = result.epochPower.mean
    epochPowerInterval = triple(result.epochPower.interval())
    measuredSeconds = result.measuredSeconds
    measuredSlots = result.measuredSlots
    iterations = result.iterations
    iteratedSlots = result.iteratedSlots
    nonConvergedSlots = result.nonConvergedSlots
    epochsSimulated = result.epochsSimulated
    quarterQueueMeans = result.quarterQueueMeans
  }
}

/// Carries a non-Sendable value into a concurrent region where only one thread uses it
/// (the trace recorder goes to replication 0 only).
struct UncheckedBox<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}
