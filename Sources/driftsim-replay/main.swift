import ReplayCLI

ReplayCommand.runAndExit()
