import DriftSimSupport
import Testing

struct Boom: ReportableError, CustomStringConvertible {
  var index: Int
  var description: String { "boom at \(index)" }
}

@Suite("parallelMap and ReportableError")
struct ParallelMapTests {
  @Test(arguments: [1, 2, 3, 8])
  func resultsComeInIndexOrder(jobs: Int) throws {
    let values = try parallelMap(count: 100, jobs: jobs) { i in i * i }
    #expect(values == (0..<100).map { $0 * $0 })
  }

  @Test func emptyInputGivesEmptyOutput() throws {
    #expect(try parallelMap(count: 0, jobs: 2) { $0 }.isEmpty)
  }

  @Test(arguments: [1, 2, 4])
  func theLowestFailingIndexWins(jobs: Int) {
    // Indices 10 and 90 fail; whatever the scheduling, index 10's error must surface.
    do {
      _ = try parallelMap(count: 100, jobs: jobs) { i -> Int in
        if i == 10 || i == 90 { throw Boom(index: i) }
        return i
      }
      Issue.record("parallelMap swallowed the errors")
    } catch let error as Boom {
      #expect(error.index == 10)
    } catch {
      Issue.record("unexpected error \(error)")
    }
  }

  @Test func reportableErrorsDefaultToExitStatusOne() {
    let error = Boom(index: 3)
    #expect(error.exitStatus == 1)
    #expect(error.message == "boom at 3")
  }
}
