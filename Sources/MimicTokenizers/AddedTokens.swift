// Added and special tokens: found in the text before pre-tokenization, leftmost match first, longest on ties.
import MimicCore

/// A token matched as literal text before BPE runs (`<|im_start|>`, or a user-defined word).
public struct AddedToken: Sendable, Equatable {
    /// Its text.
    public var content: String
    /// Its id.
    public var id: Int
    /// Special (control) tokens are matched only when `parseSpecial` is on and skipped by `skipSpecial`;
    /// other added tokens are always matched and always decoded.
    public var special: Bool
    /// Whitespace before the match is swallowed by it.
    public var lstrip = false
    /// Whitespace after the match is swallowed by it.
    public var rstrip = false
    /// Only matched where it is not glued to a letter or digit on either side.
    public var singleWord = false

    /// Creates an added token.
    public init(
        content: String, id: Int, special: Bool, lstrip: Bool = false, rstrip: Bool = false, singleWord: Bool = false
    ) {
        self.content = content
        self.id = id
        self.special = special
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.singleWord = singleWord
    }
}

/// One stretch of the input: plain text to pre-tokenize, or an added token already resolved.
enum Fragment: Equatable {
    case text(Range<Int>)
    case token(Int)
}

/// Finds added tokens in text; at each position the longest token that starts there wins.
struct AddedTokenMatcher: Sendable {
    private let tokens: [AddedToken]
    private let scalars: [[Unicode.Scalar]]
    /// First scalar → indices into `tokens`, longest first.
    private let byFirst: [Unicode.Scalar: [Int]]

    init(_ tokens: [AddedToken]) {
        let kept = tokens.filter { !$0.content.isEmpty }
        self.tokens = kept
        self.scalars = kept.map { Array($0.content.unicodeScalars) }
        var byFirst: [Unicode.Scalar: [Int]] = [:]
        for (index, token) in scalars.enumerated() { byFirst[token[0], default: []].append(index) }
        let lengths = scalars.map(\.count)
        self.byFirst = byFirst.mapValues { $0.sorted { lengths[$0] > lengths[$1] || (lengths[$0] == lengths[$1] && $0 < $1) } }
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// Splits `text` into text fragments and added tokens. With `parseSpecial` off, special tokens stay text.
    func split(_ text: [Unicode.Scalar], parseSpecial: Bool) -> [Fragment] {
        guard !tokens.isEmpty else { return text.isEmpty ? [] : [.text(0..<text.count)] }
        var fragments: [Fragment] = []
        var gapStart = 0
        var pos = 0
        while pos < text.count {
            guard let (index, matchEnd) = match(text, at: pos, parseSpecial: parseSpecial) else {
                pos += 1
                continue
            }
            let token = tokens[index]
            var start = pos
            if token.lstrip {
                while start > gapStart && text[start - 1].properties.isWhitespace { start -= 1 }
            }
            var end = matchEnd
            if token.rstrip {
                while end < text.count && text[end].properties.isWhitespace { end += 1 }
            }
            if gapStart < start { fragments.append(.text(gapStart..<start)) }
            fragments.append(.token(token.id))
            gapStart = end
            pos = end
        }
        if gapStart < text.count { fragments.append(.text(gapStart..<text.count)) }
        return fragments
    }

    /// The longest eligible token starting at `pos`, with the end of its match.
    private func match(_ text: [Unicode.Scalar], at pos: Int, parseSpecial: Bool) -> (Int, Int)? {
        guard let candidates = byFirst[text[pos]] else { return nil }
        for index in candidates where parseSpecial || !tokens[index].special {
            let pattern = scalars[index]
            let end = pos + pattern.count
            guard end <= text.count else { continue }
            var equal = true
            for k in 1..<pattern.count where text[pos + k] != pattern[k] {
                equal = false
                break
            }
            guard equal else { continue }
            if tokens[index].singleWord && !(isWordBoundary(text, pos - 1) && isWordBoundary(text, end)) { continue }
            return (index, end)
        }
        return nil
    }

    private func isWordBoundary(_ text: [Unicode.Scalar], _ index: Int) -> Bool {
        guard index >= 0 && index < text.count else { return true }
        return CharClass.of(text[index]) & (CharClass.letter | CharClass.number) == 0
    }
}
