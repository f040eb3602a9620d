import Foundation

/// The exact stationary distribution of a two-state conserving model whose transitions all move
/// one object between the two states (e.g. `sis`): the count k of objects in state 1 is then a
/// birth–death chain on {0, …, M}, with up-rate λ_k = M Σ_{ℓ=(−1,+1)} β_ℓ(x) and down-rate
/// μ_k = M Σ_{ℓ=(+1,−1)} β_ℓ(x) at x = ((M − k)/M, k/M).
///
/// π_k ∝ Π_{j<k} λ_j / μ_{j+1}, computed in log space (sums of logarithms, then log-sum-exp), so
/// it neither overflows nor underflows for any M.
public struct BirthDeathStationary: Sendable {
  /// Number of objects M.
  public let population: Int
  /// π_k for k = 0…M (objects in state 1).
  public let probabilities: [Double]

  /// Whether `model` has the birth–death structure this type needs.
  public static func applies(to model: PopulationModel) -> Bool {
    model.stateCount == 2 && model.conservesPopulation
      && model.transitions.allSatisfy { $0.jump == [-1, 1] || $0.jump == [1, -1] }
  }

  /// Computes π for `model` with M objects.
  /// - Throws: `MeanFieldError` if the model is not a birth–death chain, or the chain is not
  ///   irreducible on its support (a zero down-rate above a positive up-rate).
  public init(model: PopulationModel, population: Int) throws(MeanFieldError) {
    guard Self.applies(to: model) else {
      throw MeanFieldError("model '\(model.name)' is not a two-state birth–death chain; no exact stationary distribution")
    }
    guard population >= 1 else { throw MeanFieldError("population M must be ≥ 1, got \(population)") }
    let m = Double(population)
    func upDown(_ k: Int) -> (Double, Double) {
      let r = model.rates(at: [Double(population - k) / m, Double(k) / m])
      var up = 0.0, down = 0.0
      for (index, t) in model.transitions.enumerated() {
        if t.jump == [-1, 1] { up += m * r[index] } else { down += m * r[index] }
      }
      return (up, down)
    }
    var logWeights = [Double](repeating: -.infinity, count: population + 1)
    logWeights[0] = 0
    var previousUp = upDown(0).0
    for k in 1...population {
      let (up, down) = upDown(k)
      if previousUp > 0 {
        guard down > 0 else {
          throw MeanFieldError("birth–death chain of '\(model.name)': down-rate is 0 at k = \(k) but state \(k) is reachable")
        }
        logWeights[k] = logWeights[k - 1] + Foundation.log(previousUp) - Foundation.log(down)
      }
      previousUp = up
    }
    // If state 0 is transient (positive up-rate but the chain never returns), the recursion from 0
    // still gives the right ratios; a chain absorbed at 0 (all up-rates 0) has π = δ_0.
    let peak = logWeights.max()!
    let total = logWeights.reduce(0.0) { $0 + Foundation.exp($1 - peak) }
    let logTotal = peak + Foundation.log(total)
    self.population = population
    probabilities = logWeights.map { Foundation.exp($0 - logTotal) }
  }

  /// E[X/M], the stationary mean occupancy (two entries).
  public var meanOccupancy: [Double] {
    let m = Double(population)
    var mean1 = 0.0
    for (k, p) in probabilities.enumerated() { mean1 += p * Double(k) / m }
    return [1 - mean1, mean1]
  }

  /// E‖X/M − x*‖² = Σ_k π_k [((M−k)/M − x*_0)² + (k/M − x*_1)²].
  public func meanSquareError(equilibrium xStar: [Double]) -> Double {
    let m = Double(population)
    var sum = 0.0
    for (k, p) in probabilities.enumerated() where p > 0 {
      let d0 = Double(population - k) / m - xStar[0], d1 = Double(k) / m - xStar[1]
      sum += p * (d0 * d0 + d1 * d1)
    }
    return sum
  }
}
