/// SplitMix64 (Steele, Lea & Flood 2014): reproducible test data, lengths and blocks, the same on
/// every platform (the trace tests use no other generator).
struct SplitMix64 {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// Uniform in 0..<n (n > 0; modulo bias is irrelevant for test data).
  mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
