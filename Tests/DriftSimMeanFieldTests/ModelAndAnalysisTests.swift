import Foundation
import Testing

@testable import DriftSimMeanField

/// Reference values: closed forms, and tools/reference/meanfield_sis_reference.py (mpmath, 50
/// digits, exact birth–death distribution computed independently of DriftSim).
enum SISReference {
  static let x1Star = 2.0.squareRoot() - 1
  /// −(√2 − 1)/4, the refined correction of x1 for α = β = 0.5.
  static let refinedV1 = -(2.0.squareRoot() - 1) / 4
  /// (M, E[x1], M·E‖x − x*‖²) for α = β = 0.5.
  static let exact: [(Int, Double, Double)] = [
    (10, 0.40408807130084610896, 0.57278427200248572612),
    (100, 0.41318024864923781355, 0.58453051298605971039),
    (1000, 0.41411003109022635284, 0.58566137745118041209),
    (10000, 0.41420320725501724466, 0.58577393702421706062),
  ]
}

@Suite("Rate expressions")
struct RateExpressionTests {
  @Test("precedence, associativity, functions and names")
  func evaluation() throws {
    let states = ["S", "I"]
    let p = ["a": 2.0, "b": 3.0]
    func value(_ text: String, _ x: [Double] = [0.25, 0.75]) throws -> Double {
      try RateExpression(text, stateNames: states, parameters: p).evaluate(at: x)
    }
    #expect(try value("1 + 2*3") == 7)
    #expect(try value("2^3^2") == 512)
    #expect(try value("-2^2") == -4)
    #expect(try value("(1+2)*3 - 4/2") == 7)
    #expect(try value("a*x0 + b*x0*x1") == 2 * 0.25 + 3 * 0.25 * 0.75)
    #expect(try value("a*S + b*S*I") == 2 * 0.25 + 3 * 0.25 * 0.75)
    #expect(try value("min(x0, x1) + max(x0, x1)") == 1)
    #expect(try value("sqrt(4) + exp(0) + log(1) + abs(-1) + pow(2, 0.5)^2") == 4 + 2.0.squareRoot() * 2.0.squareRoot())
    #expect(try value("1.5e1 + .5") == 15.5)
    #expect(try value("x1^2.5") == Foundation.pow(0.75, 2.5))
  }

  @Test("deep nesting is an error, not a stack overflow")
  func deepNesting() {
    let deep = String(repeating: "(", count: 100_000) + "x0" + String(repeating: ")", count: 100_000)
    #expect(throws: RateExpressionError.self) { try RateExpression(deep, stateNames: ["S"], parameters: [:]) }
    let signs = String(repeating: "-", count: 100_000) + "x0"
    #expect(throws: RateExpressionError.self) { try RateExpression(signs, stateNames: ["S"], parameters: [:]) }
    #expect(throws: Never.self) { try RateExpression("((((x0))))", stateNames: ["S"], parameters: [:]) }
  }

  @Test("errors name the column and the problem", arguments: [
    ("alpha*x0", 1, "unknown name 'alpha'"),
    ("a*x2", 3, "out of range"),
    ("a +* x0", 4, "unexpected '*'"),
    ("(a + x0", 8, "expected ')'"),
    ("a x0", 3, "unexpected 'x'"),
    ("foo(x0)", 1, "unknown function 'foo'"),
    ("min(x0)", 1, "min takes 2 arguments"),
    ("", 1, "empty expression"),
  ])
  func errors(text: String, column: Int, mentions: String) {
    do {
      _ = try RateExpression(text, stateNames: ["S", "I"], parameters: ["a": 1])
      Issue.record("expected an error for \(text)")
    } catch {
      #expect(error.column == column, "\(error)")
      #expect(error.description.contains(mentions), "\(error)")
    }
  }
}

@Suite("Population models")
struct PopulationModelTests {
  @Test("built-in fast paths equal their expression programs")
  func fastPathsMatchExpressions() throws {
    let sis = try BuiltinModel.sis.model(overrides: ["alpha": 0.3, "beta": 1.7])
    let market = try BuiltinModel.supermarket.model(overrides: ["lambda": 0.8, "d": 3, "buffer": 6])
    for model in [sis, market] {
      var state: UInt64 = 7
      for _ in 0..<20 {
        var x = (0..<model.stateCount).map { _ -> Double in
          state = state &* 6364136223846793005 &+ 1442695040888963407
          return Double(state >> 11) / 9007199254740992.0 + 1e-3
        }
        let total = x.reduce(0, +)
        x = x.map { $0 / total }
        let fast = model.rates(at: x), slow = model.expressionRates(at: x)
        for (a, b) in zip(fast, slow) { #expect(abs(a - b) <= 1e-14 * max(1, abs(b)), "\(model.name) \(x)") }
      }
    }
  }

  @Test("model files: parse, override, and strict errors")
  func modelFiles() throws {
    let text = """
      {"name": "sis-file", "states": ["S", "I"], "parameters": {"alpha": 0.5, "beta": 0.5},
       "transitions": [{"name": "infection", "jump": [-1, 1], "rate": "alpha*S + beta*x0*x1"},
                       {"name": "recovery", "jump": {"S": 1, "I": -1}, "rate": "I"}]}
      """
    let file = try ModelFile(json: Data(text.utf8))
    let model = try file.model(overrides: ["beta": 2])
    #expect(model.rates(at: [0.5, 0.5]) == [0.5 * 0.5 + 2 * 0.25, 0.5])
    #expect(model.conservesPopulation)
    #expect(throws: MeanFieldError.self) { try file.model(overrides: ["gamma": 1]) }
    do {
      _ = try file.model(overrides: ["gamma": 1])
    } catch {
      #expect(error.message.contains("unknown parameter 'gamma'"))
    }
    func failure(_ json: String) -> String {
      do {
        _ = try ModelFile(json: Data(json.utf8)).model()
        return "no error"
      } catch {
        return error.message
      }
    }
    #expect(failure(#"{"states": ["A"], "transitions": [], "extra": 1}"#).contains("unknown key 'extra'"))
    #expect(
      failure(#"{"states": ["A", "B"], "transitions": [{"jump": [1, 0], "rate": "1"}]}"#).contains("does not conserve"))
    #expect(
      failure(#"{"states": ["A", "B"], "transitions": [{"name": "t", "jump": [-1, 1], "rate": "x0 - 0.5"}]}"#)
        .contains("rates must be finite and ≥ 0"))
    #expect(
      failure(#"{"states": ["A", "B"], "transitions": [{"name": "t", "jump": [-1, 1], "rate": "0.5"}]}"#)
        .contains("would make a count negative"))
    #expect(
      failure(#"{"states": ["A", "B"], "transitions": [{"name": "t", "jump": [-1, 1], "rate": "x0 * y"}]}"#)
        .contains("unknown name 'y'"))
    #expect(
      failure(#"{"states": ["A", "B"], "transitions": [{"name": "t", "jump": [-1, 1], "rate": "x0 * y"}]}"#)
        .contains("at column 6"))
  }

  @Test("unknown built-in and unknown parameter name the key")
  func catalogErrors() {
    #expect(throws: MeanFieldError("unknown parameter 'gamma' for model sis (known: alpha, beta)")) {
      try loadPopulationModel(builtin: "sis", file: nil, overrides: ["gamma": 1])
    }
    #expect(throws: MeanFieldError.self) { try loadPopulationModel(builtin: "nope", file: nil, overrides: [:]) }
    #expect(throws: MeanFieldError.self) { try BuiltinModel.supermarket.model(overrides: ["d": 1.5]) }
  }
}

@Suite("Mean-field ODE, equilibrium, stability, refined correction")
struct MeanFieldAnalysisTests {
  @Test("SIS α = β = 0.5: x* = (2 − √2, √2 − 1), stable with eigenvalue −√2")
  func sisEquilibrium() throws {
    let system = try MeanFieldSystem(model: try BuiltinModel.sis.model())
    let analysis = try system.analyseEquilibrium()
    #expect(abs(analysis.equilibrium[1] - SISReference.x1Star) < 1e-13)
    #expect(abs(analysis.equilibrium[0] - (2 - 2.0.squareRoot())) < 1e-13)
    #expect(analysis.conservationLawCount == 1)
    #expect(analysis.invariantSubspaceEigenvalues.count == 1)
    #expect(abs(analysis.invariantSubspaceEigenvalues[0].real + 2.0.squareRoot()) < 1e-8)
    #expect(analysis.verdict == .locallyExponentiallyStable)
    // The full Jacobian adds a zero eigenvalue for Σx = 1.
    #expect(analysis.jacobianEigenvalues.contains { abs($0.real) < 1e-8 })
  }

  @Test("supermarket fixed point: tails s_i = λ^((d^i − 1)/(d − 1))", arguments: [(0.9, 2), (0.7, 3), (0.95, 2)])
  func supermarketFixedPoint(lambda: Double, d: Int) throws {
    let buffer = 20
    let model = try BuiltinModel.supermarket.model(overrides: ["lambda": lambda, "d": Double(d), "buffer": Double(buffer)])
    let analysis = try MeanFieldSystem(model: model).analyseEquilibrium()
    var tail = 0.0
    for i in stride(from: buffer, through: 1, by: -1) {
      tail += analysis.equilibrium[i]
      let exponent = (Foundation.pow(Double(d), Double(i)) - 1) / Double(d - 1)
      #expect(abs(tail - Foundation.pow(lambda, exponent)) < 1e-10, "i = \(i)")
    }
    #expect(analysis.verdict == .locallyExponentiallyStable)
  }

  @Test("ODE trajectory of SIS matches the closed-form logistic solution")
  func sisTrajectory() throws {
    // ẋ1 = α(1−x1) + β(1−x1)x1 − x1 = −β(x1 − r1)(x1 − r2) with roots r1 = √2−1, r2 = −√2−1 (α=β=½).
    let system = try MeanFieldSystem(model: try BuiltinModel.sis.model())
    let times = [0.0, 0.5, 1, 2, 5]
    let path = try system.trajectory(from: [1, 0], at: times)
    let r1 = 2.0.squareRoot() - 1, r2 = -2.0.squareRoot() - 1
    for (t, x) in zip(times, path) {
      // (x − r1)/(x − r2) = C e^{−β(r1 − r2) t}, C from x(0) = 0.
      let c = (0 - r1) / (0 - r2)
      let ratio = c * exp(-0.5 * (r1 - r2) * t)
      let exact = (r1 - ratio * r2) / (1 - ratio)
      #expect(abs(x[1] - exact) < 1e-9, "t = \(t)")
      #expect(abs(x[0] + x[1] - 1) < 1e-12)
    }
  }

  @Test("refined mean field for SIS α = β = 0.5 gives V1 = −(√2 − 1)/4")
  func refinedSIS() throws {
    let refined = try RefinedMeanField(system: try MeanFieldSystem(model: try BuiltinModel.sis.model()))
    #expect(abs(refined.correction[1] - SISReference.refinedV1) < 1e-7, "\(refined.correction)")
    #expect(abs(refined.correction[0] + SISReference.refinedV1) < 1e-7)
    // lim M·E‖x − x*‖² = 2 W11 = 0.58578643762690495 (mpmath reference script).
    #expect(abs(refined.scaledErrorLimit - 0.5857864376269049512) < 1e-7)
  }

  @Test("refined mean field for SIS with α = 0.3, β = 2 (reference script: V1 = −0.41522491349480970)")
  func refinedSISOther() throws {
    let model = try BuiltinModel.sis.model(overrides: ["alpha": 0.3, "beta": 2])
    let refined = try RefinedMeanField(system: try MeanFieldSystem(model: model))
    #expect(abs(refined.correction[1] + 0.4152249134948096973) < 1e-7, "\(refined.correction)")
  }
}

@Suite("Exact birth–death stationary distribution")
struct BirthDeathTests {
  @Test("SIS exact values match the mpmath reference")
  func sisExact() throws {
    let model = try BuiltinModel.sis.model()
    let xStar = [2 - 2.0.squareRoot(), 2.0.squareRoot() - 1]
    for (m, mean, scaled) in SISReference.exact {
      let chain = try BirthDeathStationary(model: model, population: m)
      #expect(abs(chain.meanOccupancy[1] - mean) < 1e-12, "M = \(m)")
      #expect(abs(Double(m) * chain.meanSquareError(equilibrium: xStar) - scaled) < 1e-10, "M = \(m)")
    }
    // Large M stays finite (log space).
    let big = try BirthDeathStationary(model: model, population: 1_000_000)
    #expect(abs(big.meanOccupancy[1] - SISReference.x1Star) < 1e-6)
  }
}
