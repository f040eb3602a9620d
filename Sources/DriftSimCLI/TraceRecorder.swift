import DriftSimCLISupport
import DriftSimInterference
import DriftSimTrace
import Foundation

/// Creates the trace recorder for `driftsim run --trace`.
enum TraceRecorderFactory {
  /// A recorder and how to finish it.
  struct Handle {
    var recorder: NetworkTraceRecorder
    /// Writes the last block and the footer and renames the file into place (a device or FIFO
    /// target is written through and never renamed over).
    /// - Parameter stoppedEarly: why the run ended before its horizon (e.g. the queue passed
    ///   `maxQueuePackets`), recorded in the trace so readers do not take it for a whole run; nil
    ///   for a run that reached its end.
    /// - Throws: `TraceError` naming the file (an I/O error, a full device).
    func finish(stoppedEarly: String? = nil) throws {
      if let stoppedEarly {
        _ = try recorder.writer.finish(stoppedEarly: stoppedEarly)
      } else {
        _ = try recorder.writer.finish()
      }
    }
    /// Deletes the partial file (a device written through is left alone).
    func abandon() { recorder.writer.abandon() }
  }

  /// Checks `--trace PATH` before any work (see `OutputPath.check`).
  /// - Throws: `InputError` naming `--trace` and the rule.
  static func check(path: String) throws {
    guard path != "-" else {
      throw DriftSimError("--trace -: a binary trace cannot share stdout with the results; give a file name")
    }
    _ = try OutputPath.check(path, option: "--trace")
  }

  /// Opens the trace and installs the SIGINT/SIGTERM handler that lets a run finish its trace.
  /// - Throws: `InputError` for a bad path or trace level, `TraceError` if the header cannot be
  ///   written (e.g. no space left on the device).
  static func make(path: String, scenario: Scenario, gamma: Double) throws -> Handle {
    guard scenario.traceLevel != .off else {
      throw DriftSimError("--trace \(path): the scenario's traceLevel is off; set traceLevel to packets, epochs or slots")
    }
    try check(path: path)
    let recorder = try NetworkTraceRecorder(
      path: path, scenario: scenario, gamma: gamma, softwareVersion: "driftsim \(DriftSimVersion.string)")
    TraceInterruption.install()
    return Handle(recorder: recorder)
  }
}
