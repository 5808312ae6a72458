// The registry and the protocol: every standard name resolves, options are checked, and corpus BLEU aggregates
// through the same `aggregate` as a mean.
import Foundation
import MimicMetrics
import Testing

@Suite struct MetricRegistryTests {
    @Test func standardMetricsResolveByName() throws {
        let names = ["acc", "acc_norm", "authoritative_tone", "bleu", "exact_match", "length_correlation", "list_match", "non_toxicity", "pass_at_1",
                     "pass_at_k", "rouge1", "rouge2", "rougeL", "summary_match", "unigram_intersection"]
        let registry = MetricRegistry()
        registry.registerStandard()
        #expect(registry.names == names)
        for name in names {
            let metric = try registry.metric(for: MetricSpec(metric: name, k: 10))
            #expect(metric.reportName == (name == "pass_at_k" ? "pass_at_10" : name))
        }
        #expect(try registry.metric(for: MetricSpec(metric: "pass_at_k", k: 10)).samplesNeeded == 10)
        #expect(try registry.metric(for: MetricSpec(metric: "acc")).input == .choiceLogLikelihoods)
    }

    @Test func unknownNamesAndBadOptionsAreErrors() {
        let registry = MetricRegistry()
        registry.registerStandard()
        #expect(throws: MetricError.unknownMetric("accuracy", known: registry.names)) { try registry.metric(for: MetricSpec(metric: "accuracy")) }
        #expect { try registry.metric(for: MetricSpec(metric: "pass_at_k")) } throws: { ($0 as? MetricError)?.option == "k" }
        #expect { try registry.metric(for: MetricSpec(metric: "exact_match", regexesToIgnore: ["("])) } throws: {
            ($0 as? MetricError)?.option == "regexes_to_ignore"
        }
    }

    @Test func corpusBLEUAggregatesItemStatistics() throws {
        let rows = [("the cat sat on the mat", "the cat sat on a mat"), ("a quick brown fox", "the quick brown fox jumps"),
                    ("hello world", "goodbye world")]
        let bleu = BLEUMetric()
        let scores = try rows.map { try #require(try bleu.score(MetricItem(answer: $0.0, references: [$0.1]))) }
        #expect(scores.map(\.value) == rows.map { BLEU.sentence($0.0, [$0.1]).score })
        #expect(bleu.aggregate(scores) == BLEU.score(BLEU.statistics(rows[0].0, [rows[0].1]) + BLEU.statistics(rows[1].0, [rows[1].1])
                                                     + BLEU.statistics(rows[2].0, [rows[2].1])).score)
        #expect(bleu.aggregate([]) == nil)
        #expect(throws: MetricError.unscorable("the item has no reference answer")) { try bleu.score(MetricItem(answer: "x")) }
    }

    @Test func itemScoresFromTheirInputs() throws {
        let item = MetricItem(answer: "The dogs were running", references: ["a dog runs"], target: "a dog runs")
        let r1 = try #require(try RougeMetric(.rouge1).score(item)), rL = try #require(try RougeMetric(.rougeL).score(item))
        let direct = Rouge.score(target: "a dog runs", prediction: "The dogs were running")
        #expect(r1.value == direct.rouge1.fmeasure && rL.value == direct.rougeL.fmeasure)
        #expect(try PassAtKMetric(k: 2, reportName: "pass_at_2").score(MetricItem(samplesPassed: [true, false, false]))?.value
                == (try PassAtK.estimate(n: 3, c: 1, k: 2)))
        #expect(try PassAtKMetric(k: 5, reportName: "pass_at_5").score(MetricItem(samplesPassed: [true])) == nil)
        #expect(try NonToxicityMetric().score(MetricItem(toxicity: 0.25))?.value == 0.75)
        #expect(try AccuracyMetric(lengthNormalized: true).score(MetricItem(choices: [" no", " absolutely yes"], gold: 1,
                                                                            logLikelihoods: [-2, -6]))?.value == 1)
        #expect(MetricItemScore.mean([MetricItemScore(value: 1), MetricItemScore(value: 0)]) == 0.5)
    }

    @Test func bootstrapIsTheStandardDeviationOfTheResampledStatistic() {
        // Draws that alternate between the two halves give resamples of all 0s and all 1s: values 0, 1, 0, 1.
        var calls = 0
        let se = Bootstrap.standardError([0, 1], iterations: 4, draw: { _ in defer { calls += 1 }; return (calls / 2) % 2 }) { sample in
            Double(sample.reduce(0, +)) / Double(sample.count)
        }
        #expect(se == (4.0 / 3.0 * 0.25).squareRoot())
    }
}
