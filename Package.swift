// swift-tools-version: 6.1
// DriftSim: a discrete-event simulator for stochastic networks and their fluid / mean-field
// approximations. See README.md for the quick start and ../shared/DESIGN.md for the architecture.
import PackageDescription

/// Settings shared by every Swift target (Swift 6 language mode: strict concurrency by default).
let swiftSettings: [SwiftSetting] = [
  .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
  name: "DriftSim",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "driftsim", targets: ["driftsim"]),
    .executable(name: "driftsim-replay", targets: ["driftsim-replay"]),
    .library(name: "Numerics", targets: ["Numerics"]),
    .library(name: "Kernel", targets: ["Kernel"]),
    .library(name: "Stats", targets: ["Stats"]),
    .library(name: "Trace", targets: ["Trace"]),
    .library(name: "Interference", targets: ["Interference"]),
    .library(name: "MeanField", targets: ["MeanField"]),
    .library(name: "Plot", targets: ["Plot"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
  ],
  targets: [
    // GSL, the GNU Scientific Library, as a system library (Debian: libgsl-dev).
    .systemLibrary(
      name: "CGSL",
      pkgConfig: "gsl",
      providers: [.apt(["libgsl-dev", "pkg-config"])]
    ),
    // The only module that calls GSL: special functions, root finding, ODEs, quantiles, RNG streams.
    .target(name: "Numerics", dependencies: ["CGSL"], swiftSettings: swiftSettings),
    // The deterministic discrete-event engine.
    .target(name: "Kernel", dependencies: ["Numerics"], swiftSettings: swiftSettings),
    // SVG charts (lines, staircases, error bars, log axes) for every plot DriftSim draws.
    .target(name: "Plot", dependencies: [], swiftSettings: swiftSettings),
    // Streaming statistics: moments, time averages, batch means, confidence intervals, quantiles.
    .target(name: "Stats", dependencies: ["Numerics"], swiftSettings: swiftSettings),
    // The binary trace format: records, blocks, writer, reader, validation.
    .target(name: "Trace", dependencies: [], swiftSettings: swiftSettings),
    // Offline analysis of traces (what driftsim-replay computes).
    .target(name: "Replay", dependencies: ["Trace", "Stats", "Numerics", "Plot"], swiftSettings: swiftSettings),
    // The K-pair interference network: scenarios, fluid value function, power policies, simulation.
    .target(
      name: "Interference",
      dependencies: ["Numerics", "Kernel", "Stats", "Trace", .product(name: "Yams", package: "Yams")],
      swiftSettings: swiftSettings),
    // Density-dependent population CTMCs and their mean-field limits.
    .target(
      name: "MeanField", dependencies: ["Numerics", "Kernel", "Stats", "Trace", "Plot"], swiftSettings: swiftSettings),
    // Fluid approximations against detailed models: value iteration, fluid drains, policy gaps.
    .target(
      name: "FluidValidation", dependencies: ["Interference", "Numerics", "Stats", "Kernel"], swiftSettings: swiftSettings),
    // Command-line conventions shared by both executables: --json/--quiet, errors and exit codes.
    .target(
      name: "CLISupport", dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")],
      swiftSettings: swiftSettings),
    // The `driftsim` command tree (a library so tests can run commands in-process).
    .target(
      name: "DriftSimCLI",
      dependencies: [
        "CLISupport", "Plot", "Numerics", "Kernel", "Stats", "Trace", "Interference", "MeanField", "FluidValidation",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: swiftSettings
    ),
    .executableTarget(name: "driftsim", dependencies: ["DriftSimCLI"], swiftSettings: swiftSettings),
    // The `driftsim-replay` command tree.
    .target(
      name: "ReplayCLI",
      dependencies: [
        "CLISupport", "Plot", "Trace", "Replay", "Stats", "MeanField",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      swiftSettings: swiftSettings
    ),
    .executableTarget(name: "driftsim-replay", dependencies: ["ReplayCLI"], swiftSettings: swiftSettings),

    .testTarget(name: "NumericsTests", dependencies: ["Numerics"], swiftSettings: swiftSettings),
    .testTarget(name: "KernelTests", dependencies: ["Kernel", "Numerics"], swiftSettings: swiftSettings),
    .testTarget(name: "StatsTests", dependencies: ["Stats", "Numerics"], swiftSettings: swiftSettings),
    .testTarget(name: "PlotTests", dependencies: ["Plot"], swiftSettings: swiftSettings),
    .testTarget(
      name: "CLISupportTests",
      dependencies: ["CLISupport", .product(name: "ArgumentParser", package: "swift-argument-parser")],
      swiftSettings: swiftSettings),
    .testTarget(name: "TraceTests", dependencies: ["Trace"], swiftSettings: swiftSettings),
    .testTarget(name: "ReplayTests", dependencies: ["Replay", "Trace", "Stats", "Plot"], swiftSettings: swiftSettings),
    .testTarget(
      name: "InterferenceTests", dependencies: ["Interference", "Numerics", "Kernel", "Stats", "Trace"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "FluidValidationTests", dependencies: ["FluidValidation", "Interference", "Numerics", "Stats"],
      swiftSettings: swiftSettings),
    .testTarget(
      name: "MeanFieldTests", dependencies: ["MeanField", "Numerics", "Stats", "Trace"], swiftSettings: swiftSettings),
    .testTarget(
      name: "DriftSimCLITests", dependencies: ["DriftSimCLI", "driftsim"], swiftSettings: swiftSettings),
    .testTarget(
      name: "ReplayCLITests", dependencies: ["ReplayCLI", "driftsim-replay"], swiftSettings: swiftSettings),
  ],
  swiftLanguageModes: [.v6]
)
