import Foundation

/// A minimal SVG line plot (CDFs and time series) with linear or logarithmic x axis.
public struct SVGPlot: Sendable {
  /// One line.
  public struct Series: Sendable {
    /// Legend text.
    public var name: String
    /// Points (x, y); NaN y values break the line.
    public var points: [(Double, Double)]
    /// Draw as a staircase (CDFs).
    public var step: Bool
    /// Creates a series.
    public init(name: String, points: [(Double, Double)], step: Bool = false) {
      self.name = name
      self.points = points
      self.step = step
    }
  }

  /// Title above the plot.
  public var title: String
  /// x axis label (with unit).
  public var xLabel: String
  /// y axis label (with unit).
  public var yLabel: String
  /// Logarithmic x axis (non-positive x values are dropped).
  public var logX = false
  /// The lines.
  public var series: [Series]

  /// Creates a plot.
  public init(title: String, xLabel: String, yLabel: String, logX: Bool = false, series: [Series]) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.logX = logX
    self.series = series
  }

  static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]

  /// The SVG document.
  public func render(width: Double = 720, height: Double = 440) -> String {
    let left = 70.0, right = 20.0, top = 40.0, bottom = 55.0
    let plotW = width - left - right, plotH = height - top - bottom
    func tx(_ x: Double) -> Double { logX ? log10(x) : x }
    let all = series.flatMap(\.points).filter { $0.1.isFinite && $0.0.isFinite && (!logX || $0.0 > 0) }
    var x0 = all.map { tx($0.0) }.min() ?? 0, x1 = all.map { tx($0.0) }.max() ?? 1
    var y0 = min(0, all.map(\.1).min() ?? 0), y1 = all.map(\.1).max() ?? 1
    if x1 <= x0 { x1 = x0 + 1; x0 -= logX ? 0 : 0 }
    if y1 <= y0 { y1 = y0 + 1 }
    y1 += (y1 - y0) * 0.03
    func px(_ x: Double) -> Double { left + (tx(x) - x0) / (x1 - x0) * plotW }
    func py(_ y: Double) -> Double { top + plotH - (y - y0) / (y1 - y0) * plotH }
    func f(_ v: Double) -> String { String(format: "%.1f", v) }
    func esc(_ s: String) -> String {
      s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;")
    }
    var svg = """
      <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
      viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
      <rect width="100%" height="100%" fill="white"/>
      <text x="\(f(width / 2))" y="22" text-anchor="middle" font-size="15">\(esc(title))</text>
      <rect x="\(f(left))" y="\(f(top))" width="\(f(plotW))" height="\(f(plotH))" fill="none" stroke="#333"/>

      """
    // Ticks.
    for t in niceTicks(y0, y1) {
      svg += "<line x1=\"\(f(left - 4))\" y1=\"\(f(py(t)))\" x2=\"\(f(left + plotW))\" y2=\"\(f(py(t)))\" stroke=\"#ddd\"/>"
      svg += "<text x=\"\(f(left - 7))\" y=\"\(f(py(t) + 4))\" text-anchor=\"end\">\(label(t))</text>\n"
    }
    let xTicks = logX ? (Int(x0.rounded(.down))...Int(x1.rounded(.up))).map(Double.init) : niceTicks(x0, x1)
    for t in xTicks where t >= x0 - 1e-9 && t <= x1 + 1e-9 {
      let x = left + (t - x0) / (x1 - x0) * plotW
      svg += "<line x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(top + plotH + 4))\" stroke=\"#ddd\"/>"
      svg += "<text x=\"\(f(x))\" y=\"\(f(top + plotH + 18))\" text-anchor=\"middle\">\(logX ? label(pow(10, t)) : label(t))</text>\n"
    }
    svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(height - 12))\" text-anchor=\"middle\">\(esc(xLabel))</text>\n"
    svg += "<text transform=\"translate(16 \(f(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(yLabel))</text>\n"
    for (i, s) in series.enumerated() {
      let color = Self.palette[i % Self.palette.count]
      var d = ""
      var pen = false
      var previousY: Double?
      for (x, y) in s.points {
        guard x.isFinite, y.isFinite, !logX || x > 0 else {
          pen = false
          continue
        }
        if pen, s.step, let previousY { d += "L\(f(px(x))) \(f(py(previousY))) " }
        d += (pen ? "L" : "M") + "\(f(px(x))) \(f(py(y))) "
        pen = true
        previousY = y
      }
      svg += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\"/>\n"
      let ly = top + 14 + Double(i) * 16
      svg += "<line x1=\"\(f(left + 10))\" y1=\"\(f(ly - 4))\" x2=\"\(f(left + 30))\" y2=\"\(f(ly - 4))\" stroke=\"\(color)\" stroke-width=\"2\"/>"
      svg += "<text x=\"\(f(left + 35))\" y=\"\(f(ly))\">\(esc(s.name))</text>\n"
    }
    svg += "</svg>\n"
    return svg
  }

  private func label(_ v: Double) -> String {
    if v == 0 { return "0" }
    if abs(v) >= 1e5 || abs(v) < 1e-3 { return String(format: "%.0e", v) }
    return String(format: "%g", (v * 1e6).rounded() / 1e6)
  }

  private func niceTicks(_ lo: Double, _ hi: Double) -> [Double] {
    let span = hi - lo
    guard span > 0, span.isFinite else { return [lo] }
    let raw = span / 6
    let magnitude = pow(10, (log10(raw)).rounded(.down))
    let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
    var t = (lo / step).rounded(.up) * step
    var ticks: [Double] = []
    while t <= hi + step * 1e-9, ticks.count < 20 {
      ticks.append(t)
      t += step
    }
    return ticks
  }
}
