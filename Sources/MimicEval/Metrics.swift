// Metrics, registered by name: exact match with SQuAD's normalisation, accuracy by log-likelihood (raw and
// length-normalised), ROUGE-1/2/L (rouge-score with the Porter stemmer), BLEU (sacrebleu), pass@k, non-toxicity.
import Foundation
import MimicData

/// The metrics a task can name in `metric_list`.
public enum MetricKind: String, CaseIterable, Codable, Sendable {
    case exactMatch = "exact_match"
    case acc
    case accNorm = "acc_norm"
    case rouge1
    case rouge2
    case rougeL
    case bleu
    case passAt1 = "pass_at_1"
    case passAtK = "pass_at_k"
    case nonToxicity = "non_toxicity"

    /// The output type the metric scores.
    public var outputType: OutputType {
        switch self {
        case .acc, .accNorm: .multipleChoice
        default: .generateUntil
        }
    }

    /// The name a metric is reported under (pass_at_k with its k).
    public func reportName(k: Int?) -> String { self == .passAtK ? "pass_at_\(k ?? 1)" : rawValue }

    /// Whether the metric runs the completion as code.
    public var executesCode: Bool { self == .passAt1 || self == .passAtK }
}

/// SQuAD v1.1's answer normalisation and exact match, as its evaluation script (and transformers' squad_metrics) do it.
public enum SQuAD {
    static let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars)

    /// Lower case, ASCII punctuation removed, the articles a/an/the removed, white space collapsed.
    public static func normalize(_ text: String) -> String {
        var noPunct = String.UnicodeScalarView()
        for s in PythonText.lower(text) where !punctuation.contains(s) { noPunct.append(s) }
        let noArticles = removeArticles(Array(noPunct))
        return splitPythonWhitespace(noArticles).joined(separator: " ")
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

    /// Python's `str.split()`: runs of white space.
    static func splitPythonWhitespace(_ text: String) -> [String] {
        var parts: [String] = [], current = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if PythonText.isSpace(s) {
                if !current.isEmpty { parts.append(String(current)); current = String.UnicodeScalarView() }
            } else {
                current.append(s)
            }
        }
        if !current.isEmpty { parts.append(String(current)) }
        return parts
    }
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
                throw EvalError.invalidArgument("regexes_to_ignore: '\(pattern)' is not a valid regular expression")
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

/// Accuracy of a multiple-choice item from its choices' log-likelihoods.
public enum ChoiceAccuracy {
    /// 1 when the most likely choice is the gold one (ties go to the first).
    public static func acc(_ logLikelihoods: [Double], gold: Int) -> Double {
        argmax(logLikelihoods) == gold ? 1 : 0
    }

    /// As `acc`, each log-likelihood divided by its choice's length in characters (lm-evaluation-harness's acc_norm).
    public static func accNorm(_ logLikelihoods: [Double], choices: [String], gold: Int) -> Double {
        let normed = zip(logLikelihoods, choices).map { ll, c in ll / Double(max(c.unicodeScalars.count, 1)) }
        return argmax(normed) == gold ? 1 : 0
    }

    static func argmax(_ xs: [Double]) -> Int {
        var best = 0
        for i in xs.indices where xs[i] > xs[best] { best = i }
        return best
    }
}
