import ArgumentParser
import DriftSimInterference
import DriftSimSweep
import Foundation

/// `driftsim sweep slurm`: write (and submit) Slurm job arrays for a planned sweep directory.
struct SweepSlurmCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "slurm",
    abstract: "Write DIR/slurm/calibrate.sbatch and run.sbatch job arrays for a planned sweep; --submit submits them.",
    discussion: """
      Each array element runs `driftsim sweep task DIR --stage S --index …`; when a stage has more tasks than the cluster's MaxArraySize (read with `scontrol show config`, else 1001) each element runs a chunk of consecutive tasks. With --submit, calibrate.sbatch is submitted first and run.sbatch with --dependency=afterok on it, and the job ids are printed. DIR and the driftsim binary must be on a filesystem every node sees at the same path. Resubmit failed elements with `sbatch --array=<list> DIR/slurm/run.sbatch`.

      Example: driftsim sweep slurm fig8 --partition short --time 1:00:00 --max-parallel 64 --submit
      """
  )

  @Argument(help: ArgumentHelp("The sweep directory (made by `sweep plan`).", valueName: "DIR"))
  var directory: String

  @Option(help: "Slurm partition.")
  var partition: String?

  @Option(help: "Time limit per array element (Slurm syntax, e.g. 30:00).")
  var time: String?

  @Option(help: "CPUs per array element.")
  var cpusPerTask = 1

  @Option(help: "At most M array elements at once (--array=0-N%M).")
  var maxParallel: Int?

  @Option(help: "The cluster's MaxArraySize (default: from scontrol, else 1001).")
  var maxArraySize: Int?

  @Option(help: ArgumentHelp("The driftsim binary the elements run (default: this one).", valueName: "PATH"))
  var driftsim: String?

  @Flag(help: "Submit the arrays with sbatch and print the job ids.")
  var submit = false

  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard cpusPerTask >= 1 else { throw ValidationError("--cpus-per-task must be at least 1") }
    if let maxParallel, maxParallel < 1 { throw ValidationError("--max-parallel must be at least 1") }
    if let maxArraySize, maxArraySize < 2 { throw ValidationError("--max-array-size must be at least 2") }
  }

  struct Report: Encodable {
    var arrays: [SlurmScripts.Array]
    var jobIDs: [String]
  }

  func run() throws {
    if let json = output.json { try checkOutputFile(json, option: "--json") }
    let absolute = URL(fileURLWithPath: directory).standardizedFileURL.path
    let sweep = try SweepDirectory(path: absolute, version: DriftSimVersion.string)
    let executable = try driftsim.map { path -> String in
      guard FileManager.default.isExecutableFile(atPath: path) else { throw DriftSimError("--driftsim \(path): not an executable file") }
      return URL(fileURLWithPath: path).standardizedFileURL.path
    } ?? Self.currentExecutable()
    let size = maxArraySize ?? SlurmScripts.clusterMaxArraySize() ?? SlurmScripts.defaultMaxArraySize
    let scripts = SlurmScripts(
      directory: sweep, absolutePath: absolute,
      options: .init(partition: partition, time: time, cpusPerTask: cpusPerTask, maxParallel: maxParallel, maxArraySize: size, executable: executable))
    try scripts.write(directory: absolute)
    for array in scripts.arrays {
      output.report("wrote \(array.path): --array=\(array.arraySpec), \(array.tasks) tasks, \(array.chunk) per element")
    }
    var ids: [String] = []
    if submit {
      ids = try scripts.submit()
      for (array, id) in zip(scripts.arrays, ids) { output.report("submitted \(array.stage.rawValue): job \(id)") }
    }
    try output.writeJSON(Report(arrays: scripts.arrays, jobIDs: ids))
  }

  /// The absolute path of the running binary (from /proc/self/exe).
  static func currentExecutable() throws -> String {
    if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
    return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
  }
}
