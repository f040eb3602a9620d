import ArgumentParser
import DriftSimCLISupport
import Foundation
import DriftSimReplay
import DriftSimTrace

extension ExportFormat: ExpressibleByArgument {}

/// `driftsim-replay export TRACE --format csv|arrow`: one table per record kind.
struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write one table per record kind as CSV or Apache Arrow IPC files.",
    discussion: """
      Files are named <kind>.csv or <kind>.arrow (packetArrival, packetDeparture, epoch, slot, \
      ctmcJump, ctmcSnapshot) inside the output directory. Columns are the record fields; snapshot \
      counts become count_0, count_1, …. Arrow files open with pyarrow.ipc.open_file and \
      polars.read_ipc. Export streams block by block, so memory does not grow with the trace.
      """)

  @OptionGroup var traceOptions: ReplayTraceOptions
  @OptionGroup var windowOptions: ReplayWindowOptions
  @OptionGroup var output: ReplayOutputOptions

  @Option(name: .long, help: "Table format: csv or arrow.")
  var format: ExportFormat = .csv

  @Option(
    name: [.customShort("o"), .long],
    help: ArgumentHelp("Output directory (default: TRACE without extension + '-csv' or '-arrow').", valueName: "DIR"))
  var outputDirectory: String?

  @Option(name: .long, help: ArgumentHelp("Kinds to export, e.g. packets,slots (default: all in the trace).", valueName: "LIST"))
  var kinds: String?

  func validate() throws {
    if let kinds, TraceLevel(parsing: kinds) == nil {
      throw ValidationError("--kinds: unknown kind in '\(kinds)' (use packets, arrivals, departures, epochs, slots, ctmc, jumps, snapshots, all)")
    }
  }

  /// The JSON document of `export`.
  struct Result: Codable {
    var format: ExportFormat
    var directory: String
    var tables: [ExportedTable]
    var integrity: String
  }

  func run() throws {
    // The trace first: a bad trace must not leave a new (default) output directory behind.
    let reader = try traceOptions.open()
    let base = (traceOptions.trace as NSString).deletingPathExtension
    let directory = outputDirectory ?? "\(base)-\(format.rawValue)"
    try OutputPath.checkDirectory(directory, option: outputDirectory == nil ? "export (default output directory)" : "--output-directory")
    let (tables, integrity) = try traceOptions.guarded {
      try exportTables(
        reader, format: format, directory: directory, kinds: kinds.flatMap { TraceLevel(parsing: $0) },
        window: windowOptions.window)
    }
    for t in tables { output.report("\(t.path): \(t.rows) rows") }
    try output.writeJSON(Result(format: format, directory: directory, tables: tables, integrity: integrity.verdict))
    try traceOptions.check(integrity, output: output)
  }
}
