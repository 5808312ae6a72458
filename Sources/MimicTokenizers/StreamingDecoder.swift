// StreamingDecoder: turns ids into text one at a time, holding back the bytes of a character split across tokens.
import MimicCore

/// Decodes a stream of ids incrementally.
///
/// `append` returns the text that is complete so far: when a token ends partway through a UTF-8 character
/// (one emoji spread over several byte tokens), its bytes are held until the character is whole. Bytes that
/// can never become valid UTF-8 are emitted as U+FFFD straight away, as `decode` would. Characters here are
/// Unicode scalars: an emoji ZWJ sequence may arrive over several calls, each a whole scalar.
public struct StreamingDecoder: Sendable {
    private let tokenizer: any Tokenizer
    private let skipSpecial: Bool
    private var pending: [UInt8] = []

    /// A decoder over `tokenizer`; with `skipSpecial`, special tokens produce no text.
    public init(tokenizer: any Tokenizer, skipSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.skipSpecial = skipSpecial
    }

    /// Adds one id; returns the newly completed text (possibly empty).
    public mutating func append(_ id: Int) -> String {
        if skipSpecial && tokenizer.isSpecial(id) { return "" }
        pending.append(contentsOf: tokenizer.tokenBytes(id))
        let ready = Self.completePrefixLength(pending)
        guard ready > 0 else { return "" }
        let text = String(decoding: pending[..<ready], as: UTF8.self)
        pending.removeFirst(ready)
        return text
    }

    /// Returns whatever is held back (an incomplete character becomes U+FFFD) and empties the decoder.
    public mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Bytes held back, waiting for the rest of a character.
    public var pendingByteCount: Int { pending.count }

    /// Length of the prefix of `bytes` that can be decoded now: everything except a trailing sequence that is
    /// a valid but unfinished UTF-8 character.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let count = bytes.count
        // A character is at most 4 bytes: look for its lead byte among the last 3.
        var start = count - 1
        while start >= 0 && start >= count - 3 {
            let byte = bytes[start]
            if byte & 0xC0 != 0x80 {  // a lead byte or ASCII
                let need = sequenceLength(lead: byte)
                let have = count - start
                if need > have && isValidPrefix(bytes[start...]) { return start }
                return count
            }
            start -= 1
        }
        return count
    }

    /// Bytes in the UTF-8 sequence a lead byte starts (1 for ASCII and for bytes that cannot lead).
    private static func sequenceLength(lead: UInt8) -> Int {
        switch lead {
        case 0xC2...0xDF: return 2
        case 0xE0...0xEF: return 3
        case 0xF0...0xF4: return 4
        default: return 1
        }
    }

    /// Whether an unfinished sequence could still become a valid character (second-byte limits included).
    private static func isValidPrefix(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let lead = bytes.first else { return false }
        for (offset, byte) in bytes.dropFirst().enumerated() {
            var range: ClosedRange<UInt8> = 0x80...0xBF
            if offset == 0 {
                switch lead {
                case 0xE0: range = 0xA0...0xBF
                case 0xED: range = 0x80...0x9F
                case 0xF0: range = 0x90...0xBF
                case 0xF4: range = 0x80...0x8F
                default: break
                }
            }
            if !range.contains(byte) { return false }
        }
        return true
    }
}
