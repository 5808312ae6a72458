// The metric protocol: a type that scores one item and aggregates many; what it reads of an item and what it gives.
import Foundation

/// What a metric reads of an item: the evaluator produces it (and reports the metric under the matching filters).
public enum MetricInput: String, Sendable, CaseIterable {
    /// The model's first completion after each filter pipeline (`MetricItem.answer`), with the item's references;
    /// reported once per filter pipeline.
    case answer
    /// The log-likelihood of each choice of a multiple-choice item (`choices`, `gold`, `logLikelihoods`); reported
    /// under the filter `none`.
    case choiceLogLikelihoods = "choice_loglikelihoods"
    /// Whether each sample passed its tests when run in the sandbox (`samplesPassed`); reported under the task's first
    /// filter (the one that extracts the code), or `none`.
    case codeOutcomes = "code_outcomes"
    /// The toxicity in [0, 1] of the first completion, from a toxicity scorer (`toxicity`); reported under `none`.
    case toxicity
    /// A judge's yes/no label of the answer by a rubric (`judgeLabel`); reported under `none`.
    case judgeLabel = "judge_label"
}

/// One item as a metric sees it: the evaluator fills the parts that the metric's `input` names.
public struct MetricItem {
    /// `.answer`: the first completion after one filter pipeline.
    public var answer: String?
    /// The accepted answers (a task's `gold_answers`, else its `doc_to_target`), empty ones left out.
    public var references: [String]
    /// The reference text (`doc_to_target`).
    public var target: String?
    /// `.choiceLogLikelihoods`: the choices, the right one's index, and each choice's log-likelihood.
    public var choices: [String]?
    public var gold: Int?
    public var logLikelihoods: [Double]?
    /// `.codeOutcomes`: whether each sample passed (one entry per sample).
    public var samplesPassed: [Bool]?
    /// `.toxicity`: the first completion's toxicity in [0, 1].
    public var toxicity: Double?
    /// `.judgeLabel`: a judge's yes (true) or no about the answer by a rubric; nil when it gave no readable label.
    public var judgeLabel: Bool?
    /// Work shared by the metrics that score this item (ROUGE-1, -2 and -L come from one comparison).
    public let memo = MetricMemo()

    /// An item with the given parts (the rest nil).
    public init(answer: String? = nil, references: [String] = [], target: String? = nil, choices: [String]? = nil,
                gold: Int? = nil, logLikelihoods: [Double]? = nil, samplesPassed: [Bool]? = nil, toxicity: Double? = nil) {
        self.answer = answer
        self.references = references
        self.target = target
        self.choices = choices
        self.gold = gold
        self.logLikelihoods = logLikelihoods
        self.samplesPassed = samplesPassed
        self.toxicity = toxicity
    }
}

/// Values computed once per item and read by several metrics, by key (one item is scored on one thread).
public final class MetricMemo {
    private var values: [String: Any] = [:]

    /// The value stored under `key`, made by `make` the first time.
    public func value<T>(_ key: String, _ make: () -> T) -> T {
        if let v = values[key] as? T { return v }
        let v = make()
        values[key] = v
        return v
    }
}

/// What a metric gives one item: its value and, for a corpus-level metric, the statistics its aggregate combines
/// (corpus BLEU sums each item's n-gram counts).
public struct MetricItemScore: Sendable, Equatable {
    /// The item's value (sentence BLEU for bleu).
    public var value: Double
    /// Sufficient statistics for the aggregate; nil for metrics that average values.
    public var statistics: [Double]?

    /// A score from its parts.
    public init(value: Double, statistics: [Double]? = nil) {
        self.value = value
        self.statistics = statistics
    }

    /// The mean of the values, nil for none (summed in order, so the result does not depend on anything else).
    public static func mean(_ scores: [MetricItemScore]) -> Double? {
        guard !scores.isEmpty else { return nil }
        var sum = 0.0
        for s in scores { sum += s.value }
        return sum / Double(scores.count)
    }
}

/// A metric: scores one item and aggregates many items' scores. Built from a task's `metric_list` entry by the
/// factory registered under its name in `MetricRegistry`.
public protocol Metric: Sendable {
    /// The name results report it under: its registered name, or that with its option (`pass_at_10`).
    var reportName: String { get }
    /// What it reads of an item.
    var input: MetricInput { get }
    /// Whether it compares with a reference (a task then needs `doc_to_target` or `gold_answers`). Default false.
    var needsReference: Bool { get }
    /// Completions each item needs (pass@k: k). Default 1.
    var samplesNeeded: Int { get }
    /// The item's score; nil when it has nothing to score (too few samples), or throws `MetricError.unscorable`
    /// saying why the item cannot be scored (it is then left out of the aggregate, never counted as 0).
    func score(_ item: MetricItem) throws -> MetricItemScore?
    /// The aggregate of some items' scores (nil for none). Default: the mean of the values.
    func aggregate(_ scores: [MetricItemScore]) -> Double?
}

extension Metric {
    public var needsReference: Bool { false }
    public var samplesNeeded: Int { 1 }
    public func aggregate(_ scores: [MetricItemScore]) -> Double? { MetricItemScore.mean(scores) }
}
