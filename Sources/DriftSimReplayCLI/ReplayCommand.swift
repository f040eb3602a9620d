import ArgumentParser
import DriftSimCLISupport
import Foundation

/// The `driftsim-replay` command: reads DriftSim traces offline and analyses them.
public struct ReplayCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "driftsim-replay",
    abstract: "Read DriftSim binary traces and compute delay, power, queue and mean-field statistics.",
    discussion: """
      Every subcommand accepts --json PATH|- for a machine-readable copy ('-' = stdout only). \
      Exit status: 0 success, 1 bad input (missing, corrupt or truncated trace), 2 usage error.
      """,
    version: "0.1.0",
    subcommands: [
      InfoCommand.self, SummaryCommand.self, DelayCommand.self, PowerCommand.self, QueueCommand.self, ExportCommand.self,
      ReplayBenchCommand.self,
      MeanFieldErrorCommand.self]
  )

  public init() {}

  /// Parses `arguments` (default: the process's), runs the command and exits: 0 success,
  /// 1 bad input or failed check, 2 usage error.
  public static func runAndExit(_ arguments: [String]? = nil) -> Never {
    Foundation.exit(run(arguments))
  }

  /// Parses and runs a command line, returning the exit status instead of exiting.
  public static func run(_ arguments: [String]? = nil) -> Int32 {
    CommandRunner.run(ReplayCommand.self, programName: "driftsim-replay", arguments: arguments)
  }
}

/// Bad input to `driftsim-replay` (a missing, foreign, corrupt or truncated trace, a bad argument
/// value): printed as one line on stderr, exit status 1. See `CLISupport.InputError`.
public typealias ReplayInputError = InputError
