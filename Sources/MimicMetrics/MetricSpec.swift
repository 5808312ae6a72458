// One entry of a task's metric_list: the metric's registered name and its options.
import Foundation

/// A metric a task reports, as its YAML names it (`{metric: exact_match, ignore_case: true}`).
public struct MetricSpec: Codable, Sendable, Equatable {
    /// The metric's registered name.
    public var metric: String
    /// pass_at_k: the k.
    public var k: Int?
    /// exact_match: compare as Hugging Face evaluate's exact_match (which lm-evaluation-harness uses) instead of
    /// SQuAD's normalisation: these patterns removed first, then case and punctuation ignored as asked.
    public var regexesToIgnore: [String]?
    /// exact_match: compare in lower case.
    public var ignoreCase: Bool?
    /// exact_match: remove ASCII punctuation before comparing.
    public var ignorePunctuation: Bool?

    /// The YAML keys of an entry (others are errors).
    public static let keys: Set<String> = ["metric", "k", "regexes_to_ignore", "ignore_case", "ignore_punctuation"]

    /// An entry naming `metric` with the given options.
    public init(metric: String, k: Int? = nil, regexesToIgnore: [String]? = nil, ignoreCase: Bool? = nil,
                ignorePunctuation: Bool? = nil) {
        self.metric = metric
        self.k = k
        self.regexesToIgnore = regexesToIgnore
        self.ignoreCase = ignoreCase
        self.ignorePunctuation = ignorePunctuation
    }
}
