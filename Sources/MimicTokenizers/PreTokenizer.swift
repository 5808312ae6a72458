// Pre-tokenizers: hand-written scanners that split text into words exactly as the GPT-2, Llama-3 and SmolLM2 regexes do.
import MimicCore

/// How text is cut into words before BPE merges run inside each word.
///
/// The scanners follow the regexes below alternative by alternative (as llama.cpp's `unicode.cpp` does), with
/// `\p{L}` / `\p{N}` taken from the Unicode general category and `\s` from the White_Space property.
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
    case gpt2
    /// Llama 3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`.
    case llama3
    /// SmolLM2 (llama.cpp `smollm`, HF `Digits(individual_digits)` then ByteLevel): every `\p{N}` character
    /// alone, then GPT-2 inside the rest.
    case smollm
    /// llama.cpp's `default`: runs of `[\p{P}$+<=>^~|]`, then GPT-2, then runs of `\p{N}`, then `[0-9]{3}`.
    case llamaCppDefault = "default"

    /// The pre-tokenizer a GGUF names in `tokenizer.ggml.pre` (llama.cpp's names).
    ///
    /// Throws `TokenizerError.unknownPreTokenizer` for names Mimic does not implement.
    public init(llamaCppName name: String) throws {
        switch name.lowercased() {
        case "gpt2", "gpt-2", "phi-2", "mpt", "olmo", "jais", "jina-es", "jina-de", "jina-v2-es", "jina-v2-de",
            "gigachat":
            self = .gpt2
        case "llama-bpe", "llama3", "llama-v3", "falcon3", "dbrx", "smaug-bpe":
            self = .llama3
        case "smollm", "starcoder", "refact", "codeshell", "command-r":
            self = .smollm
        case "default", "":
            self = .llamaCppDefault
        default:
            throw TokenizerError.unknownPreTokenizer(name: name)
        }
    }

    /// Whether llama.cpp looks a whole word up in the vocabulary before merging (`ignore_merges`) for a GGUF name.
    static func llamaCppIgnoresMerges(_ name: String) -> Bool {
        ["llama-bpe", "llama3", "llama-v3", "falcon3"].contains(name.lowercased())
    }

    var steps: [PreTokenizerStep] {
        switch self {
        case .gpt2: return [.gpt2]
        case .llama3: return [.llama3(foldLongS: false)]
        case .smollm: return [.isolateNumbers(individually: true), .gpt2]
        case .llamaCppDefault:
            return [.isolatePunctuationRuns, .gpt2, .isolateNumbers(individually: false), .isolateASCIIDigitTriples]
        }
    }
}

/// One splitting pass; a pipeline runs passes in order, each inside the pieces the previous one made.
enum PreTokenizerStep: Equatable, Sendable {
    case gpt2
    /// The Llama-3 regex. `foldLongS`: the contraction group matches `'ſ` (U+017F) like `'s`, as Oniguruma's
    /// `(?i:…)` does in HF tokenizers; llama.cpp (ASCII case only) and the `'[sS]` spelling of the regex do not.
    case llama3(foldLongS: Bool)
    /// `\p{N}` characters cut out: each alone (`individually`) or as maximal runs.
    case isolateNumbers(individually: Bool)
    /// Maximal runs of `[\p{P}$+<=>^~|]` cut out.
    case isolatePunctuationRuns
    /// `[0-9][0-9][0-9]` cut out, left to right.
    case isolateASCIIDigitTriples

    /// The exact regexes a tokenizer.json `Split` may carry that these scanners implement.
    static func fromRegex(_ pattern: String) -> PreTokenizerStep? {
        switch pattern {
        case #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#: return .gpt2
        case #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#:
            return .llama3(foldLongS: true)
        case #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#:
            return .llama3(foldLongS: false)
        case #"\p{N}"#: return .isolateNumbers(individually: true)
        case #"\p{N}+"#: return .isolateNumbers(individually: false)
        case punctuationRunsRegex: return .isolatePunctuationRuns
        case asciiDigitTriplesRegex: return .isolateASCIIDigitTriples
        default: return nil
        }
    }

    /// llama.cpp's `default` punctuation-run regex, as a tokenizer.json `Split` writes it.
    static let punctuationRunsRegex = #"[\p{P}\$\+<=>\^~\|]+"#
    /// llama.cpp's `default` digit-triple regex.
    static let asciiDigitTriplesRegex = "[0-9][0-9][0-9]"

    /// The regex of a tokenizer.json `Split` (behavior Isolated) that cuts text as this step does; the
    /// contraction-case spelling of the Llama-3 regex follows `foldLongS` as `fromRegex` reads it.
    var splitRegex: String {
        switch self {
        case .gpt2: #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        case .llama3(foldLongS: true):
            #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .llama3(foldLongS: false):
            #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .isolateNumbers(let individually): individually ? #"\p{N}"# : #"\p{N}+"#
        case .isolatePunctuationRuns: Self.punctuationRunsRegex
        case .isolateASCIIDigitTriples: Self.asciiDigitTriplesRegex
        }
    }

    /// Appends the pieces of `range` (indices into `scalars` / `classes`) to `out`.
    func split(_ scalars: [Unicode.Scalar], _ classes: [UInt8], _ range: Range<Int>, into out: inout [Range<Int>]) {
        let scanner = Scanner(scalars: scalars, classes: classes, end: range.upperBound)
        switch self {
        case .gpt2: scanner.gpt2(from: range.lowerBound, into: &out)
        case .llama3(let foldLongS): scanner.llama3(from: range.lowerBound, foldLongS: foldLongS, into: &out)
        case .isolateNumbers(let individually):
            scanner.isolate(from: range.lowerBound, into: &out, single: individually) {
                $1 & CharClass.number != 0
            }
        case .isolatePunctuationRuns:
            scanner.isolate(from: range.lowerBound, into: &out, single: false) { scalar, bits in
                bits & CharClass.punctuation != 0 || "$+<=>^~|".unicodeScalars.contains(scalar)
            }
        case .isolateASCIIDigitTriples:
            scanner.asciiDigitTriples(from: range.lowerBound, into: &out)
        }
    }
}

/// Walks one piece of text; positions past `end` read as class 0 ("out of range").
private struct Scanner {
    let scalars: [Unicode.Scalar]
    let classes: [UInt8]
    let end: Int

    @inline(__always) func bits(_ i: Int) -> UInt8 { i < end ? classes[i] : 0 }
    @inline(__always) func value(_ i: Int) -> UInt32 { i < end ? scalars[i].value : UInt32.max }
    @inline(__always) func isNewline(_ i: Int) -> Bool { let v = value(i); return v == 0x0A || v == 0x0D }

    /// Length of an English contraction starting at `pos` (`'s`, `'re`, …), or 0. `anyCase` for Llama 3's
    /// case-insensitive group (ASCII case; `foldLongS` also reads `ſ` as `s`).
    func contraction(at pos: Int, anyCase: Bool, foldLongS: Bool = false) -> Int {
        guard value(pos) == 0x27, pos + 1 < end else { return 0 }
        func lower(_ v: UInt32) -> UInt32 {
            if anyCase && (0x41...0x5A).contains(v) { return v + 0x20 }
            return foldLongS && v == 0x17F ? 0x73 : v
        }
        let a = lower(value(pos + 1))
        if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 { return 2 }  // s t m d
        guard pos + 2 < end else { return 0 }
        let b = lower(value(pos + 2))
        if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) { return 3 }  // re ve ll
        return 0
    }

    /// First index at or after `i` whose class fails `test`.
    @inline(__always) func skip(from i: Int, while test: (UInt8) -> Bool) -> Int {
        var j = i
        while j < end && test(classes[j]) { j += 1 }
        return j
    }

    /// `\s+(?!\S)|\s+` at `pos` (a whitespace character): the end of the match.
    func whitespaceRun(from pos: Int) -> Int {
        let runEnd = skip(from: pos) { $0 & CharClass.space != 0 }
        // A run followed by a non-space leaves its last character to start the next word.
        if runEnd - pos > 1 && runEnd < end { return runEnd - 1 }
        return max(runEnd, pos + 1)
    }

    func gpt2(from start: Int, into out: inout [Range<Int>]) {
        var pos = start
        while pos < end {
            var next = pos + contraction(at: pos, anyCase: false)
            if next == pos {
                let lead = value(pos) == 0x20 ? pos + 1 : pos  // the optional leading space
                let b = bits(lead)
                if b & CharClass.letter != 0 {
                    next = skip(from: lead) { $0 & CharClass.letter != 0 }
                } else if b & CharClass.number != 0 {
                    next = skip(from: lead) { $0 & CharClass.number != 0 }
                } else if CharClass.isOther(b) {
                    next = skip(from: lead) { CharClass.isOther($0) }
                } else {
                    next = whitespaceRun(from: pos)
                }
            }
            out.append(pos..<next)
            pos = next
        }
    }

    func llama3(from start: Int, foldLongS: Bool, into out: inout [Range<Int>]) {
        var pos = start
        while pos < end {
            let next = llama3Match(at: pos, foldLongS: foldLongS)
            out.append(pos..<next)
            pos = next
        }
    }

    private func llama3Match(at pos: Int, foldLongS: Bool) -> Int {
        let length = contraction(at: pos, anyCase: true, foldLongS: foldLongS)
        if length > 0 { return pos + length }
        let b = bits(pos)
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if !isNewline(pos) && b & CharClass.number == 0
            && (b & CharClass.letter != 0 || bits(pos + 1) & CharClass.letter != 0) {
            return skip(from: pos + 1) { $0 & CharClass.letter != 0 }
        }
        // \p{N}{1,3}
        if b & CharClass.number != 0 {
            return min(skip(from: pos) { $0 & CharClass.number != 0 }, pos + 3)
        }
        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        let lead = value(pos) == 0x20 ? pos + 1 : pos
        if CharClass.isOther(bits(lead)) {
            var j = skip(from: lead) { CharClass.isOther($0) }
            while isNewline(j) { j += 1 }
            return j
        }
        // \s*[\r\n]+ : the whitespace run up to its last newline
        let runEnd = skip(from: pos) { $0 & CharClass.space != 0 }
        var lastNewline = -1
        for i in pos..<runEnd where isNewline(i) { lastNewline = i + 1 }
        if lastNewline > 0 { return lastNewline }
        return whitespaceRun(from: pos)
    }

    /// Cuts out characters passing `test`: each alone when `single`, else maximal runs; the rest stays in runs.
    func isolate(
        from start: Int, into out: inout [Range<Int>], single: Bool, _ test: (Unicode.Scalar, UInt8) -> Bool
    ) {
        var pos = start
        while pos < end {
            let hit = test(scalars[pos], classes[pos])
            var next = pos + 1
            if !(hit && single) {
                while next < end && test(scalars[next], classes[next]) == hit { next += 1 }
            }
            out.append(pos..<next)
            pos = next
        }
    }

    func asciiDigitTriples(from start: Int, into out: inout [Range<Int>]) {
        func isDigit(_ i: Int) -> Bool { (0x30...0x39).contains(value(i)) }
        var pos = start
        var gapStart = start
        while pos < end {
            if isDigit(pos) && isDigit(pos + 1) && isDigit(pos + 2) {
                if gapStart < pos { out.append(gapStart..<pos) }
                out.append(pos..<(pos + 3))
                pos += 3
                gapStart = pos
            } else {
                pos += 1
            }
        }
        if gapStart < end { out.append(gapStart..<end) }
    }
}

/// A pre-tokenizer as a sequence of passes plus the ByteLevel `add_prefix_space` option.
struct PreTokenizerPipeline: Sendable {
    var steps: [PreTokenizerStep]
    /// Prepend a space to text that does not start with one (HF ByteLevel `add_prefix_space`).
    var addPrefixSpace = false

    /// Word ranges of `scalars`, in order, covering all of it.
    func split(_ scalars: [Unicode.Scalar], classes: [UInt8]) -> [Range<Int>] {
        var pieces: [Range<Int>] = scalars.isEmpty ? [] : [0..<scalars.count]
        for step in steps {
            var next: [Range<Int>] = []
            next.reserveCapacity(pieces.count * 2)
            for piece in pieces { step.split(scalars, classes, piece, into: &next) }
            pieces = next
        }
        return pieces
    }
}
