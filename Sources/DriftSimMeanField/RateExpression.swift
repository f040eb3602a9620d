import DriftSimSupport
import Foundation

/// One instruction of a compiled rate expression: a postfix (stack machine) program.
///
/// Parameters are bound to their values when the expression is compiled, so the program only
/// reads occupancies and constants; no string work is left for evaluation time.
public enum RateInstruction: Sendable, Equatable {
  /// Pushes a constant.
  case constant(Double)
  /// Pushes the occupancy x_i (a fraction in [0, 1]).
  case occupancy(Int)
  /// Pops b, a; pushes a + b.
  case add
  /// Pops b, a; pushes a − b.
  case subtract
  /// Pops b, a; pushes a · b.
  case multiply
  /// Pops b, a; pushes a / b.
  case divide
  /// Pops b, a; pushes a^b (`pow`).
  case power
  /// Pops a; pushes a^n for a small integer exponent n (repeated multiplication, exact and fast).
  case integerPower(Int)
  /// Pops a; pushes −a.
  case negate
  /// Pops a; pushes f(a).
  case unary(RateFunction)
  /// Pops b, a; pushes min(a, b).
  case minimum
  /// Pops b, a; pushes max(a, b).
  case maximum
}

/// The one-argument functions a rate expression may call.
public enum RateFunction: String, Sendable, Equatable, CaseIterable {
  /// e^a.
  case exp
  /// Natural logarithm.
  case log
  /// Square root.
  case sqrt
  /// Absolute value.
  case abs

  func apply(_ a: Double) -> Double {
    switch self {
    case .exp: return Foundation.exp(a)
    case .log: return Foundation.log(a)
    case .sqrt: return a.squareRoot()
    case .abs: return Swift.abs(a)
    }
  }
}

/// A syntax or name error in a rate expression, with the 1-based character column where it is.
public struct RateExpressionError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The expression text.
  public var source: String
  /// 1-based column of the offending character (source.count + 1 for "unexpected end").
  public var column: Int
  /// What is wrong.
  public var reason: String

  public var description: String { "\(reason) at column \(column) of \"\(source)\"" }
}

/// A rate expression such as `alpha*x0 + beta*x0*x1`, parsed once into a postfix program.
///
/// Grammar (usual precedence, `^` binds tightest and is right-associative, unary minus binds
/// looser than `^` so `-x^2` is −(x²)):
/// ```
/// expr    := term (('+' | '-') term)*
/// term    := unary (('*' | '/') unary)*
/// unary   := '-' unary | power
/// power   := primary ('^' unary)?
/// primary := number | name | name '(' expr (',' expr)* ')' | '(' expr ')'
/// ```
/// Names: `x0 … x(n−1)` (occupancies), the model's state names (same as the matching x_i), the
/// model's parameters, and the functions exp, log, sqrt, abs, min, max, pow.
public struct RateExpression: Sendable, Equatable {
  /// The text as written.
  public let source: String
  /// The compiled program.
  public let program: [RateInstruction]
  /// The deepest the evaluation stack gets.
  public let stackDepth: Int

  /// Parses and compiles `source`.
  /// - Parameters:
  ///   - source: the expression text.
  ///   - stateNames: names of the states, usable in place of x0, x1, …; `stateNames.count` is n.
  ///   - parameters: parameter values by name (bound into the program as constants).
  /// - Throws: `RateExpressionError` naming the column and the problem (syntax, unknown name,
  ///   xi out of range, wrong number of function arguments).
  public init(_ source: String, stateNames: [String], parameters: [String: Double]) throws(RateExpressionError) {
    var parser = Parser(source: source, stateNames: stateNames, parameters: parameters)
    try parser.parseAll()
    self.source = source
    self.program = parser.output
    self.stackDepth = Self.maximumDepth(parser.output)
  }

  static func maximumDepth(_ program: [RateInstruction]) -> Int {
    var depth = 0, deepest = 0
    for instruction in program {
      switch instruction {
      case .constant, .occupancy: depth += 1
      case .add, .subtract, .multiply, .divide, .power, .minimum, .maximum: depth -= 1
      case .integerPower, .negate, .unary: break
      }
      deepest = max(deepest, depth)
    }
    return max(deepest, 1)
  }

  /// Evaluates the expression at occupancy `x` (allocates a small stack; not for hot loops).
  public func evaluate(at x: [Double]) -> Double {
    var stack = [Double](repeating: 0, count: stackDepth)
    return x.withUnsafeBufferPointer { xs in
      stack.withUnsafeMutableBufferPointer { s in
        RateExpression.run(program[...], x: xs.baseAddress!, stack: s.baseAddress!)
      }
    }
  }

  /// Runs a postfix program with a caller-provided stack (at least `stackDepth` elements).
  static func run(
    _ program: ArraySlice<RateInstruction>, x: UnsafePointer<Double>, stack: UnsafeMutablePointer<Double>
  ) -> Double {
    var top = -1
    for instruction in program {
      switch instruction {
      case let .constant(c):
        top += 1
        stack[top] = c
      case let .occupancy(i):
        top += 1
        stack[top] = x[i]
      case .add:
        top -= 1
        stack[top] += stack[top + 1]
      case .subtract:
        top -= 1
        stack[top] -= stack[top + 1]
      case .multiply:
        top -= 1
        stack[top] *= stack[top + 1]
      case .divide:
        top -= 1
        stack[top] /= stack[top + 1]
      case .power:
        top -= 1
        stack[top] = Foundation.pow(stack[top], stack[top + 1])
      case let .integerPower(n):
        stack[top] = integerPower(stack[top], n)
      case .negate:
        stack[top] = -stack[top]
      case let .unary(f):
        stack[top] = f.apply(stack[top])
      case .minimum:
        top -= 1
        stack[top] = Swift.min(stack[top], stack[top + 1])
      case .maximum:
        top -= 1
        stack[top] = Swift.max(stack[top], stack[top + 1])
      }
    }
    return stack[0]
  }
}

/// a^n by binary exponentiation (n ≥ 0), or 1/a^−n for n < 0.
func integerPower(_ a: Double, _ n: Int) -> Double {
  var base = a, exponent = n.magnitude, result = 1.0
  while exponent > 0 {
    if exponent & 1 == 1 { result *= base }
    base *= base
    exponent >>= 1
  }
  return n < 0 ? 1 / result : result
}

/// A recursive-descent parser emitting postfix code.
private struct Parser {
  let source: String
  let characters: [Character]
  let stateNames: [String]
  let parameters: [String: Double]
  var position = 0
  var output: [RateInstruction] = []
  /// Current nesting of parentheses, calls and unary signs; bounded so that hostile input
  /// cannot exhaust the stack.
  var depth = 0
  static let maximumDepth = 200

  init(source: String, stateNames: [String], parameters: [String: Double]) {
    self.source = source
    self.characters = Array(source)
    self.stateNames = stateNames
    self.parameters = parameters
  }

  func error(_ reason: String, at index: Int? = nil) -> RateExpressionError {
    RateExpressionError(source: source, column: (index ?? position) + 1, reason: reason)
  }

  mutating func skipSpaces() {
    while position < characters.count, characters[position].isWhitespace { position += 1 }
  }

  mutating func peek() -> Character? {
    skipSpaces()
    return position < characters.count ? characters[position] : nil
  }

  mutating func parseAll() throws(RateExpressionError) {
    guard peek() != nil else { throw error("empty expression") }
    try parseExpression()
    if let c = peek() { throw error("unexpected '\(c)'") }
  }

  mutating func parseExpression() throws(RateExpressionError) {
    try parseTerm()
    while let c = peek(), c == "+" || c == "-" {
      position += 1
      try parseTerm()
      output.append(c == "+" ? .add : .subtract)
    }
  }

  mutating func parseTerm() throws(RateExpressionError) {
    try parseUnary()
    while let c = peek(), c == "*" || c == "/" {
      position += 1
      try parseUnary()
      output.append(c == "*" ? .multiply : .divide)
    }
  }

  mutating func parseUnary() throws(RateExpressionError) {
    depth += 1
    defer { depth -= 1 }
    guard depth <= Self.maximumDepth else { throw error("expression nested deeper than \(Self.maximumDepth) levels") }
    if peek() == "-" {
      position += 1
      try parseUnary()
      output.append(.negate)
    } else if peek() == "+" {
      position += 1
      try parseUnary()
    } else {
      try parsePower()
    }
  }

  mutating func parsePower() throws(RateExpressionError) {
    try parsePrimary()
    if peek() == "^" {
      position += 1
      let exponentStart = output.count
      try parseUnary()
      // A constant small integer exponent becomes repeated multiplication.
      if output.count == exponentStart + 1, case let .constant(c) = output[exponentStart],
        c == c.rounded(), Swift.abs(c) <= 64
      {
        output.removeLast()
        output.append(.integerPower(Int(c)))
      } else {
        output.append(.power)
      }
    }
  }

  mutating func parsePrimary() throws(RateExpressionError) {
    guard let c = peek() else { throw error("unexpected end of expression") }
    if c == "(" {
      position += 1
      try parseExpression()
      guard peek() == ")" else { throw error("expected ')'") }
      position += 1
    } else if c.isNumber || c == "." {
      try parseNumber()
    } else if c.isLetter || c == "_" {
      let start = position
      while position < characters.count,
        characters[position].isLetter || characters[position].isNumber || characters[position] == "_"
      {
        position += 1
      }
      let name = String(characters[start..<position])
      if peek() == "(" {
        position += 1
        try parseCall(name, at: start)
      } else {
        try emitName(name, at: start)
      }
    } else {
      throw error("unexpected '\(c)'")
    }
  }

  mutating func parseNumber() throws(RateExpressionError) {
    let start = position
    while position < characters.count, characters[position].isNumber || characters[position] == "." {
      position += 1
    }
    if position < characters.count, characters[position] == "e" || characters[position] == "E" {
      var lookahead = position + 1
      if lookahead < characters.count, characters[lookahead] == "+" || characters[lookahead] == "-" {
        lookahead += 1
      }
      if lookahead < characters.count, characters[lookahead].isNumber {
        position = lookahead
        while position < characters.count, characters[position].isNumber { position += 1 }
      }
    }
    let text = String(characters[start..<position])
    guard let value = Double(text), value.isFinite else { throw error("malformed number '\(text)'", at: start) }
    output.append(.constant(value))
  }

  mutating func emitName(_ name: String, at start: Int) throws(RateExpressionError) {
    if let value = parameters[name] {
      output.append(.constant(value))
      return
    }
    if let index = stateNames.firstIndex(of: name) {
      output.append(.occupancy(index))
      return
    }
    if name.count >= 2, name.first == "x", let index = Int(name.dropFirst()), String(index) == name.dropFirst() {
      guard index < stateNames.count else {
        throw error("'\(name)' is out of range: the model has \(stateNames.count) states (x0…x\(stateNames.count - 1))", at: start)
      }
      output.append(.occupancy(index))
      return
    }
    let known = (stateNames + parameters.keys.sorted()).joined(separator: ", ")
    throw error("unknown name '\(name)' (known: x0…x\(stateNames.count - 1), \(known))", at: start)
  }

  mutating func parseCall(_ name: String, at start: Int) throws(RateExpressionError) {
    var arguments = 0
    if peek() != ")" {
      try parseExpression()
      arguments = 1
      while peek() == "," {
        position += 1
        try parseExpression()
        arguments += 1
      }
    }
    guard peek() == ")" else { throw error("expected ')' or ',' in the arguments of \(name)") }
    position += 1
    func expect(_ count: Int) throws(RateExpressionError) {
      guard arguments == count else {
        throw error("\(name) takes \(count) argument\(count == 1 ? "" : "s"), got \(arguments)", at: start)
      }
    }
    if let function = RateFunction(rawValue: name) {
      try expect(1)
      output.append(.unary(function))
    } else if name == "min" {
      try expect(2)
      output.append(.minimum)
    } else if name == "max" {
      try expect(2)
      output.append(.maximum)
    } else if name == "pow" {
      try expect(2)
      output.append(.power)
    } else {
      throw error("unknown function '\(name)' (known: exp, log, sqrt, abs, min, max, pow)", at: start)
    }
  }
}

/// Reported by the command runner as one line, exit status 1.
extension RateExpressionError: ReportableError {}
