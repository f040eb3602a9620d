import DriftSimPlot

extension ScalingResult {
  /// A log–log plot of E‖x − x*‖² against M with 95 % intervals, the exact values when known, and
  /// the reference slope −1 through the largest M.
  public func svg() -> String {
    var chart = SVGChart(
      title: "Mean-field error, \(model): E‖x − x*‖² vs M (slope \(String(format: "%.3f", slope)))", xLabel: "population M",
      yLabel: "E‖x − x*‖²", logX: true, logY: true)
    let m = rows.map { Double($0.population) }
    chart.series.append(
      SVGChart.Series(
        name: "simulation (95% CI)", x: m, y: rows.map(\.meanSquareError),
        errorBars: rows.map { ($0.meanSquareErrorCI95[0], $0.meanSquareErrorCI95[1]) }, line: false, markers: true))
    if rows.allSatisfy({ $0.exactScaledError != nil }) {
      chart.series.append(
        SVGChart.Series(name: "exact (birth–death)", x: m, y: rows.map { $0.exactScaledError! / Double($0.population) }, line: true))
    }
    if let last = rows.last {
      let anchor = last.meanSquareError * Double(last.population)
      chart.series.append(SVGChart.Series(name: "slope −1", x: m, y: m.map { anchor / $0 }, line: true, dashed: true))
    }
    return chart.render()
  }
}

extension TrajectoryResult {
  /// x_component^M(t) for every M against the ODE solution.
  public func svg(component: Int = 1) -> String {
    var chart = SVGChart(
      title: "\(model): x\(component)^M(t) against the mean-field ODE", xLabel: "time t (s)", yLabel: "x\(component)")
    for row in rows {
      chart.series.append(SVGChart.Series(name: "M = \(row.population)", x: sampleTimes, y: row.samples.map { $0[component] }))
    }
    chart.series.append(SVGChart.Series(name: "ODE", x: sampleTimes, y: odeSamples.map { $0[component] }, dashed: true))
    return chart.render()
  }
}
