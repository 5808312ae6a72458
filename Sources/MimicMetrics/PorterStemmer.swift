// The Porter stemmer exactly as NLTK's PorterStemmer computes it in its default NLTK_EXTENSIONS mode (nltk/stem/
// porter.py): the irregular-forms pool, 'ies'/'ied' on four-letter words, 'alli', 'fulli', 'logi', two-letter cvc.

/// NLTK's Porter stemmer (mode NLTK_EXTENSIONS), the one rouge-score applies with `use_stemmer=True`.
/// Works on lower-case ASCII words; other characters are treated as consonants, as NLTK treats them.
public struct PorterStemmer: Sendable {
    /// A stemmer; it holds no state.
    public init() {}

    /// NLTK's irregular forms: these words map straight to their key.
    static let pool: [String: String] = {
        let forms: [String: [String]] = [
            "sky": ["sky", "skies"], "die": ["dying"], "lie": ["lying"], "tie": ["tying"], "news": ["news"],
            "inning": ["innings", "inning"], "outing": ["outings", "outing"], "canning": ["cannings", "canning"],
            "howe": ["howe"], "proceed": ["proceed"], "exceed": ["exceed"], "succeed": ["succeed"],
        ]
        var pool: [String: String] = [:]
        for (key, values) in forms { for value in values { pool[value] = key } }
        return pool
    }()

    /// The stem of `word` (lower-cased first, as NLTK does).
    public func stem(_ word: String) -> String {
        let lower = word.lowercased()
        if let irregular = Self.pool[lower] { return irregular }
        if lower.count <= 2 { return lower }
        var w = Array(lower.utf8)
        w = step1a(w)
        w = step1b(w)
        w = step1c(w)
        w = step2(w)
        w = step3(w)
        w = step4(w)
        w = step5a(w)
        w = step5b(w)
        return String(decoding: w, as: UTF8.self)
    }

    // MARK: - Letters and measures

    typealias Word = [UInt8]

    static func isVowel(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "a") || c == UInt8(ascii: "e") || c == UInt8(ascii: "i") || c == UInt8(ascii: "o")
            || c == UInt8(ascii: "u")
    }

    /// For each letter, whether it is a consonant ('y' is one at the start or after a vowel).
    static func consonantFlags(_ w: Word) -> [Bool] {
        var flags: [Bool] = []
        flags.reserveCapacity(w.count)
        for (i, c) in w.enumerated() {
            if isVowel(c) {
                flags.append(false)
            } else if c == UInt8(ascii: "y") {
                flags.append(i == 0 ? true : !flags[i - 1])
            } else {
                flags.append(true)
            }
        }
        return flags
    }

    static func isConsonant(_ w: Word, _ i: Int) -> Bool { consonantFlags(Array(w[...i]))[i] }

    /// m in [C](VC)^m[V]: the number of vowel-consonant transitions.
    static func measure(_ w: Word) -> Int {
        let flags = consonantFlags(w)
        var m = 0
        for i in flags.indices.dropFirst() where !flags[i - 1] && flags[i] { m += 1 }
        return m
    }

    static func containsVowel(_ w: Word) -> Bool { consonantFlags(w).contains(false) }

    static func endsDoubleConsonant(_ w: Word) -> Bool {
        w.count >= 2 && w[w.count - 1] == w[w.count - 2] && isConsonant(w, w.count - 1)
    }

    /// Ends consonant-vowel-consonant with the last not w, x or y; or (NLTK) is a two-letter vowel-consonant word.
    static func endsCVC(_ w: Word) -> Bool {
        let n = w.count
        if n >= 3 {
            let f = consonantFlags(w)
            let last = w[n - 1]
            if f[n - 3] && !f[n - 2] && f[n - 1] && last != UInt8(ascii: "w") && last != UInt8(ascii: "x")
                && last != UInt8(ascii: "y") { return true }
        }
        if n == 2 {
            let f = consonantFlags(w)
            return !f[0] && f[1]
        }
        return false
    }

    static func ends(_ w: Word, _ suffix: String) -> Bool {
        let s = Array(suffix.utf8)
        return w.count >= s.count && Array(w[(w.count - s.count)...]) == s
    }

    static func dropping(_ w: Word, _ count: Int) -> Word { Array(w[..<max(0, w.count - count)]) }

    /// One rule: a suffix, its replacement and the condition on the remaining stem.
    struct Rule {
        let suffix: String
        let replacement: String
        let condition: ((Word) -> Bool)?

        init(_ suffix: String, _ replacement: String, _ condition: ((Word) -> Bool)? = nil) {
            self.suffix = suffix
            self.replacement = replacement
            self.condition = condition
        }
    }

    /// NLTK's `_apply_rule_list`: the first rule whose suffix matches decides (applied if its condition holds,
    /// else the word is kept). The suffix "*d" matches a double consonant.
    static func apply(_ w: Word, _ rules: [Rule]) -> Word {
        for rule in rules {
            if rule.suffix == "*d" {
                guard endsDoubleConsonant(w) else { continue }
                let stem = dropping(w, 2)
                return (rule.condition?(stem) ?? true) ? stem + Array(rule.replacement.utf8) : w
            }
            if ends(w, rule.suffix) {
                let stem = dropping(w, rule.suffix.utf8.count)
                return (rule.condition?(stem) ?? true) ? stem + Array(rule.replacement.utf8) : w
            }
        }
        return w
    }

    static func positive(_ w: Word) -> Bool { measure(w) > 0 }
    static func aboveOne(_ w: Word) -> Bool { measure(w) > 1 }

    // MARK: - Steps

    func step1a(_ w: Word) -> Word {
        if Self.ends(w, "ies") && w.count == 4 { return Self.dropping(w, 3) + Array("ie".utf8) }
        return Self.apply(w, [Rule("sses", "ss"), Rule("ies", "i"), Rule("ss", "ss"), Rule("s", "")])
    }

    func step1b(_ w: Word) -> Word {
        if Self.ends(w, "ied") { return Self.dropping(w, 3) + Array((w.count == 4 ? "ie" : "i").utf8) }
        if Self.ends(w, "eed") {
            let stem = Self.dropping(w, 3)
            return Self.measure(stem) > 0 ? stem + Array("ee".utf8) : w
        }
        var intermediate: Word?
        for suffix in ["ed", "ing"] where Self.ends(w, suffix) {
            let stem = Self.dropping(w, suffix.utf8.count)
            if Self.containsVowel(stem) {
                intermediate = stem
                break
            }
        }
        guard let stem = intermediate else { return w }
        let last = stem.last ?? 0
        return Self.apply(stem, [
            Rule("at", "ate"), Rule("bl", "ble"), Rule("iz", "ize"),
            Rule("*d", String(decoding: [last], as: UTF8.self), { _ in
                last != UInt8(ascii: "l") && last != UInt8(ascii: "s") && last != UInt8(ascii: "z")
            }),
            Rule("", "e", { Self.measure($0) == 1 && Self.endsCVC($0) }),
        ])
    }

    func step1c(_ w: Word) -> Word {
        Self.apply(w, [Rule("y", "i", { $0.count > 1 && Self.isConsonant($0, $0.count - 1) })])
    }

    func step2(_ w: Word) -> Word {
        if Self.ends(w, "alli") && Self.positive(Self.dropping(w, 4)) {
            return step2(Self.dropping(w, 4) + Array("al".utf8))
        }
        let p = Self.positive
        return Self.apply(w, [
            Rule("ational", "ate", p), Rule("tional", "tion", p), Rule("enci", "ence", p), Rule("anci", "ance", p),
            Rule("izer", "ize", p), Rule("bli", "ble", p), Rule("alli", "al", p), Rule("entli", "ent", p),
            Rule("eli", "e", p), Rule("ousli", "ous", p), Rule("ization", "ize", p), Rule("ation", "ate", p),
            Rule("ator", "ate", p), Rule("alism", "al", p), Rule("iveness", "ive", p), Rule("fulness", "ful", p),
            Rule("ousness", "ous", p), Rule("aliti", "al", p), Rule("iviti", "ive", p), Rule("biliti", "ble", p),
            Rule("fulli", "ful", p), Rule("logi", "log", { _ in Self.positive(Self.dropping(w, 3)) }),
        ])
    }

    func step3(_ w: Word) -> Word {
        let p = Self.positive
        return Self.apply(w, [
            Rule("icate", "ic", p), Rule("ative", "", p), Rule("alize", "al", p), Rule("iciti", "ic", p),
            Rule("ical", "ic", p), Rule("ful", "", p), Rule("ness", "", p),
        ])
    }

    func step4(_ w: Word) -> Word {
        let g = Self.aboveOne
        return Self.apply(w, [
            Rule("al", "", g), Rule("ance", "", g), Rule("ence", "", g), Rule("er", "", g), Rule("ic", "", g),
            Rule("able", "", g), Rule("ible", "", g), Rule("ant", "", g), Rule("ement", "", g),
            Rule("ment", "", g), Rule("ent", "", g),
            Rule("ion", "", { Self.measure($0) > 1 && ($0.last == UInt8(ascii: "s") || $0.last == UInt8(ascii: "t")) }),
            Rule("ou", "", g), Rule("ism", "", g), Rule("ate", "", g), Rule("iti", "", g), Rule("ous", "", g),
            Rule("ive", "", g), Rule("ize", "", g),
        ])
    }

    func step5a(_ w: Word) -> Word {
        guard Self.ends(w, "e") else { return w }
        let stem = Self.dropping(w, 1)
        let m = Self.measure(stem)
        if m > 1 || (m == 1 && !Self.endsCVC(stem)) { return stem }
        return w
    }

    func step5b(_ w: Word) -> Word {
        Self.apply(w, [Rule("ll", "l", { _ in Self.measure(Self.dropping(w, 1)) > 1 })])
    }
}
