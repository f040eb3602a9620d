import Foundation
import Testing

@Suite("driftsim meanfield")
struct MeanFieldCommandTests {
  func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test("scaling --json - has the documented keys")
  func scalingJSON() throws {
    let result = try Executable.run([
      "meanfield", "scaling", "--model", "sis", "--set", "alpha=0.5", "--set", "beta=0.5", "--populations", "20,40",
      "--duration", "300", "--warm-up", "5", "--batches", "8", "--json", "-", "--quiet",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try json(result.stdout)
    #expect(object["model"] as? String == "sis")
    #expect((object["equilibrium"] as? [Double])?.count == 2)
    #expect(object["slope"] is Double)
    #expect((object["slopeCI95"] as? [Double])?.count == 2)
    let rows = try #require(object["rows"] as? [[String: Any]])
    #expect(rows.map { $0["population"] as? Int } == [20, 40])
    for row in rows {
      for key in ["meanSquareError", "scaledError", "exactScaledError"] { #expect(row[key] is Double, "\(key)") }
      #expect((row["scaledErrorCI95"] as? [Double])?.count == 2)
      #expect((row["meanOccupancy"] as? [Double])?.count == 2)
    }
  }

  @Test("refined --json - gives V1 = −(√2 − 1)/4")
  func refinedJSON() throws {
    let result = try Executable.run(["meanfield", "refined", "--model", "sis", "--set", "alpha=0.5", "--set", "beta=0.5", "--json", "-"])
    #expect(result.status == 0, "\(result.stderr)")
    let object = try json(result.stdout)
    let correction = try #require(object["correction"] as? [Double])
    let equilibrium = try #require(object["equilibrium"] as? [Double])
    #expect(abs(correction[1] + (2.0.squareRoot() - 1) / 4) < 1e-7)
    #expect(abs(equilibrium[1] - (2.0.squareRoot() - 1)) < 1e-12)
  }

  @Test("equilibrium, ode, simulate and trajectory run and print JSON")
  func otherCommands() throws {
    for arguments in [
      ["meanfield", "equilibrium", "--model", "supermarket", "--set", "lambda=0.8", "--json", "-"],
      ["meanfield", "ode", "--model", "sis", "--horizon", "2", "--points", "5", "--json", "-"],
      ["meanfield", "simulate", "--model", "sis", "--population", "100", "--horizon", "5", "--json", "-"],
      ["meanfield", "trajectory", "--populations", "50,500", "--horizon", "2", "--samples", "20", "--json", "-"],
    ] {
      let result = try Executable.run(arguments)
      #expect(result.status == 0, "\(arguments): \(result.stderr)")
      #expect(try json(result.stdout).isEmpty == false)
    }
  }

  @Test("bad input exits 1 naming the key; usage errors exit 2", arguments: [
    (["meanfield", "refined", "--model", "sis", "--set", "gamma=1"], 1, "unknown parameter 'gamma'"),
    (["meanfield", "refined", "--model", "nosuch"], 2, "'nosuch' is invalid for '--model <model>'"),
    (["meanfield", "ode", "--model-file", "/nonexistent/model.json"], 1, "cannot read model file"),
    (["meanfield", "refined", "--set", "alpha"], 1, "expected name=value"),
    (["meanfield", "scaling", "--batches", "1"], 2, "--batches"),
    (["meanfield", "simulate", "--population", "0"], 2, "--population"),
  ])
  func errors(arguments: [String], status: Int32, mentions: String) throws {
    let result = try Executable.run(arguments)
    #expect(result.status == status, "\(result.stderr)")
    #expect(result.stderr.contains(mentions), "\(result.stderr)")
  }

  @Test("a model file with a bad rate names the column")
  func modelFileError() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("mf-bad-\(getpid()).json").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Data(#"{"states": ["S", "I"], "transitions": [{"name": "inf", "jump": [-1, 1], "rate": "x0 * (x1 +"}]}"#.utf8)
      .write(to: URL(fileURLWithPath: path))
    let result = try Executable.run(["meanfield", "equilibrium", "--model-file", path])
    #expect(result.status == 1)
    #expect(result.stderr.contains("transition 'inf'") && result.stderr.contains("column"), "\(result.stderr)")
  }
}
