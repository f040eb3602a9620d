import Foundation

/// A minimal SVG chart for every plot DriftSim draws: lines (optionally staircase or dashed),
/// markers, vertical error bars, linear or logarithmic axes. No dependencies; the output is
/// deterministic text.
public struct SVGChart: Sendable {
  /// One data series.
  public struct Series: Sendable {
    /// Legend text.
    public var name: String
    /// x values.
    public var x: [Double]
    /// y values.
    public var y: [Double]
    /// Optional (lower, upper) per point, drawn as error bars.
    public var errorBars: [(Double, Double)]?
    /// Draw a polyline through the points.
    public var line: Bool
    /// Draw markers at the points.
    public var markers: Bool
    /// Dashed line.
    public var dashed: Bool
    /// Draw the line as a staircase (horizontal, then vertical): for empirical CDFs.
    public var step: Bool
    /// Creates a series. Points with a non-finite coordinate (or x ≤ 0 on a log axis) are skipped
    /// and break the line there.
    public init(
      name: String, x: [Double], y: [Double], errorBars: [(Double, Double)]? = nil, line: Bool = true, markers: Bool = false,
      dashed: Bool = false, step: Bool = false
    ) {
      self.name = name
      self.x = x
      self.y = y
      self.errorBars = errorBars
      self.line = line
      self.markers = markers
      self.dashed = dashed
      self.step = step
    }
  }

  /// Title above the plot.
  public var title: String
  /// x-axis label.
  public var xLabel: String
  /// y-axis label.
  public var yLabel: String
  /// Logarithmic x axis.
  public var logX = false
  /// Logarithmic y axis.
  public var logY = false
  /// The series, drawn in order.
  public var series: [Series] = []

  /// Creates an empty chart.
  public init(title: String, xLabel: String, yLabel: String, logX: Bool = false, logY: Bool = false) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.logX = logX
    self.logY = logY
  }

  static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

  /// Round tick positions in [lo, hi] (transformed coordinates): whole decades on a log axis
  /// (every other one when there are many), else multiples of 1, 2 or 5 × 10^k, three to six ticks.
  static func ticks(_ lo: Double, _ hi: Double, log: Bool) -> [Double] {
    guard hi > lo, lo.isFinite, hi.isFinite else { return [] }
    if log {
      let first = lo.rounded(.up), last = hi.rounded(.down)
      guard first <= last else { return [] }
      let step = max(1, ((last - first) / 6).rounded(.up))
      return stride(from: first, through: last, by: step).map { $0 }
    }
    let raw = (hi - lo) / 6
    let magnitude = Foundation.pow(10, Foundation.log10(raw).rounded(.down))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    var ticks: [Double] = []
    var t = (lo / step).rounded(.up) * step
    while t <= hi + step * 1e-9 && ticks.count < 20 {
      ticks.append(abs(t) < step * 1e-9 ? 0 : t)
      t += step
    }
    return ticks
  }

  /// The SVG document (800 × 500 px).
  public func render() -> String {
    let width = 800.0, height = 500.0, left = 80.0, right = 180.0, top = 40.0, bottom = 60.0
    func tx(_ v: Double) -> Double { logX ? Foundation.log10(v) : v }
    func ty(_ v: Double) -> Double { logY ? Foundation.log10(v) : v }
    var xs: [Double] = [], ys: [Double] = []
    for s in series {
      xs += s.x.map(tx)
      ys += s.y.map(ty)
      if let bars = s.errorBars { ys += bars.flatMap { [ty($0.0), ty($0.1)] } }
    }
    xs = xs.filter(\.isFinite)
    ys = ys.filter(\.isFinite)
    var xMin = xs.min() ?? 0, xMax = xs.max() ?? 1, yMin = ys.min() ?? 0, yMax = ys.max() ?? 1
    if xMax <= xMin { xMax = xMin + 1 }
    if yMax <= yMin { yMax = yMin + 1 }
    let yPad = (yMax - yMin) * 0.05, xPad = logX ? (xMax - xMin) * 0.05 : 0
    yMin -= yPad
    yMax += yPad
    xMin -= xPad
    xMax += xPad
    let plotW = width - left - right, plotH = height - top - bottom
    func px(_ v: Double) -> Double { left + (tx(v) - xMin) / (xMax - xMin) * plotW }
    func py(_ v: Double) -> Double { top + (1 - (ty(v) - yMin) / (yMax - yMin)) * plotH }
    func f(_ v: Double) -> String { String(format: "%.2f", v) }
    func label(_ v: Double, log: Bool) -> String {
      let value = log ? Foundation.pow(10, v) : v
      return String(format: abs(value) >= 1e5 || (abs(value) < 1e-3 && value != 0) ? "%.0e" : "%g", value)
    }
    func escape(_ s: String) -> String {
      s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
    var out = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(f(left + plotW / 2))" y="22" text-anchor="middle" font-size="15">\(escape(title))</text>
      <rect x="\(f(left))" y="\(f(top))" width="\(f(plotW))" height="\(f(plotH))" fill="none" stroke="black"/>

      """
    // Grid lines at round values: 1-2-5 steps on linear axes, powers of ten on log axes (in the
    // transformed coordinates the chart draws in).
    for t in Self.ticks(xMin, xMax, log: logX) {
      let sx = left + (t - xMin) / (xMax - xMin) * plotW
      out += "<line x1=\"\(f(sx))\" y1=\"\(f(top))\" x2=\"\(f(sx))\" y2=\"\(f(top + plotH))\" stroke=\"#ddd\"/>\n"
      out += "<text x=\"\(f(sx))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\">\(label(t, log: logX))</text>\n"
    }
    for t in Self.ticks(yMin, yMax, log: logY) {
      let sy = top + (1 - (t - yMin) / (yMax - yMin)) * plotH
      out += "<line x1=\"\(f(left))\" y1=\"\(f(sy))\" x2=\"\(f(left + plotW))\" y2=\"\(f(sy))\" stroke=\"#ddd\"/>\n"
      out += "<text x=\"\(f(left - 6))\" y=\"\(f(sy + 4))\" text-anchor=\"end\">\(label(t, log: logY))</text>\n"
    }
    out += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 15))\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
    out += "<text transform=\"translate(18,\(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
    for (index, s) in series.enumerated() {
      let color = Self.palette[index % Self.palette.count]
      let points = zip(s.x, s.y).filter { tx($0.0).isFinite && ty($0.1).isFinite }
      if s.line {
        // One polyline per run of drawable points: a NaN (e.g. an empty bin) breaks the line.
        var segment: [(Double, Double)] = []
        func flush() {
          if segment.count >= 2 {
            let path = segment.map { "\(f(px($0.0))),\(f(py($0.1)))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\"\(s.dashed ? " stroke-dasharray=\"6,4\"" : "") points=\"\(path)\"/>\n"
          }
          segment.removeAll()
        }
        for (x, y) in zip(s.x, s.y) {
          guard tx(x).isFinite && ty(y).isFinite else {
            flush()
            continue
          }
          if s.step, let previous = segment.last { segment.append((x, previous.1)) }
          segment.append((x, y))
        }
        flush()
      }
      if s.markers {
        for (x, y) in points { out += "<circle cx=\"\(f(px(x)))\" cy=\"\(f(py(y)))\" r=\"3.5\" fill=\"\(color)\"/>\n" }
      }
      if let bars = s.errorBars {
        for (x, bar) in zip(s.x, bars) where ty(bar.0).isFinite && ty(bar.1).isFinite {
          let cx = px(x)
          out += "<line x1=\"\(f(cx))\" y1=\"\(f(py(bar.0)))\" x2=\"\(f(cx))\" y2=\"\(f(py(bar.1)))\" stroke=\"\(color)\"/>\n"
          out += "<line x1=\"\(f(cx - 4))\" y1=\"\(f(py(bar.0)))\" x2=\"\(f(cx + 4))\" y2=\"\(f(py(bar.0)))\" stroke=\"\(color)\"/>\n"
          out += "<line x1=\"\(f(cx - 4))\" y1=\"\(f(py(bar.1)))\" x2=\"\(f(cx + 4))\" y2=\"\(f(py(bar.1)))\" stroke=\"\(color)\"/>\n"
        }
      }
      let ly = top + 10 + Double(index) * 18
      out += "<line x1=\"\(f(width - right + 10))\" y1=\"\(f(ly))\" x2=\"\(f(width - right + 35))\" y2=\"\(f(ly))\" stroke=\"\(color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"6,4\"" : "")/>\n"
      out += "<text x=\"\(f(width - right + 40))\" y=\"\(f(ly + 4))\">\(escape(s.name))</text>\n"
    }
    out += "</svg>\n"
    return out
  }
}
