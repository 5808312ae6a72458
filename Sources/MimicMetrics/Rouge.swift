// ROUGE-1, ROUGE-2 and ROUGE-L (sentence-level LCS) exactly as Google's rouge-score computes them, with or without
// its Porter stemming (use_stemmer=True: NLTK's stemmer on tokens longer than 3 characters).

/// Precision, recall and F-measure of one ROUGE type.
public struct RougeScore: Sendable, Equatable, Codable {
    /// Matches over the prediction's n-grams (or tokens, for ROUGE-L).
    public var precision: Double
    /// Matches over the target's n-grams (or tokens, for ROUGE-L).
    public var recall: Double
    /// 2PR / (P + R), 0 when both are 0.
    public var fmeasure: Double

    /// A score from its precision and recall, with rouge-score's F-measure.
    public init(precision: Double, recall: Double) {
        self.precision = precision
        self.recall = recall
        fmeasure = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
    }
}

/// rouge1, rouge2 and rougeL of one (target, prediction) pair.
public struct RougeScores: Sendable, Equatable, Codable {
    /// Unigram overlap.
    public var rouge1: RougeScore
    /// Bigram overlap.
    public var rouge2: RougeScore
    /// Longest common subsequence (sentence level, rouge-score's `rougeL`, not `rougeLsum`).
    public var rougeL: RougeScore
}

/// ROUGE as rouge-score's `RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer: …)` computes it.
public enum Rouge {
    /// rouge-score's default tokenizer: lower-case, every character outside `[a-z0-9]` a separator, and with
    /// `stem` NLTK's Porter stem of each token longer than 3 characters.
    public static func tokens(_ text: String, stem: Bool = true) -> [String] {
        let plain = RougeL.tokens(text)
        guard stem else { return plain }
        let stemmer = PorterStemmer()
        return plain.map { $0.utf8.count > 3 ? stemmer.stem($0) : $0 }
    }

    /// All three scores of `prediction` against `target` (rouge-score's `score(target, prediction)`). This is the
    /// plain reference; `scoreAll(targets:predictions:stem:threads:)` is the fast batch path, tested against it.
    public static func score(target: String, prediction: String, stem: Bool = true) -> RougeScores {
        let t = tokens(target, stem: stem), p = tokens(prediction, stem: stem)
        return RougeScores(rouge1: rougeN(target: t, prediction: p, n: 1),
                           rouge2: rougeN(target: t, prediction: p, n: 2),
                           rougeL: rougeL(target: t, prediction: p))
    }

    /// ROUGE-N on tokens: clipped n-gram overlap; precision over max(prediction n-grams, 1), recall over
    /// max(target n-grams, 1).
    public static func rougeN(target: [String], prediction: [String], n: Int) -> RougeScore {
        let targetCounts = ngrams(target, n), predictionCounts = ngrams(prediction, n)
        var overlap = 0
        for (gram, count) in targetCounts { overlap += min(count, predictionCounts[gram] ?? 0) }
        let targetTotal = targetCounts.values.reduce(0, +), predictionTotal = predictionCounts.values.reduce(0, +)
        return RougeScore(precision: Double(overlap) / Double(max(predictionTotal, 1)),
                          recall: Double(overlap) / Double(max(targetTotal, 1)))
    }

    /// ROUGE-L on tokens: LCS over the prediction's length (precision) and the target's (recall); all 0 if
    /// either is empty.
    public static func rougeL(target: [String], prediction: [String]) -> RougeScore {
        guard !target.isEmpty, !prediction.isEmpty else { return RougeScore(precision: 0, recall: 0) }
        var vocabulary: [String: Int] = [:]
        let a = RougeL.ids(target, &vocabulary), b = RougeL.ids(prediction, &vocabulary)
        let lcs = RougeL.lcs(a, b)
        return RougeScore(precision: Double(lcs) / Double(b.count), recall: Double(lcs) / Double(a.count))
    }

    /// The multiset of n-grams of `tokens` (none when there are fewer than n tokens).
    static func ngrams(_ tokens: [String], _ n: Int) -> [[String]: Int] {
        var counts: [[String]: Int] = [:]
        guard n > 0, tokens.count >= n else { return counts }
        for i in 0...(tokens.count - n) { counts[Array(tokens[i..<(i + n)]), default: 0] += 1 }
        return counts
    }
}

/// `rouge1`, `rouge2` and `rougeL`: the F-measure (with the Porter stemmer) against the item's target, the mean
/// over items. The three read one comparison per answer, kept in the item's memo.
public struct RougeMetric: Metric {
    /// Which ROUGE.
    public enum Kind: String, Sendable { case rouge1, rouge2, rougeL }
    public let kind: Kind
    public var reportName: String { kind.rawValue }
    public var input: MetricInput { .answer }
    public var needsReference: Bool { true }

    /// The metric of one kind.
    public init(_ kind: Kind) { self.kind = kind }

    public func score(_ item: MetricItem) throws -> MetricItemScore? {
        guard let target = item.target, !target.isEmpty else { throw MetricError.unscorable("the item has no reference answer") }
        guard let answer = item.answer else { return nil }
        let s = item.memo.value("rouge") { Rouge.score(target: target, prediction: answer) }
        switch kind {
        case .rouge1: return MetricItemScore(value: s.rouge1.fmeasure)
        case .rouge2: return MetricItemScore(value: s.rouge2.fmeasure)
        case .rougeL: return MetricItemScore(value: s.rougeL.fmeasure)
        }
    }
}
