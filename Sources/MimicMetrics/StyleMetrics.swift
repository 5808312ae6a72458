// The paper's Table 2 style figures as registered metrics (list_match, summary_match, unigram_intersection,
// length_correlation), each reading a candidate answer (`answer`) and the reference answer (`target`), and the
// figures of a whole comparison with their bootstrap intervals.
import Foundation

/// `list_match` and `summary_match`: among items whose reference has the feature (a list, `StyleText.hasList`; a
/// closing summary paragraph, `StyleText.endsWithSummary`), the percentage whose answer has it too. An item's value
/// is 100 or 0; an item whose reference lacks the feature has nothing to score (nil).
public struct FeatureMatchMetric: Metric {
    /// What is looked for in both texts.
    public enum Feature: String, Sendable, CaseIterable {
        /// At least 2 list lines outside code blocks.
        case list
        /// A last paragraph that opens with a summary phrase.
        case summary

        /// Whether `text` has the feature.
        public func isPresent(in text: String) -> Bool {
            switch self {
            case .list: StyleText.hasList(text)
            case .summary: StyleText.endsWithSummary(text)
            }
        }
    }

    /// The feature compared.
    public let feature: Feature
    public var reportName: String { feature.rawValue + "_match" }
    public var input: MetricInput { .answer }
    public var needsReference: Bool { true }

    /// The metric of one feature.
    public init(_ feature: Feature) { self.feature = feature }

    public func score(_ item: MetricItem) throws -> MetricItemScore? {
        let (answer, reference) = try StyleMetrics.texts(item)
        guard let answer, feature.isPresent(in: reference) else { return nil }
        return MetricItemScore(value: feature.isPresent(in: answer) ? 100 : 0)
    }
}

/// `unigram_intersection`: 100 × rouge-score's ROUGE-1 F-measure of the answer against the reference, without
/// stemming (the whole replies, code included); the aggregate is the mean.
public struct UnigramIntersectionMetric: Metric {
    public var reportName: String { "unigram_intersection" }
    public var input: MetricInput { .answer }
    public var needsReference: Bool { true }

    /// The metric.
    public init() {}

    public func score(_ item: MetricItem) throws -> MetricItemScore? {
        let (answer, reference) = try StyleMetrics.texts(item)
        guard let answer else { return nil }
        let rouge1 = Rouge.rougeN(target: Rouge.tokens(reference, stem: false), prediction: Rouge.tokens(answer, stem: false), n: 1)
        return MetricItemScore(value: 100 * rouge1.fmeasure)
    }
}

/// `length_correlation`, a corpus-level metric: Pearson's r between the answers' and the references' word counts
/// (`StyleText.wordCount`). An item's value is its answer's word count and its statistics `[answer words,
/// reference words]`; the aggregate is r over the items' statistics (nil for fewer than 2 items or when either
/// side's counts are all equal).
public struct LengthCorrelationMetric: Metric {
    public var reportName: String { "length_correlation" }
    public var input: MetricInput { .answer }
    public var needsReference: Bool { true }

    /// The metric.
    public init() {}

    public func score(_ item: MetricItem) throws -> MetricItemScore? {
        let (answer, reference) = try StyleMetrics.texts(item)
        guard let answer else { return nil }
        let words = Double(StyleText.wordCount(answer))
        return MetricItemScore(value: words, statistics: [words, Double(StyleText.wordCount(reference))])
    }

    public func aggregate(_ scores: [MetricItemScore]) -> Double? {
        let pairs = scores.compactMap { s in s.statistics.flatMap { $0.count == 2 ? ($0[0], $0[1]) : nil } }
        return StyleMetrics.pearson(pairs.map(\.0), pairs.map(\.1))
    }
}

/// The style figures of one system's answers against the reference answers: Table 2's rows.
public struct StyleFigures: Codable, Sendable, Equatable {
    /// `list_match` (%).
    public var listMatch: MetricFigure
    /// `summary_match` (%).
    public var summaryMatch: MetricFigure
    /// `unigram_intersection` (100 × ROUGE-1 F, mean).
    public var unigramIntersection: MetricFigure
    /// `length_correlation` (Pearson's r).
    public var lengthCorrelation: MetricFigure
    /// `authoritative_tone` (% of answers a judge calls authoritative): nil until a judge has rated the answers
    /// (it needs `--judge`); never reported as 0.
    public var authoritativeTone: MetricFigure?

    /// The JSON keys are the metrics' registered names.
    enum CodingKeys: String, CodingKey {
        case listMatch = "list_match", summaryMatch = "summary_match", unigramIntersection = "unigram_intersection"
        case lengthCorrelation = "length_correlation", authoritativeTone = "authoritative_tone"
    }

    /// Figures from their parts.
    public init(listMatch: MetricFigure, summaryMatch: MetricFigure, unigramIntersection: MetricFigure,
                lengthCorrelation: MetricFigure, authoritativeTone: MetricFigure? = nil) {
        self.listMatch = listMatch
        self.summaryMatch = summaryMatch
        self.unigramIntersection = unigramIntersection
        self.lengthCorrelation = lengthCorrelation
        self.authoritativeTone = authoritativeTone
    }
}

/// `authoritative_tone`: the percentage of answers a judge labels authoritative with a yes/no rubric
/// (`judges/authoritative.yaml`). An item's value is 100 or 0; an answer without a readable label has nothing to
/// score (nil), so the figure is never a 0 made of missing labels.
public struct AuthoritativeToneMetric: Metric {
    public var reportName: String { "authoritative_tone" }
    public var input: MetricInput { .judgeLabel }

    /// The metric.
    public init() {}

    public func score(_ item: MetricItem) throws -> MetricItemScore? {
        item.judgeLabel.map { MetricItemScore(value: $0 ? 100 : 0) }
    }
}

/// The style figures of a comparison, and the helpers the style metrics share.
public enum StyleMetrics {
    /// The metrics computed from text alone, in Table 2's order, with the bootstrap stream of each (its position).
    public static let metrics: [any Metric] = [FeatureMatchMetric(.list), FeatureMatchMetric(.summary),
                                               UnigramIntersectionMetric(), LengthCorrelationMetric()]

    /// The figures of `pairs` (a candidate answer and its reference answer each), every one with its count of items
    /// and a `level` bootstrap interval from `resamples` resamples of the pairs: figure i of `metrics` draws from
    /// `SplitMix64(seed: seed, stream: i)` (`MetricFigure.compute`). `authoritativeTone` is left nil.
    public static func figures(_ pairs: [(candidate: String, reference: String)], resamples: Int, level: Double = 0.95,
                               seed: UInt64) throws -> StyleFigures {
        let items = pairs.map { MetricItem(answer: $0.candidate, references: [$0.reference], target: $0.reference) }
        let figures = try metrics.enumerated().map { i, metric in
            try MetricFigure.compute(metric, items: items, resamples: resamples, level: level, seed: seed, stream: UInt64(i))
        }
        return StyleFigures(listMatch: figures[0], summaryMatch: figures[1], unigramIntersection: figures[2],
                            lengthCorrelation: figures[3])
    }

    /// The `authoritative_tone` figure of the judge's labels of the candidate answers (nil: no readable label), with
    /// its bootstrap interval drawn from stream `metrics.count` of the seed.
    public static func authoritativeTone(_ labels: [Bool?], resamples: Int, level: Double = 0.95, seed: UInt64) throws -> MetricFigure {
        var items = labels.map { _ in MetricItem() }
        for i in items.indices { items[i].judgeLabel = labels[i] }
        return try MetricFigure.compute(AuthoritativeToneMetric(), items: items, resamples: resamples, level: level, seed: seed,
                                        stream: UInt64(metrics.count))
    }

    /// Pearson's correlation of `x` and `y` (equal lengths): the mean-centred cross products over the root of the
    /// product of the centred sums of squares, clipped to [-1, 1] against rounding; nil for fewer than 2 pairs or when either side has no variance.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        precondition(x.count == y.count, "pearson needs equally long samples")
        guard x.count >= 2, Set(x).count > 1, Set(y).count > 1 else { return nil }
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        return max(-1, min(1, sxy / (sxx * syy).squareRoot()))
    }

    /// The answer (nil: nothing to score) and the reference of an item; throws when it has no reference.
    static func texts(_ item: MetricItem) throws -> (answer: String?, reference: String) {
        guard let reference = item.target else { throw MetricError.unscorable("the item has no reference answer") }
        return (item.answer, reference)
    }
}
