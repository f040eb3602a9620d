// swift-tools-version: 6.1
// A researcher's own package: it depends on DriftSim by path, defines a power policy DriftSim does
// not ship, and runs the paper's 5-pair preset with it at equal power against CSI-only.
import PackageDescription

let package = Package(
  name: "CustomPolicy",
  platforms: [.macOS(.v15)],
  dependencies: [.package(name: "DriftSim", path: "../..")],
  targets: [
    .executableTarget(
      name: "CustomPolicy", dependencies: [.product(name: "DriftSim", package: "DriftSim")]),
  ],
  swiftLanguageModes: [.v6]
)
