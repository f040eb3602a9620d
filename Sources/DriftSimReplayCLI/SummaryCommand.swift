import ArgumentParser
import Foundation
import DriftSimReplay
import DriftSimTrace

/// `driftsim-replay summary TRACE`: per-pair and pooled delay, power, throughput and queue statistics.
struct SummaryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "summary",
    abstract: "Per-pair and overall packets, delay (mean with CI, percentiles), power, throughput, queue, Little's law.",
    discussion: """
      Delay statistics cover the packets that depart in the window; the confidence interval uses batch \
      means and Student-t. Power and throughput come from slot records, queues from epoch records \
      (time averages), Little's law from arrival and departure records: the time-average number of \
      packets in the system divided by the arrival rate, against the measured mean delay.
      """)

  @OptionGroup var traceOptions: ReplayTraceOptions
  @OptionGroup var windowOptions: ReplayWindowOptions
  @OptionGroup var output: ReplayOutputOptions

  @Option(name: .long, help: ArgumentHelp("Confidence level of the delay interval.", valueName: "P"))
  var level = 0.95

  func validate() throws {
    guard level > 0, level < 1 else { throw ValidationError("--level must be in (0, 1), got \(level)") }
  }

  func run() throws {
    let reader = try traceOptions.open()
    let (report, integrity) = try traceOptions.guarded { try summarize(reader, window: windowOptions.window, level: level) }
    var rows = [
      [
        "pair", "in", "out", "delay ms", "±CI ms", "p50 ms", "p90 ms", "p99 ms", "max ms", "power", "SNR dB",
        "kbit/s", "queue bits", "L/λ ms",
      ]
    ]
    for s in report.pairs + [report.overall] {
      rows.append([
        s.pair.map(String.init) ?? "all", "\(s.packetsIn)", "\(s.packetsOut)", fmt(s.meanDelaySeconds, 1e3),
        fmt(s.meanDelayCI?.halfWidth, 1e3), fmt(s.delayP50Seconds, 1e3), fmt(s.delayP90Seconds, 1e3),
        fmt(s.delayP99Seconds, 1e3), fmt(s.delayMaxSeconds, 1e3), fmt(s.averagePower), fmt(s.avgTransmitSNRdB),
        fmt(s.throughputBitsPerSecond, 1e-3), fmt(s.timeAverageQueueBits), fmt(s.littlesLaw?.predictedSojournTime, 1e3),
      ])
    }
    output.report(
      "window \(fmt(report.startSeconds)) .. \(fmt(report.endSeconds)) s (\(fmt(report.durationSeconds)) s); integrity: \(report.integrity)")
    output.report(table(rows))
    try output.writeJSON(report)
    try traceOptions.check(integrity, output: output)
  }
}

