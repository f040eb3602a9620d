import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file a command was asked to write (`--json`, `--svg`, `--output`, …), checked before the work
/// starts and written without ever replacing what is not a regular file of ours.
///
/// - `check(_:option:)` runs before a command's work: the parent directory must exist and be
///   writable, and the path must be a regular file, not exist yet, or be a character device or a
///   FIFO (`/dev/null`, `/dev/stdout`, a named pipe). Directories, sockets and block devices are
///   refused. Errors are one line naming the option.
/// - `write(_:)` replaces a regular (or new) file atomically: it writes a temporary file in the
///   same directory and renames it over the target, so a reader never sees half a document. A
///   character device or FIFO is written *through* (opened for writing, never created, truncated,
///   renamed over or deleted), so `--json /dev/null` keeps `/dev/null` a device; a full device
///   (`/dev/full`) gives a "no space left" error.
/// - A symbolic link is followed: its target is what gets checked and written (the link stays).
public struct OutputPath: Sendable, Equatable, CustomStringConvertible {
  /// What the path names when it is checked.
  public enum Kind: String, Sendable, Equatable {
    /// Nothing exists there yet: a new regular file is created.
    case newFile
    /// An existing regular file: it is replaced atomically.
    case regularFile
    /// A character device such as /dev/null or /dev/stdout: written through, never replaced.
    case characterDevice
    /// A named pipe: written through (the write blocks until a reader opens it).
    case fifo

    /// Whether writes go through the existing node instead of a temporary file and a rename.
    public var writesThrough: Bool { self == .characterDevice || self == .fifo }
  }

  /// The path as the user gave it (used in messages).
  public let path: String
  /// The option or argument that named the path, e.g. "--json" (used in messages).
  public let option: String
  /// The path actually written: `path`, or the target of a symbolic link.
  public let resolvedPath: String
  /// What the path named when it was checked.
  public let kind: Kind

  public var description: String { "\(option) \(OutputPath.quoted(path))" }

  /// Checks that `path` can be written by `option`, before any work is done.
  /// - Parameters:
  ///   - path: the file to write (not "-": standard output needs no check).
  ///   - option: the option's name for messages, e.g. "--json".
  /// - Returns: the checked path, ready for `write(_:)`.
  /// - Throws: `InputError` naming the option, the path and the rule: empty path, missing parent
  ///   directory, parent not a directory or not writable, a directory (or socket, block device)
  ///   where a file is wanted, an existing file that is not writable.
  public static func check(_ path: String, option: String) throws -> OutputPath {
    guard !path.isEmpty else { throw InputError("\(option): the path is empty; give a file name") }
    guard !path.utf8.contains(0) else { throw InputError("\(option): the path contains a NUL byte") }
    let resolved = resolveLinks(path)
    var st = stat()
    if stat(resolved, &st) == 0 {
      let kind: Kind
      switch st.st_mode & S_IFMT {
      case S_IFREG: kind = .regularFile
      case S_IFCHR: kind = .characterDevice
      case S_IFIFO: kind = .fifo
      case S_IFDIR:
        throw InputError("\(option) \(quoted(path)): is a directory; give a file name (e.g. \(quoted(joined(path, "result"))))")
      case S_IFBLK:
        throw InputError("\(option) \(quoted(path)): is a block device; refusing to write to it")
      case S_IFSOCK:
        throw InputError("\(option) \(quoted(path)): is a socket; refusing to write to it")
      default:
        throw InputError("\(option) \(quoted(path)): is not a regular file, character device or FIFO; refusing to write to it")
      }
      if access(resolved, W_OK) != 0 {
        throw InputError("\(option) \(quoted(path)): cannot write: \(reason(errno))")
      }
      if kind == .regularFile { try checkParent(of: resolved, path: path, option: option) }
      return OutputPath(path: path, option: option, resolvedPath: resolved, kind: kind)
    }
    let e = errno
    guard e == ENOENT else {
      // ENOTDIR: a component of the parent is a file; ELOOP, EACCES, ENAMETOOLONG: say so.
      if e == ENOTDIR {
        throw InputError("\(option) \(quoted(path)): a parent of this path is not a directory")
      }
      throw InputError("\(option) \(quoted(path)): cannot use this path: \(reason(e))")
    }
    var lst = stat()
    if lstat(path, &lst) == 0, (lst.st_mode & S_IFMT) == S_IFLNK {
      throw InputError("\(option) \(quoted(path)): is a symbolic link to a missing file; refusing to create its target")
    }
    try checkParent(of: resolved, path: path, option: option)
    return OutputPath(path: path, option: option, resolvedPath: resolved, kind: .newFile)
  }

  /// Checks (and, with `create`, makes) an output directory before any work is done, e.g. for
  /// `--output-directory`.
  /// - Parameters:
  ///   - path: the directory.
  ///   - option: the option's name for messages.
  ///   - create: create the directory (and missing parents) when it does not exist (default true).
  /// - Throws: `InputError` naming the option: the path is a file, a parent is not a directory, the
  ///   directory cannot be created or is not writable.
  public static func checkDirectory(_ path: String, option: String, create: Bool = true) throws {
    guard !path.isEmpty else { throw InputError("\(option): the path is empty; give a directory") }
    guard !path.utf8.contains(0) else { throw InputError("\(option): the path contains a NUL byte") }
    var st = stat()
    if stat(path, &st) == 0 {
      guard (st.st_mode & S_IFMT) == S_IFDIR else {
        throw InputError("\(option) \(quoted(path)): exists and is not a directory")
      }
    } else {
      let e = errno
      if e == ENOTDIR { throw InputError("\(option) \(quoted(path)): a parent of this path is not a directory") }
      guard e == ENOENT else { throw InputError("\(option) \(quoted(path)): cannot use this path: \(reason(e))") }
      guard create else { throw InputError("\(option) \(quoted(path)): the directory does not exist") }
      do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
      } catch {
        // Find the first component that is in the way, for a message better than Foundation's.
        throw InputError("\(option) \(quoted(path)): cannot create the directory: \(describeCreationFailure(path))")
      }
    }
    if access(path, W_OK | X_OK) != 0 {
      throw InputError("\(option) \(quoted(path)): the directory is not writable: \(reason(errno))")
    }
  }

  /// Writes `data` to the path: atomically (temporary file in the same directory, then rename) for
  /// a regular or new file; straight through for a character device or FIFO.
  ///
  /// The node is looked at again at write time, so a path that changed since `check` is handled
  /// for what it is now (a new directory there is refused, never replaced).
  /// - Throws: `InputError` naming the option and the path: no space left on the device, an I/O
  ///   error, or a path that can no longer be written.
  public func write(_ data: Data) throws {
    let current = try OutputPath.check(path, option: option)
    if current.kind.writesThrough {
      try current.writeThrough(data)
    } else {
      try current.writeAtomically(data)
    }
  }

  /// Writes `text` as UTF-8; see `write(_:)`.
  public func write(_ text: String) throws { try write(Data(text.utf8)) }

  // MARK: Writing

  private func writeThrough(_ data: Data) throws {
    let fd = open(resolvedPath, O_WRONLY | O_NOCTTY | O_CLOEXEC)
    if fd < 0 { throw InputError("\(self): cannot open for writing: \(OutputPath.reason(errno))") }
    defer { close(fd) }
    try writeAll(fd, data)
  }

  private func writeAtomically(_ data: Data) throws {
    let directory = OutputPath.parent(of: resolvedPath)
    let name = OutputPath.lastComponent(of: resolvedPath)
    var template = Array(OutputPath.joined(directory, ".\(name).XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    if fd < 0 {
      throw InputError("\(self): cannot create a temporary file in \(OutputPath.quoted(directory)): \(OutputPath.reason(errno))")
    }
    let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var keep = false
    defer {
      if !keep { unlink(temporary) }
    }
    do {
      // mkstemp creates 0600; give the file the mode a new file would get (or the old file's).
      var st = stat()
      let mode: mode_t
      if kind == .regularFile, stat(resolvedPath, &st) == 0 {
        mode = st.st_mode & 0o7777
      } else {
        let mask = umask(0)
        umask(mask)
        mode = 0o666 & ~mask
      }
      fchmod(fd, mode)
      try writeAll(fd, data)
      if fsync(fd) != 0 { throw InputError("\(self): cannot write: \(OutputPath.reason(errno))") }
    } catch {
      close(fd)
      throw error
    }
    if close(fd) != 0 { throw InputError("\(self): cannot write: \(OutputPath.reason(errno))") }
    if rename(temporary, resolvedPath) != 0 {
      throw InputError("\(self): cannot move the finished file into place: \(OutputPath.reason(errno))")
    }
    keep = true
  }

  private func writeAll(_ fd: Int32, _ data: Data) throws {
    try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
      guard var p = raw.baseAddress else { return }
      var remaining = raw.count
      while remaining > 0 {
        let n = systemWrite(fd, p, remaining)
        if n < 0 {
          let e = errno
          if e == EINTR { continue }
          if e == ENOSPC || e == EDQUOT {
            throw InputError("\(self): no space left on the device (\(data.count) bytes to write)")
          }
          throw InputError("\(self): cannot write: \(OutputPath.reason(e))")
        }
        if n == 0 { throw InputError("\(self): cannot write: the device accepted no bytes") }
        p += n
        remaining -= n
      }
    }
  }

  // MARK: Helpers

  private static func checkParent(of resolved: String, path: String, option: String) throws {
    let directory = parent(of: resolved)
    var st = stat()
    guard stat(directory, &st) == 0 else {
      let e = errno
      if e == ENOENT { throw InputError("\(option) \(quoted(path)): the directory \(quoted(directory)) does not exist") }
      if e == ENOTDIR { throw InputError("\(option) \(quoted(path)): a parent of this path is not a directory") }
      throw InputError("\(option) \(quoted(path)): cannot use the directory \(quoted(directory)): \(reason(e))")
    }
    guard (st.st_mode & S_IFMT) == S_IFDIR else {
      throw InputError("\(option) \(quoted(path)): \(quoted(directory)) is not a directory")
    }
    if access(directory, W_OK | X_OK) != 0 {
      throw InputError("\(option) \(quoted(path)): the directory \(quoted(directory)) is not writable: \(reason(errno))")
    }
  }

  /// The path with symbolic links resolved, when it (or its parent) exists; `path` otherwise.
  private static func resolveLinks(_ path: String) -> String {
    var lst = stat()
    guard lstat(path, &lst) == 0, (lst.st_mode & S_IFMT) == S_IFLNK else { return path }
    guard let real = realpath(path, nil) else { return path }
    defer { free(real) }
    return String(cString: real)
  }

  /// The directory part of `path` ("." for a bare name, "/" for a file in the root). Written by
  /// hand: Foundation's `deletingLastPathComponent` traps on one-character names such as "-".
  public static func parent(of path: String) -> String {
    var trimmed = Substring(path)
    while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
    guard let slash = trimmed.lastIndex(of: "/") else { return "." }
    if slash == trimmed.startIndex { return "/" }
    return String(trimmed[..<slash])
  }

  /// The last component of `path` (after the last "/").
  static func lastComponent(of path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
  }

  private static func joined(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
  }

  private static func describeCreationFailure(_ path: String) -> String {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
      prefix = prefix.isEmpty || prefix == "/" ? prefix + component : prefix + "/" + component
      var st = stat()
      if stat(prefix, &st) == 0 {
        if (st.st_mode & S_IFMT) != S_IFDIR { return "\(quoted(prefix)) is not a directory" }
      } else {
        let e = errno
        if e != ENOENT { return "\(quoted(prefix)): \(reason(e))" }
        return "cannot create \(quoted(prefix))"
      }
    }
    return "cannot create it"
  }

  /// The system's reason for `code`, e.g. "No space left on device".
  static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

  /// `text` in single quotes, shortened by `Quoted.clip` so that error lines stay short.
  static func quoted(_ text: String) -> String { "'\(Quoted.clip(text))'" }
}

/// Shortens user input quoted in error lines: a message never echoes a 50 MB value.
public enum Quoted {
  /// Longest quoted input kept whole, in characters.
  public static let limit = 80

  /// `text` itself when it has at most `limit` characters; otherwise its first `limit` characters
  /// followed by "…(N bytes)" with N the UTF-8 size of the whole input. Control characters
  /// (newlines, escapes) are shown as `\u{…}` so an error stays one line.
  public static func clip(_ text: String, limit: Int = Quoted.limit) -> String {
    // O(limit), not O(text): inputs can be many megabytes.
    let cut = text.index(text.startIndex, offsetBy: limit, limitedBy: text.endIndex) ?? text.endIndex
    let long = cut < text.endIndex
    var head = String(text[..<cut])
    if head.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
      head = String(String.UnicodeScalarView(head.unicodeScalars.flatMap { scalar -> [Unicode.Scalar] in
        scalar.properties.generalCategory == .control ? Array(scalar.escaped(asASCII: true).unicodeScalars) : [scalar]
      }))
    }
    return long ? head + "…(\(text.utf8.count) bytes)" : head
  }
}

/// `write(2)` (the name `write` is shadowed inside `OutputPath`).
private func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ count: Int) -> Int {
  write(fd, p, count)
}

extension Quoted {
  /// `message` with every single-quoted run longer than 4 × `limit` characters clipped to `limit`
  /// (see `clip`; shorter runs stay whole, so apostrophes in prose are safe), and any line still
  /// longer than 12 × `limit` characters cut.
  public static func clipQuotedRuns(_ message: String, limit: Int = Quoted.limit) -> String {
    guard message.utf8.count > 4 * limit else { return message }
    // Segments between apostrophes; the odd ones are quoted.
    let segments = message.split(separator: "'", omittingEmptySubsequences: false)
    let out = segments.enumerated().map { i, segment -> String in
      i % 2 == 1 && segment.utf8.count > 4 * limit ? clip(String(segment), limit: limit) : String(segment)
    }.joined(separator: "'")
    let lines = out.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
      line.count > 12 * limit ? clip(String(line), limit: 12 * limit) : String(line)
    }
    return lines.joined(separator: "\n")
  }
}
