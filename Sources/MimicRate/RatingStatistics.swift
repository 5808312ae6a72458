// The statistics of pairwise ratings, from votes alone: majority per unit, the paper's preference figures, Fleiss'
// kappa, Krippendorff's alpha (nominal), each rater's agreement with the others, Bradley–Terry strengths and judge–human
// agreement. Pinned to statsmodels, krippendorff and choix by scripts/reference/rating_agreement_golden.py.
import Foundation
import MimicCore
import MimicMetrics

/// One vote as the statistics read it: a unit (an item's prompt with two systems), a rater and a choice.
public struct RatingVote: Codable, Sendable, Hashable {
    public var item: String
    public var a: String
    public var b: String
    public var rater: String
    public var choice: RatingChoice

    public init(item: String, a: String, b: String, rater: String, choice: RatingChoice) {
        self.item = item
        self.a = a
        self.b = b
        self.rater = rater
        self.choice = choice
    }

    /// The unit voted on.
    public var unit: RatingUnit { RatingUnit(item: item, a: a, b: b) }
}

/// An item's prompt with two systems' answers: what a majority is taken over.
public struct RatingUnit: Codable, Sendable, Hashable, Comparable {
    public var item: String
    public var a: String
    public var b: String

    public static func < (l: RatingUnit, r: RatingUnit) -> Bool { (l.item, l.a, l.b) < (r.item, r.a, r.b) }
}

/// The statistics.
public enum RatingStatistics {
    /// The category index of a choice (a, same, b: the order the reference script uses).
    static func category(_ c: RatingChoice) -> Int {
        switch c {
        case .a: return 0
        case .same: return 1
        case .b: return 2
        }
    }

    /// Votes grouped by unit, units in sorted order.
    public static func units(_ votes: [RatingVote]) -> [(unit: RatingUnit, votes: [RatingVote])] {
        Dictionary(grouping: votes, by: \.unit).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The choice more than half of `choices` made; `same` when none did (or there are none).
    public static func majority(_ choices: [RatingChoice]) -> RatingChoice {
        for c in RatingChoice.allCases where 2 * choices.filter({ $0 == c }).count > choices.count { return c }
        return .same
    }

    /// Fleiss' kappa over the units with exactly `raters` ratings; nil when there are none, or all ratings fall in one
    /// category (the expected agreement is 1). Also the number of such units.
    public static func fleissKappa(_ votes: [RatingVote], raters: Int) -> (kappa: Double?, units: Int) {
        let complete = units(votes).filter { $0.votes.count == raters }
        guard !complete.isEmpty, raters > 1 else { return (nil, complete.count) }
        let n = Double(raters), count = Double(complete.count)
        var totals = [Double](repeating: 0, count: 3), agreement = 0.0
        for u in complete {
            var counts = [Double](repeating: 0, count: 3)
            for v in u.votes { counts[category(v.choice)] += 1 }
            for j in 0..<3 { totals[j] += counts[j] }
            agreement += (counts.reduce(0) { $0 + $1 * $1 } - n) / (n * (n - 1))
        }
        let observed = agreement / count
        let expected = totals.reduce(0) { $0 + ($1 / (count * n)) * ($1 / (count * n)) }
        guard 1 - expected > 0 else { return (nil, complete.count) }
        return ((observed - expected) / (1 - expected), complete.count)
    }

    /// Krippendorff's alpha for nominal data over every unit (units with one rating add nothing); nil when no unit has
    /// two ratings or every rating is the same category.
    public static func krippendorffAlpha(_ votes: [RatingVote]) -> Double? {
        var o = [[Double]](repeating: [Double](repeating: 0, count: 3), count: 3)
        for u in units(votes) where u.votes.count > 1 {
            var counts = [Double](repeating: 0, count: 3)
            for v in u.votes { counts[category(v.choice)] += 1 }
            let m = Double(u.votes.count)
            for c in 0..<3 {
                for k in 0..<3 { o[c][k] += counts[c] * (c == k ? counts[k] - 1 : counts[k]) / (m - 1) }
            }
        }
        let nc = o.map { $0.reduce(0, +) }, n = nc.reduce(0, +)
        guard n > 1 else { return nil }
        var observed = 0.0, expected = 0.0
        for c in 0..<3 {
            for k in 0..<3 where c != k {
                observed += o[c][k]
                expected += nc[c] * nc[k]
            }
        }
        guard expected > 0 else { return nil }
        return 1 - (n - 1) * observed / expected
    }

    /// Each rater's share of votes that equal the majority of the other raters' votes on the same unit (units with at
    /// least one other vote), and how many such votes they have.
    public static func agreementWithOthers(_ votes: [RatingVote]) -> [String: (agreement: Double, votes: Int)] {
        var tally: [String: (agree: Int, n: Int)] = [:]
        for u in units(votes) where u.votes.count > 1 {
            for v in u.votes {
                let others = majority(u.votes.filter { $0.rater != v.rater }.map(\.choice))
                var t = tally[v.rater] ?? (0, 0)
                t.n += 1
                if others == v.choice { t.agree += 1 }
                tally[v.rater] = t
            }
        }
        return tally.mapValues { (Double($0.agree) / Double($0.n), $0.n) }
    }

    /// Bradley–Terry log-strengths (mean 0) by maximum likelihood: each vote one comparison of its unit's systems, a
    /// tie half a win each way. Nil when fewer than two systems, or the likelihood has no maximum (a system that never
    /// loses or never wins, or systems not all compared with each other through some chain).
    public static func bradleyTerry(_ votes: [RatingVote]) -> [String: Double]? {
        let systems = Array(Set(votes.flatMap { [$0.a, $0.b] })).sorted()
        guard systems.count > 1 else { return nil }
        let index = Dictionary(uniqueKeysWithValues: systems.enumerated().map { ($1, $0) })
        let k = systems.count
        var wins = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
        for v in votes {
            let i = index[v.a]!, j = index[v.b]!
            switch v.choice {
            case .a: wins[i][j] += 1
            case .b: wins[j][i] += 1
            case .same:
                wins[i][j] += 0.5
                wins[j][i] += 0.5
            }
        }
        // The maximum exists when the "beat at least half a time" graph is strongly connected.
        for start in 0..<k {
            for forward in [true, false] {
                var seen = Set([start]), stack = [start]
                while let i = stack.popLast() {
                    for j in 0..<k where !seen.contains(j) && (forward ? wins[i][j] : wins[j][i]) > 0 {
                        seen.insert(j)
                        stack.append(j)
                    }
                }
                if seen.count < k { return nil }
            }
        }
        // Newton's method on the log-likelihood with the last strength held at 0, then centred.
        var theta = [Double](repeating: 0, count: k)
        for _ in 0..<200 {
            var gradient = [Double](repeating: 0, count: k - 1)
            var hessian = [[Double]](repeating: [Double](repeating: 0, count: k - 1), count: k - 1)
            for i in 0..<k {
                for j in 0..<k where i != j && wins[i][j] + wins[j][i] > 0 {
                    let n = wins[i][j] + wins[j][i], p = 1 / (1 + exp(theta[j] - theta[i]))
                    if i < k - 1 {
                        gradient[i] += wins[i][j] - n * p
                        hessian[i][i] += n * p * (1 - p)
                        if j < k - 1 { hessian[i][j] -= n * p * (1 - p) }
                    }
                }
            }
            guard let step = solve(hessian, gradient) else { return nil }
            var largest = 0.0
            for i in 0..<(k - 1) {
                theta[i] += step[i]
                largest = max(largest, abs(step[i]))
            }
            if largest < 1e-13 { break }
        }
        let mean = theta.reduce(0, +) / Double(k)
        guard theta.allSatisfy({ $0.isFinite }) else { return nil }
        return Dictionary(uniqueKeysWithValues: systems.enumerated().map { ($1, theta[$0] - mean) })
    }

    /// x with A x = b, by Gaussian elimination with partial pivoting; nil for a singular A.
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        var m = a, y = b
        let n = b.count
        for c in 0..<n {
            guard let p = (c..<n).max(by: { abs(m[$0][c]) < abs(m[$1][c]) }), abs(m[p][c]) > 1e-300 else { return nil }
            m.swapAt(c, p)
            y.swapAt(c, p)
            for r in (c + 1)..<n where m[r][c] != 0 {
                let f = m[r][c] / m[c][c]
                for j in c..<n { m[r][j] -= f * m[c][j] }
                y[r] -= f * y[c]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            x[r] = (y[r] - ((r + 1)..<n).reduce(0) { $0 + m[r][$1] * x[$1] }) / m[r][r]
        }
        return x
    }

    /// Percentile intervals of the Bradley–Terry strengths over `resamples` resamples of the units (with replacement,
    /// draws from `SplitMix64(seed:)`); resamples without a maximum are skipped. Nil for a system with fewer than two.
    public static func bradleyTerryIntervals(_ votes: [RatingVote], resamples: Int, seed: UInt64,
                                             level: Double = 0.95) -> [String: BootstrapInterval] {
        let grouped = units(votes).map(\.votes)
        guard !grouped.isEmpty, resamples > 0 else { return [:] }
        var rng = SplitMix64(seed: seed)
        var draws: [String: [Double]] = [:]
        for _ in 0..<resamples {
            let sample = (0..<grouped.count).flatMap { _ in grouped[rng.below(grouped.count)] }
            guard let fit = bradleyTerry(sample) else { continue }
            for (s, v) in fit { draws[s, default: []].append(v) }
        }
        return draws.compactMapValues { values in
            guard values.count > 1 else { return nil }
            let sorted = values.sorted(), tail = (1 - level) / 2
            return BootstrapInterval(lower: Bootstrap.percentile(sorted, tail), upper: Bootstrap.percentile(sorted, 1 - tail),
                                     level: level, resamples: resamples)
        }
    }
}
