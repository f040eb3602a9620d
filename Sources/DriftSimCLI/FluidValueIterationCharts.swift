import DriftSimFluidValidation
import DriftSimPlot
import Foundation

/// SVG charts of the value-iteration studies, built from their typed results.
enum FluidCharts {
  /// h(Q), J(Q) and J(Q) + βQ/(2λ) for Q = 0…min(N, upper) (like the paper's Fig. 5).
  static func valueIteration(_ outcome: ValueIterationStudy.Outcome, gamma: Double, upTo upper: Int) -> String {
    let report = outcome.report
    var chart = SVGChart(
      title: String(format: "Relative value h(Q) vs fluid J(Q), γ = %g (θ = %.4g, c∞ = %.4g)", gamma, report.theta, report.cInf),
      xLabel: "queue Q (packets)", yLabel: "cost")
    let last = min(report.model.truncation, max(upper, 1))
    let xs = (0...last).map(Double.init)
    let m = report.model
    chart.series.append(SVGChart.Series(name: "h(Q) (value iteration)", x: xs, y: (0...last).map { outcome.h[$0] }))
    chart.series.append(SVGChart.Series(name: "J(Q) (fluid)", x: xs, y: (0...last).map { outcome.fluidValue[$0] }, dashed: true))
    chart.series.append(
      SVGChart.Series(
        name: "J(Q) + βQ/(2λ)", x: xs, y: (0...last).map { outcome.fluidValue[$0] + m.beta * Double($0) / (2 * m.arrivalRate) }, dashed: true))
    return chart.render()
  }

  /// V along the q1 axis and the diagonal against J1 + J2, the single-pair sum and the corrected V.
  static func twoPair(_ report: TwoPairStudy.Report) -> String {
    var chart = SVGChart(
      title: String(format: "K = 2 (L12 = %g): V − V(0,0) vs J1 + J2, γ = %g", report.crossGains[0], report.gamma), xLabel: "q1 (packets)",
      yLabel: "cost")
    let axis = report.alongQ1Axis, diagonal = report.diagonal
    let xs = axis.map { Double($0.q1) }
    chart.series.append(SVGChart.Series(name: "V(q1,0) (VI)", x: xs, y: axis.map(\.h), markers: true))
    chart.series.append(SVGChart.Series(name: "J1(q1)+J2(0)", x: xs, y: axis.map(\.J1PlusJ2), dashed: true))
    chart.series.append(SVGChart.Series(name: "V(q,q) (VI)", x: xs, y: diagonal.map(\.h), markers: true))
    chart.series.append(SVGChart.Series(name: "J1(q)+J2(q)", x: xs, y: diagonal.map(\.J1PlusJ2), dashed: true))
    chart.series.append(SVGChart.Series(name: "h1(q)+h2(q) (K=1 VI)", x: xs, y: diagonal.map(\.singlePairSum), dashed: true))
    chart.series.append(SVGChart.Series(name: "V(q,q) corrected", x: xs, y: diagonal.map(\.couplingCorrected), markers: true))
    return chart.render()
  }
}
