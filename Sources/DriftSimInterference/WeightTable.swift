import DriftSimSupport
import Foundation

/// A piecewise-linear weight w(Q) (Q in packets), the input of policy `table`.
///
/// Between rows w is interpolated linearly; past the last row it is held at the last weight. The
/// first row must be at Q = 0 so that every queue is covered.
public struct WeightTable: Sendable, Equatable, Codable {
  /// Queue lengths (packets), strictly increasing, starting at 0.
  public let queuePackets: [Double]
  /// Weights at those queues (finite, ≥ 0).
  public let weights: [Double]

  /// Creates a table after checking it.
  /// - Throws: `WeightTableError` naming `source` if the rows are not valid.
  public init(queuePackets: [Double], weights: [Double], source: String = "weight table") throws(WeightTableError) {
    guard !queuePackets.isEmpty, queuePackets.count == weights.count else {
      throw WeightTableError("\(source): needs at least one row (queuePackets, weight)")
    }
    guard queuePackets[0] == 0 else {
      throw WeightTableError("\(source): the first row must be at queuePackets = 0 (got \(queuePackets[0])) so that every queue is covered")
    }
    for i in 1..<max(queuePackets.count, 1) where i < queuePackets.count && !(queuePackets[i] > queuePackets[i - 1]) {
      throw WeightTableError("\(source): queuePackets must increase strictly, but row \(i + 1) has \(queuePackets[i]) after \(queuePackets[i - 1])")
    }
    self.queuePackets = queuePackets
    self.weights = weights
  }

  /// Whether the weights never decrease with the queue (a falling water level is allowed but unusual).
  public var isMonotone: Bool { zip(weights, weights.dropFirst()).allSatisfy { $0 <= $1 } }

  /// w(Q): linear interpolation between rows, the last weight past the last row.
  /// - Complexity: O(log rows).
  @inline(__always)
  public func weight(atQueue q: Double) -> Double {
    let count = queuePackets.count
    if count == 1 || q <= 0 { return weights[0] }
    if q >= queuePackets[count - 1] { return weights[count - 1] }
    var low = 0, high = count - 1  // queuePackets[low] ≤ q < queuePackets[high]
    while high - low > 1 {
      let mid = (low + high) >> 1
      if queuePackets[mid] <= q { low = mid } else { high = mid }
    }
    let t = (q - queuePackets[low]) / (queuePackets[high] - queuePackets[low])
    return weights[low] + t * (weights[high] - weights[low])
  }
}

/// A bad weight-table file: names the file and line and the rule broken.
public struct WeightTableError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The message.
  public var description: String
  /// Creates an error.
  public init(_ description: String) { self.description = description }
}

extension WeightTableError: ReportableError {}

/// The weight tables of policy `table`, one per pair, read from CSV.
public enum WeightTableFile {
  /// Parses CSV text. Header `queuePackets,weight` (one table shared by every pair) or
  /// `queuePackets,weight,pair` (rows of pair k carry k in the third column; every pair 0…K−1 needs
  /// rows). Blank lines and lines starting with `#` are skipped. Values must be finite numbers,
  /// weights ≥ 0.
  /// - Parameters:
  ///   - text: the file's contents.
  ///   - source: the file name for error messages (errors read `source:line: …`).
  ///   - pairs: K.
  /// - Returns: K tables.
  /// - Throws: `WeightTableError`.
  public static func parse(_ text: String, source: String, pairs: Int) throws(WeightTableError) -> [WeightTable] {
    var header: [String]? = nil
    var rows: [Int: (q: [Double], w: [Double], firstLine: Int)] = [:]
    var lineNumber = 0
    for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" }) {
      lineNumber += 1
      let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
      if line.isEmpty || line.hasPrefix("#") { continue }
      let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
      guard let columns = header else {
        guard fields == ["queuePackets", "weight"] || fields == ["queuePackets", "weight", "pair"] else {
          throw WeightTableError("\(source):\(lineNumber): expected the header 'queuePackets,weight' or 'queuePackets,weight,pair', got '\(line)'")
        }
        header = fields
        continue
      }
      guard fields.count == columns.count else {
        throw WeightTableError("\(source):\(lineNumber): expected \(columns.count) comma-separated values, got \(fields.count)")
      }
      guard let q = Double(fields[0]), q.isFinite, q >= 0 else {
        throw WeightTableError("\(source):\(lineNumber): queuePackets must be a finite number ≥ 0, got '\(fields[0])'")
      }
      guard let w = Double(fields[1]), w.isFinite, w >= 0 else {
        throw WeightTableError("\(source):\(lineNumber): weight must be a finite number ≥ 0, got '\(fields[1])'")
      }
      var pair = -1
      if columns.count == 3 {
        guard let k = Int(fields[2]), k >= 0, k < pairs else {
          throw WeightTableError("\(source):\(lineNumber): pair must be an integer from 0 to \(pairs - 1), got '\(fields[2])'")
        }
        pair = k
      }
      var entry = rows[pair] ?? ([], [], lineNumber)
      if let last = entry.q.last, !(q > last) {
        throw WeightTableError("\(source):\(lineNumber): queuePackets must increase strictly\(pair >= 0 ? " within pair \(pair)" : ""), got \(q) after \(last)")
      }
      entry.q.append(q)
      entry.w.append(w)
      rows[pair] = entry
    }
    guard let columns = header else { throw WeightTableError("\(source): empty file; expected the header 'queuePackets,weight'") }
    func table(_ key: Int, name: String) throws(WeightTableError) -> WeightTable {
      guard let entry = rows[key] else { throw WeightTableError("\(source): no rows for \(name)") }
      return try WeightTable(queuePackets: entry.q, weights: entry.w, source: "\(source):\(entry.firstLine) (\(name))")
    }
    if columns.count == 2 {
      let shared = try table(-1, name: "the shared table")
      return Array(repeating: shared, count: pairs)
    }
    var tables: [WeightTable] = []
    for k in 0..<pairs { tables.append(try table(k, name: "pair \(k)")) }
    return tables
  }

  /// Reads and parses a file.
  /// - Throws: `WeightTableError` if the file cannot be read or is invalid.
  public static func load(path: String, pairs: Int) throws(WeightTableError) -> [WeightTable] {
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
      throw WeightTableError("policyTable: cannot read the file '\(path)'")
    }
    return try parse(text, source: path, pairs: pairs)
  }
}
