// The umbrella module: `import DriftSim` gives a researcher's package every library module at once.
// Each module can also be imported on its own (`import DriftSimInterference`) to keep builds small.
@_exported import DriftSimFluidValidation
@_exported import DriftSimInterference
@_exported import DriftSimKernel
@_exported import DriftSimMeanField
@_exported import DriftSimNumerics
@_exported import DriftSimPlot
@_exported import DriftSimReplay
@_exported import DriftSimStats
@_exported import DriftSimSupport
@_exported import DriftSimSweep
@_exported import DriftSimTrace
