// Exact match: SQuAD v1.1's normalisation (the default) and Hugging Face evaluate's `exact_match` options, and the
// `exact_match` metric that chooses between them from its metric_list entry.
import Foundation

/// SQuAD v1.1's answer normalisation and exact match, as its evaluation script (and transformers' squad_metrics) do it.
public enum SQuAD {
    static let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)

    /// Lower case, ASCII punctuation removed, the articles a/an/the removed, white space collapsed.
    public static func normalize(_ text: String) -> String {
        var noPunct = String.UnicodeScalarView()
        for s in PythonText.lower(text) where !punctuation.contains(s) { noPunct.append(s) }
        let noArticles = removeArticles(Array(noPunct))
        return PythonText.split(noArticles).joined(separator: " ")
    }

    /// Exact match after normalisation against any of the gold answers (1 or 0).
    public static func exactMatch(prediction: String, answers: [String]) -> Double {
        // Compared scalar by scalar, as Python compares strings (Swift's == is up to canonical equivalence).
        let p = Array(normalize(prediction).unicodeScalars)
        return answers.contains { Array(normalize($0).unicodeScalars) == p } ? 1 : 0
    }

    /// Python's `re.sub(r"\b(a|an|the)\b", " ", s)` with Unicode word characters.
    static func removeArticles(_ s: [Unicode.Scalar]) -> String {
        var out = String.UnicodeScalarView(), i = 0
        while i < s.count {
            if i == 0 || !isWord(s[i - 1]) {
                var matched = 0
                for article in ["the", "an", "a"] {
                    let a = Array(article.unicodeScalars)
                    if i + a.count <= s.count, Array(s[i..<(i + a.count)]) == a, i + a.count == s.count || !isWord(s[i + a.count]) {
                        matched = a.count
                        break
                    }
                }
                if matched > 0 {
                    out.append(" ")
                    i += matched
                    continue
                }
            }
            out.append(s[i])
            i += 1
        }
        return String(out)
    }

    static func isWord(_ s: Unicode.Scalar) -> Bool { PythonText.isWord(s) }
}

/// Exact match as Hugging Face evaluate's `exact_match` computes it: `regexes_to_ignore` removed (in order) from the
/// prediction and the reference, then optionally lower case and ASCII punctuation removed; equal strings score 1.
public struct ExactMatchOptions: Sendable {
    let regexes: [NSRegularExpression]
    let ignoreCase: Bool
    let ignorePunctuation: Bool

    /// Options from a metric spec; throws naming a pattern that does not compile.
    public init(regexesToIgnore: [String], ignoreCase: Bool, ignorePunctuation: Bool) throws {
        regexes = try regexesToIgnore.map { pattern in
            do { return try NSRegularExpression(pattern: pattern) } catch {
                throw MetricError.invalidOption(metric: "exact_match", option: "regexes_to_ignore",
                                                problem: "'\(pattern)' is not a valid regular expression")
            }
        }
        self.ignoreCase = ignoreCase
        self.ignorePunctuation = ignorePunctuation
    }

    func clean(_ text: String) -> [Unicode.Scalar] {
        var t = text
        for re in regexes { t = re.stringByReplacingMatches(in: t, range: NSRange(t.startIndex..., in: t), withTemplate: "") }
        var scalars = ignoreCase ? PythonText.lower(t) : Array(t.unicodeScalars)
        if ignorePunctuation { scalars.removeAll { SQuAD.punctuation.contains($0) } }
        return scalars
    }

    /// 1 when the cleaned prediction equals any cleaned answer.
    public func score(prediction: String, answers: [String]) -> Double {
        let p = clean(prediction)
        return answers.contains { clean($0) == p } ? 1 : 0
    }
}

/// `exact_match`: SQuAD's normalisation, or evaluate-style when the entry gives `regexes_to_ignore`, `ignore_case`
/// or `ignore_punctuation`; 1 when the answer matches any reference, the mean over items.
public struct ExactMatchMetric: Metric {
    /// The evaluate-style options; nil for SQuAD's normalisation.
    public let options: ExactMatchOptions?
    public var reportName: String { "exact_match" }
    public var input: MetricInput { .answer }
    public var needsReference: Bool { true }

    /// The metric of a metric_list entry; throws naming a pattern that does not compile.
    public init(spec: MetricSpec) throws {
        let custom = spec.regexesToIgnore != nil || spec.ignoreCase != nil || spec.ignorePunctuation != nil
        options = custom ? try ExactMatchOptions(regexesToIgnore: spec.regexesToIgnore ?? [], ignoreCase: spec.ignoreCase ?? false,
                                                 ignorePunctuation: spec.ignorePunctuation ?? false) : nil
    }

    public func score(_ item: MetricItem) throws -> MetricItemScore? {
        guard !item.references.isEmpty else { throw MetricError.unscorable("the item has no reference answer") }
        guard let answer = item.answer else { return nil }
        return MetricItemScore(value: options?.score(prediction: answer, answers: item.references)
            ?? SQuAD.exactMatch(prediction: answer, answers: item.references))
    }
}
