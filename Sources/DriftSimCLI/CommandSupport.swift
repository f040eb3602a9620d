import ArgumentParser
import CLISupport
import Plot
import Foundation

/// Bad input or a failed check (exit status 1); see `CLISupport.InputError`.
public typealias DriftSimError = InputError
/// `--json PATH|-` and `--quiet`; see `CLISupport.OutputOptions`.
public typealias OutputOptions = CLISupport.OutputOptions
/// Writes to stderr; see `CLISupport.StandardError`.
public typealias StandardError = CLISupport.StandardError
/// The SVG chart every command draws with; see `Plot.SVGChart`.
typealias SVGChart = Plot.SVGChart

/// The median of `values` (mean of the middle two for an even count); nil when empty.
func median(_ values: [Double]) -> Double? {
  guard !values.isEmpty else { return nil }
  let sorted = values.sorted()
  let middle = sorted.count / 2
  return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// Whether this binary was compiled without optimisation (benchmarks warn about it).
var isDebugBuild: Bool {
  #if DEBUG
    return true
  #else
    return false
  #endif
}
