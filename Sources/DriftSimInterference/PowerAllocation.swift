import Foundation

/// The per-slot power allocation of all pairs (model.md, "Power policies"; paper Algorithm 3),
/// with preallocated buffers so a slot allocates nothing.
///
/// Gains are row-major K × K: `gains[k * K + j]` = g_kj, the power gain from transmitter j to
/// receiver k in this slot (noise-normalised). Powers are in noise units.
///
/// A `final class` over raw buffers: the slot loop writes powers many times per slot, and array
/// writes in a struct would each pay a uniqueness check.
public final class PowerAllocator {
  /// K.
  public let pairs: Int
  /// Final powers of the last allocation (K values).
  let powerBuffer: UnsafeMutablePointer<Double>
  /// SINR of each pair under the final powers (K values).
  let sinrBuffer: UnsafeMutablePointer<Double>
  // The iteration's buffers below are indexed by active pair (see `waterFill`), not by pair.
  private let interference: UnsafeMutablePointer<Double>
  private let message: UnsafeMutablePointer<Double>
  /// (2^(bits/bitsPerLog2) − 1)/g_kk per active pair for the current slot: p_up = capFactor·(1 + I_k).
  private let capFactor: UnsafeMutablePointer<Double>
  /// 1/g_kk for the current slot.
  private let inverseDirectGain: UnsafeMutablePointer<Double>
  /// w_k κ per active pair (pairs with bits to send and a positive weight).
  private let waterWeight: UnsafeMutablePointer<Double>
  /// Σ_j p_j g_kj (own signal included) per receiver, kept current by the sequential update.
  private let received: UnsafeMutablePointer<Double>
  /// The pairs that take part in this slot's iteration (`transmits`), in increasing pair order.
  private let activePairs: UnsafeMutablePointer<Int>
  /// g restricted to the active pairs, n × n row-major (n = number of active pairs).
  private let activeGains: UnsafeMutablePointer<Double>
  /// Its transpose: the price sums Σ_j m_j g_jk run along a row instead of down a column.
  private let activeGainsTransposed: UnsafeMutablePointer<Double>
  /// The iterate's powers, by active pair.
  private let activePower: UnsafeMutablePointer<Double>
  /// g_kk by active pair (the simultaneous iteration's lanes).
  private let activeDiagonal: UnsafeMutablePointer<Double>

  /// Creates buffers for K pairs.
  public init(pairs: Int) {
    self.pairs = pairs
    // Room for K + 1 lanes: the simultaneous iteration pads the active set to an even size.
    let lanes = pairs + 1
    func zeros() -> UnsafeMutablePointer<Double> {
      let p = UnsafeMutablePointer<Double>.allocate(capacity: lanes)
      p.initialize(repeating: 0, count: lanes)
      return p
    }
    powerBuffer = zeros()
    sinrBuffer = zeros()
    interference = zeros()
    message = zeros()
    capFactor = zeros()
    inverseDirectGain = zeros()
    waterWeight = zeros()
    received = zeros()
    activePower = zeros()
    activeDiagonal = zeros()
    activePairs = UnsafeMutablePointer<Int>.allocate(capacity: max(pairs, 1))
    activePairs.initialize(repeating: 0, count: max(pairs, 1))
    func matrix() -> UnsafeMutablePointer<Double> {
      let p = UnsafeMutablePointer<Double>.allocate(capacity: lanes * lanes)
      p.initialize(repeating: 0, count: lanes * lanes)
      return p
    }
    activeGains = matrix()
    activeGainsTransposed = matrix()
  }

  deinit {
    for p in [powerBuffer, sinrBuffer, interference, message, capFactor, inverseDirectGain, waterWeight, received,
              activePower, activeDiagonal, activeGains, activeGainsTransposed] { p.deallocate() }
    activePairs.deallocate()
  }

  /// The final powers of the last allocation (noise units).
  public var power: [Double] { Array(UnsafeBufferPointer(start: powerBuffer, count: pairs)) }
  /// The SINR of each pair under the final powers.
  public var sinr: [Double] { Array(UnsafeBufferPointer(start: sinrBuffer, count: pairs)) }

  /// The outcome of one allocation.
  public struct Outcome: Sendable, Equatable {
    /// Iterations run (1 for closed-form cases).
    public var iterations: Int
    /// Whether the iteration met its tolerance before the cap.
    public var converged: Bool
  }

  /// The largest power at which pair k's slot carries no more than `bits`:
  /// (2^(bits/bitsPerLog2) − 1)(1 + I_k)/g_kk, computed with expm1 for accuracy at small queues.
  @inline(__always)
  static func powerCap(bits: Double, bitsPerLog2: Double, interference: Double, directGain: Double) -> Double {
    expm1(bits / bitsPerLog2 * M_LN2) * (1 + interference) / directGain
  }

  /// min(candidate, p_up) for one pair without interference, where p_up = expm1(x)/g with
  /// x = bits ln 2 / bitsPerLog2 — the same value as `min(candidate, powerCap(…))`, but expm1 is
  /// evaluated only when the cap can bind. Since expm1(x) ≥ x, the cap cannot bind when
  /// x ≥ candidate · g (1 + 10⁻⁹); the margin covers expm1's and the division's rounding (a few
  /// ulps), so the skipped case returns exactly what the full expression returns.
  @inline(__always)
  static func cappedSingleUser(candidate: Double, bits: Double, bitsPerLog2: Double, directGain g: Double) -> Double {
    let x = bits / bitsPerLog2 * M_LN2
    if candidate == 0 || x >= candidate * g * (1 + 1e-9) { return candidate }
    return min(candidate, powerCap(bits: bits, bitsPerLog2: bitsPerLog2, interference: 0, directGain: g))
  }

  /// Distributed water-filling (Algorithm 3) for the weight-based policies.
  /// - Parameters:
  ///   - gains: g_kj, K × K row-major.
  ///   - weights: w_k (J'(Q_k), 1 or Q_k).
  ///   - bits: bits in each queue at the slot start (a pair with 0 bits sends nothing).
  ///   - kappa: κ, packets per epoch per nat.
  ///   - gamma: γ.
  ///   - bitsPerLog2: W τ / N, bits a slot carries per unit of log2(1 + SINR).
  ///   - tolerance: stop when max_k |Δp_k| / max(1, p_k) ≤ tolerance.
  ///   - maxIterations: cap; then the last iterate is used.
  ///   - update: simultaneous (Jacobi) or sequential (Gauss–Seidel).
  ///   - interferenceFree: all cross gains are zero, so the iteration's fixed point is reached in one
  ///     step (p_k = min((w_k κ/γ − 1/g_kk)⁺, p_up)); it is computed directly and counted as 1 iteration.
  public func waterFill(
    gains: UnsafeBufferPointer<Double>, weights: UnsafeBufferPointer<Double>, bits: UnsafeBufferPointer<Double>,
    kappa: Double, gamma: Double, bitsPerLog2: Double, tolerance: Double, maxIterations: Int,
    update: PowerUpdate, interferenceFree: Bool
  ) -> Outcome {
    let k = pairs
    if interferenceFree {
      for i in 0..<k {
        let g = gains[i * k + i]
        if bits[i] > 0 {
          let level = weights[i] * kappa / gamma
          powerBuffer[i] = Self.cappedSingleUser(
            candidate: max(level - 1 / g, 0), bits: bits[i], bitsPerLog2: bitsPerLog2, directGain: g)
        } else {
          powerBuffer[i] = 0
        }
        sinrBuffer[i] = powerBuffer[i] * g
      }
      return Outcome(iterations: 1, converged: true)
    }
    guard k > 0, gains.baseAddress != nil else { return Outcome(iterations: 0, converged: true) }
    // Only pairs with bits to send and a positive weight take part (`transmits`). Every other
    // pair's power is 0 throughout (its best response returns 0 at once), so its signal, its
    // contribution Σ p_j g_kj to every receiver and its message m_j = w_j κ · 0 / … are +0, and
    // adding +0 to a sum of non-negative terms leaves it unchanged bit for bit: the iteration over
    // the n active pairs alone, in pair order, computes exactly the same powers, iterations and
    // SINRs (tested against the full K × K form). On the paper preset (λ = 1 packet per epoch)
    // many queues are empty at a slot start, so an iteration costs O(n²) instead of O(K²): 28 % fewer
    // instructions per epoch for csi-only (docs/performance.md).
    var n = 0
    for i in 0..<k {
      powerBuffer[i] = 0
      sinrBuffer[i] = 0
      if bits[i] > 0 && Self.transmits(waterWeight: weights[i] * kappa) {
        activePairs[n] = i
        n += 1
      }
    }
    if update == .simultaneous {
      return simultaneousIteration(
        activeCount: n, gains: gains, weights: weights, bits: bits, kappa: kappa, gamma: gamma, bitsPerLog2: bitsPerLog2,
        tolerance: tolerance, maxIterations: maxIterations)
    }
    // The iteration runs on a local view of the buffers: its pointers live in registers, whereas
    // each access through `self` would be reloaded after every store (the compiler cannot prove
    // that a store into a buffer leaves the object's fields alone) — 3–4× the instructions.
    // Every buffer of `s` is indexed by active pair (0..<n), not by pair.
    let s = Iteration(
      k: n, gains: UnsafePointer(activeGains), gainsTransposed: UnsafePointer(activeGainsTransposed), power: activePower,
      interference: interference, message: message, received: received, capFactor: capFactor,
      inverseDirectGain: inverseDirectGain, waterWeight: waterWeight)
    for a in 0..<n {
      let i = activePairs[a]
      for b in 0..<n {
        let g = gains[i * k + activePairs[b]]
        activeGains[a * n + b] = g
        activeGainsTransposed[b * n + a] = g
      }
      s.power[a] = 0
      s.inverseDirectGain[a] = 1 / gains[i * k + i]
      // The cap's expm1 depends only on the queue: once per slot, not once per iteration.
      s.capFactor[a] = expm1(bits[i] / bitsPerLog2 * M_LN2) * s.inverseDirectGain[a]
      s.waterWeight[a] = weights[i] * kappa
    }
    var iterations = 0
    var converged = false
    while iterations < maxIterations {
      iterations += 1
      var converging = true
      // Gauss–Seidel: pair i responds to the powers as updated so far in this sweep. Rather than
      // recomputing every I_k and m_k for each pair (O(K²) per pair, O(K³) per sweep), they are
      // computed once per sweep and then updated after each change of p_i: Σ_j p_j g_kj moves by
      // Δp_i g_ki at every receiver k — O(K) per pair, O(K²) per sweep. The result equals the
      // recomputation up to rounding (tested against the O(K³) form).
      s.computeInterferenceAndMessages()
      for i in 0..<n {
        let p = s.bestResponse(i, gamma: gamma)
        let old = s.power[i]
        if abs(p - old) > tolerance * max(1, p) { converging = false }
        s.power[i] = p
        let delta = p - old
        if delta != 0 { s.updateInterferenceAndMessages(changedPair: i, delta: delta) }
      }
      if converging {
        converged = true
        break
      }
    }
    // SINR under the final powers (inactive pairs keep power and SINR 0).
    s.computeInterferenceAndMessages()
    for a in 0..<n {
      let i = activePairs[a]
      powerBuffer[i] = s.power[a]
      sinrBuffer[i] = s.power[a] * s.gains[a * n + a] / (1 + s.interference[a])
    }
    return Outcome(iterations: iterations, converged: converged)
  }

  /// The simultaneous (Jacobi) iteration of `waterFill` over the n active pairs in `activePairs`,
  /// two pairs at a time.
  ///
  /// In Jacobi form every quantity of an iteration is a vector over the receivers i: the received
  /// power Σ_j p_j g_ij is Σ_j p_j · (column j of g), the price γ − m_i g_ii + Σ_j m_j g_ji is
  /// Σ_j m_j · (row j of g), and messages, best responses and the convergence test are
  /// element-wise. So each is computed as `SIMD2<Double>` lanes over i (the active set padded to
  /// an even size with silent pairs: zero gains, weight and power), accumulating over j in the
  /// same order as the scalar form. IEEE arithmetic is element-wise exact, so powers, SINRs and
  /// iteration counts are bit for bit those of the scalar form (tested against the full K × K
  /// iteration); the gain is that two divisions, and two lanes of every sum, run per instruction,
  /// and the loops have no per-pair branches.
  ///
  /// The cap p_up = expm1(x_i)/g_ii · (1 + I_i), x_i = bits_i ln 2 / bitsPerLog2, binds only when
  /// a queue is nearly empty, so expm1 is evaluated only for a pair whose cap could bind: every
  /// best response is below w_i κ/γ (the price is at least γ, messages being ≥ 0) and p_up ≥
  /// x(1 + x/2)/g_ii (expm1(x) ≥ x + x²/2 for x ≥ 0, and 1 + I_i ≥ 1), so when that lower bound
  /// exceeds w_i κ/γ by 10⁻⁹ (which covers the rounding of both sides) min(p, p_up) = p in every
  /// iteration, and the cap is +∞ for the slot.
  private func simultaneousIteration(
    activeCount n: Int, gains: UnsafeBufferPointer<Double>, weights: UnsafeBufferPointer<Double>,
    bits: UnsafeBufferPointer<Double>, kappa: Double, gamma: Double, bitsPerLog2: Double, tolerance: Double,
    maxIterations: Int
  ) -> Outcome {
    let k = pairs
    let width = (n &+ 1) & ~1
    let lanes = SimultaneousLanes(
      count: n, width: width, gains: activeGains, gainsTransposed: activeGainsTransposed, diagonal: activeDiagonal,
      power: activePower, interference: interference, message: message, cap: capFactor,
      inverseDirectGain: inverseDirectGain, waterWeight: waterWeight)
    for a in 0..<width {
      let active = a < n
      let i = active ? activePairs[a] : 0
      for b in 0..<width {
        let g = active && b < n ? gains[i &* k &+ activePairs[b]] : 0
        lanes.gains[a &* width &+ b] = g
        lanes.gainsTransposed[b &* width &+ a] = g
      }
      lanes.power[a] = 0
      guard active else {
        lanes.diagonal[a] = 0
        lanes.inverseDirectGain[a] = 0
        lanes.cap[a] = 0
        lanes.waterWeight[a] = 0
        continue
      }
      let directGain = gains[i &* k &+ i]
      lanes.diagonal[a] = directGain
      let inverseGain = 1 / directGain
      lanes.inverseDirectGain[a] = inverseGain
      let water = weights[i] * kappa
      lanes.waterWeight[a] = water
      let x = bits[i] / bitsPerLog2 * M_LN2
      lanes.cap[a] = x * (1 + 0.5 * x) * inverseGain >= water / gamma * (1 + 1e-9)
        ? .infinity : expm1(x) * inverseGain
    }
    // Up to 8 lanes the lane count is a compile-time constant, so every loop unrolls (most slots
    // of K ≤ 8 networks); beyond, the same iteration with run-time bounds.
    let (iterations, converged): (Int, Bool)
    switch width {
    case 2: (iterations, converged) = lanes.iterate(FixedLanes2.self, gamma: gamma, tolerance: tolerance, maxIterations: maxIterations)
    case 4: (iterations, converged) = lanes.iterate(FixedLanes4.self, gamma: gamma, tolerance: tolerance, maxIterations: maxIterations)
    case 6: (iterations, converged) = lanes.iterate(FixedLanes6.self, gamma: gamma, tolerance: tolerance, maxIterations: maxIterations)
    case 8: (iterations, converged) = lanes.iterate(FixedLanes8.self, gamma: gamma, tolerance: tolerance, maxIterations: maxIterations)
    default: (iterations, converged) = lanes.iterate(RuntimeLanes.self, gamma: gamma, tolerance: tolerance, maxIterations: maxIterations)
    }
    for a in 0..<n {
      let i = activePairs[a]
      powerBuffer[i] = lanes.power[a]
      sinrBuffer[i] = lanes.power[a] * lanes.diagonal[a] / (1 + lanes.interference[a])
    }
    return Outcome(iterations: iterations, converged: converged)
  }

  /// The buffers of one simultaneous iteration as local pointers, indexed by lane (active pair,
  /// padded to `width`, an even number); matrices are `width` × `width` row-major.
  private struct SimultaneousLanes {
    /// n, the active pairs (lanes beyond are silent padding).
    let count: Int
    /// n rounded up to even.
    let width: Int
    /// g_ij at `gains[i * width + j]`.
    let gains: UnsafeMutablePointer<Double>
    /// g_ji at `gainsTransposed[i * width + j]`.
    let gainsTransposed: UnsafeMutablePointer<Double>
    /// g_ii by lane.
    let diagonal: UnsafeMutablePointer<Double>
    let power: UnsafeMutablePointer<Double>
    let interference: UnsafeMutablePointer<Double>
    let message: UnsafeMutablePointer<Double>
    /// The cap factor expm1(x)/g_ii, or +∞ where the cap cannot bind in this slot.
    let cap: UnsafeMutablePointer<Double>
    let inverseDirectGain: UnsafeMutablePointer<Double>
    let waterWeight: UnsafeMutablePointer<Double>

    @inline(__always)
    func load(_ p: UnsafeMutablePointer<Double>, _ lane: Int) -> SIMD2<Double> {
      UnsafeRawPointer(p + lane).loadUnaligned(as: SIMD2<Double>.self)
    }

    @inline(__always)
    func store(_ v: SIMD2<Double>, _ p: UnsafeMutablePointer<Double>, _ lane: Int) {
      UnsafeMutableRawPointer(p + lane).storeBytes(of: v, as: SIMD2<Double>.self)
    }

    /// Runs the iteration until every power moved by at most `tolerance` · max(1, p) or
    /// `maxIterations` were run, then leaves I and m at the final powers (for the SINRs).
    /// - Returns: iterations run and whether they converged.
    @inline(__always)
    func iterate<Lanes: LaneCount>(
      _: Lanes.Type, gamma: Double, tolerance: Double, maxIterations: Int
    ) -> (iterations: Int, converged: Bool) {
      var iterations = 0
      var converged = false
      while iterations < maxIterations {
        iterations &+= 1
        computeInterferenceAndMessages(Lanes.self)
        if bestResponses(Lanes.self, gamma: gamma, tolerance: tolerance) {
          converged = true
          break
        }
      }
      computeInterferenceAndMessages(Lanes.self)
      return (iterations, converged)
    }

    /// The lanes to visit, and the transmitters j to sum over: with a fixed lane count every lane,
    /// padding included (a silent lane adds +0 · g = +0 to each sum, which leaves it unchanged bit
    /// for bit: sums of non-negative terms are never −0, and 0 · NaN only reaches silent lanes,
    /// whose power is 0 whatever their sum); at run time only the n active pairs.
    @inline(__always)
    func bounds<Lanes: LaneCount>(_: Lanes.Type) -> (lanes: Int, transmitters: Int) {
      Lanes.fixed == 0 ? (width, count) : (Lanes.fixed, Lanes.fixed)
    }

    /// I_i = Σ_j p_j g_ij (j in order) − p_i g_ii and m_i = w_i s_i / ((1 + I_i)(1 + I_i + s_i)),
    /// s_i = p_i g_ii, for every lane i.
    @inline(__always)
    func computeInterferenceAndMessages<Lanes: LaneCount>(_: Lanes.Type) {
      let (width, transmitters) = bounds(Lanes.self)
      var lane = 0
      while lane < width {
        var total = SIMD2<Double>(repeating: 0)
        var j = 0
        while j < transmitters {
          total += SIMD2(repeating: power[j]) * load(gainsTransposed + j &* width, lane)
          j &+= 1
        }
        let signal = load(power, lane) * load(diagonal, lane)
        let sum = total - signal
        store(sum, interference, lane)
        let noisePlusInterference = 1 + sum
        store(load(waterWeight, lane) * signal / (noisePlusInterference * (noisePlusInterference + signal)), message, lane)
        lane &+= 2
      }
    }

    /// Replaces every power by its best response p_i ← min{(w_i κ / price_i − (1 + I_i)/g_ii)⁺,
    /// p_up,i} (0 for a lane with w_i κ ≤ 0 or NaN), price_i = γ − m_i g_ii + Σ_j m_j g_ji.
    /// - Returns: whether every |Δp_i| ≤ tolerance · max(1, p_i).
    @inline(__always)
    func bestResponses<Lanes: LaneCount>(_: Lanes.Type, gamma: Double, tolerance: Double) -> Bool {
      let (width, transmitters) = bounds(Lanes.self)
      var converging = true
      var lane = 0
      while lane < width {
        var price = SIMD2<Double>(repeating: gamma) - load(message, lane) * load(diagonal, lane)
        var j = 0
        while j < transmitters {
          price += SIMD2(repeating: message[j]) * load(gains + j &* width, lane)
          j &+= 1
        }
        let weight = load(waterWeight, lane)
        let noisePlusInterference = 1 + load(interference, lane)
        // Swift's max(p, 0) is `0 >= p ? 0 : p` and min(p, c) is `c < p ? c : p`, NaN included.
        var p = weight / price - noisePlusInterference * load(inverseDirectGain, lane)
        p.replace(with: 0, where: .zero .>= p)
        let cap = load(cap, lane) * noisePlusInterference
        p.replace(with: cap, where: cap .< p)
        p.replace(with: 0, where: .!(weight .> .zero))
        let old = load(power, lane)
        var scale = p
        scale.replace(with: 1, where: .!(p .>= 1))
        let change = p - old, limit = tolerance * scale
        if any((change .> limit) .| (-change .> limit)) { converging = false }
        store(p, power, lane)
        lane &+= 2
      }
      return converging
    }
  }

  /// A lane count for the simultaneous iteration: `fixed` lanes known at compile time, or 0 for
  /// the run-time count.
  private protocol LaneCount { static var fixed: Int { get } }
  private enum FixedLanes2: LaneCount { static var fixed: Int { 2 } }
  private enum FixedLanes4: LaneCount { static var fixed: Int { 4 } }
  private enum FixedLanes6: LaneCount { static var fixed: Int { 6 } }
  private enum FixedLanes8: LaneCount { static var fixed: Int { 8 } }
  private enum RuntimeLanes: LaneCount { static var fixed: Int { 0 } }

  /// Whether a pair with bits to send and water weight w_k κ takes part in the iteration. A pair
  /// that does not has power 0 and message 0 in every iteration (`bestResponse` returns 0 for it),
  /// so leaving it out changes no sum. NaN is kept in, so a NaN weight still poisons the
  /// allocation as it would in the full form.
  @inline(__always)
  static func transmits(waterWeight: Double) -> Bool { !(waterWeight <= 0) }

  /// The buffers of one sequential (Gauss–Seidel) water-filling run, as local pointers (see
  /// `waterFill`); the simultaneous update runs on `SimultaneousLanes`.
  private struct Iteration {
    /// The number of active pairs n (every index below is an active-pair index).
    let k: Int
    /// g among the active pairs, row-major: `gains[i * k + j]` = g_ij.
    let gains: UnsafePointer<Double>
    /// The transpose: `gainsTransposed[i * k + j]` = g_ji.
    let gainsTransposed: UnsafePointer<Double>
    let power: UnsafeMutablePointer<Double>
    let interference: UnsafeMutablePointer<Double>
    let message: UnsafeMutablePointer<Double>
    let received: UnsafeMutablePointer<Double>
    let capFactor: UnsafeMutablePointer<Double>
    let inverseDirectGain: UnsafeMutablePointer<Double>
    let waterWeight: UnsafeMutablePointer<Double>

    /// I_k = Σ_{j≠k} p_j g_kj and m_k = w_k κ SINR_k / Ψ_k with Ψ_k = 1 + I_k + p_k g_kk, i.e.
    /// m_k = w_k κ s_k / ((1 + I_k)(1 + I_k + s_k)) with s_k = p_k g_kk.
    @inline(__always)
    func computeInterferenceAndMessages() {
      for i in 0..<k {
        let row = gains + i * k
        var total = 0.0
        for j in 0..<k { total += power[j] * row[j] }
        received[i] = total
        let signal = power[i] * row[i]
        let sum = total - signal
        interference[i] = sum
        let noisePlusInterference = 1 + sum
        message[i] = waterWeight[i] * signal / (noisePlusInterference * (noisePlusInterference + signal))
      }
    }

    /// After p_i changed by `delta`: Σ_j p_j g_kj += delta · g_ki at every receiver k, then I_k and
    /// m_k from it, as `computeInterferenceAndMessages` defines them. O(K).
    @inline(__always)
    func updateInterferenceAndMessages(changedPair i: Int, delta: Double) {
      for r in 0..<k {
        let row = gains + r * k
        let total = received[r] + delta * row[i]
        received[r] = total
        let signal = power[r] * row[r]
        let sum = total - signal
        interference[r] = sum
        let noisePlusInterference = 1 + sum
        message[r] = waterWeight[r] * signal / (noisePlusInterference * (noisePlusInterference + signal))
      }
    }

    /// p_k ← min{(w_k κ / (Σ_{j≠k} m_j g_jk + γ) − (1 + I_k)/g_kk)⁺, p_up,k}.
    @inline(__always)
    func bestResponse(_ i: Int, gamma: Double) -> Double {
      guard waterWeight[i] > 0 else { return 0 }
      var price = gamma - message[i] * gains[i * k + i]
      let column = gainsTransposed + i * k
      for j in 0..<k { price += message[j] * column[j] }
      let noisePlusInterference = 1 + interference[i]
      let p = max(waterWeight[i] / price - noisePlusInterference * inverseDirectGain[i], 0)
      return min(p, capFactor[i] * noisePlusInterference)
    }
  }

  /// TDMA: the non-empty pair with the largest g_kk sends alone with single-user water-filling
  /// p = min{(κ/γ − 1/g_kk)⁺, p_up}; every other pair is silent.
  /// - Returns: the transmitting pair, or nil if every queue is empty.
  @discardableResult
  public func orthogonal(
    gains: UnsafeBufferPointer<Double>, bits: UnsafeBufferPointer<Double>, kappa: Double, gamma: Double, bitsPerLog2: Double
  ) -> Int? {
    let k = pairs
    var best: Int? = nil
    var bestGain = -1.0
    for i in 0..<k {
      powerBuffer[i] = 0
      sinrBuffer[i] = 0
      if bits[i] > 0 && gains[i * k + i] > bestGain {
        bestGain = gains[i * k + i]
        best = i
      }
    }
    if let i = best {
      powerBuffer[i] = Self.cappedSingleUser(
        candidate: max(kappa / gamma - 1 / bestGain, 0), bits: bits[i], bitsPerLog2: bitsPerLog2, directGain: bestGain)
      sinrBuffer[i] = powerBuffer[i] * bestGain
    }
    return best
  }
}
