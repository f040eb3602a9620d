import ArgumentParser
import DriftSimCLISupport
import Foundation

/// The `driftsim` command: runs scenarios, sweeps, fluid and mean-field computations, benchmarks.
public struct DriftSimCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "driftsim",
    abstract: "Discrete-event simulation of stochastic networks and their fluid / mean-field approximations.",
    discussion: """
      Every command that produces a result accepts --json PATH|- for a machine-readable copy \
      ('-' = stdout only). Exit status: 0 success, 1 bad input or failed check, 2 usage error.
      """,
    version: DriftSimVersion.string,
    subcommands: [RunCommand.self, SweepCommand.self, FluidValueCommand.self, BenchCommand.self, MeanFieldCommand.self, FluidCommand.self, PolicyCommand.self, ValidateCommand.self]
  )

  public init() {}

  /// Parses `arguments` (default: the process's), runs the command and exits with DriftSim's
  /// exit-status convention: 0 success, 1 bad input or failed check, 2 usage error.
  public static func runAndExit(_ arguments: [String]? = nil) -> Never {
    Foundation.exit(run(arguments))
  }

  /// Parses and runs a command line, returning the exit status instead of exiting.
  public static func run(_ arguments: [String]? = nil) -> Int32 {
    CommandRunner.run(DriftSimCommand.self, programName: "driftsim", arguments: arguments)
  }
}

/// DriftSim's version, recorded in traces and printed by `--version`.
public enum DriftSimVersion {
  /// Semantic version of this build.
  public static let string = "0.1.0"
}
