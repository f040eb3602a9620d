import DriftSimReplayCLI

ReplayCommand.runAndExit()
