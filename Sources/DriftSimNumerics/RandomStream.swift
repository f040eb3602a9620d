import CDriftSimGSL
import Glibc

/// A GSL pseudo-random generator algorithm that a `RandomStream` can use.
///
/// The default is **taus2** (L'Ecuyer's maximally equidistributed combined Tausworthe generator,
/// period ≈ 2^88): it is the fastest of GSL's high-quality generators (≈ 30 ns per exponential
/// draw here versus ≈ 38 ns for mt19937), passes the usual statistical batteries, and its state
/// is three 32-bit words, so thousands of independent streams cost nothing and all 96 bits of
/// the state can be seeded (see `RandomStream`). Like every GSL generator it yields 32 bits per
/// call, so uniform doubles have 2^−32 resolution: an exponential draw never exceeds
/// ≈ 22.2 × its mean (probability e^−22 ≈ 2.6e−10 of a larger value is lost).
public enum RandomGenerator: String, CaseIterable, Sendable {
  /// L'Ecuyer (1999) combined Tausworthe, GSL `gsl_rng_taus2`. Seeded on its full 96-bit state.
  case taus2
  /// Mersenne Twister MT19937, GSL `gsl_rng_mt19937`. GSL seeds it from 32 bits only.
  case mt19937
  /// Lüscher's RANLUX, double precision, luxury level 2, GSL `gsl_rng_ranlxd2`: slow but
  /// with the strongest decorrelation guarantees. GSL seeds it from 31 bits only.
  case ranlxd2

  var gslType: UnsafePointer<gsl_rng_type> {
    switch self {
    case .taus2: return driftsim_rng_taus2()
    case .mt19937: return driftsim_rng_mt19937()
    case .ranlxd2: return driftsim_rng_ranlxd2()
    }
  }
}

/// SplitMix64's output function (Steele, Lea & Flood 2014): a bijective 64-bit mixer whose
/// outputs for consecutive inputs are statistically independent. DriftSim uses it to derive seeds.
@inlinable
public func splitMix64(_ value: UInt64) -> UInt64 {
  var z = value
  z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
  z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
  return z ^ (z >> 31)
}

/// The identity of one random stream within a run, built from a path of integers.
///
/// Each entity that draws randomness gets its own path, e.g. `StreamID(1, pair)` for pair k's
/// arrivals, `StreamID(2, k, j)` for the fading of link j → k, `StreamID(point, replication)` for
/// sweep seeds. Different paths give (with overwhelming probability) different ids.
/// Derivation: h ← 0x243F6A8885A308D3; for each component c: h ← splitMix64(h ⊕ c) + 0x9E3779B97F4A7C15
/// (mod 2^64). The id is the final h.
public struct StreamID: Hashable, Sendable, CustomStringConvertible {
  /// The 64-bit id.
  public let rawValue: UInt64

  /// Wraps a raw 64-bit id as is.
  public init(rawValue: UInt64) { self.rawValue = rawValue }

  /// The id of the stream at `path` (see the type's documentation for the derivation).
  public init(_ path: UInt64...) { self.init(path: path) }

  /// The id of the stream at `path`.
  public init<Path: Sequence>(path: Path) where Path.Element == UInt64 {
    var h: UInt64 = 0x243F_6A88_85A3_08D3  // the first hex digits of π: nothing up our sleeve
    for component in path {
      h = splitMix64(h ^ component) &+ 0x9E37_79B9_7F4A_7C15
    }
    rawValue = h
  }

  public var description: String { "stream#\(String(rawValue, radix: 16))" }
}

/// An independent, reproducible stream of random draws: one GSL generator, seeded from
/// (base seed, stream id).
///
/// ### Seed derivation (stable across versions and machines)
/// Let s = splitMix64(baseSeed ⊕ splitMix64(streamID ⊕ 0xD1B54A32D192ED03)) and
/// wᵢ = splitMix64(s + i · 0x9E3779B97F4A7C15) (mod 2^64) for i = 1, 2.
/// - taus2: the state words are s1 = low32(w1), s2 = high32(w1), s3 = low32(w2), raised by 2, 8
///   and 16 if below those values (as GSL's own seeding does, to avoid degenerate states), then six
///   outputs are discarded (GSL's warm-up). No state word is ever 0.
/// - mt19937 and ranlxd2: `gsl_rng_set(low32(w1))`, with 0 replaced by 1 (seed 0 aliases another
///   seed in GSL). These have only a 32-bit seed space: with n streams the chance that two coincide
///   is about n²/2^33, so prefer taus2 for large sweeps.
///
/// ### Value semantics
/// A `RandomStream` is a value: copying it copies the generator state (copy-on-write), so two
/// copies produce the same future sequence independently. That is what common random numbers
/// need. The simulation that owns a stream is its only user; there is no global generator.
public struct RandomStream {
  @usableFromInline
  final class Storage {
    @usableFromInline let generator: UnsafeMutablePointer<gsl_rng>

    init(generator: UnsafeMutablePointer<gsl_rng>) { self.generator = generator }

    @usableFromInline
    func copy() -> Storage {
      guard let clone = gsl_rng_clone(generator) else { fatalError("gsl_rng_clone: out of memory") }
      return Storage(generator: clone)
    }

    deinit { gsl_rng_free(generator) }
  }

  @usableFromInline var storage: Storage
  /// The base seed this stream was derived from.
  public let baseSeed: UInt64
  /// The stream's id.
  public let stream: StreamID
  /// The generator algorithm.
  public let generator: RandomGenerator

  /// Creates the stream `stream` of base seed `seed`.
  /// - Parameters:
  ///   - seed: the run's base seed (any value, 0 included).
  ///   - stream: which stream (see `StreamID`).
  ///   - generator: the algorithm; taus2 unless you have a reason.
  public init(seed: UInt64, stream: StreamID, generator: RandomGenerator = .taus2) {
    self.storage = Storage(generator: RandomStream.makeGenerator(seed: seed, stream: stream, generator: generator))
    self.baseSeed = seed
    self.stream = stream
    self.generator = generator
  }

  /// Allocates and seeds a GSL generator for (seed, stream) by the documented derivation.
  static func makeGenerator(seed: UInt64, stream: StreamID, generator: RandomGenerator) -> UnsafeMutablePointer<gsl_rng> {
    GSLRuntime.ensureConfigured()
    guard let rng = gsl_rng_alloc(generator.gslType) else { fatalError("gsl_rng_alloc: out of memory") }
    let words = RandomStream.seedWords(seed: seed, stream: stream)
    switch generator {
    case .taus2:
      let status = driftsim_taus2_set_state(
        rng, UInt32(truncatingIfNeeded: words.0), UInt32(truncatingIfNeeded: words.0 >> 32),
        UInt32(truncatingIfNeeded: words.1))
      precondition(status == 0, "GSL's taus2 state layout is not the expected three unsigned longs")
    case .mt19937, .ranlxd2:
      let low = UInt32(truncatingIfNeeded: words.0)
      gsl_rng_set(rng, UInt(low == 0 ? 1 : low))
    }
    return rng
  }

  /// The two 64-bit words (w1, w2) from which a stream is seeded (see the type's documentation).
  public static func seedWords(seed: UInt64, stream: StreamID) -> (UInt64, UInt64) {
    let golden: UInt64 = 0x9E37_79B9_7F4A_7C15
    let s = splitMix64(seed ^ splitMix64(stream.rawValue ^ 0xD1B5_4A32_D192_ED03))
    return (splitMix64(s &+ golden), splitMix64(s &+ 2 &* golden))
  }

  @inlinable @inline(__always)
  mutating func uniqueGenerator() -> UnsafeMutablePointer<gsl_rng> {
    if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
    return storage.generator
  }

  /// The next raw output of the generator (32 bits for all supported generators).
  @inlinable
  public mutating func nextRaw() -> UInt32 {
    UInt32(truncatingIfNeeded: gsl_rng_get(uniqueGenerator()))
  }

  /// A uniform draw from the open interval (0, 1) (GSL `gsl_rng_uniform_pos`; 2^−32 resolution).
  @inlinable
  public mutating func uniformOpen() -> Double {
    gsl_rng_uniform_pos(uniqueGenerator())
  }

  /// An exponential draw with the given mean (GSL `gsl_ran_exponential`, which takes the mean).
  /// - Parameter mean: the mean, > 0, in the caller's units (seconds, bits, ...).
  /// - Returns: a value in [0, ≈ 22.2 · mean].
  @inlinable
  public mutating func exponential(mean: Double) -> Double {
    gsl_ran_exponential(uniqueGenerator(), mean)
  }

  /// A Poisson draw (GSL `gsl_ran_poisson`).
  /// - Parameter mean: the mean μ ≥ 0.
  @inlinable
  public mutating func poisson(mean: Double) -> UInt32 {
    UInt32(gsl_ran_poisson(uniqueGenerator(), mean))
  }

  /// A Rayleigh-fading power gain |H|² for H ~ CN(0, 1), i.e. an Exp(1) draw (dimensionless).
  @inlinable
  public mutating func rayleighPowerGain() -> Double {
    gsl_ran_exponential(uniqueGenerator(), 1.0)
  }

  /// Fills `buffer` with exponential draws of the given mean, in order: the same values as that
  /// many calls of `exponential(mean:)`, with one uniqueness check.
  @inlinable
  public mutating func fillExponential(_ buffer: UnsafeMutableBufferPointer<Double>, mean: Double) {
    let rng = uniqueGenerator()
    for i in buffer.indices { buffer[i] = gsl_ran_exponential(rng, mean) }
  }
}

/// A fixed set of random streams owned by one simulation, for hot loops.
///
/// Stream i steps exactly the generator of `RandomStream(seed: seed, stream: streams[i])` (same raw
/// outputs), but the bank is a reference type without copy-on-write checks. For taus2 (the
/// default) a draw does not call into GSL at all: the bank steps GSL's own taus2 state in place with
/// GSL's recurrence (a unit test compares the outputs with `gsl_rng_get` on a clone). Exponential
/// draws (and so Rayleigh gains) use the exponential ziggurat (`ExponentialZiggurat`) on those
/// outputs, not `gsl_ran_exponential`: GSL stays the uniform generator, and most logs are gone. Use it where a simulation draws millions of times
/// from streams it alone owns; use `RandomStream` (a value) everywhere else. `copy()` makes an
/// independent bank at the same state (common random numbers).
public final class RandomStreamBank {
  @usableFromInline let generators: UnsafeMutablePointer<UnsafeMutablePointer<gsl_rng>>
  /// GSL's taus2 state (three `unsigned long`s s1, s2, s3) of each stream, or nil for other
  /// generators (then every draw goes through GSL).
  @usableFromInline let taus2States: UnsafeMutablePointer<UnsafeMutablePointer<UInt>>?
  /// Number of streams.
  public let count: Int
  /// The exponential ziggurat's tables (shared, read-only).
  @usableFromInline let ziggurat = ExponentialZiggurat.shared

  /// Seeds one generator per stream id.
  public init(seed: UInt64, streams: [StreamID], generator: RandomGenerator = .taus2) {
    count = streams.count
    generators = .allocate(capacity: max(streams.count, 1))
    for (i, id) in streams.enumerated() {
      (generators + i).initialize(to: RandomStream.makeGenerator(seed: seed, stream: id, generator: generator))
    }
    taus2States = RandomStreamBank.taus2StatePointers(generators, count: count)
  }

  private init(cloning other: RandomStreamBank) {
    count = other.count
    generators = .allocate(capacity: max(other.count, 1))
    for i in 0..<other.count {
      guard let clone = gsl_rng_clone(other.generators[i]) else { fatalError("gsl_rng_clone: out of memory") }
      (generators + i).initialize(to: clone)
    }
    taus2States = RandomStreamBank.taus2StatePointers(generators, count: count)
  }

  /// The state pointers if every generator is a taus2 whose state is the three `unsigned long`s of
  /// GSL's taus.c (checked, as `driftsim_taus2_set_state` does), else nil.
  private static func taus2StatePointers(
    _ generators: UnsafeMutablePointer<UnsafeMutablePointer<gsl_rng>>, count: Int
  ) -> UnsafeMutablePointer<UnsafeMutablePointer<UInt>>? {
    for i in 0..<count {
      let r = generators[i]
      guard r.pointee.type == driftsim_rng_taus2(), gsl_rng_size(r) == 3 * MemoryLayout<UInt>.size else { return nil }
    }
    let states = UnsafeMutablePointer<UnsafeMutablePointer<UInt>>.allocate(capacity: max(count, 1))
    for i in 0..<count {
      (states + i).initialize(to: gsl_rng_state(generators[i]).assumingMemoryBound(to: UInt.self))
    }
    return states
  }

  deinit {
    for i in 0..<count { gsl_rng_free(generators[i]) }
    generators.deallocate()
    taus2States?.deallocate()
  }

  /// An independent bank in the same state: both produce the same future draws.
  public func copy() -> RandomStreamBank { RandomStreamBank(cloning: self) }

  /// One step of GSL's taus2 (`taus_get` in GSL's taus.c, L'Ecuyer 1999) on `state`, in place.
  @inlinable @inline(__always)
  static func taus2Next(_ state: UnsafeMutablePointer<UInt>) -> UInt32 {
    let mask: UInt = 0xFFFF_FFFF
    var s1 = state[0], s2 = state[1], s3 = state[2]
    s1 = (((s1 & 4_294_967_294) << 12) & mask) ^ ((((s1 << 13) & mask) ^ s1) >> 19)
    s2 = (((s2 & 4_294_967_288) << 4) & mask) ^ ((((s2 << 2) & mask) ^ s2) >> 25)
    s3 = (((s3 & 4_294_967_280) << 17) & mask) ^ ((((s3 << 3) & mask) ^ s3) >> 11)
    state[0] = s1
    state[1] = s2
    state[2] = s3
    return UInt32(truncatingIfNeeded: s1 ^ s2 ^ s3)
  }

  /// `gsl_rng_uniform` of stream `index`: a draw in [0, 1) with 2^−32 resolution.
  @inlinable @inline(__always)
  func uniform(_ index: Int) -> Double {
    if let states = taus2States { return Double(Self.taus2Next(states[index])) * 0x1p-32 }
    return gsl_rng_uniform(generators[index])
  }

  /// The next 32-bit output of stream `index` (`gsl_rng_get`; inlined for taus2).
  @inlinable @inline(__always)
  public func nextRaw(_ index: Int) -> UInt32 {
    if let states = taus2States { return Self.taus2Next(states[index]) }
    return UInt32(truncatingIfNeeded: gsl_rng_get(generators[index]))
  }

  /// A uniform draw in (0, 1) from stream `index`.
  @inlinable public func uniformOpen(_ index: Int) -> Double { gsl_rng_uniform_pos(generators[index]) }

  /// A standard exponential draw (mean 1) from stream `index` by the 256-layer exponential
  /// ziggurat on the generator's 32-bit outputs (`ExponentialZiggurat`; one output in ≈ 97.8 % of
  /// draws, a log only in the tail beyond 7.7, i.e. in 0.045 % of draws). Values lie in
  /// [0, ≈ 29.9]. This is not the stream of `gsl_ran_exponential` (−log(1 − u), one log per draw),
  /// which DriftSim used before wave 3 (traces without the header key `exponential:
  /// ziggurat-256`): same distribution, different values.
  @inlinable @inline(__always)
  public func standardExponential(_ index: Int) -> Double {
    ziggurat.draw { nextRaw(index) }
  }

  /// An exponential draw with the given mean from stream `index` (mean × `standardExponential`).
  /// - Parameter mean: the mean, > 0, in the caller's units (seconds, bits, ...).
  @inlinable public func exponential(_ index: Int, mean: Double) -> Double { mean * standardExponential(index) }

  /// A Rayleigh-fading power gain |H|² ~ Exp(1) from stream `index` (dimensionless).
  @inlinable public func rayleighPowerGain(_ index: Int) -> Double { standardExponential(index) }

  /// Fills `buffer` with Rayleigh-fading power gains from stream `index`, in order: the same values
  /// as that many calls of `rayleighPowerGain(index)`.
  @inlinable public func fillRayleighPowerGains(_ index: Int, _ buffer: UnsafeMutableBufferPointer<Double>) {
    for i in buffer.indices { buffer[i] = standardExponential(index) }
  }

  /// For every stream r in 0..<`streams`, draws Rayleigh power gains from stream r for its output
  /// positions `links[streamEnds[r − 1] ..< streamEnds[r]]` (from 0 for r = 0), in order, and
  /// stores `scales[i] · gain` at `output[i]` for each such position i: the same values, in the
  /// same order, as `output[i] = scales[i] * rayleighPowerGain(r)` in a loop over the positions.
  ///
  /// For taus2 each stream's three state words stay in registers across its draws (a single draw
  /// loads and stores them through the bank's pointers), and are written back before the
  /// ziggurat's rare slow path, which draws through the bank as usual.
  /// - Parameters:
  ///   - streams: how many streams draw (the first `streams` of the bank).
  ///   - links: the output positions, stream by stream, in draw order.
  ///   - streamEnds: per stream, the end (exclusive) of its positions in `links`.
  ///   - scales: a factor per output position (e.g. path gains, dimensionless).
  ///   - output: where the scaled gains go.
  @inlinable @inline(__always)
  public func fillScaledRayleighPowerGains(
    streams: Int, links: UnsafePointer<Int>, streamEnds: UnsafePointer<Int>, scales: UnsafePointer<Double>,
    into output: UnsafeMutablePointer<Double>
  ) {
    guard let states = taus2States else {
      var link = 0
      for r in 0..<streams {
        while link < streamEnds[r] {
          output[links[link]] = scales[links[link]] * standardExponential(r)
          link &+= 1
        }
      }
      return
    }
    let scale = ziggurat.scale, threshold = ziggurat.threshold
    let mask: UInt = 0xFFFF_FFFF
    var link = 0
    for r in 0..<streams {
      let end = streamEnds[r]
      guard link < end else { continue }
      let state = states[r]
      var s1 = state[0], s2 = state[1], s3 = state[2]
      repeat {
        let i = links[link]
        // GSL's taus2 step, as `taus2Next`.
        s1 = (((s1 & 4_294_967_294) << 12) & mask) ^ ((((s1 << 13) & mask) ^ s1) >> 19)
        s2 = (((s2 & 4_294_967_288) << 4) & mask) ^ ((((s2 << 2) & mask) ^ s2) >> 25)
        s3 = (((s3 & 4_294_967_280) << 17) & mask) ^ ((((s3 << 3) & mask) ^ s3) >> 11)
        let bits = UInt32(truncatingIfNeeded: s1 ^ s2 ^ s3)
        let layer = Int(bits & 0xFF)
        let position = bits &>> 8
        let gain: Double
        if position < threshold[layer] {
          gain = (Double(position) + 0.5) * scale[layer]
        } else {
          state[0] = s1
          state[1] = s2
          state[2] = s3
          gain = slowRayleighPowerGain(state: state, layer: layer, position: position)
          s1 = state[0]
          s2 = state[1]
          s3 = state[2]
        }
        output[i] = scales[i] * gain
        link &+= 1
      } while link < end
      state[0] = s1
      state[1] = s2
      state[2] = s3
    }
  }

  /// The ziggurat's slow path for `fillScaledRayleighPowerGains`, drawing from the taus2 `state`.
  @inline(never) @usableFromInline
  func slowRayleighPowerGain(state: UnsafeMutablePointer<UInt>, layer: Int, position: UInt32) -> Double {
    ziggurat.slowDraw(layer: layer, position: position) { Self.taus2Next(state) }
  }

  /// A Poisson draw with mean `mean` from stream `index`.
  @inlinable public func poisson(_ index: Int, mean: Double) -> UInt32 { UInt32(gsl_ran_poisson(generators[index], mean)) }
}
