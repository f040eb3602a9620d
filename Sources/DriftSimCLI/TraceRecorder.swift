import Foundation
import Interference

/// Creates the trace recorder for `driftsim run --trace` (wired to the Trace module's writer).
enum TraceRecorderFactory {
  /// A recorder and how to finish it.
  struct Handle {
    var recorder: any NetworkRecorder
    var finishAction: () throws -> Void
    func finish() throws { try finishAction() }
  }

  static func make(path: String, scenario: Scenario, gamma: Double) throws -> Handle {
    throw DriftSimError("--trace: binary traces are not available in this build yet")
  }
}
