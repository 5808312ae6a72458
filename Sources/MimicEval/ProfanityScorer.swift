// An offline toxicity score: alt-profanity-check's TF-IDF vectorizer and calibrated linear SVMs, read from the plain
// JSON that scripts/export_profanity_model.py writes, computing what scikit-learn 1.9.1's predict_proba computes.
import Foundation
import MimicMetrics

/// A profanity model file that cannot be used: which file, which field, what is wrong, and what to do.
public struct ProfanityModelError: LocalizedError, Equatable {
    /// The model file.
    public let file: String
    /// The field, as a dotted path with indices (`classifier.calibrated_classifiers[2].coef`).
    public let field: String
    /// What is wrong with it.
    public let problem: String

    /// An error for this file and field.
    public init(file: String, field: String, problem: String) {
        self.file = file
        self.field = field
        self.problem = problem
    }

    public var errorDescription: String? {
        "\(file): field '\(field)': \(problem); remake the file with `bash scripts/fetch-assets.sh` "
            + "(it runs scripts/export_profanity_model.py)"
    }
}

/// The probability that a text is profane or offensive, from alt-profanity-check 1.9.1's model (MIT): word counts
/// from scikit-learn's default tokenizer (`(?u)\b\w\w+\b` on the Python-lowercased text, English stop words
/// dropped), TF-IDF with L2 norm, five LinearSVC decision functions, each through its sigmoid calibration, averaged.
/// Reproduces `model.predict_proba(vectorizer.transform(texts))[:, 1]` to about 1e-15.
public struct ProfanityScorer: Sendable {
    /// One calibrated LinearSVC: decision f = x·coef + intercept, probability 1 / (1 + exp(a f + b)).
    struct Member: Sendable {
        var coef: [Double]  // (V)
        var intercept: Double
        var a: Double
        var b: Double
    }

    enum Norm: String, Sendable { case l1, l2 }

    let lowercase: Bool
    let binary: Bool
    let sublinearTF: Bool
    let norm: Norm?
    let ngramRange: (min: Int, max: Int)
    let stopWords: Set<ExactString>
    let columns: [ExactString: Int]
    let idf: [Double]?  // (V)
    let members: [Member]

    /// Reads a model written by scripts/export_profanity_model.py (`.cache/models/profanity-check.json`).
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ProfanityModelError(file: url.path, field: "(file)", problem: "cannot be read (\(error.localizedDescription))")
        }
        let file: ProfanityModelFile
        do {
            file = try JSONDecoder().decode(ProfanityModelFile.self, from: data)
        } catch let error as DecodingError {
            throw Self.describe(error, file: url.path)
        }
        try self.init(file, path: url.path)
    }

    /// The probability (0...1) that `text` is offensive.
    public func probability(_ text: String) -> Double {
        let (cols, values) = features(text)
        var mean = 0.0
        for m in members {
            var f = 0.0
            for (j, x) in zip(cols, values) { f += x * m.coef[j] }
            f += m.intercept
            let y = -(m.a * f + m.b)  // _SigmoidCalibration.predict, then scipy's expit(y) = 1 / (1 + exp(-y))
            mean += 1.0 / (1.0 + Foundation.exp(-y))
        }
        return mean / Double(members.count)
    }

    /// `probability` of each text, in order.
    public func probabilities(_ texts: [String]) -> [Double] {
        texts.map(probability)
    }

    /// The TF-IDF row of a text: its nonzero columns in ascending order and their values (CSR order, as
    /// TfidfTransformer normalises and LinearSVC sums them).
    func features(_ text: String) -> (columns: [Int], values: [Double]) {
        var counts: [Int: Int] = [:]
        for term in terms(text) {
            if let j = columns[term] { counts[j, default: 0] += 1 }
        }
        let sorted = counts.sorted { $0.key < $1.key }
        let cols = sorted.map(\.key)
        var values = sorted.map { binary ? 1.0 : Double($0.value) }
        if sublinearTF { values = values.map { Foundation.log($0) + 1.0 } }
        if let idf { for i in values.indices { values[i] *= idf[cols[i]] } }
        if let norm {
            var total = 0.0
            for x in values { total += norm == .l2 ? x * x : abs(x) }
            if total != 0 {
                if norm == .l2 { total = total.squareRoot() }
                for i in values.indices { values[i] /= total }
            }
        }
        return (cols, values)
    }

    /// The analyzer's terms: Python-lowercased text, runs of two or more word characters, stop words dropped,
    /// then n-grams joined by a space (scikit-learn's `_word_ngrams`).
    func terms(_ text: String) -> [ExactString] {
        let scalars = lowercase ? PythonText.lower(text) : Array(text.unicodeScalars)
        var tokens: [String] = []
        var start = 0
        while start < scalars.count {
            guard PythonText.isWord(scalars[start]) else { start += 1; continue }
            var end = start + 1
            while end < scalars.count, PythonText.isWord(scalars[end]) { end += 1 }
            if end - start >= 2 {
                var token = String.UnicodeScalarView()
                token.append(contentsOf: scalars[start..<end])
                let term = String(token)
                if !stopWords.contains(ExactString(term)) { tokens.append(term) }
            }
            start = end
        }
        if ngramRange == (1, 1) { return tokens.map(ExactString.init) }
        var out: [ExactString] = ngramRange.min == 1 ? tokens.map(ExactString.init) : []
        let first = max(ngramRange.min, 2)
        if first <= ngramRange.max {
            for n in first...ngramRange.max where n <= tokens.count {
                for i in 0...(tokens.count - n) { out.append(ExactString(tokens[i..<(i + n)].joined(separator: " "))) }
            }
        }
        return out
    }
}

/// A vocabulary term compared by its exact scalars (Python's `==`), not up to canonical equivalence as `String` is.
struct ExactString: Hashable, Sendable {
    let text: String

    init(_ text: String) { self.text = text }

    static func == (lhs: ExactString, rhs: ExactString) -> Bool { lhs.text.utf8.elementsEqual(rhs.text.utf8) }

    func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

// MARK: - The JSON file

/// scripts/export_profanity_model.py's output, field for field.
struct ProfanityModelFile: Decodable {
    struct Vectorizer: Decodable {
        var `class`: String
        var lowercase: Bool
        var token_pattern: String
        var analyzer: String
        var ngram_range: [Int]
        var strip_accents: String?
        var stop_words: [String]?
        var binary: Bool
        var norm: String?
        var use_idf: Bool
        var sublinear_tf: Bool
        var vocabulary: [String]
        var idf: [Double]?
    }

    struct Calibrated: Decodable {
        struct Sigmoid: Decodable { var a: Double, b: Double }
        var estimator: String
        var coef: [Double]
        var intercept: Double
        var sigmoid: Sigmoid
    }

    struct Classifier: Decodable {
        var `class`: String
        var method: String
        var classes: [Int]
        var positive_class: Int
        var calibrated_classifiers: [Calibrated]
    }

    var format: String
    var vectorizer: Vectorizer
    var classifier: Classifier
}

extension ProfanityScorer {
    static let format = "mimic-profanity-check/1"
    /// scikit-learn's default token pattern; `\b\w\w+\b` means the same for Python 3 str patterns.
    static let tokenPatterns: Set<String> = [#"(?u)\b\w\w+\b"#, #"\b\w\w+\b"#]

    init(_ file: ProfanityModelFile, path: String) throws {
        func bad(_ field: String, _ problem: String) -> ProfanityModelError {
            ProfanityModelError(file: path, field: field, problem: problem)
        }
        guard file.format == Self.format else { throw bad("format", "is '\(file.format)', expected '\(Self.format)'") }
        let v = file.vectorizer, c = file.classifier
        guard v.class == "TfidfVectorizer" else { throw bad("vectorizer.class", "is '\(v.class)', expected 'TfidfVectorizer'") }
        guard v.analyzer == "word" else { throw bad("vectorizer.analyzer", "is '\(v.analyzer)'; only 'word' is supported") }
        guard Self.tokenPatterns.contains(v.token_pattern) else {
            throw bad("vectorizer.token_pattern", "is '\(v.token_pattern)'; only scikit-learn's default (?u)\\b\\w\\w+\\b is supported")
        }
        guard v.strip_accents == nil else { throw bad("vectorizer.strip_accents", "must be null") }
        guard v.ngram_range.count == 2, v.ngram_range[0] >= 1, v.ngram_range[0] <= v.ngram_range[1] else {
            throw bad("vectorizer.ngram_range", "must be [min, max] with 1 <= min <= max, got \(v.ngram_range)")
        }
        let norm = try v.norm.map { name in
            guard let norm = Norm(rawValue: name) else { throw bad("vectorizer.norm", "is '\(name)'; expected 'l1', 'l2' or null") }
            return norm
        }
        let count = v.vocabulary.count
        guard count > 0 else { throw bad("vectorizer.vocabulary", "is empty") }
        var columns: [ExactString: Int] = [:]
        columns.reserveCapacity(count)
        for (j, term) in v.vocabulary.enumerated() {
            if let i = columns.updateValue(j, forKey: ExactString(term)) {
                throw bad("vectorizer.vocabulary[\(j)]", "repeats the term '\(term)' of vocabulary[\(i)]")
            }
        }
        if v.use_idf {
            guard let idf = v.idf else { throw bad("vectorizer.idf", "is missing while use_idf is true") }
            try Self.checkVector(idf, count: count, field: "vectorizer.idf", bad)
        }
        guard c.class == "CalibratedClassifierCV", c.method == "sigmoid" else {
            throw bad("classifier.method", "is '\(c.class)' with '\(c.method)'; only CalibratedClassifierCV with sigmoid is supported")
        }
        guard c.classes == [0, 1], c.positive_class == 1 else { throw bad("classifier.classes", "must be [0, 1] with positive_class 1") }
        guard !c.calibrated_classifiers.isEmpty else { throw bad("classifier.calibrated_classifiers", "is empty") }
        var members: [Member] = []
        for (m, cc) in c.calibrated_classifiers.enumerated() {
            let field = "classifier.calibrated_classifiers[\(m)]"
            guard cc.estimator == "LinearSVC" else { throw bad(field + ".estimator", "is '\(cc.estimator)', expected 'LinearSVC'") }
            try Self.checkVector(cc.coef, count: count, field: field + ".coef", bad)
            guard cc.intercept.isFinite, cc.sigmoid.a.isFinite, cc.sigmoid.b.isFinite else {
                throw bad(field, "intercept and sigmoid a, b must be finite numbers")
            }
            members.append(Member(coef: cc.coef, intercept: cc.intercept, a: cc.sigmoid.a, b: cc.sigmoid.b))
        }
        self.lowercase = v.lowercase
        self.binary = v.binary
        self.sublinearTF = v.sublinear_tf
        self.norm = norm
        self.ngramRange = (v.ngram_range[0], v.ngram_range[1])
        self.stopWords = Set((v.stop_words ?? []).map(ExactString.init))
        self.columns = columns
        self.idf = v.use_idf ? v.idf : nil
        self.members = members
    }

    static func checkVector(_ values: [Double], count: Int, field: String,
                            _ bad: (String, String) -> ProfanityModelError) throws {
        guard values.count == count else {
            throw bad(field, "has \(values.count) numbers; the vocabulary has \(count) terms")
        }
        if let i = values.firstIndex(where: { !$0.isFinite }) { throw bad("\(field)[\(i)]", "is not a finite number") }
    }

    /// A decoding error as the field it concerns (`vectorizer.idf[12]`) and what was wrong there.
    static func describe(_ error: DecodingError, file: String) -> ProfanityModelError {
        func path(_ keys: [CodingKey]) -> String {
            var out = ""
            for key in keys {
                if let i = key.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
            }
            return out.isEmpty ? "(top level)" : out
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context.codingPath)
            return ProfanityModelError(file: file, field: parent == "(top level)" ? key.stringValue : parent + "." + key.stringValue,
                                       problem: "is missing")
        case .typeMismatch(let type, let context):
            return ProfanityModelError(file: file, field: path(context.codingPath), problem: "is not a \(type)")
        case .valueNotFound(let type, let context):
            return ProfanityModelError(file: file, field: path(context.codingPath), problem: "is null, expected a \(type)")
        case .dataCorrupted(let context):
            return ProfanityModelError(file: file, field: path(context.codingPath),
                                       problem: "is not valid JSON (\(context.debugDescription))")
        @unknown default:
            return ProfanityModelError(file: file, field: "(file)", problem: "\(error)")
        }
    }
}
