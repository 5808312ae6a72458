// sacrebleu's default `13a` tokeniser (mteval-v13a as sacrebleu 2.4.3 writes it), scalar for scalar.

/// The `13a` tokeniser of sacrebleu 2.4.3 (`tokenizers/tokenizer_13a.py` + `tokenizer_re.py`), reproduced on
/// Unicode scalars (Python's code points):
///
/// 1. remove `<skipped>`, join `-\n` (remove it), turn every `\n` into a space;
/// 2. if the line has an `&`: `&quot;` → `"`, then `&amp;` → `&`, `&lt;` → `<`, `&gt;` → `>` (in that order);
/// 3. pad the line with one space on each side, then apply, each as Python's `re.sub` does (left to right,
///    non-overlapping): every ASCII symbol in `{|}~ [\]^_` space !"#$%& ()*+ :;<=>?@ /` → ` c `;
///    `([^0-9])([.,])` → `\1 \2 `; `([.,])([^0-9])` → ` \1 \2`; `([0-9])(-)` → `\1 \2 `;
/// 4. split on Python's `str.split()` whitespace.
///
/// `BLEU` right-strips the segment (Python's `rstrip()`) before this, as sacrebleu does.
public enum Tokenizer13a {
    /// The tokens of one segment (no right-strip; `BLEU.tokens` adds it).
    public static func tokenize(_ line: String) -> [String] {
        scalarTokens(line).map { token in String(String.UnicodeScalarView(token.compactMap(Unicode.Scalar.init))) }
    }

    /// The tokens as code-point arrays. Mimic compares tokens by code points, as Python does: Swift's `String`
    /// equality would identify canonically equivalent spellings (`é` and `e` + U+0301) that sacrebleu keeps apart.
    public static func scalarTokens(_ line: String) -> [[UInt32]] {
        var s = Array(line.unicodeScalars.map(\.value))
        s = replacing(s, "<skipped>", "")
        s = replacing(s, "-\n", "")
        s = replacing(s, "\n", " ")
        if s.contains(0x26) {
            s = replacing(s, "&quot;", "\"")
            s = replacing(s, "&amp;", "&")
            s = replacing(s, "&lt;", "<")
            s = replacing(s, "&gt;", ">")
        }
        var padded: [UInt32] = [0x20]
        padded.reserveCapacity(s.count * 2 + 2)
        for c in s {
            if isSymbol(c) {
                padded.append(0x20); padded.append(c); padded.append(0x20)
            } else {
                padded.append(c)
            }
        }
        padded.append(0x20)
        // ([^0-9])([\.,]) -> \1 \2 
        s = substitutePairs(padded, { !isDigit($0) }, isPeriodOrComma) { [$0, 0x20, $1, 0x20] }
        // ([\.,])([^0-9]) -> ' \1 \2'
        s = substitutePairs(s, isPeriodOrComma, { !isDigit($0) }) { [0x20, $0, 0x20, $1] }
        // ([0-9])(-) -> \1 \2 
        s = substitutePairs(s, isDigit, { $0 == 0x2D }) { [$0, 0x20, $1, 0x20] }
        return split(s)
    }

    /// Python's `str.rstrip()` (no argument): drops trailing `str.isspace()` characters.
    public static func rstrip(_ text: String) -> String {
        var scalars = Substring(text).unicodeScalars
        while let last = scalars.last, isPythonSpace(last.value) { scalars.removeLast() }
        return String(scalars)
    }

    /// Python's `str.isspace()` for one code point (Unicode White_Space-like set that `str.split()` uses).
    public static func isPythonSpace(_ c: UInt32) -> Bool {
        switch c {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `[\{-\~\[-\` -\&\(-\+\:-\@\/]`: the ASCII symbols padded with spaces (not `'`, `,`, `-`, `.`).
    static func isSymbol(_ c: UInt32) -> Bool {
        switch c {
        case 0x7B...0x7E, 0x5B...0x60, 0x20...0x26, 0x28...0x2B, 0x3A...0x40, 0x2F: return true
        default: return false
        }
    }

    static func isDigit(_ c: UInt32) -> Bool { c >= 0x30 && c <= 0x39 }
    static func isPeriodOrComma(_ c: UInt32) -> Bool { c == 0x2E || c == 0x2C }

    /// Python's `str.replace(pattern, with)`: leftmost, non-overlapping.
    static func replacing(_ s: [UInt32], _ pattern: String, _ replacement: String) -> [UInt32] {
        let p = pattern.unicodeScalars.map(\.value), r = replacement.unicodeScalars.map(\.value)
        guard s.count >= p.count, let first = p.first else { return s }
        var out: [UInt32] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if s[i] == first, i + p.count <= s.count, s[i..<(i + p.count)].elementsEqual(p) {
                out.append(contentsOf: r)
                i += p.count
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }

    /// `re.sub` of a two-character pattern `(A)(B)`: scans left to right, a match consumes both characters.
    static func substitutePairs(_ s: [UInt32], _ a: (UInt32) -> Bool, _ b: (UInt32) -> Bool,
                                _ replace: (UInt32, UInt32) -> [UInt32]) -> [UInt32] {
        var out: [UInt32] = []
        out.reserveCapacity(s.count + s.count / 2)
        var i = 0
        while i < s.count {
            if i + 1 < s.count, a(s[i]), b(s[i + 1]) {
                out.append(contentsOf: replace(s[i], s[i + 1]))
                i += 2
            } else {
                out.append(s[i])
                i += 1
            }
        }
        return out
    }

    /// Python's `str.split()`: runs of whitespace separate, no empty tokens.
    static func split(_ s: [UInt32]) -> [[UInt32]] {
        var tokens: [[UInt32]] = []
        var current: [UInt32] = []
        for c in s {
            if isPythonSpace(c) {
                if !current.isEmpty {
                    tokens.append(current)
                    current = []
                }
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }
}
