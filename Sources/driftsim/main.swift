import DriftSimCLI

DriftSimCommand.runAndExit()
