// The `bleu` metric: each item's sentence BLEU, aggregated as sacrebleu's corpus BLEU from the summed statistics.
import Foundation

/// `bleu`: an item's value is its sentence BLEU and its statistics sacrebleu's `[hyp_len, ref_len] + correct +
/// total`; the aggregate is corpus BLEU of the summed statistics (not the mean of the sentence scores).
public struct BLEUMetric: Metric {
    public var reportName: String { "bleu" }
    public var input: MetricInput { .answer }
    public var needsReference: Bool { true }

    /// The metric (sacrebleu's defaults).
    public init() {}

    public func score(_ item: MetricItem) throws -> MetricItemScore? {
        guard !item.references.isEmpty else { throw MetricError.unscorable("the item has no reference answer") }
        guard let answer = item.answer else { return nil }
        let st = BLEU.statistics(answer, item.references)
        let counts = [st.hypothesisLength, st.referenceLength] + st.correct + st.total
        // sacrebleu's sentence BLEU, from the same counts.
        return MetricItemScore(value: BLEU.score(st, effectiveOrder: true).score, statistics: counts.map(Double.init))
    }

    public func aggregate(_ scores: [MetricItemScore]) -> Double? {
        var total = BLEUStatistics.zero, any = false
        for score in scores {
            guard let s = score.statistics, s.count == 2 + 2 * BLEU.maxOrder else { continue }
            let n = s.map { Int($0) }
            total = total + BLEUStatistics(hypothesisLength: n[0], referenceLength: n[1], correct: Array(n[2..<6]), total: Array(n[6..<10]))
            any = true
        }
        return any ? BLEU.score(total).score : nil
    }
}
