import DriftSimSupport
import Foundation
import Synchronization

/// Solutions of `PerFlowSlotModel` (policy `vi`) and `PerFlowPacketModel` (policy `vi-delay`),
/// cached in memory and on disk so each distinct pair model is solved once.
///
/// On disk: one JSON file per model, `DIR/perflow-<hash>.json` (`DIR/perflow-packet-<hash>.json` for
/// the packet-count model), where `<hash>` is the FNV-1a 64-bit
/// hash of the model's `canonicalText` (every input as an exact hexadecimal double) and the
/// file repeats the model, which is compared on load (a hash collision or a stale file is re-solved).
/// DIR is `$DRIFTSIM_CACHE_DIR`, else `$XDG_CACHE_HOME/driftsim`, else `~/.cache/driftsim`.
/// Writes go to a unique temporary file in DIR and are renamed into place (atomic on POSIX), so
/// parallel runs never see a half-written file; a file that does not decode, has the wrong model or
/// non-finite values is recomputed, never trusted.
public enum PerFlowSolutionCache {
  /// Where solutions are cached when no directory is given (see the type's documentation).
  public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let dir = environment["DRIFTSIM_CACHE_DIR"], !dir.isEmpty { return dir }
    if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/driftsim" }
    let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    return home + "/.cache/driftsim"
  }

  /// FNV-1a 64-bit of a string's UTF-8 bytes, as 16 hex digits.
  public static func hash(_ text: String) -> String {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
      h ^= UInt64(byte)
      h = h &* 0x0000_0100_0000_01b3
    }
    return String(format: "%016llx", h)
  }

  /// The cache file of a model in `directory`.
  public static func path(for model: PerFlowSlotModel, directory: String) -> String {
    directory + "/perflow-" + hash(model.canonicalText) + ".json"
  }

  /// Where a solution came from.
  public enum Source: String, Sendable, Codable {
    /// Solved in this call.
    case solved
    /// Read from the disk cache.
    case disk
    /// Already in this process's memory.
    case memory
  }

  private static let memory = Mutex<[String: PerFlowSlotSolution]>([:])
  private static let packetMemory = Mutex<[String: PerFlowPacketSolution]>([:])

  /// The cache file of a packet-count model in `directory`.
  public static func path(for model: PerFlowPacketModel, directory: String) -> String {
    directory + "/perflow-packet-" + hash(model.canonicalText) + ".json"
  }

  /// The solution of a packet-count model (policy `vi-delay`): from memory, else from the disk
  /// cache, else solved (from h = 0) and stored; as `solution(for:directory:tolerance:)`.
  /// - Throws: `PerFlowModelError` for an invalid model or a solve that did not converge,
  ///   `NumericsError` if a GSL call fails.
  public static func solution(
    for model: PerFlowPacketModel, directory: String?, tolerance: Double = 1e-10
  ) throws -> (solution: PerFlowPacketSolution, source: Source) {
    let key = model.canonicalText
    if let cached = packetMemory.withLock({ $0[key] }) { return (cached, .memory) }
    if let directory, let data = FileManager.default.contents(atPath: path(for: model, directory: directory)),
      let loaded = try? JSONDecoder().decode(PerFlowPacketSolution.self, from: data),
      loaded.model == model, loaded.converged, loaded.theta.isFinite, loaded.continuation.count == model.maxQueuePackets + 1,
      loaded.relativeValue.count == model.maxQueuePackets + 1, loaded.continuation.allSatisfy(\.isFinite)
    {
      packetMemory.withLock { $0[key] = loaded }
      return (loaded, .disk)
    }
    let solved = try PerFlowPacketMDP(model).solve(tolerance: tolerance)
    guard solved.converged, solved.theta.isFinite else {
      throw PerFlowModelError(
        "per-flow packet MDP (λ = \(model.arrivalRate), γ = \(model.gamma)): value iteration stopped after \(solved.iterations) sweeps at span \(solved.relativeSpan) > \(tolerance); at this power price the queue sits at the truncation (viMaxQueuePackets = \(model.maxQueuePackets)) — lower γ, or raise viMaxQueuePackets")
    }
    packetMemory.withLock { $0[key] = solved }
    if let directory { storeJSON(solved, at: path(for: model, directory: directory), directory: directory) }
    return (solved, .solved)
  }

  /// The solution of `model`: from memory, else from the disk cache, else solved and stored.
  /// - Parameters:
  ///   - model: the model.
  ///   - directory: the cache directory, or nil for no disk cache.
  ///   - tolerance: the span tolerance of value iteration.
  /// - Returns: the solution and where it came from.
  /// - Throws: `PerFlowModelError` for an invalid model or a solve that did not converge.
  public static func solution(
    for model: PerFlowSlotModel, directory: String?, tolerance: Double = 1e-10
  ) throws -> (solution: PerFlowSlotSolution, source: Source) {
    let key = model.canonicalText
    if let cached = memory.withLock({ $0[key] }) { return (cached, .memory) }
    if let directory, let loaded = load(model, directory: directory) {
      memory.withLock { $0[key] = loaded }
      return (loaded, .disk)
    }
    let mdp = try PerFlowSlotMDP(model)
    // Always from h = 0: the solution must be a function of the model alone (not of what this
    // process solved before), so that runs are reproducible with or without the cache.
    let solved = mdp.solve(tolerance: tolerance)
    guard solved.converged, solved.theta.isFinite else {
      throw PerFlowModelError(
        "per-flow slot MDP (λ = \(model.arrivalRate), γ = \(model.gamma)): value iteration stopped after \(solved.iterations) sweeps at span \(solved.relativeSpan) > \(tolerance)")
    }
    memory.withLock { $0[key] = solved }
    if let directory { store(solved, directory: directory) }
    return (solved, .solved)
  }

  /// Reads a cached solution, or nil if the file is missing, corrupt or for another model.
  public static func load(_ model: PerFlowSlotModel, directory: String) -> PerFlowSlotSolution? {
    guard let data = FileManager.default.contents(atPath: path(for: model, directory: directory)),
      let solution = try? JSONDecoder().decode(PerFlowSlotSolution.self, from: data),
      solution.model == model, solution.converged, solution.theta.isFinite,
      solution.continuation.count == model.gridPoints, solution.relativeValue.count == model.gridPoints,
      solution.continuation.allSatisfy(\.isFinite)
    else { return nil }
    return solution
  }

  /// Writes a solution atomically (temporary file + rename). Failures are ignored: the cache is an
  /// optimisation, and an unwritable directory only means the next run solves again.
  public static func store(_ solution: PerFlowSlotSolution, directory: String) {
    storeJSON(solution, at: path(for: solution.model, directory: directory), directory: directory)
  }

  /// Writes `value` as JSON to `final` atomically (unique temporary file in `directory` + rename).
  static func storeJSON<Value: Encodable>(_ value: Value, at final: String, directory: String) {
    let fm = FileManager.default
    do {
      try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      let data = try encoder.encode(value)
      let temporary = final + ".tmp-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
      guard fm.createFile(atPath: temporary, contents: data) else { return }
      if rename(temporary, final) != 0 { try? fm.removeItem(atPath: temporary) }
    } catch {
      return
    }
  }
}
