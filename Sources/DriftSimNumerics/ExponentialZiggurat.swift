import Glibc

/// The tables of Marsaglia & Tsang's (2000) ziggurat for the standard exponential density
/// f(x) = e^−x (x ≥ 0, mean 1), with 256 layers of equal area, as `RandomStreamBank` draws it.
///
/// ### Layers
/// x₁ = r = 7.69711747013104971… and every layer has the area v = (r + 1) e^−r (the base layer is the
/// rectangle [0, r] × [0, f(r)] plus the tail beyond r). Layer i ≥ 1 is the rectangle
/// [0, xᵢ] × [f(xᵢ), f(xᵢ₊₁)], so xᵢ₊₁ = −log(f(xᵢ) + v / xᵢ), and r is the root that closes the
/// stack: x₂₅₆ = 0, i.e. f(x₂₅₅) + v / x₂₅₅ = 1. The base layer is drawn as a rectangle of width
/// x₀ = v / f(r) whose part beyond r stands for the tail.
///
/// ### A draw (one 32-bit output of the uniform generator in ≈ 97.8 % of draws)
/// The low 8 bits of the output choose the layer i, the high 24 bits j give x = (j + ½) · xᵢ / 2²⁴
/// (the midpoint of the j-th of 2²⁴ cells, so the grid is unbiased and never yields 0, which would
/// be a zero packet size or inter-arrival time). If x < xᵢ₊₁ (j below the integer threshold kᵢ)
/// x lies under the density and is returned. Otherwise:
/// in the base layer x ≥ r means the tail, drawn exactly as r + Exp(1) = r − log(1 − u) with one
/// more output (memorylessness, one log); in layer i ≥ 1 a second output u places y = f(xᵢ) +
/// u (f(xᵢ₊₁) − f(xᵢ)) and x is accepted if y < e^−x, else the draw starts again.
///
/// ### Why 24 bits for the position
/// Within a layer the values lie on a grid of spacing xᵢ / 2²⁴ ≤ x₀ / 2²⁴ ≈ 5.2·10⁻⁷ (in units of
/// the mean), so the sampled CDF differs from the exact one by at most f · spacing ≤ 5.2·10⁻⁷ at
/// any point: a Kolmogorov–Smirnov test would need ≈ 10¹³ draws to see it (its resolution is
/// ≈ 1.36/√n), ten thousand times more than any run draws, and a simulation's estimates carry
/// statistical errors above 10⁻⁴. In exchange the common case costs one generator step, one
/// table look-up, one compare and one multiply. Layer bits and position bits come from disjoint
/// bits of the output, so the layer does not bias the position (Marsaglia & Tsang's original
/// reused the layer bits inside the position).
///
/// The tables are computed once from r by the recurrence above (in binary64; the unit tests check
/// them against the closed forms and against values computed independently in 40-digit arithmetic).
/// Sendable because nothing is written after `init` (the raw tables exist so the hot path reads them
/// without array bounds checks or copy-on-write checks).
public final class ExponentialZiggurat: @unchecked Sendable {
  /// Number of layers.
  public static let layers = 256
  /// r = x₁, the start of the tail (in units of the mean).
  public static let tailStart = 7.697_117_470_131_049_714
  /// The common area of the layers, v = (r + 1) e^−r.
  public static let layerArea = 3.949_659_822_581_557_22e-3

  /// The layer right edges x₀ … x₂₅₆ (x₀ = v/f(r), x₁ = r, x₂₅₆ = 0), 257 values.
  public let edges: [Double]
  /// f(xᵢ) = e^−xᵢ for i = 0 … 256 (f(x₀) = f(r) by construction of the base layer).
  public let densities: [Double]

  /// xᵢ / 2²⁴: multiplies the 24-bit position j into x (256 values).
  @usableFromInline let scale: UnsafeMutablePointer<Double>
  /// kᵢ = ⌈2²⁴ xᵢ₊₁ / xᵢ − ½⌉: j < kᵢ means (j + ½) xᵢ / 2²⁴ < xᵢ₊₁, under the density (256 values).
  @usableFromInline let threshold: UnsafeMutablePointer<UInt32>
  /// f(xᵢ) for i = 0 … 256, for the wedge test.
  @usableFromInline let height: UnsafeMutablePointer<Double>

  /// The tables every bank uses.
  public static let shared = ExponentialZiggurat(edges: ExponentialZiggurat.computeEdges())

  /// Builds the draw tables from layer edges (257 values, x₀ first); `shared` is the one to use.
  /// Tests build perturbed tables with it to show that the checks catch a wrong entry.
  public init(edges: [Double]) {
    precondition(edges.count == Self.layers + 1, "a 256-layer ziggurat has 257 edges")
    self.edges = edges
    var f = edges.map { exp(-$0) }
    f[0] = exp(-edges[1])  // the base layer's rectangle has height f(r)
    densities = f
    scale = .allocate(capacity: Self.layers)
    threshold = .allocate(capacity: Self.layers)
    height = .allocate(capacity: Self.layers + 1)
    for i in 0..<Self.layers {
      scale[i] = edges[i] * 0x1p-24
      threshold[i] = Self.fastThreshold(edges[i + 1] / edges[i])
    }
    for i in 0...Self.layers { height[i] = f[i] }
  }

  deinit {
    scale.deallocate()
    threshold.deallocate()
    height.deallocate()
  }

  /// The number of cell midpoints (j + ½)/2²⁴ below `ratio` = xᵢ₊₁/xᵢ ∈ [0, 1).
  static func fastThreshold(_ ratio: Double) -> UInt32 {
    UInt32(max(0, (ratio * 0x1p24 - 0.5).rounded(.up)))
  }

  /// x₀ … x₂₅₆ by the recurrence xᵢ₊₁ = −log(e^−xᵢ + v/xᵢ) from x₁ = r; x₂₅₆ is set to its exact 0.
  public static func computeEdges() -> [Double] {
    let r = tailStart, v = layerArea
    var x = [Double](repeating: 0, count: layers + 1)
    x[0] = v * exp(r)
    x[1] = r
    for i in 1..<(layers - 1) { x[i + 1] = -log(exp(-x[i]) + v / x[i]) }
    x[layers] = 0
    return x
  }

  /// How far the tables are from the closed forms, as the largest relative error of: each layer's
  /// area against v (base: r f(r) + e^−r; layer i ≥ 1: xᵢ (f(xᵢ₊₁) − f(xᵢ))), the base width
  /// x₀ f(r) against v, and the closure f(x₂₅₅) + v/x₂₅₅ against 1. Correct tables give ≈ 10⁻¹³.
  public func closedFormError() -> Double {
    let r = edges[1], v = Self.layerArea
    var worst = abs(r * exp(-r) + exp(-r) - v) / v
    worst = max(worst, abs(edges[0] * exp(-r) - v) / v)
    for i in 1..<Self.layers {
      let area = edges[i] * (exp(-edges[i + 1]) - exp(-edges[i]))
      worst = max(worst, abs(area - v) / v)
    }
    worst = max(worst, abs(exp(-edges[Self.layers - 1]) + v / edges[Self.layers - 1] - 1))
    for i in 0..<Self.layers {
      // The fast-path thresholds and scales must be the ones these edges give.
      if scale[i] != edges[i] * 0x1p-24 || threshold[i] != Self.fastThreshold(edges[i + 1] / edges[i]) {
        return .infinity
      }
    }
    return worst
  }

  /// A standard exponential draw (mean 1) from 32-bit outputs of `next` (see the type's
  /// documentation). `next` is called once in ≈ 97.8 % of draws.
  @inlinable @inline(__always)
  public func draw(_ next: () -> UInt32) -> Double {
    let bits = next()
    let layer = Int(bits & 0xFF)
    let position = bits &>> 8
    if position < threshold[layer] { return (Double(position) + 0.5) * scale[layer] }
    return slowDraw(layer: layer, position: position, next)
  }

  /// A draw of the tail beyond r: r + Exp(1) by inversion, r − log(1 − u) with u = output / 2³² < 1
  /// (one log; values in [r, r + 22.2]). Exact by the exponential's memorylessness.
  @inlinable
  public func tailDraw(_ next: () -> UInt32) -> Double {
    Self.tailStart - log1p(-Double(next()) * 0x1p-32)
  }

  /// The rare part of a draw: tail, wedge test, or a new try after a rejection.
  @inline(never)
  @usableFromInline
  func slowDraw(layer firstLayer: Int, position firstPosition: UInt32, _ next: () -> UInt32) -> Double {
    var layer = firstLayer, position = firstPosition
    while true {
      let x = (Double(position) + 0.5) * scale[layer]
      if position < threshold[layer] { return x }
      if layer == 0 {
        if x < Self.tailStart { return x }  // a base-rectangle point the integer threshold left out
        return tailDraw(next)
      }
      let u = Double(next()) * 0x1p-32
      let y = height[layer] + u * (height[layer + 1] - height[layer])
      if y < exp(-x) { return x }
      let bits = next()
      layer = Int(bits & 0xFF)
      position = bits &>> 8
    }
  }
}
