// The pairwise summary against scripts/reference/judge_summary_golden.py (numpy + statsmodels) on committed
// judgment files (errors, one-order items, repeated lines, all ties, σ = 0); and scripted judges whose biases the
// summary must show: one that always prefers the first position, one that prefers the longer answer.
import Foundation
import MimicCore
import MimicMetrics
import Testing

@Suite struct PairwiseSummaryTests {
    static let cases = ["mixed", "all_ties", "sigma_zero", "one_order"]

    func judgments(_ name: String) throws -> [Judgment] {
        let text = try String(contentsOf: resourceURL("judgments/" + name, "jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Judgment.self, from: Data($0.utf8)) }
    }

    @Test(arguments: cases) func figuresEqualTheReferenceScripts(_ name: String) throws {
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: resourceURL("judgments/golden", "json"))) as! [String: Any]
        let expected = golden[name] as! [String: Any]
        let summary = PairwiseSummary(try judgments(name), seed: 1, resamples: 200)
        let counts: [(String, Int)] = [("items", summary.items), ("wins", summary.wins), ("ties", summary.ties),
                                       ("losses", summary.losses), ("errors", summary.errors),
                                       ("inconsistent", summary.inconsistent), ("both_orders", summary.bothOrders),
                                       ("duplicates", summary.duplicates), ("decided_judgments", summary.decidedJudgments),
                                       ("length_decided", summary.lengthDecided)]
        for (key, value) in counts { #expect(value == expected[key] as? Int, "\(name) \(key)") }
        let rates: [(String, Double?, Double)] = [
            ("win_rate", summary.winRate, 1e-9), ("position_consistency", summary.positionConsistency, 1e-9),
            ("first_position_win_rate", summary.firstPositionWinRate, 1e-9), ("longer_wins", summary.longerWins, 1e-9),
            ("lc_win_rate", summary.lcWinRate, 1e-6),
        ]
        for (key, value, tolerance) in rates {
            let want = expected[key] as? Double
            #expect((value == nil) == (want == nil), "\(name) \(key): \(String(describing: value)) vs \(String(describing: want))")
            if let value, let want { #expect(abs(value - want) <= tolerance, "\(name) \(key): \(value) vs \(want)") }
        }
    }

    @Test func theIntervalHoldsTheRateAndDependsOnlyOnTheSeed() throws {
        let lines = try judgments("mixed")
        let one = PairwiseSummary(lines, seed: 7), again = PairwiseSummary(lines, seed: 7), other = PairwiseSummary(lines, seed: 8)
        let interval = try #require(one.winRateInterval)
        let rate = try #require(one.winRate)
        #expect(interval.lower < rate && rate < interval.upper && interval.level == 0.95)
        #expect(one.winRateInterval == again.winRateInterval && one.winRateInterval != other.winRateInterval)
        // A hundred times the items: the interval narrows about tenfold.
        let many = (0..<100).flatMap { k in lines.map { var j = $0; j.id += "#\(k)"; return j } }
        let wide = interval.upper - interval.lower, narrow = try #require(PairwiseSummary(many, seed: 7).winRateInterval)
        #expect((narrow.upper - narrow.lower) < wide / 5)
    }

    /// Judgments of `count` items in both orders by a scripted judge that picks by position and lengths.
    func scripted(count: Int, lengths: (Int) -> (Int, Int), judge: (_ first: Int, _ second: Int) -> Judgment.Verdict) -> [Judgment] {
        (0..<count).flatMap { i -> [Judgment] in
            let (a, b) = lengths(i)
            return [Judgment.Order.ab, .ba].map { order in
                // The judge sees positions; its "a" means the first shown.
                let shown = order == .ab ? judge(a, b) : judge(b, a)
                let verdict: Judgment.Verdict = shown == .tie ? .tie : ((shown == .a) == (order == .ab) ? .a : .b)
                return Judgment(id: "i\(i)", order: order, verdict: verdict, aWords: a, bWords: b)
            }
        }
    }

    @Test func aJudgeThatAlwaysPrefersTheFirstPositionIsCaught() {
        let s = PairwiseSummary(scripted(count: 40, lengths: { ($0 + 5, 30) }, judge: { _, _ in .a }))
        #expect(s.positionConsistency == 0 && s.inconsistent == 40)
        #expect(s.winRate == 50 && s.ties == 40)
        #expect(s.firstPositionWinRate == 100)
        #expect(s.biasSentence.contains("changed with the order on 40 of 40"))
    }

    @Test func aJudgeThatPrefersTheLongerAnswerIsCaughtAndControlled() throws {
        // Length-balanced: A is longer on half the items, shorter on the other half, by the same amounts; ten items
        // of equal length, which this judge calls ties.
        let byLength: (Int, Int) -> Judgment.Verdict = { first, second in first == second ? .tie : (first > second ? .a : .b) }
        let s = PairwiseSummary(scripted(count: 70, lengths: { i in
            i >= 60 ? (50, 50) : (i % 2 == 0 ? (100 + i / 2, 40) : (40, 100 + i / 2))
        }, judge: byLength))
        #expect(s.longerWins == 100 && s.positionConsistency == 100)
        #expect(s.winRate == 50)
        let lc = try #require(s.lcWinRate)
        #expect(abs(lc - 50) < 1 && s.notes.contains { $0.contains("follow length exactly") })
        #expect(s.biasSentence.contains("the longer answer won 100.0%"))
        // A longer on three items in four, and a judge that follows length four times in five: the raw win rate is
        // pulled up by length; the controlled one is nearer the middle.
        let noisy = PairwiseSummary(scripted(count: 80, lengths: { i in i % 4 != 0 ? (100 + i, 40) : (40, 100 + i) },
                                             judge: { first, second in
                                                 let longerFirst = first > second
                                                 return (first + second) % 5 == 0 ? (longerFirst ? .b : .a) : (longerFirst ? .a : .b)
                                             }))
        let raw = try #require(noisy.winRate), controlled = try #require(noisy.lcWinRate)
        #expect(noisy.longerWins ?? 0 > 70 && noisy.longerWins ?? 100 < 100)
        #expect(raw > 60 && abs(controlled - 50) < abs(raw - 50), "raw \(raw), controlled \(controlled)")
    }

    @Test func noValidVerdictIsNoWinRateNotZero() {
        let s = PairwiseSummary([Judgment(id: "x", order: .ab, verdict: .error, aWords: 3, bWords: 4)])
        #expect(s.items == 0 && s.errors == 1 && s.winRate == nil && s.lcWinRate == nil && s.winRateInterval == nil)
    }
}

@Suite struct BootstrapMeanTests {
    @Test func theMeansIntervalIsTheGeneralOnesWithTheSameDraws() throws {
        let values = (0..<300).map { Double(($0 * 37) % 11) }
        var one = SplitMix64(seed: 9)
        let general = try #require(Bootstrap.percentileInterval(Array(values.indices), iterations: 500, draw: { one.below($0) }) {
            $0.reduce(0) { $0 + values[$1] } / Double($0.count)
        })
        for parts in [nil, 1, 2, 3, 7] as [Int?] {   // shared over the cores or not, the same draws
            let fast = try #require(Bootstrap.percentileIntervalOfMean(values, iterations: 500, seed: 9, parts: parts))
            #expect(abs(general.lower - fast.lower) < 1e-12 && abs(general.upper - fast.upper) < 1e-12, "parts \(String(describing: parts))")
        }
        var skipped = SplitMix64(seed: 4), stepped = SplitMix64(seed: 4)
        skipped.skip(1000)
        for _ in 0..<1000 { _ = stepped.next() }
        #expect(skipped.next() == stepped.next())
    }
}
