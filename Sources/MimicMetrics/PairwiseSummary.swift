// The figures of a pairwise comparison, recomputed from judgments alone: win rate with a bootstrap interval, the
// judge's position consistency and first-position preference, how often the longer answer won, and the win rate
// controlled for length (a logistic regression of the preference on the length difference).
import Foundation
import MimicCore

/// What a judgments file says about system A against system B.
public struct PairwiseSummary: Codable, Sendable, Equatable {
    /// Items with a verdict (both orders combined), and what they were for A.
    public var items = 0
    public var wins = 0
    public var ties = 0
    public var losses = 0
    /// Items left out: every judgment of them is an error.
    public var errors = 0
    /// Items whose two orders gave different valid verdicts (counted as ties).
    public var inconsistent = 0
    /// Lines that repeated an (id, order) already read; the later line counts.
    public var duplicates = 0
    /// 100 × (wins + ties / 2) / items, and its seeded bootstrap interval over items.
    public var winRate: Double?
    public var winRateInterval: BootstrapInterval?
    /// Percentage of the items with both orders valid whose two verdicts agree, and how many such items there are.
    public var positionConsistency: Double?
    public var bothOrders = 0
    /// Percentage of the valid, non-tie judgments won by the answer shown first, and how many there are.
    public var firstPositionWinRate: Double?
    public var decidedJudgments = 0
    /// Percentage of the decided items with answers of different lengths won by the longer one, and how many.
    public var longerWins: Double?
    public var lengthDecided = 0
    /// The win rate A would have if both answers were equally long (see `lengthControlledWinRate`).
    public var lcWinRate: Double?
    /// Why a figure is missing, a line each.
    public var notes: [String] = []

    enum CodingKeys: String, CodingKey {
        case items, wins, ties, losses, errors, inconsistent, duplicates, notes
        case winRate = "win_rate", winRateInterval = "win_rate_interval", positionConsistency = "position_consistency"
        case bothOrders = "both_orders", firstPositionWinRate = "first_position_win_rate"
        case decidedJudgments = "decided_judgments", longerWins = "longer_wins", lengthDecided = "length_decided"
        case lcWinRate = "lc_win_rate"
    }

    /// One item's judgments, both orders combined.
    struct Item {
        var ab: Judgment.Verdict?
        var ba: Judgment.Verdict?
        var aWords: Int
        var bWords: Int

        /// Both valid and agreeing: that; disagreeing: a tie; one an error: the other; nil when no valid verdict.
        var combined: Judgment.Verdict? { Judgment.combined(ab: ab, ba: ba) }

        var bothValid: Bool { ab != nil && ab != .error && ba != nil && ba != .error }
    }

    /// The summary of `judgments` (any order of lines); the interval from `resamples` bootstrap draws with `seed`.
    public init(_ judgments: [Judgment], seed: UInt64 = 0, resamples: Int = 1000) {
        var items: [Item] = []
        var index: [String: Int] = [:]
        for j in judgments {
            let k = index[j.id] ?? {
                items.append(Item(aWords: j.aWords, bWords: j.bWords))
                index[j.id] = items.count - 1
                return items.count - 1
            }()
            if (j.order == .ab ? items[k].ab : items[k].ba) != nil { duplicates += 1 }
            if j.order == .ab { items[k].ab = j.verdict } else { items[k].ba = j.verdict }
        }
        let decided = items.compactMap { item in item.combined.map { (item, $0) } }
        errors = items.count - decided.count
        self.items = decided.count
        wins = decided.filter { $0.1 == .a }.count
        ties = decided.filter { $0.1 == .tie }.count
        losses = decided.filter { $0.1 == .b }.count
        let both = items.filter(\.bothValid)
        bothOrders = both.count
        inconsistent = both.filter { $0.ab != $0.ba }.count
        let preference = decided.map { Self.preference($0.1) }
        if !decided.isEmpty {
            winRate = 100 * preference.reduce(0, +) / Double(decided.count)
            if let bounds = Bootstrap.percentileIntervalOfMean(preference.map { 100 * $0 }, iterations: resamples, seed: seed) {
                winRateInterval = BootstrapInterval(lower: bounds.lower, upper: bounds.upper, level: 0.95, resamples: resamples)
            }
        } else {
            notes.append("no item has a valid verdict: no win rate")
        }
        if bothOrders > 0 { positionConsistency = 100 * Double(bothOrders - inconsistent) / Double(bothOrders) }
        // The first position won when A was shown first and won, or B was and did (ties and errors left out).
        let firsts = items.flatMap { [$0.ab.flatMap { $0 == .tie || $0 == .error ? nil : $0 == .a },
                                      $0.ba.flatMap { $0 == .tie || $0 == .error ? nil : $0 == .b }].compactMap { $0 } }
        decidedJudgments = firsts.count
        if !firsts.isEmpty { firstPositionWinRate = 100 * Double(firsts.filter { $0 }.count) / Double(firsts.count) }
        let byLength = decided.filter { $0.1 != .tie && $0.0.aWords != $0.0.bWords }
        lengthDecided = byLength.count
        if !byLength.isEmpty {
            let longer = byLength.filter { ($0.1 == .a) == ($0.0.aWords > $0.0.bWords) }.count
            longerWins = 100 * Double(longer) / Double(byLength.count)
        }
        if !decided.isEmpty {
            let deltas = decided.map { Double($0.0.aWords - $0.0.bWords) }
            switch Self.lengthControlledWinRate(preference: preference, lengthDifference: deltas) {
            case .fit(let rate)?:
                lcWinRate = rate
            case .unboundedSlope(let rate)?:
                lcWinRate = rate
                notes.append("the verdicts follow length exactly: the length-controlled win rate is the limit of the fit")
            case nil:
                notes.append("the length-controlled win rate has no estimate: the verdicts are separated by length")
            }
        }
    }

    /// A's preference on one item: a win 1, a tie 0.5, a loss 0.
    static func preference(_ verdict: Judgment.Verdict) -> Double {
        switch verdict {
        case .a: return 1
        case .tie, .error: return 0.5
        case .b: return 0
        }
    }

    /// The length-controlled win rate and how it was found.
    public enum LengthControlled: Equatable, Sendable {
        /// The maximum-likelihood fit converged.
        case fit(Double)
        /// The verdicts follow length exactly: the slope grows without bound while the intercept converges (to
        /// what the items of equal length, or the symmetry of the lengths, pin it to); the rate at that intercept.
        case unboundedSlope(Double)
    }

    /// 100 × sigmoid(β₀) of the maximum-likelihood logistic regression of `preference` (fractional outcomes allowed)
    /// on an intercept and x = tanh(Δ / σ), Δ the length difference and σ its population standard deviation (x = 0
    /// everywhere when σ = 0): the win rate at equal lengths. 0 or 100 when every preference is; nil when the
    /// verdicts are separated by length and the intercept does not converge either.
    public static func lengthControlledWinRate(preference y: [Double], lengthDifference delta: [Double]) -> LengthControlled? {
        let n = Double(y.count)
        guard n > 0 else { return nil }
        let mean = y.reduce(0, +) / n
        if mean == 0 || mean == 1 { return .fit(100 * mean) }
        let deltaMean = delta.reduce(0, +) / n
        let sigma = (delta.reduce(0) { $0 + ($1 - deltaMean) * ($1 - deltaMean) } / n).squareRoot()
        let x = delta.map { sigma > 0 ? tanh($0 / sigma) : 0 }
        guard x.contains(where: { $0 != 0 }) else { return .fit(100 * mean) }   // intercept only: sigmoid(logit(mean))
        var b0 = 0.0, b1 = 0.0, d0 = Double.infinity
        for _ in 0..<100 {
            var g0 = 0.0, g1 = 0.0, h00 = 0.0, h01 = 0.0, h11 = 0.0
            for i in y.indices {
                let p = 1 / (1 + exp(-(b0 + b1 * x[i])))
                let r = y[i] - p, w = p * (1 - p)
                g0 += r
                g1 += r * x[i]
                h00 += w
                h01 += w * x[i]
                h11 += w * x[i] * x[i]
            }
            let det = h00 * h11 - h01 * h01
            guard det > 0, det.isFinite else { break }
            d0 = (h11 * g0 - h01 * g1) / det
            let d1 = (h00 * g1 - h01 * g0) / det
            b0 += d0
            b1 += d1
            if abs(d0) < 1e-12 && abs(d1) < 1e-12 { return .fit(100 / (1 + exp(-b0))) }
        }
        if abs(d0) < 1e-9 && abs(b1) > 20 { return .unboundedSlope(100 / (1 + exp(-b0))) }
        return nil
    }

    /// A plain sentence on the judge's biases: how often the verdict flipped with the order, how often the longer
    /// answer won.
    public var biasSentence: String {
        var parts: [String] = []
        if bothOrders > 0 {
            parts.append("the verdict changed with the order on \(inconsistent) of \(bothOrders) items judged both ways ("
                         + Self.percent(100 - (positionConsistency ?? 100)) + ")")
        } else {
            parts.append("no item was judged validly in both orders, so the order's effect is unknown")
        }
        if let firstPositionWinRate {
            parts.append("the answer shown first won " + Self.percent(firstPositionWinRate) + " of \(decidedJudgments) decided judgments")
        }
        if let longerWins {
            parts.append("the longer answer won " + Self.percent(longerWins) + " of \(lengthDecided) decided items of unequal length")
        }
        return "Bias: " + parts.joined(separator: "; ") + "."
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value) }
}

extension PairwiseSummary {
    /// The figures as a table, one row per (name, summary), then each one's bias sentence.
    public static func table(_ rows: [(name: String, summary: PairwiseSummary)]) -> String {
        func rate(_ value: Double?) -> String { value.map { String(format: "%.1f", $0) } ?? "-" }
        let header = ["system", "win rate [95% CI]", "LC win rate", "W/T/L/err", "consistency", "first wins", "longer wins"]
        let body = rows.map { name, s -> [String] in
            let interval = s.winRateInterval.map { String(format: " [%.1f, %.1f]", $0.lower, $0.upper) } ?? ""
            return [name, rate(s.winRate) + interval, rate(s.lcWinRate), "\(s.wins)/\(s.ties)/\(s.losses)/\(s.errors)",
                    rate(s.positionConsistency), rate(s.firstPositionWinRate), rate(s.longerWins)]
        }
        let widths = header.indices.map { i in ([header] + body).map { $0[i].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        var out = ([header] + body).map(line)
        for (name, s) in rows {
            out.append("")
            out.append(name + ": " + s.biasSentence)
            out += s.notes.map { "  note: " + $0 }
        }
        return out.joined(separator: "\n")
    }
}
