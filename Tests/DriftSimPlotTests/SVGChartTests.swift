import Foundation
import Testing

@testable import DriftSimPlot

@Suite("SVG charts")
struct SVGChartTests {
  func polylines(_ svg: String) -> [String] {
    svg.split(separator: "\n").filter { $0.hasPrefix("<polyline") }.map(String.init)
  }

  func pointCount(_ polyline: String) -> Int {
    guard let start = polyline.range(of: "points=\""), let end = polyline[start.upperBound...].firstIndex(of: "\"") else { return 0 }
    return polyline[start.upperBound..<end].split(separator: " ").count
  }

  @Test("a non-finite point breaks the line into separate polylines")
  func breaks() {
    var chart = SVGChart(title: "t", xLabel: "x", yLabel: "y")
    chart.series = [SVGChart.Series(name: "s", x: [0, 1, 2, 3, 4, 5], y: [1, 2, .nan, 3, 4, 5])]
    let lines = polylines(chart.render())
    #expect(lines.count == 2)
    #expect(lines.map(pointCount) == [2, 3])
  }

  @Test("a staircase inserts the horizontal step before each rise")
  func staircase() {
    var chart = SVGChart(title: "t", xLabel: "x", yLabel: "y")
    chart.series = [SVGChart.Series(name: "cdf", x: [1, 2, 3], y: [0.2, 0.5, 1], step: true)]
    #expect(polylines(chart.render()).map(pointCount) == [5])
  }

  @Test("log axes drop non-positive values; error bars, markers, dashes and escaping render")
  func features() {
    var chart = SVGChart(title: "a < b & c", xLabel: "M", yLabel: "E", logX: true, logY: true)
    chart.series = [
      SVGChart.Series(name: "sim", x: [0, 10, 100, 1000], y: [1, 0.1, 0.01, 0.001], errorBars: [(1, 1), (0.09, 0.11), (0.009, 0.011), (0.0009, 0.0011)], line: false, markers: true),
      SVGChart.Series(name: "ref", x: [10, 1000], y: [0.1, 0.001], dashed: true),
    ]
    let svg = chart.render()
    #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
    #expect(svg.contains("a &lt; b &amp; c"))
    #expect(svg.components(separatedBy: "<circle").count - 1 == 3)  // x = 0 is dropped on a log axis
    #expect(svg.contains("stroke-dasharray"))
    #expect(chart.render() == svg)  // deterministic
  }
}

@Suite("Axis ticks")
struct TickTests {
  @Test("linear ticks are round multiples of 1, 2 or 5 × 10^k inside the range")
  func linear() {
    #expect(SVGChart.ticks(0.6216, 17.44, log: false) == [5, 10, 15])  // span 16.8 → step 5
    #expect(SVGChart.ticks(-1, 1, log: false) == [-1, -0.5, 0, 0.5, 1])
    #expect(SVGChart.ticks(1, 1, log: false).isEmpty)
  }

  @Test("log ticks are whole decades")
  func log() {
    #expect(SVGChart.ticks(1.7, 4.2, log: true) == [2, 3, 4])
    #expect(SVGChart.ticks(-12, 3, log: true) == [-12, -9, -6, -3, 0, 3])
  }
}
