#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
#if os(Linux)
  import Synchronization
#endif

/// Graceful interruption for long runs that write traces.
///
/// `install()` makes SIGINT and SIGTERM set a flag instead of killing the process. Simulation loops
/// poll `isRequested` (a relaxed atomic load: a few cycles; poll once per epoch or every few
/// thousand events), stop, call `TraceWriter.finish()` (which then marks the trace as interrupted
/// in its footer, finishes the current blocks and writes a valid footer) and exit with
/// `exitStatus` (non-zero). A second signal while the flag is set terminates the process at once
/// with the default action.
///
/// ```swift
/// TraceInterruption.install()
/// while !done {
///   simulateOneEpoch(writer)
///   if TraceInterruption.isRequested { break }
/// }
/// try writer.finish()
/// if TraceInterruption.isRequested { exit(TraceInterruption.exitStatus) }
/// ```
public enum TraceInterruption {
  /// Installs the SIGINT/SIGTERM handlers (idempotent) and unblocks both signals in the calling
  /// thread (a parent such as a test runner may have spawned the process with them blocked).
  public static func install() {
    signal(SIGINT, interruptionHandler)
    signal(SIGTERM, interruptionHandler)
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    sigaddset(&set, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
  }

  /// Whether SIGINT or SIGTERM has been received since `install()` (or `simulate`).
  @inline(__always)
  public static var isRequested: Bool { InterruptionFlag.load() != 0 }

  /// The signal received (SIGINT = 2, SIGTERM = 15), or 0.
  public static var signalNumber: Int32 { InterruptionFlag.load() }

  /// The conventional exit status after an interruption: 128 + signal number (130 for SIGINT).
  public static var exitStatus: Int32 { 128 + max(signalNumber, 1) }

  /// Sets the flag as if `signal` had been received (tests, or a caller's own stop condition).
  public static func simulate(signal: Int32 = SIGINT) { InterruptionFlag.store(signal) }

  /// Clears the flag (tests).
  public static func reset() { InterruptionFlag.store(0) }
}

/// The signal handler: only async-signal-safe operations (an atomic store, signal, raise).
private func interruptionHandler(_ sig: Int32) {
  if InterruptionFlag.load() != 0 {
    // Second signal: the user insists. Restore the default action and re-raise.
    signal(sig, SIG_DFL)
    raise(sig)
    return
  }
  InterruptionFlag.store(sig)
}

#if os(Linux)
  /// The flag, a lock-free atomic (safe to store from a signal handler and load from any thread).
  private let interruptionFlagStorage = Atomic<Int32>(0)

  private enum InterruptionFlag {
    @inline(__always) static func load() -> Int32 { interruptionFlagStorage.load(ordering: .relaxed) }
    @inline(__always) static func store(_ v: Int32) { interruptionFlagStorage.store(v, ordering: .relaxed) }
  }
#else
  /// Apple platforms before macOS 15 lack `Synchronization.Atomic`, and the package targets macOS 13.
  /// An aligned 32-bit store is a single instruction on every Apple CPU, so the handler's store is
  /// never torn; the flag is only ever set once per run, and a poll that misses it sees it on the
  /// next poll. This is the classic `volatile sig_atomic_t` pattern.
  nonisolated(unsafe) private var interruptionFlagStorage: Int32 = 0

  private enum InterruptionFlag {
    @inline(never) static func load() -> Int32 { interruptionFlagStorage }
    @inline(never) static func store(_ v: Int32) { interruptionFlagStorage = v }
  }
#endif
