import Foundation
import Testing

@testable import DriftSimTrace

#if canImport(Glibc)
  import Glibc
#endif

/// Type, device number and inode of a node (without following links).
private func node(_ path: String) -> (type: mode_t, device: UInt64, inode: UInt64)? {
  var st = stat()
  guard lstat(path, &st) == 0 else { return nil }
  return (st.st_mode & S_IFMT, UInt64(st.st_rdev), UInt64(st.st_ino))
}

private func header() -> TraceHeader {
  TraceHeader(softwareVersion: "tests", scenario: "{}", seed: 1, level: .packets, metadata: ["pairs": "2"])
}

@Suite("Trace writer targets: devices and FIFOs are written through, never replaced")
struct TraceOutputTargetTests {
  @Test("/dev/null: a whole trace is written through; /dev/null stays the same device, nothing is left behind")
  func devNull() throws {
    let before = try #require(node("/dev/null"))
    let writer = try TraceWriter(path: "/dev/null", header: header())
    #expect(writer.writesThrough && writer.temporaryPath == "/dev/null")
    writer.writePacketArrival(pair: 0, packetID: 1, time: 0.5, bits: 100)
    let summary = try writer.finish(interrupted: false)
    #expect(summary.records[.packetArrival] == 1)
    let after = try #require(node("/dev/null"))
    #expect(after.type == S_IFCHR && after.device == before.device && after.inode == before.inode)
    #expect(node("/dev/null.partial") == nil)
    // abandon() on a device must not unlink it.
    let second = try TraceWriter(path: "/dev/null", header: header())
    second.abandon()
    #expect(node("/dev/null")?.type == S_IFCHR)
  }

  @Test("/dev/full: the header write fails with 'No space left on device'; /dev/full survives")
  func devFull() throws {
    let before = try #require(node("/dev/full"))
    #expect(throws: TraceError.self) { _ = try TraceWriter(path: "/dev/full", header: header()) }
    do {
      _ = try TraceWriter(path: "/dev/full", header: header())
    } catch let error as TraceError {
      #expect(error.message == "cannot write '/dev/full': No space left on device")
    }
    let after = try #require(node("/dev/full"))
    #expect(after.type == S_IFCHR && after.device == before.device && after.inode == before.inode)
  }

  @Test("a FIFO receives a complete, readable trace; the FIFO stays a FIFO")
  func fifo() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = dir.appendingPathComponent("pipe").path
    #expect(mkfifo(path, 0o600) == 0)
    let reader = open(path, O_RDONLY | O_NONBLOCK)
    #expect(reader >= 0)
    defer { close(reader) }
    let writer = try TraceWriter(path: path, header: header(), blockPayloadBytes: 48)
    for i in 0..<5 { writer.writePacketArrival(pair: i % 2, packetID: UInt64(i), time: Double(i), bits: 10) }
    try writer.finish(interrupted: false)
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
      let n = read(reader, &chunk, chunk.count)
      if n <= 0 { break }
      bytes += chunk[0..<n]
    }
    let back = try TraceReader(bytes: bytes)
    let integrity = try back.verify()
    #expect(integrity.status == .complete && integrity.blocksRead == 3)
    #expect(node(path)?.type == S_IFIFO)
  }

  @Test("directories, missing parents, files as parents and a foreign .partial are refused before writing")
  func refused() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    try "x".write(to: dir.appendingPathComponent("file"), atomically: false, encoding: .utf8)
    let cases: [(String, String)] = [
      (dir.path, "it is a directory"),
      (dir.path + "/missing/t.dstrace", "does not exist"),
      (dir.path + "/file/t.dstrace", "a parent of this path is not a directory"),
    ]
    for (path, rule) in cases {
      do {
        _ = try TraceWriter(path: path, header: header())
        Issue.record("\(path) accepted")
      } catch let error as TraceError {
        #expect(error.message.contains(rule), "\(error.message)")
      }
    }
    let target = dir.path + "/t.dstrace"
    #expect(mkfifo(target + ".partial", 0o600) == 0)
    do {
      _ = try TraceWriter(path: target, header: header())
      Issue.record("a FIFO named .partial was replaced")
    } catch let error as TraceError {
      #expect(error.message.contains("exists and is not a regular file"), "\(error.message)")
    }
    #expect(node(target + ".partial")?.type == S_IFIFO)
  }

  @Test("a symbolic link target is replaced, the link is kept")
  func symlinkKept() throws {
    let dir = temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let real = dir.path + "/real.dstrace"
    try "old".write(toFile: real, atomically: false, encoding: .utf8)
    #expect(symlink(real, dir.path + "/link.dstrace") == 0)
    let writer = try TraceWriter(path: dir.path + "/link.dstrace", header: header())
    try writer.finish(interrupted: false)
    #expect(node(dir.path + "/link.dstrace")?.type == S_IFLNK)
    #expect(try TraceReader(path: real).verify().status == .complete)
  }
}
