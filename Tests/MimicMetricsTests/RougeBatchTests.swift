// The fast ROUGE path held to the plain one bit for bit: Rouge.scoreAll (1 and 2 threads) against Rouge.score on
// the golden pairs of scripts/reference/rouge_golden.py and on generated pairs, its tokens against Rouge.tokens,
// and FastPorterStemmer against PorterStemmer.
import Foundation
import MimicCore
@testable import MimicMetrics
import Testing

/// Seeded summary-like text: made-up stems with inflections, function words, the stemmer's irregular forms and
/// y/double-consonant cases, numbers, capitals, punctuation and non-ASCII letters (some lower-case to ASCII).
struct RougeTextGenerator {
    var rng: SplitMix64
    let stems: [String]
    static let suffixes = ["", "", "", "s", "es", "ed", "ing", "er", "ly", "ness", "ation", "ies", "ied", "ful", "ment",
                           "ize", "alli", "ational", "iveness", "logi", "ement", "ance", "eed", "ll", "y", "e", "ous"]
    static let function = "the a an of to in on for with is are was were be by and or but not it they we".split(separator: " ")
    static let extras = ["2024", "3.5", "42", "U.S.", "e-mail", "don't", "(see", "below)", "--", "café", "NEWS", "Model",
                         "skies", "dying", "innings", "succeed", "news", "Howe", "syzygy", "yyyy", "toy", "happy",
                         "hopping", "falling", "controll", "İstanbul", "\u{212A}elvin", "ΣΑΣ", "naïve", "straße", "😀ok",
                         "ﬁne", "ǅemal", "a1b2c3", "x", "ab", "abc", "abcd", "ies", "ied", "sses", "eeds", "ying"]

    init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
        let onsets = "b c d f g h j k l m n p r s t v w y z br cl dr st tr ch sh th".split(separator: " ")
        let vowels = "a e i o u y ai ea ou io".split(separator: " ")
        let codas = ["", "", "n", "r", "l", "s", "t", "nd", "st", "ll", "tt", "y"]
        var stems: [String] = []
        for _ in 0..<400 {
            var w = ""
            for _ in 0...rng.below(3) {
                w += onsets[rng.below(onsets.count)] + vowels[rng.below(vowels.count)] + codas[rng.below(codas.count)]
            }
            stems.append(w)
        }
        self.stems = stems
    }

    mutating func word() -> String {
        let r = rng.below(100)
        if r < 60 {
            var w = stems[rng.below(min(stems.count, 20 + rng.below(stems.count)))]
            w += Self.suffixes[rng.below(Self.suffixes.count)]
            return rng.below(10) == 0 ? w.capitalized : w
        }
        if r < 90 { return String(Self.function[rng.below(Self.function.count)]) }
        return Self.extras[rng.below(Self.extras.count)]
    }

    /// Mostly 0-40 words; one text in eight 55-200 (several 64-bit words of LCS state).
    mutating func text() -> String {
        let n = rng.below(8) == 0 ? 55 + rng.below(146) : rng.below(41)
        let separators = [" ", " ", " ", ", ", ". ", "  ", "\n", "-", "/"]
        return (0..<n).map { _ in word() + separators[rng.below(separators.count)] }.joined()
    }

    /// A prediction: a perturbed copy of `target` (words dropped, replaced or added, a span moved) or new text.
    mutating func prediction(of target: String) -> String {
        if rng.below(4) == 0 { return text() }
        var out: [String] = []
        for w in target.split(separator: " ", omittingEmptySubsequences: false) {
            let r = rng.below(100)
            if r < 15 { continue }
            out.append(r < 25 ? word() : String(w))
            if rng.below(20) == 0 { out.append(word()) }
        }
        if out.count > 4 && rng.below(2) == 0 {
            let i = rng.below(out.count), j = rng.below(out.count)
            let (a, b) = (min(i, j), max(i, j))
            out = Array(out[..<a] + out[b...] + out[a..<b])
        }
        return out.joined(separator: " ")
    }

    /// Exactly `count` tokens (made-up stems with suffixes: letters only, one token each).
    mutating func words(_ count: Int) -> String {
        (0..<count).map { _ in stems[rng.below(60)] + Self.suffixes[rng.below(Self.suffixes.count)] }.joined(separator: " ")
    }

    mutating func pairs(_ count: Int) -> (targets: [String], predictions: [String]) {
        var targets: [String] = [], predictions: [String] = []
        for _ in 0..<count {
            let t = text()
            targets.append(t)
            predictions.append(prediction(of: t))
        }
        return (targets, predictions)
    }
}

@Suite struct RougeBatchTests {
    /// The batch's scores equal the plain `Rouge.score` of each pair exactly, at 1 and 2 threads.
    func expectBatchEqualsPlain(_ targets: [String], _ predictions: [String], stem: Bool = true) {
        let plain = zip(targets, predictions).map { Rouge.score(target: $0, prediction: $1, stem: stem) }
        for threads in [1, 2] {
            let fast = Rouge.scoreAll(targets: targets, predictions: predictions, stem: stem, threads: threads)
            #expect(fast.count == plain.count)
            let differing = zip(fast, plain).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
            #expect(differing.isEmpty, "threads \(threads): \(differing.count) pairs differ, first \(differing.prefix(5)): \(differing.first.map { "\(targets[$0]) | \(predictions[$0])" } ?? "")")
        }
    }

    @Test func batchEqualsPlainOnGoldenPairs() throws {
        let pairs = try loadRougeGolden().filter { $0.kind == "pair" }
        #expect(pairs.count >= 600)
        expectBatchEqualsPlain(pairs.map { $0.target ?? "" }, pairs.map { $0.prediction ?? "" })
        expectBatchEqualsPlain(pairs.map { $0.target ?? "" }, pairs.map { $0.prediction ?? "" }, stem: false)
    }

    @Test func batchEqualsPlainOnGeneratedPairs() {
        var generator = RougeTextGenerator(seed: 20_261_204)
        var (targets, predictions) = generator.pairs(3000)
        #expect(targets.contains { $0.isEmpty } && targets.contains { $0.split(separator: " ").count > 128 })
        for n in [1, 2, 63, 64, 65, 127, 128, 129, 300] {  // the edges of the LCS vector's 64-bit words
            for _ in 0..<4 {
                let t = generator.words(n)
                targets += [t, generator.words(n + generator.rng.below(3) - 1)]
                predictions += [generator.prediction(of: t), t]
            }
        }
        expectBatchEqualsPlain(targets, predictions)
        let (t2, p2) = generator.pairs(500)
        expectBatchEqualsPlain(t2, p2, stem: false)
    }

    @Test func batchOfNoPairsIsEmpty() {
        #expect(Rouge.scoreAll(targets: [], predictions: []).isEmpty)
    }

    /// The fast tokenizer (bytes, stem memo, non-ASCII lower-casing) gives `Rouge.tokens` on every generated text.
    @Test func batchTokensEqualPlainTokens() {
        var generator = RougeTextGenerator(seed: 7)
        var stemmed = RougeBatchScorer(stem: true), plain = RougeBatchScorer(stem: false)
        var texts = (0..<1500).map { _ in generator.text() }
        texts += ["", "...", "İİ", "Kİk", "ǅǄǆ", "ΣΑΣ σας", "ﬀ ß", "x\u{0130}y", "a\u{212A}b 12\u{0130}3", "ÀÉÎ õü"]
        for text in texts {
            #expect(stemmed.tokens(text) == Rouge.tokens(text), "\(text)")
            #expect(plain.tokens(text) == Rouge.tokens(text, stem: false), "\(text)")
        }
    }

    @Test func fastStemmerEqualsPlainStemmer() throws {
        var words = try loadRougeGolden().filter { $0.kind == "stem" }.compactMap { $0.word?.lowercased() }
        var generator = RougeTextGenerator(seed: 11)
        for _ in 0..<4000 { words += Rouge.tokens(generator.word(), stem: false) }
        for stem in generator.stems { for suffix in RougeTextGenerator.suffixes { words.append(stem + suffix) } }
        var letters = SplitMix64(seed: 3)
        let alphabet = Array("aeiouyyybcdllsstz".utf8)
        for _ in 0..<3000 { words.append(String(decoding: (0...letters.below(9)).map { _ in alphabet[letters.below(alphabet.count)] }, as: UTF8.self)) }
        let plain = PorterStemmer()
        var fast = FastPorterStemmer()
        var failures: [String] = []
        for word in words {
            Array(word.utf8).withUnsafeBufferPointer { fast.stem($0) }
            let got = String(decoding: fast.word, as: UTF8.self), want = plain.stem(word)
            if got != want { failures.append("\(word): fast \(got), plain \(want)") }
        }
        #expect(words.count > 15000)
        #expect(failures.isEmpty, "\(failures.count) of \(words.count) differ: \(failures.prefix(10))")
    }
}
