import Foundation
import DriftSimInterference
import DriftSimTrace

/// Creates the trace recorder for `driftsim run --trace`.
enum TraceRecorderFactory {
  /// A recorder and how to finish it.
  struct Handle {
    var recorder: NetworkTraceRecorder
    /// Writes the last block and the footer and renames the file into place.
    func finish() throws {
      do {
        _ = try recorder.writer.finish()
      } catch {
        throw DriftSimError("cannot finish the trace: \(error)")
      }
    }
    /// Deletes the partial file.
    func abandon() { recorder.writer.abandon() }
  }

  /// Opens the trace and installs the SIGINT/SIGTERM handler that lets a run finish its trace.
  static func make(path: String, scenario: Scenario, gamma: Double) throws -> Handle {
    guard scenario.traceLevel != .off else {
      throw DriftSimError("--trace \(path): the scenario's traceLevel is off; set traceLevel to packets, epochs or slots")
    }
    do {
      let recorder = try NetworkTraceRecorder(
        path: path, scenario: scenario, gamma: gamma, softwareVersion: "driftsim \(DriftSimVersion.string)")
      TraceInterruption.install()
      return Handle(recorder: recorder)
    } catch {
      throw DriftSimError("--trace \(path): \(error)")
    }
  }
}
