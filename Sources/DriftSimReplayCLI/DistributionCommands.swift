import ArgumentParser
import DriftSimCLISupport
import DriftSimPlot
import Foundation
import DriftSimReplay
import DriftSimTrace

/// Output format of `delay`, `power` and `queue`.
enum PlotFormat: String, ExpressibleByArgument, CaseIterable {
  case table, csv, svg
}

/// `--format` and `--output` of the plotting subcommands.
struct PlotOptions: ParsableArguments {
  @Option(name: .long, help: "Output format: table (stdout), csv or svg.")
  var format: PlotFormat = .table

  @Option(
    name: [.customShort("o"), .long],
    help: ArgumentHelp("Write the CSV or SVG to PATH instead of stdout ('-': stdout).", valueName: "PATH"))
  var output: String?

  /// Rejects two documents on stdout and checks `--output` before the trace is read.
  func validate(json: String?) throws {
    if format != .table, output == nil, json == "-" {
      throw ValidationError("--json - and --format \(format.rawValue) would both write to stdout; add --output PATH")
    }
    if output == "-", json == "-" {
      throw ValidationError("--output - and --json - would both write to stdout; give one of them a file")
    }
    if let output, output != "-" { _ = try OutputPath.check(output, option: "--output") }
  }

  /// Writes CSV or SVG text where --output says (a file atomically, a device or FIFO through).
  func emit(_ text: String) throws {
    if let output, output != "-" {
      try OutputPath.check(output, option: "--output").write(text)
    } else {
      FileHandle.standardOutput.write(Data(text.utf8))
    }
  }
}

/// Shared rendering of a distribution report.
func render(
  _ report: DistributionReport, plot: PlotOptions, output: ReplayOutputOptions, unitName: String, scale: Double,
  logX: Bool, title: String
) throws {
  let all = report.pairs + [report.pooled]
  switch plot.format {
  case .table:
    var rows = [["pair", "count", "mean", "min"] + reportedPercentiles.map(percentileKey) + ["max", "zero"]]
    for d in all {
      rows.append(
        [d.pair.map(String.init) ?? "all", "\(d.count)", fmt(d.mean, scale), fmt(d.min, scale)]
          + reportedPercentiles.map { fmt(d.percentiles[percentileKey($0)], scale) }
          + [fmt(d.max, scale), fmt(d.zeroFraction)])
    }
    output.report("\(title), \(unitName); integrity: \(report.integrity)")
    output.report(table(rows))
  case .csv:
    var text = "pair,value,fraction\n"
    for d in all {
      let name = d.pair.map(String.init) ?? "all"
      for p in d.cdf { text += "\(name),\(p[0] * scale),\(p[1])\n" }
    }
    try plot.emit(text)
  case .svg:
    var chart = SVGChart(title: title, xLabel: unitName, yLabel: "fraction ≤ x", logX: logX)
    chart.series = all.map { d in
      SVGChart.Series(
        name: d.pair.map { "pair \($0)" } ?? "all pairs", x: d.cdf.map { $0[0] * scale }, y: d.cdf.map { $0[1] }, step: true)
    }
    try plot.emit(chart.render())
  }
  try output.writeJSON(report)
}

/// `driftsim-replay delay TRACE`: delay percentiles and CDF.
struct DelayCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "delay",
    abstract: "Delay percentiles and CDF per pair and pooled (table, CSV or SVG).",
    discussion: """
      Delays of the packets departing in the window, from packet-departure records. Quantiles come \
      from a log-bucketed histogram with relative precision 1e-3 (bounded memory); min and max are \
      exact. CSV columns: pair,value,fraction with value in milliseconds.
      """)

  @OptionGroup var traceOptions: ReplayTraceOptions
  @OptionGroup var windowOptions: ReplayWindowOptions
  @OptionGroup var plot: PlotOptions
  @OptionGroup var output: ReplayOutputOptions

  @OptionGroup var selection: DistributionSelection

  func validate() throws {
    try plot.validate(json: output.json)
  }

  func run() throws {
    let reader = try traceOptions.open()
    let (report, integrity) = try traceOptions.guarded {
      try delayDistribution(reader, window: windowOptions.window, pair: selection.pair, points: selection.points)
    }
    try render(report, plot: plot, output: output, unitName: "delay (ms)", scale: 1e3, logX: false, title: "Packet delay")
    try traceOptions.check(integrity, output: output)
  }
}

/// `driftsim-replay power TRACE`: transmit power distribution.
struct PowerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "power",
    abstract: "Transmit power distribution per pair and pooled (table, CSV or SVG).",
    discussion: """
      Power of every slot in the window, in noise units (a linear transmit SNR), from slot records. \
      'zero' is the fraction of slots without transmission. CSV columns: pair,value,fraction.
      """)

  @OptionGroup var traceOptions: ReplayTraceOptions
  @OptionGroup var windowOptions: ReplayWindowOptions
  @OptionGroup var plot: PlotOptions
  @OptionGroup var output: ReplayOutputOptions

  @OptionGroup var selection: DistributionSelection

  func validate() throws {
    try plot.validate(json: output.json)
  }

  func run() throws {
    let reader = try traceOptions.open()
    let (report, integrity) = try traceOptions.guarded {
      try powerDistribution(reader, window: windowOptions.window, pair: selection.pair, points: selection.points)
    }
    try render(
      report, plot: plot, output: output, unitName: "power (noise units)", scale: 1, logX: false, title: "Transmit power")
    try traceOptions.check(integrity, output: output)
  }
}

/// `driftsim-replay queue TRACE`: queue time series.
struct QueueCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "queue",
    abstract: "Queue length time series per pair, averaged in time bins (table, CSV or SVG).",
    discussion: """
      From epoch records (queue in bits at each epoch start), averaged over equal time bins; memory \
      is proportional to bins × pairs, not to the trace. CSV columns: time (s), then the mean queue \
      in bits of each pair (empty where a bin holds no epoch).
      """)

  @OptionGroup var traceOptions: ReplayTraceOptions
  @OptionGroup var windowOptions: ReplayWindowOptions
  @OptionGroup var plot: PlotOptions
  @OptionGroup var output: ReplayOutputOptions

  @Option(name: .long, help: "Number of time bins (default: 20 for a table, 500 for CSV/SVG).")
  var bins: Int?

  func validate() throws {
    try plot.validate(json: output.json)
    if let bins, bins < 1 || bins > 1_000_000 { throw ValidationError("--bins must be in 1...1000000, got \(bins)") }
  }

  func run() throws {
    let reader = try traceOptions.open()
    let count = bins ?? (plot.format == .table ? 20 : 500)
    let (series, integrity) = try traceOptions.guarded {
      try queueSeries(reader, window: windowOptions.window, bins: count)
    }
    let pairs = series.queueBits.indices
    func cell(_ v: Double) -> String { v.isNaN ? "" : "\(v)" }
    switch plot.format {
    case .table:
      output.report("Queue (bits, mean per \(fmt(series.binSeconds)) s bin); integrity: \(series.integrity)")
      var rows = [["time (s)"] + pairs.map { "pair \($0)" }]
      for (b, t) in series.times.enumerated() {
        rows.append([fmt(t)] + pairs.map { series.queueBits[$0][b].isNaN ? "-" : fmt(series.queueBits[$0][b]) })
      }
      output.report(table(rows))
    case .csv:
      var text = (["time"] + pairs.map { "pair\($0)" }).joined(separator: ",") + "\n"
      for (b, t) in series.times.enumerated() {
        text += ([String(t)] + pairs.map { cell(series.queueBits[$0][b]) }).joined(separator: ",") + "\n"
      }
      try plot.emit(text)
    case .svg:
      var chart = SVGChart(title: "Queue length", xLabel: "time (s)", yLabel: "queue (bits)")
      chart.series = pairs.map { k in SVGChart.Series(name: "pair \(k)", x: series.times, y: series.queueBits[k]) }
      try plot.emit(chart.render())
    }
    try output.writeJSON(series)
    try traceOptions.check(integrity, output: output)
  }
}

/// `--pair` and `--points`, shared by the distribution commands (`delay`, `power`).
struct DistributionSelection: ParsableArguments {
  @Option(name: .long, help: "Only this pair.")
  var pair: Int?

  @Option(name: .long, help: "At most this many CDF points per distribution.")
  var points = 200

  func validate() throws {
    if let pair, pair < 0 { throw ValidationError("--pair must be ≥ 0, got \(pair)") }
    guard points >= 2 else { throw ValidationError("--points must be ≥ 2, got \(points)") }
  }
}
