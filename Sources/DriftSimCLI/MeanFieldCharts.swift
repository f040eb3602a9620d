import DriftSimMeanField
import DriftSimPlot
import Foundation

/// SVG charts of the mean-field studies, built from their typed results (the model module does
/// not draw).
enum MeanFieldCharts {
  /// A log–log plot of E‖x − x*‖² against M with 95 % intervals, the exact values when known, and
  /// the reference slope −1 through the largest M.
  static func scaling(_ result: ScalingResult) -> String {
    var chart = SVGChart(
      title: "Mean-field error, \(result.model): E‖x − x*‖² vs M (slope \(String(format: "%.3f", result.slope)))", xLabel: "population M",
      yLabel: "E‖x − x*‖²", logX: true, logY: true)
    let rows = result.rows
    let m = rows.map { Double($0.population) }
    chart.series.append(
      SVGChart.Series(
        name: "simulation (95% CI)", x: m, y: rows.map(\.meanSquareError),
        errorBars: rows.map { ($0.meanSquareErrorCI95[0], $0.meanSquareErrorCI95[1]) }, line: false, markers: true))
    let exact = rows.compactMap { row in row.exactScaledError.map { $0 / Double(row.population) } }
    if exact.count == rows.count {
      chart.series.append(SVGChart.Series(name: "exact (birth–death)", x: m, y: exact, line: true))
    }
    if let last = rows.last {
      let anchor = last.meanSquareError * Double(last.population)
      chart.series.append(SVGChart.Series(name: "slope −1", x: m, y: m.map { anchor / $0 }, line: true, dashed: true))
    }
    return chart.render()
  }

  /// x_component^M(t) for every M against the ODE solution.
  static func trajectory(_ result: TrajectoryResult, component: Int) -> String {
    var chart = SVGChart(
      title: "\(result.model): x\(component)^M(t) against the mean-field ODE", xLabel: "time t (s)", yLabel: "x\(component)")
    for row in result.rows {
      chart.series.append(SVGChart.Series(name: "M = \(row.population)", x: result.sampleTimes, y: row.samples.map { $0[component] }))
    }
    chart.series.append(SVGChart.Series(name: "ODE", x: result.sampleTimes, y: result.odeSamples.map { $0[component] }, dashed: true))
    return chart.render()
  }

  /// Every occupancy component of an ODE solution against time.
  static func ode(model: String, stateNames: [String], times: [Double], path: [[Double]]) -> String {
    var chart = SVGChart(title: "\(model): mean-field ODE", xLabel: "time t (s)", yLabel: "occupancy")
    for i in stateNames.indices {
      chart.series.append(SVGChart.Series(name: stateNames[i], x: times, y: path.map { $0[i] }))
    }
    return chart.render()
  }
}
