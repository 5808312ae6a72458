// The fast version of PorterStemmer (NLTK_EXTENSIONS mode): the same rules in the same order on one reused byte
// buffer, with no allocation per word; RougeTests hold it to the plain PorterStemmer.

/// NLTK's Porter stemmer on lower-case ASCII bytes in a reused buffer; the stem is left in `word`.
/// Gives exactly `PorterStemmer().stem` on lower-case words (used by `Rouge.scoreAll`'s stem memo).
struct FastPorterStemmer {
    /// The word being stemmed; after `stem(_:)`, its stem.
    private(set) var word: [UInt8] = []

    init() { word.reserveCapacity(64) }

    /// Stems lower-case ASCII `input` into `word`.
    mutating func stem(_ input: UnsafeBufferPointer<UInt8>) {
        word.removeAll(keepingCapacity: true)
        word.append(contentsOf: input)
        if irregular() || word.count <= 2 { return }
        step1a()
        step1b()
        step1c()
        step2()
        apply(Self.step3Rules)
        apply(Self.step4Rules)
        step5a()
        step5b()
    }

    // MARK: - Letters and measures (of the prefix word[0..<k])

    @inline(__always) static func isVowel(_ c: UInt8) -> Bool {
        c == 0x61 || c == 0x65 || c == 0x69 || c == 0x6F || c == 0x75  // a e i o u
    }

    /// NLTK's `_is_consonant(word, i)`: 'y' is a consonant after a vowel or at the start (run parity of y's).
    func isConsonant(_ i: Int) -> Bool {
        let c = word[i]
        if Self.isVowel(c) { return false }
        if c != 0x79 { return true }
        var j = i, negate = false
        while j > 0 && word[j] == 0x79 {
            negate.toggle()
            j -= 1
        }
        return !Self.isVowel(word[j]) != negate
    }

    /// m in [C](VC)^m[V] of word[0..<k].
    func measure(_ k: Int) -> Int {
        var m = 0, previous = false
        for i in 0..<k {
            let c = word[i]
            let consonant = Self.isVowel(c) ? false : (c == 0x79 ? (i == 0 ? true : !previous) : true)
            if i > 0 && !previous && consonant { m += 1 }
            previous = consonant
        }
        return m
    }

    func containsVowel(_ k: Int) -> Bool {
        var previous = false
        for i in 0..<k {
            let c = word[i]
            let consonant = Self.isVowel(c) ? false : (c == 0x79 ? (i == 0 ? true : !previous) : true)
            if !consonant { return true }
            previous = consonant
        }
        return false
    }

    func endsDoubleConsonant(_ k: Int) -> Bool { k >= 2 && word[k - 1] == word[k - 2] && isConsonant(k - 1) }

    func endsCVC(_ k: Int) -> Bool {
        if k >= 3 {
            let last = word[k - 1]
            if isConsonant(k - 3) && !isConsonant(k - 2) && isConsonant(k - 1) && last != 0x77 && last != 0x78
                && last != 0x79 { return true }
        }
        return k == 2 && !isConsonant(0) && isConsonant(1)
    }

    func ends(_ suffix: StaticString) -> Bool {
        let n = suffix.utf8CodeUnitCount, k = word.count
        guard k >= n else { return false }
        let s = suffix.utf8Start
        for j in 0..<n where word[k - n + j] != s[j] { return false }
        return true
    }

    mutating func replace(last count: Int, with replacement: StaticString) {
        word.removeLast(count)
        word.append(contentsOf: UnsafeBufferPointer(start: replacement.utf8Start, count: replacement.utf8CodeUnitCount))
    }

    // MARK: - Rules

    enum Condition { case always, positive, aboveOne, ionStem, logi }

    struct Rule {
        let suffix: StaticString
        let replacement: StaticString
        let condition: Condition
        init(_ suffix: StaticString, _ replacement: StaticString, _ condition: Condition = .positive) {
            self.suffix = suffix
            self.replacement = replacement
            self.condition = condition
        }
    }

    func holds(_ condition: Condition, stem k: Int) -> Bool {
        switch condition {
        case .always: return true
        case .positive: return measure(k) > 0
        case .aboveOne: return measure(k) > 1
        case .ionStem: return measure(k) > 1 && (word[k - 1] == 0x73 || word[k - 1] == 0x74)  // s, t
        case .logi: return measure(word.count - 3) > 0
        }
    }

    /// `_apply_rule_list`: the first rule whose suffix matches decides.
    mutating func apply(_ rules: [Rule]) {
        for rule in rules where ends(rule.suffix) {
            let n = rule.suffix.utf8CodeUnitCount
            if holds(rule.condition, stem: word.count - n) { replace(last: n, with: rule.replacement) }
            return
        }
    }

    static let irregularForms: [(StaticString, StaticString)] = [
        ("sky", "sky"), ("skies", "sky"), ("dying", "die"), ("lying", "lie"), ("tying", "tie"), ("news", "news"),
        ("innings", "inning"), ("inning", "inning"), ("outings", "outing"), ("outing", "outing"),
        ("cannings", "canning"), ("canning", "canning"), ("howe", "howe"), ("proceed", "proceed"),
        ("exceed", "exceed"), ("succeed", "succeed"),
    ]

    mutating func irregular() -> Bool {
        guard word.count >= 3 && word.count <= 8 else { return false }
        for (form, key) in Self.irregularForms where form.utf8CodeUnitCount == word.count && ends(form) {
            replace(last: word.count, with: key)
            return true
        }
        return false
    }

    static let step1aRules = [Rule("sses", "ss", .always), Rule("ies", "i", .always), Rule("ss", "ss", .always),
                              Rule("s", "", .always)]
    static let step2Rules = [
        Rule("ational", "ate"), Rule("tional", "tion"), Rule("enci", "ence"), Rule("anci", "ance"), Rule("izer", "ize"),
        Rule("bli", "ble"), Rule("alli", "al"), Rule("entli", "ent"), Rule("eli", "e"), Rule("ousli", "ous"),
        Rule("ization", "ize"), Rule("ation", "ate"), Rule("ator", "ate"), Rule("alism", "al"), Rule("iveness", "ive"),
        Rule("fulness", "ful"), Rule("ousness", "ous"), Rule("aliti", "al"), Rule("iviti", "ive"),
        Rule("biliti", "ble"), Rule("fulli", "ful"), Rule("logi", "log", .logi),
    ]
    static let step3Rules = [
        Rule("icate", "ic"), Rule("ative", ""), Rule("alize", "al"), Rule("iciti", "ic"), Rule("ical", "ic"),
        Rule("ful", ""), Rule("ness", ""),
    ]
    static let step4Rules = [
        Rule("al", "", .aboveOne), Rule("ance", "", .aboveOne), Rule("ence", "", .aboveOne), Rule("er", "", .aboveOne),
        Rule("ic", "", .aboveOne), Rule("able", "", .aboveOne), Rule("ible", "", .aboveOne), Rule("ant", "", .aboveOne),
        Rule("ement", "", .aboveOne), Rule("ment", "", .aboveOne), Rule("ent", "", .aboveOne),
        Rule("ion", "", .ionStem), Rule("ou", "", .aboveOne), Rule("ism", "", .aboveOne), Rule("ate", "", .aboveOne),
        Rule("iti", "", .aboveOne), Rule("ous", "", .aboveOne), Rule("ive", "", .aboveOne), Rule("ize", "", .aboveOne),
    ]

    // MARK: - Steps

    mutating func step1a() {
        if word.count == 4 && ends("ies") { return replace(last: 3, with: "ie") }
        apply(Self.step1aRules)
    }

    mutating func step1b() {
        if ends("ied") { return replace(last: 3, with: word.count == 4 ? "ie" : "i") }
        if ends("eed") {
            if measure(word.count - 3) > 0 { word.removeLast() }  // eed -> ee
            return
        }
        if ends("ed") && containsVowel(word.count - 2) {
            word.removeLast(2)
        } else if ends("ing") && containsVowel(word.count - 3) {
            word.removeLast(3)
        } else {
            return
        }
        if ends("at") || ends("bl") || ends("iz") { return word.append(0x65) }  // + e
        let k = word.count
        if endsDoubleConsonant(k) {
            let last = word[k - 1]
            if last != 0x6C && last != 0x73 && last != 0x7A { word.removeLast() }  // not l, s, z
            return
        }
        if measure(k) == 1 && endsCVC(k) { word.append(0x65) }
    }

    mutating func step1c() {
        let k = word.count - 1
        if ends("y") && k > 1 && isConsonant(k - 1) { word[k] = 0x69 }  // y -> i
    }

    mutating func step2() {
        while ends("alli") && measure(word.count - 4) > 0 { word.removeLast(2) }  // alli -> al, then step 2 again
        apply(Self.step2Rules)
    }

    mutating func step5a() {
        guard ends("e") else { return }
        let k = word.count - 1, m = measure(k)
        if m > 1 || (m == 1 && !endsCVC(k)) { word.removeLast() }
    }

    mutating func step5b() {
        if ends("ll") && measure(word.count - 1) > 1 { word.removeLast() }
    }
}
