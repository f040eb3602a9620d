// swift-tools-version: 6.1
// DriftSim: a discrete-event simulator for stochastic networks and their fluid / mean-field
// approximations. See README.md for the quick start and docs/architecture.md for the modules.
import PackageDescription

/// Settings shared by every Swift target (Swift 6 language mode: strict concurrency by default).
let swiftSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
]

/// Every library module, in dependency order. Module names carry the `DriftSim` prefix so that a
/// package depending on DriftSim and, say, apple/swift-numerics or JohnSundell/Plot still builds.
let libraryModules = [
  "DriftSimSupport", "DriftSimNumerics", "DriftSimKernel", "DriftSimStats", "DriftSimTrace", "DriftSimPlot",
  "DriftSimReplay", "DriftSimInterference", "DriftSimSweep", "DriftSimMeanField", "DriftSimFluidValidation",
]

let package = Package(
  name: "DriftSim",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "driftsim", targets: ["driftsim"]),
    .executable(name: "driftsim-replay", targets: ["driftsim-replay"]),
    // The umbrella library: `import DriftSim` re-exports every library module below.
    .library(name: "DriftSim", targets: ["DriftSim"]),
  ] + libraryModules.map { .library(name: $0, targets: [$0]) },
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    // Complex<Double> for eigenvalues (ComplexModule only).
    .package(url: "https://github.com/apple/swift-numerics", from: "1.1.0"),
  ],
  targets: [
    // GSL, the GNU Scientific Library, as a system library (Debian: libgsl-dev).
    .systemLibrary(
      name: "CDriftSimGSL",
      pkgConfig: "gsl",
      providers: [.apt(["libgsl-dev", "pkg-config"])]
    ),
    // What every module shares: the ReportableError protocol and an ordered parallelMap.
    .target(name: "DriftSimSupport", dependencies: [], swiftSettings: swiftSettings),
    // The only module that calls GSL: special functions, root finding, ODEs, quadrature,
    // linear algebra, quantiles, RNG streams.
    .target(
      name: "DriftSimNumerics",
      dependencies: ["DriftSimSupport", "CDriftSimGSL", .product(name: "ComplexModule", package: "swift-numerics")],
      swiftSettings: swiftSettings),
    // The deterministic discrete-event engine.
    .target(name: "DriftSimKernel", dependencies: ["DriftSimNumerics"], swiftSettings: swiftSettings),
    // SVG charts (lines, staircases, error bars, log axes) for every plot DriftSim draws.
    .target(name: "DriftSimPlot", dependencies: [], swiftSettings: swiftSettings),
    // Streaming statistics: moments, time averages, batch means, confidence intervals, quantiles.
    .target(name: "DriftSimStats", dependencies: ["DriftSimNumerics"], swiftSettings: swiftSettings),
    // CRC-32C on the CPU's CRC instructions (SSE4.2 `crc32`, runtime-dispatched), for trace blocks.
    .target(name: "CDriftSimCRC32C", dependencies: []),
    // The binary trace format: records, blocks, writer, reader, validation.
    .target(name: "DriftSimTrace", dependencies: ["DriftSimSupport", "CDriftSimCRC32C"], swiftSettings: swiftSettings),
    // Offline analysis of traces (what driftsim-replay computes).
    .target(
      name: "DriftSimReplay", dependencies: ["DriftSimSupport", "DriftSimTrace", "DriftSimStats", "DriftSimNumerics", "DriftSimPlot"],
      swiftSettings: swiftSettings),
    // The K-pair interference network: scenarios, fluid value function, power policies, simulation.
    .target(
      name: "DriftSimInterference",
      dependencies: ["DriftSimSupport", 
        "DriftSimNumerics", "DriftSimKernel", "DriftSimStats", "DriftSimTrace", .product(name: "Yams", package: "Yams"),
      ],
      swiftSettings: swiftSettings),
    // Sweeps: sweep files, multi-axis grids, plans of tasks any number of processes (or a Slurm
    // job array) can run, atomic resumable task results, merge, Slurm scripts.
    .target(
      name: "DriftSimSweep",
      dependencies: ["DriftSimSupport", "DriftSimInterference", "DriftSimPlot", .product(name: "Yams", package: "Yams")],
      swiftSettings: swiftSettings),
    // Density-dependent population CTMCs and their mean-field limits.
    .target(
      name: "DriftSimMeanField",
      dependencies: [
        "DriftSimSupport", "DriftSimNumerics", "DriftSimKernel", "DriftSimStats", "DriftSimTrace",
        .product(name: "ComplexModule", package: "swift-numerics"),
      ],
      swiftSettings: swiftSettings),
    // Fluid approximations against detailed models: value iteration, fluid drains, policy gaps.
    .target(
      name: "DriftSimFluidValidation",
      dependencies: ["DriftSimSupport", "DriftSimInterference", "DriftSimNumerics", "DriftSimStats", "DriftSimKernel"],
      swiftSettings: swiftSettings),
    // The umbrella module (re-exports only; no code of its own).
    .target(name: "DriftSim", dependencies: libraryModules.map { .target(name: $0) }, swiftSettings: swiftSettings),
    // Command-line conventions shared by both executables: --json/--quiet, errors and exit codes.
    .target(
      name: "DriftSimCLISupport", dependencies: ["DriftSimSupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
      swiftSettings: swiftSettings),
    // The `driftsim` command tree (a library so tests can run commands in-process).
    .target(
      name: "DriftSimCLI",
      dependencies: [
        "DriftSimCLISupport", "DriftSimPlot", "DriftSimNumerics", "DriftSimKernel", "DriftSimStats", "DriftSimTrace",
        "DriftSimInterference", "DriftSimSweep", "DriftSimMeanField", "DriftSimFluidValidation",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "ComplexModule", package: "swift-numerics"),
      ],
      swiftSettings: swiftSettings
    ),
    .executableTarget(name: "driftsim", dependencies: ["DriftSimCLI"], swiftSettings: swiftSettings),
    // The `driftsim-replay` command tree.
    .target(
      name: "DriftSimReplayCLI",
      dependencies: [
        "DriftSimCLISupport", "DriftSimPlot", "DriftSimTrace", "DriftSimReplay", "DriftSimStats",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: swiftSettings
    ),
    .executableTarget(name: "driftsim-replay", dependencies: ["DriftSimReplayCLI"], swiftSettings: swiftSettings),

    .testTarget(name: "DriftSimSupportTests", dependencies: ["DriftSimSupport"], swiftSettings: swiftSettings),
    .testTarget(
      name: "DriftSimNumericsTests",
      dependencies: ["DriftSimNumerics", .product(name: "ComplexModule", package: "swift-numerics")], swiftSettings: swiftSettings),
    .testTarget(name: "DriftSimKernelTests", dependencies: ["DriftSimKernel", "DriftSimNumerics"], swiftSettings: swiftSettings),
    .testTarget(name: "DriftSimStatsTests", dependencies: ["DriftSimStats", "DriftSimNumerics"], swiftSettings: swiftSettings),
    .testTarget(name: "DriftSimPlotTests", dependencies: ["DriftSimPlot"], swiftSettings: swiftSettings),
    .testTarget(
      name: "DriftSimCLISupportTests",
      dependencies: ["DriftSimCLISupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
      swiftSettings: swiftSettings),
    .testTarget(name: "DriftSimTraceTests", dependencies: ["DriftSimTrace"], swiftSettings: swiftSettings),
    .testTarget(
      name: "DriftSimReplayTests", dependencies: ["DriftSimReplay", "DriftSimTrace", "DriftSimStats", "DriftSimPlot"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "DriftSimInterferenceTests",
      dependencies: ["DriftSimInterference", "DriftSimNumerics", "DriftSimKernel", "DriftSimStats", "DriftSimTrace"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "DriftSimSweepTests", dependencies: ["DriftSimSweep", "DriftSimInterference"], swiftSettings: swiftSettings),
    .testTarget(
      name: "DriftSimFluidValidationTests",
      dependencies: ["DriftSimFluidValidation", "DriftSimInterference", "DriftSimNumerics", "DriftSimStats"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "DriftSimMeanFieldTests",
      dependencies: [
        "DriftSimMeanField", "DriftSimNumerics", "DriftSimStats", "DriftSimTrace", "DriftSimReplay",
        .product(name: "ComplexModule", package: "swift-numerics"),
      ],
      swiftSettings: swiftSettings),
    .testTarget(name: "DriftSimTests", dependencies: ["DriftSim"], swiftSettings: swiftSettings),
    .testTarget(
      name: "DriftSimCLITests", dependencies: ["DriftSimCLI", "DriftSimCLISupport", "driftsim"], exclude: ["Golden"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "DriftSimReplayCLITests", dependencies: ["DriftSimReplayCLI", "DriftSimCLISupport", "driftsim-replay"], exclude: ["Golden"],
      swiftSettings: swiftSettings),
  ],
  swiftLanguageModes: [.v6]
)
