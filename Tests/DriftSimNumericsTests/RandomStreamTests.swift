import Testing

@testable import DriftSimNumerics

@Suite("Random streams")
struct RandomStreamTests {
  @Test("stream ids and draws equal the independent Python reimplementation", arguments: RandomStreamReference.cases.indices)
  func matchesReference(index: Int) {
    let reference = RandomStreamReference.cases[index]
    let id = StreamID(path: reference.path)
    #expect(id.rawValue == reference.streamID)
    var stream = RandomStream(seed: reference.seed, stream: id)
    let raw = (0..<reference.raw.count).map { _ in stream.nextRaw() }
    #expect(raw == reference.raw)
    for expected in reference.exponentialMean2p5 {
      let value = stream.exponential(mean: 2.5)
      // log1p may differ by an ulp between C libraries; the uniform behind it is exact.
      #expect(abs(value - expected) <= 4 * expected.ulp)
    }
  }

  @Test("same seed and stream give the same sequence, for every generator", arguments: RandomGenerator.allCases)
  func determinism(generator: RandomGenerator) {
    var a = RandomStream(seed: 7, stream: StreamID(3, 4), generator: generator)
    var b = RandomStream(seed: 7, stream: StreamID(3, 4), generator: generator)
    for _ in 0..<1000 {
      #expect(a.exponential(mean: 1) == b.exponential(mean: 1))
      #expect(a.poisson(mean: 3.5) == b.poisson(mean: 3.5))
    }
  }

  @Test("different streams and seeds give different sequences")
  func distinctStreams() {
    var seen = Set<[UInt32]>()
    for seed: UInt64 in [0, 1, 2] {
      for stream in 0..<50 as Range<UInt64> {
        var r = RandomStream(seed: seed, stream: StreamID(stream))
        seen.insert((0..<4).map { _ in r.nextRaw() })
      }
    }
    #expect(seen.count == 150)
    #expect(StreamID(1, 2) != StreamID(2, 1))
    #expect(StreamID(1) != StreamID(1, 0))
  }

  @Test("copies are independent values that replay the same future (common random numbers)")
  func valueSemantics() {
    var original = RandomStream(seed: 11, stream: StreamID(1))
    _ = original.uniformOpen()
    var copy = original
    let fromCopy = (0..<10).map { _ in copy.uniformOpen() }
    let fromOriginal = (0..<10).map { _ in original.uniformOpen() }
    #expect(fromCopy == fromOriginal)
    var fill = RandomStream(seed: 11, stream: StreamID(9))
    var single = fill
    var buffer = [Double](repeating: 0, count: 16)
    buffer.withUnsafeMutableBufferPointer { fill.fillExponential($0, mean: 3) }
    #expect(buffer == (0..<16).map { _ in single.exponential(mean: 3) })
  }

  /// Sample mean and variance; checked against the true moments with a z-score bound of 5
  /// (a false alarm has probability ~6e-7 per check; the seeds are fixed, so a test is repeatable).
  func moments(_ n: Int, _ draw: () -> Double) -> (mean: Double, variance: Double) {
    var mean = 0.0, m2 = 0.0
    for i in 1...n {
      let x = draw()
      let delta = x - mean
      mean += delta / Double(i)
      m2 += delta * (x - mean)
    }
    return (mean, m2 / Double(n - 1))
  }

  @Test("first two moments of every draw", arguments: [UInt64(1), 2, 3])
  func distributionMoments(seed: UInt64) {
    let n = 200_000
    var r = RandomStream(seed: seed, stream: StreamID(5))
    // Uniform(0,1): mean 1/2, variance 1/12; Var of the sample variance uses μ4 = 1/80.
    let u = moments(n) { r.uniformOpen() }
    #expect(abs(u.mean - 0.5) <= 5 * (1.0 / 12 / Double(n)).squareRoot())
    #expect(abs(u.variance - 1.0 / 12) <= 5 * ((1.0 / 80 - 1.0 / 144) / Double(n)).squareRoot())
    // Exponential with mean 2.5: variance 6.25, μ4 = 9 · 2.5⁴.
    let e = moments(n) { r.exponential(mean: 2.5) }
    #expect(abs(e.mean - 2.5) <= 5 * (6.25 / Double(n)).squareRoot())
    #expect(abs(e.variance - 6.25) <= 5 * ((9 * 39.0625 - 39.0625) / Double(n)).squareRoot())
    // |H|² ~ Exp(1).
    let h = moments(n) { r.rayleighPowerGain() }
    #expect(abs(h.mean - 1) <= 5 * (1 / Double(n)).squareRoot())
    #expect(abs(h.variance - 1) <= 5 * (8 / Double(n)).squareRoot())
    // Poisson(3.5): mean = variance = 3.5, μ4 = 3μ² + μ.
    let p = moments(n) { Double(r.poisson(mean: 3.5)) }
    #expect(abs(p.mean - 3.5) <= 5 * (3.5 / Double(n)).squareRoot())
    #expect(abs(p.variance - 3.5) <= 5 * ((3 * 12.25 + 3.5 - 12.25) / Double(n)).squareRoot())
    #expect(r.poisson(mean: 0) == 0)
  }

  @Test("uniformOpen never returns 0 or 1")
  func openInterval() {
    var r = RandomStream(seed: 3, stream: StreamID(1))
    for _ in 0..<100_000 {
      let u = r.uniformOpen()
      #expect(u > 0 && u < 1)
    }
  }

  @Test("neighbouring streams are uncorrelated")
  func crossCorrelation() {
    let n = 100_000
    var a = RandomStream(seed: 1, stream: StreamID(0))
    var b = RandomStream(seed: 1, stream: StreamID(1))
    var c = RandomStream(seed: 2, stream: StreamID(0))
    var sab = 0.0, sac = 0.0
    for _ in 0..<n {
      let x = a.uniformOpen() - 0.5, y = b.uniformOpen() - 0.5, z = c.uniformOpen() - 0.5
      sab += x * y
      sac += x * z
    }
    // Correlation estimate has standard deviation 1/sqrt(n); E[xy] = 0 with sd (1/12)/sqrt(n).
    let bound = 5 * (1.0 / 12) / Double(n).squareRoot()
    #expect(abs(sab / Double(n)) <= bound)
    #expect(abs(sac / Double(n)) <= bound)
  }
}

@Suite("Random stream banks")
struct RandomStreamBankTests {
  @Test("stream i of a bank draws what RandomStream draws, and copies replay")
  func matchesRandomStream() {
    let ids = [StreamID(1, 0), StreamID(1, 1), StreamID(3, 7)]
    let bank = RandomStreamBank(seed: 99, streams: ids)
    for (i, id) in ids.enumerated() {
      var single = RandomStream(seed: 99, stream: id)
      for _ in 0..<100 {
        // The bank's exponentials are the ziggurat on the stream's raw outputs.
        #expect(bank.exponential(i, mean: 2) == 2 * referenceZiggurat { single.nextRaw() })
        #expect(bank.rayleighPowerGain(i) == referenceZiggurat { single.nextRaw() })
        #expect(bank.poisson(i, mean: 4) == single.poisson(mean: 4))
        #expect(bank.uniformOpen(i) == single.uniformOpen())
      }
    }
    let copy = bank.copy()
    #expect((0..<10).map { _ in copy.uniformOpen(2) } == (0..<10).map { _ in bank.uniformOpen(2) })
  }
}
