import Dispatch
import Synchronization

/// Computes `transform(i)` for every `i` in `0..<count` on up to `jobs` threads and returns the
/// results in index order, so the output never depends on the number of threads.
///
/// Work is handed out dynamically (the next free worker takes the next index), which keeps both
/// cores busy when items differ in cost. If any call throws, the error of the *lowest* failing
/// index is rethrown (deterministic whatever the scheduling); indices not yet started when a
/// failure is seen are skipped.
/// - Parameters:
///   - count: the number of items (0 returns an empty array).
///   - jobs: the number of worker threads; values below 1 mean 1.
///   - transform: the work for one index; called at most once per index, from any thread.
/// - Returns: `[transform(0), transform(1), …]`.
/// - Throws: the error thrown for the lowest failing index.
public func parallelMap<Value: Sendable>(
  count: Int, jobs: Int, _ transform: @Sendable (Int) throws -> Value
) throws -> [Value] {
  guard count > 0 else { return [] }
  let workers = max(1, min(jobs, count))
  if workers == 1 {
    return try (0..<count).map(transform)
  }
  let state = Mutex(ParallelMapState<Value>(results: Array(repeating: nil, count: count)))
  DispatchQueue.concurrentPerform(iterations: workers) { _ in
    while true {
      let index: Int? = state.withLock { s in
        guard !s.failed, s.next < count else { return nil }
        defer { s.next += 1 }
        return s.next
      }
      guard let index else { return }
      let result = Result { try transform(index) }
      state.withLock { s in
        s.results[index] = result
        if case .failure = result { s.failed = true }
      }
    }
  }
  return try state.withLock { s in
    var values: [Value] = []
    values.reserveCapacity(count)
    for slot in s.results {
      switch slot {
      case let .success(value)?: values.append(value)
      case let .failure(error)?: throw error
      case nil:
        // Skipped after an earlier failure; that failure has a lower index only if it was
        // recorded before this slot, so keep scanning for it.
        continue
      }
    }
    return values
  }
}

/// The work counter and result slots of one `parallelMap` call, guarded by its mutex.
private struct ParallelMapState<Value>: ~Copyable {
  var next = 0
  var failed = false
  var results: [Result<Value, any Error>?]
}
