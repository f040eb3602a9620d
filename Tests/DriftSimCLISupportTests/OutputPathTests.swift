import ArgumentParser
import Foundation
import Testing

@testable import DriftSimCLISupport

#if canImport(Glibc)
  import Glibc
#endif

/// The file type and identity of a node, to prove a device was not replaced.
private func node(_ path: String) -> (type: mode_t, device: UInt64, inode: UInt64)? {
  var st = stat()
  guard lstat(path, &st) == 0 else { return nil }
  return (st.st_mode & S_IFMT, UInt64(st.st_rdev), UInt64(st.st_ino))
}

private func scratch() -> String {
  let path = FileManager.default.temporaryDirectory.appendingPathComponent("outputpath-\(UUID().uuidString)").path
  try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// The message of an `InputError` thrown by `body`, or nil.
private func message(_ body: () throws -> Void) -> String? {
  do {
    try body()
    return nil
  } catch let error as InputError {
    return error.message
  } catch {
    return "unexpected \(error)"
  }
}

@Suite("Output paths: checked before the run, atomic for files, through for devices")
struct OutputPathTests {
  @Test("/dev/null is written through and stays the same character device")
  func devNull() throws {
    let before = try #require(node("/dev/null"))
    #expect(before.type == S_IFCHR)
    let out = try OutputPath.check("/dev/null", option: "--json")
    #expect(out.kind == .characterDevice)
    try out.write("{}\n")
    let after = try #require(node("/dev/null"))
    #expect(after.type == S_IFCHR && after.device == before.device && after.inode == before.inode)
    // No temporary file was left next to it.
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: "/dev").filter { $0.hasPrefix(".null.") }
    #expect(leftovers.isEmpty)
  }

  @Test("/dev/full gives a one-line 'no space left' error naming the option; the device survives")
  func devFull() throws {
    let before = try #require(node("/dev/full"))
    let text = message { try OutputPath.check("/dev/full", option: "--svg").write("<svg/>") }
    #expect(text?.hasPrefix("--svg '/dev/full': no space left on the device") == true)
    let after = try #require(node("/dev/full"))
    #expect(after.type == S_IFCHR && after.device == before.device && after.inode == before.inode)
  }

  @Test("a FIFO is written through, not replaced by a regular file")
  func fifo() throws {
    let dir = scratch()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/pipe"
    #expect(mkfifo(path, 0o600) == 0)
    // Hold a reader open (non-blocking) so that the writer's open does not wait.
    let reader = open(path, O_RDONLY | O_NONBLOCK)
    #expect(reader >= 0)
    defer { close(reader) }
    let out = try OutputPath.check(path, option: "--json")
    #expect(out.kind == .fifo)
    try out.write("hello\n")
    var buffer = [UInt8](repeating: 0, count: 16)
    let n = read(reader, &buffer, 16)
    #expect(n == 6 && String(decoding: buffer[0..<6], as: UTF8.self) == "hello\n")
    #expect(node(path)?.type == S_IFIFO)
  }

  @Test("a regular file is replaced atomically (no temporary file left, mode kept)")
  func regular() throws {
    let dir = scratch()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/r.json"
    try OutputPath.check(path, option: "--json").write("one")
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "one")
    chmod(path, 0o640)
    let first = try #require(node(path))
    let out = try OutputPath.check(path, option: "--json")
    #expect(out.kind == .regularFile)
    try out.write("two")
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "two")
    let second = try #require(node(path))
    #expect(second.inode != first.inode)  // a rename, not an in-place rewrite
    var st = stat()
    stat(path, &st)
    #expect(st.st_mode & 0o777 == 0o640)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["r.json"])
  }

  @Test("a symbolic link to a file keeps being a link; its target gets the new content")
  func symlink() throws {
    let dir = scratch()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "old".write(toFile: dir + "/target", atomically: false, encoding: .utf8)
    #expect(Glibc.symlink(dir + "/target", dir + "/link") == 0)
    try OutputPath.check(dir + "/link", option: "--json").write("new")
    #expect(node(dir + "/link")?.type == S_IFLNK)
    #expect(try String(contentsOfFile: dir + "/target", encoding: .utf8) == "new")
  }

  @Test("bad paths fail at check time with one line naming the option and the rule")
  func badPaths() throws {
    let dir = scratch()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try "x".write(toFile: dir + "/file", atomically: false, encoding: .utf8)
    let cases: [(String, String)] = [
      (dir, "is a directory"),
      ("/nonexistent-\(UUID().uuidString)/x.json", "does not exist"),
      (dir + "/file/x.json", "a parent of this path is not a directory"),
      ("", "the path is empty"),
    ]
    for (path, rule) in cases {
      let text = try #require(message { _ = try OutputPath.check(path, option: "--json") })
      #expect(text.hasPrefix("--json"), "\(text)")
      #expect(text.contains(rule), "\(text)")
      #expect(!text.contains("\n") && !text.contains("NSCocoaErrorDomain"))
    }
    // A read-only place: /proc/self is not writable even for root.
    let text = try #require(message { _ = try OutputPath.check("/proc/self/new-file", option: "--svg") })
    #expect(text.hasPrefix("--svg '/proc/self/new-file'"), "\(text)")
  }

  @Test("checkDirectory creates a missing directory and refuses a file or a file-as-parent")
  func directories() throws {
    let dir = scratch()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try OutputPath.checkDirectory(dir + "/a/b", option: "--output-directory")
    var isDirectory: ObjCBool = false
    #expect(FileManager.default.fileExists(atPath: dir + "/a/b", isDirectory: &isDirectory) && isDirectory.boolValue)
    try "x".write(toFile: dir + "/file", atomically: false, encoding: .utf8)
    let notDir = message { try OutputPath.checkDirectory(dir + "/file", option: "--output-directory") }
    #expect(notDir?.contains("exists and is not a directory") == true)
    let under = message { try OutputPath.checkDirectory(dir + "/file/sub", option: "--output-directory") }
    #expect(under?.contains("a parent of this path is not a directory") == true)
    let missing = message { try OutputPath.checkDirectory(dir + "/none", option: "--output-directory", create: false) }
    #expect(missing?.contains("does not exist") == true)
  }

  @Test("OutputOptions checks --json before run(): a bad path exits 1 and the command never runs")
  func validatedBeforeRun() throws {
    Counter.runs = 0
    let status = CommandRunner.run(Counted.self, programName: "probe", arguments: ["--json", "/nonexistent-dir-x/out.json"])
    #expect(status == 1)
    #expect(Counter.runs == 0)
    #expect(CommandRunner.run(Counted.self, programName: "probe", arguments: ["--json", "/dev/null"]) == 0)
    #expect(Counter.runs == 1)
    #expect(node("/dev/null")?.type == S_IFCHR)
  }

  @Test("quoted inputs are clipped to 80 characters with the byte count")
  func clipping() {
    let huge = String(repeating: "x", count: 5_000_000)
    let clipped = Quoted.clip(huge)
    #expect(clipped.count < 120 && clipped.hasSuffix("…(5000000 bytes)"))
    #expect(Quoted.clip("short") == "short")
    #expect(Quoted.clip("a\nb") == "a\\nb")
    let line = Quoted.clipQuotedRuns("The value '\(huge)' is invalid for '--seed <seed>'")
    #expect(line.count < 200 && line.contains("'--seed <seed>'"))
    // Apostrophes in prose are left alone.
    let prose = "the trace isn't complete; " + String(repeating: "a", count: 300) + " don't"
    #expect(Quoted.clipQuotedRuns(prose) == prose)
  }
}

/// Counts runs, to show validation happens before `run()`.
enum Counter {
  nonisolated(unsafe) static var runs = 0
}

struct Counted: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "counted")
  @OptionGroup var output: OutputOptions
  func run() throws {
    Counter.runs += 1
    try output.writeJSON(["x": 1])
  }
}

@Suite("Output path names")
struct OutputPathNameTests {
  @Test("one-character and odd names do not trap (Foundation's deletingLastPathComponent does)")
  func names() throws {
    #expect(OutputPath.parent(of: "-") == "." && OutputPath.parent(of: "x") == ".")
    #expect(OutputPath.parent(of: "/x") == "/" && OutputPath.parent(of: "a/b/c") == "a/b" && OutputPath.parent(of: "a/b/") == "a")
    #expect(OutputPath.lastComponent(of: "a/b/c.json") == "c.json")
    // "-" as a file name (for options where "-" is not stdout) is an ordinary new file in ".".
    let out = try OutputPath.check("-", option: "--output")
    #expect(out.kind == .newFile || out.kind == .regularFile)
  }
}
