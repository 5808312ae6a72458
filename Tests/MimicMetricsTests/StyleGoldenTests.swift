// The Table 2 style figures against scripts/reference/style_golden.py (rouge-score 0.1.2, numpy 2.4.6, scipy
// 1.17.1), on the hand-written pairs of Resources/style_pairs.jsonl. Tolerance (the script's header): per-item tests
// and counts exactly equal; figures, ROUGE values and interval ends within 1e-9.
import Foundation
import MimicMetrics
import Testing

struct StylePair: Decodable {
    var id: String
    var candidate: String
    var reference: String
}

struct StyleGolden: Decodable {
    struct Item: Decodable {
        var id: String
        var candidate_has_list: Bool
        var reference_has_list: Bool
        var candidate_summary: Bool
        var reference_summary: Bool
        var candidate_words: Int
        var reference_words: Int
        var unigram_intersection: Double
    }
    struct Figure: Decodable {
        var value: Double
        var n: Int
        var interval: [Double]
    }
    var seed: UInt64
    var resamples: Int
    var level: Double
    var items: [Item]
    var figures: [String: Figure]
}

@Suite struct StyleGoldenTests {
    static let tolerance = 1e-9

    func load() throws -> ([StylePair], StyleGolden) {
        let text = try String(contentsOf: resourceURL("style_pairs", "jsonl"), encoding: .utf8)
        let pairs = try text.split(separator: "\n").map { try JSONDecoder().decode(StylePair.self, from: Data($0.utf8)) }
        let golden = try JSONDecoder().decode(StyleGolden.self, from: Data(contentsOf: resourceURL("style_golden", "json")))
        return (pairs, golden)
    }

    @Test func everyItemsTestsMatchTheReferenceScript() throws {
        let (pairs, golden) = try load()
        #expect(pairs.count == golden.items.count && pairs.count >= 30)
        var failures: [String] = []
        for (pair, item) in zip(pairs, golden.items) {
            #expect(pair.id == item.id)
            let got = [StyleText.hasList(pair.candidate), StyleText.hasList(pair.reference),
                       StyleText.endsWithSummary(pair.candidate), StyleText.endsWithSummary(pair.reference)]
            let want = [item.candidate_has_list, item.reference_has_list, item.candidate_summary, item.reference_summary]
            if got != want { failures.append("\(item.id): list/summary \(got), script \(want)") }
            let words = [StyleText.wordCount(pair.candidate), StyleText.wordCount(pair.reference)]
            if words != [item.candidate_words, item.reference_words] { failures.append("\(item.id): words \(words)") }
            let score = try #require(try UnigramIntersectionMetric().score(MetricItem(answer: pair.candidate, target: pair.reference)))
            if abs(score.value - item.unigram_intersection) > Self.tolerance {
                failures.append("\(item.id): unigram \(score.value), script \(item.unigram_intersection)")
            }
        }
        #expect(failures.isEmpty, "\(failures)")
        // The fixture exercises both outcomes of every test.
        for flag in [\StyleGolden.Item.candidate_has_list, \.reference_has_list, \.candidate_summary, \.reference_summary] {
            #expect(Set(golden.items.map { $0[keyPath: flag] }) == [true, false])
        }
    }

    @Test func figuresAndIntervalsMatchTheReferenceScript() throws {
        let (pairs, golden) = try load()
        let figures = try StyleMetrics.figures(pairs.map { ($0.candidate, $0.reference) }, resamples: golden.resamples,
                                               level: golden.level, seed: golden.seed)
        let named = [("list_match", figures.listMatch), ("summary_match", figures.summaryMatch),
                     ("unigram_intersection", figures.unigramIntersection), ("length_correlation", figures.lengthCorrelation)]
        for (name, figure) in named {
            let want = try #require(golden.figures[name])
            let value = try #require(figure.value), interval = try #require(figure.interval, "\(name): \(figure.note ?? "")")
            #expect(figure.n == want.n, "\(name)")
            #expect(abs(value - want.value) <= Self.tolerance, "\(name): \(value) vs \(want.value)")
            #expect(abs(interval.lower - want.interval[0]) <= Self.tolerance && abs(interval.upper - want.interval[1]) <= Self.tolerance,
                    "\(name): [\(interval.lower), \(interval.upper)] vs \(want.interval)")
            #expect(interval.lower <= value && value <= interval.upper && interval.lower < interval.upper, "\(name)")
        }
        #expect(figures.authoritativeTone == nil)
        // The same seed gives the same bytes; another seed other intervals, the same values.
        let again = try StyleMetrics.figures(pairs.map { ($0.candidate, $0.reference) }, resamples: golden.resamples, seed: golden.seed)
        #expect(again == figures)
        let other = try StyleMetrics.figures(pairs.map { ($0.candidate, $0.reference) }, resamples: golden.resamples, seed: golden.seed + 1)
        #expect(other.listMatch.value == figures.listMatch.value && other.listMatch.interval != figures.listMatch.interval)
    }
}
