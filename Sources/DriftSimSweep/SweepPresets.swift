import DriftSimInterference

/// The sweep files shipped in `sweeps/` (a test checks that these texts equal those files), built
/// into the binary so `driftsim sweep --preset NAME` works wherever the binary is copied.
public enum SweepPresets {
  /// Preset name → sweep file text.
  public static let files: [String: String] = [
    "paper-fig7": """
      # The paper's Fig. 7: mean delay against the average transmit SNR target at λ = 1 packet/epoch.
      preset: paper
      set: {arrivalRate: 1}
      axes: {targetSNRdB: [0, 5, 10, 15, 20]}
      policies: [fluid, csi-only, qwto, tdma]
      replications: 5
      """,
    "paper-fig8": """
      # The paper's Fig. 8: mean delay against the arrival rate at 6 dB (2.5 packets/epoch is past the
      # stable limit of every policy).
      preset: paper
      set: {targetSNRdB: 6}
      axes: {arrivalRate: [0.5, 1, 1.5, 2, 2.5]}
      policies: [fluid, csi-only, qwto, tdma]
      replications: 5
      """,
    "paper-fig9": """
      # The paper's Fig. 9: mean delay against the number of pairs K at 6 dB.
      preset: paper
      set: {targetSNRdB: 6}
      axes: {pairs: [2, 3, 4, 5, 6, 7, 8, 9, 10]}
      policies: [fluid, csi-only, qwto, tdma]
      replications: 5
      """,
    "policies": """
      # Every policy at equal power (6 dB) on the paper preset, both weight-refresh granularities
      # (docs/policies.md). Weight refresh does not change csi-only, tdma, vi or vi-delay (they do not
      # use the epoch-start queue), so their two rows at a point agree. γ is calibrated on all five
      # replications pooled, so every row's achieved SNR is 6 dB within calibrationToleranceDB.
      preset: paper
      set: {targetSNRdB: 6, epochs: 20000, warmupEpochs: 2000, pilotEpochs: 20000, calibrationReplications: 5, gamma: 0.05}
      axes: {arrivalRate: [0.5, 1, 1.5, 2], weightUpdate: [epoch, slot]}
      policies: [vi-delay, csi-only, tdma, fluid, qwto, fluid-corrected, vi]
      replications: 5
      """,
  ]

  /// The spec of a preset.
  /// - Throws: `SweepError` naming the known presets.
  public static func spec(_ name: String) throws -> SweepSpec {
    guard let text = files[name] else {
      throw SweepError("unknown sweep preset '\(name)'; known: \(files.keys.sorted().joined(separator: ", ")) (the files in sweeps/)")
    }
    return try SweepSpec.parse(text + "\n", source: "sweeps/\(name).yaml", name: name, directory: ".")
  }
}
