// libFuzzer entry point for the trace reader. Compiled together with Sources/DriftSimTrace/*.swift as the
// module `Trace` by tools/fuzz/run-trace-fuzz.sh (no Package.swift target needed).
// Every input is read twice (strict and salvage) and every delivered record is decoded: no input may
// crash, trap or hang the reader.

@_cdecl("LLVMFuzzerTestOneInput")
public func traceReaderFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  for salvage in [false, true] {
    guard let reader = try? TraceReader(bytes: bytes, name: "fuzz", salvage: salvage) else { continue }
    var checksum = 0.0
    _ = try? reader.forEachBlock { block in
      for i in 0..<block.count {
        switch block.kind {
        case .packetArrival: checksum += block.packetArrival(i).bits
        case .packetDeparture: checksum += block.packetDeparture(i).delay
        case .epoch: checksum += block.epoch(i).queueBits
        case .slot: checksum += block.slot(i).sinr
        case .ctmcJump: checksum += Double(block.ctmcJump(i).transition)
        case .ctmcSnapshot:
          for s in 0..<block.stateCount { checksum += Double(block.snapshotCount(i, state: s)) }
        }
      }
    }
    // A time-window pass exercises the skipping path.
    reader.timeWindow = 0.1...0.5
    reader.kinds = [.packets, .ctmcSnapshots]
    _ = try? reader.forEachBlock { block in checksum += block.time(0) }
    reader.verifySkippedBlocks = false  // seek through the footer index
    _ = try? reader.forEachBlock { block in checksum += block.time(block.count - 1) }
    if checksum.isNaN { checksum = 0 }  // keep the work observable
  }
  return 0
}
