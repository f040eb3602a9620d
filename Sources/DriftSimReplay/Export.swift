import Foundation
import DriftSimTrace

/// Table formats of `driftsim-replay export`.
public enum ExportFormat: String, Sendable, CaseIterable, Codable {
  /// Comma-separated values with a header line (one file per kind).
  case csv
  /// Apache Arrow IPC file format (one file per kind; opens with pyarrow and polars).
  case arrow
}

/// One file written by `export`.
public struct ExportedTable: Sendable, Equatable, Codable {
  /// Record kind name.
  public var kind: String
  /// Path of the file.
  public var path: String
  /// Rows written.
  public var rows: Int
}

/// The columns of a kind's table: the record fields, with snapshot counts split into count_0, ….
public func exportColumns(_ kind: RecordKind, stateCount: Int) -> [ArrowColumn] {
  var columns: [ArrowColumn] = []
  for f in kind.fields(stateCount: stateCount) {
    let type: ArrowColumnType =
      switch f.type {
      case "<f8": .float64
      case "<f4": .float32
      case "<u8": .uint64
      default: .uint32
      }
    if f.count == 1 {
      columns.append(ArrowColumn(f.name, type))
    } else {
      for j in 0..<f.count { columns.append(ArrowColumn("count_\(j)", type)) }
    }
  }
  return columns
}

/// Writes one table per record kind of the trace into `directory` (`<kind>.csv` or `<kind>.arrow`),
/// streaming block by block (bounded memory). Records outside `window` are left out.
/// - Parameters:
///   - reader: an open trace (its filters are set here).
///   - format: csv or arrow.
///   - directory: created if needed.
///   - kinds: which kinds to export (default: those in the header's level).
///   - window: time window (warm-up, from, to).
/// - Returns: the files written and the integrity of the pass.
/// - Throws: `TraceError` for damaged traces (without salvage), `ReplayError` for output problems.
public func exportTables(
  _ reader: TraceReader, format: ExportFormat, directory: String, kinds: TraceLevel? = nil,
  window: AnalysisWindow = .init()
) throws -> (tables: [ExportedTable], integrity: TraceIntegrity) {
  do {
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
  } catch {
    throw ReplayError("cannot create directory '\(directory)': \(ioReason(error))")
  }
  let selected = (kinds ?? reader.header.level).intersection(reader.header.level)
  if let kinds {
    let missing = kinds.subtracting(reader.header.level)
    if selected.isEmpty || (!missing.isEmpty && kinds != .all) {
      let held = reader.header.level.kinds.map(\.name).joined(separator: ", ")
      throw ReplayError(
        "the trace holds no \(missing.kinds.map(\.name).joined(separator: ", ")) records (it holds \(held.isEmpty ? "no record kinds" : held)); choose --kinds among those")
    }
  }
  let stateCount = reader.header.stateCount
  var sinks: [RecordKind: TableSink] = [:]
  var tables: [RecordKind: ExportedTable] = [:]
  for kind in selected.kinds {
    let path = (directory as NSString).appendingPathComponent("\(kind.name).\(format.rawValue)")
    let columns = exportColumns(kind, stateCount: stateCount)
    sinks[kind] =
      switch format {
      case .csv: try .csv(CSVTableWriter(path: path, columns: columns))
      case .arrow: try .arrow(ArrowFileWriter(path: path, columns: columns))
      }
    tables[kind] = ExportedTable(kind: kind.name, path: path, rows: 0)
  }
  reader.kinds = selected
  let start = window.start
  let end = window.end
  reader.timeWindow = window.readerWindow
  var rows: [Int] = []
  let integrity = try reader.forEachBlock { block in
    guard let sink = sinks[block.kind] else { return }
    rows.removeAll(keepingCapacity: true)
    for i in 0..<block.count {
      let t = block.time(i)
      if t >= start && t <= end { rows.append(i) }
    }
    guard !rows.isEmpty else { return }
    try sink.append(block, rows: rows)
    tables[block.kind]!.rows += rows.count
  }
  for kind in selected.kinds { try sinks[kind]!.finish() }
  return (selected.kinds.map { tables[$0]! }, integrity)
}

/// Where one kind's rows go.
enum TableSink {
  case csv(CSVTableWriter)
  case arrow(ArrowFileWriter)

  func append(_ block: TraceBlock, rows: [Int]) throws {
    switch self {
    case .csv(let w): try w.append(block, rows: rows)
    case .arrow(let w):
      let fields = block.kind.fields(stateCount: block.stateCount)
      // Column c → (byte offset in the record, width).
      var layout: [(Int, Int)] = []
      for f in fields {
        let width = f.type.hasSuffix("8") ? 8 : 4
        for j in 0..<f.count { layout.append((f.offset + j * width, width)) }
      }
      let base = block.payload.baseAddress!
      let size = block.recordSize
      try w.appendBatch(rows: rows.count) { c, destination in
        let (offset, width) = layout[c]
        for (r, i) in rows.enumerated() {
          (destination + r * width).copyMemory(from: base + i * size + offset, byteCount: width)
        }
      }
    }
  }

  func finish() throws {
    switch self {
    case .csv(let w): try w.finish()
    case .arrow(let w): try w.finish()
    }
  }
}

/// Streams rows to a CSV file (header line of column names; numbers in shortest round-trip form,
/// binary32 fields printed as binary32).
final class CSVTableWriter {
  private let handle: FileHandle
  private let path: String
  private var buffer = ""

  init(path: String, columns: [ArrowColumn]) throws {
    self.path = path
    self.handle = try openOutputFile(path)
    buffer = columns.map(\.name).joined(separator: ",") + "\n"
  }

  func append(_ block: TraceBlock, rows: [Int]) throws {
    let fields = block.kind.fields(stateCount: block.stateCount)
    let base = block.payload.baseAddress!
    for i in rows {
      let p = base + i * block.recordSize
      var first = true
      for f in fields {
        for j in 0..<f.count {
          if !first { buffer.append(",") }
          first = false
          let o = f.offset + 4 * j
          switch f.type {
          case "<f8": buffer.append(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self))).description)
          case "<f4": buffer.append(Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self))).description)
          case "<u8": buffer.append(String(UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self))))
          default: buffer.append(String(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt32.self))))
          }
        }
      }
      buffer.append("\n")
    }
    if buffer.utf8.count > 1 << 20 { try flush() }
  }

  private func flush() throws {
    do {
      try handle.write(contentsOf: Data(buffer.utf8))
    } catch {
      throw ReplayError("cannot write '\(path)': \(ioReason(error))")
    }
    buffer.removeAll(keepingCapacity: true)
  }

  func finish() throws {
    try flush()
    try? handle.close()
  }
}

/// Opens `path` for writing without ever replacing the node: a new or existing regular file is
/// created or truncated in place, a character device or FIFO is written through, a directory or
/// other node is refused.
/// - Throws: `ReplayError` naming the path and the reason.
func openOutputFile(_ path: String) throws -> FileHandle {
  var st = stat()
  if stat(path, &st) == 0 {
    let type = st.st_mode & S_IFMT
    guard type == S_IFREG || type == S_IFCHR || type == S_IFIFO else {
      throw ReplayError("cannot write '\(path)': it is \(type == S_IFDIR ? "a directory" : "not a regular file, device or FIFO")")
    }
  }
  let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0o644)
  if fd < 0 { throw ReplayError("cannot create '\(path)': \(String(cString: strerror(errno)))") }
  return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
}

/// The system's reason for a Foundation I/O error ("No space left on device"), never
/// "NSCocoaErrorDomain error N".
func ioReason(_ error: any Error) -> String {
  let ns = error as NSError
  if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
  if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
    return String(cString: strerror(Int32(underlying.code)))
  }
  if ns.domain == NSCocoaErrorDomain {
    switch CocoaError.Code(rawValue: ns.code) {
    case .fileWriteOutOfSpace: return "No space left on device"
    case .fileWriteNoPermission, .fileReadNoPermission: return "Permission denied"
    case .fileWriteVolumeReadOnly: return "Read-only file system"
    case .fileNoSuchFile, .fileReadNoSuchFile: return "No such file or directory"
    default: return "I/O error (\(ns.code))"
    }
  }
  return String(describing: error)
}
