import Testing

@testable import DriftSimInterference

@Suite("Scenario documents: bounded size and alias expansion")
struct ScenarioDocumentLimitTests {
  /// A YAML "billion laughs": 9 levels of 9 aliases each, 9⁹ ≈ 3.9e8 values in ~300 bytes.
  static let bomb = """
    arrivalRate: [&a [1,1,1,1,1,1,1,1,1], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a], &c [*b,*b,*b,*b,*b,*b,*b,*b,*b], &d [*c,*c,*c,*c,*c,*c,*c,*c,*c], &e [*d,*d,*d,*d,*d,*d,*d,*d,*d], &f [*e,*e,*e,*e,*e,*e,*e,*e,*e], &g [*f,*f,*f,*f,*f,*f,*f,*f,*f], &h [*g,*g,*g,*g,*g,*g,*g,*g,*g], &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]]
    """

  @Test("an alias bomb in a document or a --set value fails at once with one line naming the rule")
  func aliasBomb() throws {
    var builder = try ScenarioBuilder(preset: "paper")
    #expect(throws: ScenarioError.self) { try builder.apply(document: Self.bomb, source: "bomb.yaml") }
    do {
      try builder.apply(document: Self.bomb, source: "bomb.yaml")
    } catch {
      #expect(error.description.hasPrefix("bomb.yaml:1: the document expands to more than 100000 values"), "\(error)")
    }
    let value = String(Self.bomb.dropFirst("arrivalRate: ".count))
    #expect(throws: ScenarioError.self) { try builder.apply(override: "arrivalRate=\(value)") }
  }

  @Test("documents larger than the limit are refused by size; small aliases still work")
  func size() throws {
    var builder = try ScenarioBuilder(preset: "paper")
    let big = "# " + String(repeating: "x", count: ScenarioBuilder.maxDocumentBytes)
    #expect(throws: ScenarioError.self) { try builder.apply(document: big, source: "big.yaml") }
    try builder.apply(document: "epochs: &n 2000\nwarmupEpochs: 100\n", source: "ok.yaml")
  }
}
