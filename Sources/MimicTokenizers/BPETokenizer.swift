// BPETokenizer: byte-level BPE (GPT-2, Llama 3, SmolLM2 vocabularies) with added tokens, encode and decode.
import Foundation
import MimicCore

/// Byte-level BPE as Hugging Face `tokenizers`, llama.cpp and tiktoken run it.
///
/// Encoding: added/special tokens are cut out of the text first (leftmost match, longest at a position);
/// each stretch of plain text is optionally NFC-normalized, split into words by the pre-tokenizer, and each
/// word's UTF-8 bytes are merged by rank (lowest first, leftmost on ties). Decoding concatenates token bytes
/// and replaces invalid UTF-8 the way Python's `errors="replace"` does. Instances are immutable and `Sendable`.
///
/// Load one with `init(tokenizerJSON:config:)`, `init(tokens:merges:tokenTypes:preTokenizer:bosID:eosID:addBOS:)`
/// (GGUF keys) or `init(tiktokenRanks:specialTokens:pattern:)`.
public final class BPETokenizer: Tokenizer, Sendable {
    /// Everything a tokenizer is made of; the loaders fill one in.
    struct Parts {
        var tokenBytes: [[UInt8]]
        var tokenStrings: [String]
        var vocab: [String: Int]
        var added: [AddedToken]
        var merges: MergeTable
        var pipeline: PreTokenizerPipeline
        var ignoreMerges = false
        var nfc = false
        var bos: Int?
        var eos: Int?
        var addsBOS = false
        var chatTemplate: String?
    }

    /// Number of ids: one more than the largest id of the vocabulary and the added tokens.
    public let vocabularySize: Int
    /// Beginning-of-sequence id (config `bos_token`, GGUF `bos_token_id`, or a post-processor's first token).
    public let bosTokenID: Int?
    /// End-of-sequence id (config `eos_token`, GGUF `eos_token_id`, or `<|endoftext|>` / `</s>` / `<|end_of_text|>`).
    public let eosTokenID: Int?
    /// Whether `encode(_:)` prepends BOS.
    public let addsBOS: Bool
    /// The Jinja chat template that came with the tokenizer (tokenizer_config.json), if any.
    public let chatTemplate: String?
    /// Added and special tokens, in id order.
    public let addedTokens: [AddedToken]

    private let tokenBytesByID: [[UInt8]]
    private let tokenStrings: [String]
    let vocab: [String: Int]
    private let addedByContent: [String: Int]
    private let specialFlags: [Bool]
    let merges: MergeTable
    private let byteIDs: [Int32]
    let pipeline: PreTokenizerPipeline
    private let matcher: AddedTokenMatcher
    let ignoreMerges: Bool
    let nfc: Bool

    init(parts: Parts) {
        vocabularySize = parts.tokenBytes.count
        bosTokenID = parts.bos
        eosTokenID = parts.eos
        addsBOS = parts.addsBOS && parts.bos != nil
        chatTemplate = parts.chatTemplate
        addedTokens = parts.added.sorted { $0.id < $1.id }
        tokenBytesByID = parts.tokenBytes
        tokenStrings = parts.tokenStrings
        vocab = parts.vocab
        var addedByContent: [String: Int] = [:]
        var specialFlags = [Bool](repeating: false, count: parts.tokenBytes.count)
        for token in parts.added {
            addedByContent[token.content] = token.id
            if token.special && token.id < specialFlags.count { specialFlags[token.id] = true }
        }
        self.addedByContent = addedByContent
        self.specialFlags = specialFlags
        merges = parts.merges
        byteIDs = (0..<256).map { byte in
            parts.vocab[ByteLevel.encode([UInt8(byte)])].map { Int32($0) } ?? -1
        }
        pipeline = parts.pipeline
        matcher = AddedTokenMatcher(parts.added)
        ignoreMerges = parts.ignoreMerges
        nfc = parts.nfc
    }

    // MARK: Tokenizer

    /// Encodes text: added tokens first (special ones only with `parseSpecial`), then pre-tokenizer and merges.
    public func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(text.utf8.count / 3 + 2)
        if addBOS, let bos = bosTokenID { out.append(bos) }
        let scalars = Array(text.unicodeScalars)
        for fragment in matcher.split(scalars, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id): out.append(id)
            case .text(let range): encodePlain(scalars[range], into: &out)
            }
        }
        return out
    }

    /// Decodes ids; unknown ids are skipped and invalid UTF-8 becomes U+FFFD (one per maximal invalid subpart).
    public func decode(_ ids: [Int], skipSpecial: Bool) -> String {
        var bytes: [UInt8] = []
        for id in ids where id >= 0 && id < tokenBytesByID.count {
            if skipSpecial && specialFlags[id] { continue }
            bytes.append(contentsOf: tokenBytesByID[id])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The bytes of a token (added tokens: their UTF-8 text); empty for an unknown id.
    public func tokenBytes(_ id: Int) -> [UInt8] {
        id >= 0 && id < tokenBytesByID.count ? tokenBytesByID[id] : []
    }

    /// The id of an added token's text or of a vocabulary entry in byte-level spelling (`"Ġthe"`).
    public func tokenID(_ token: String) -> Int? { addedByContent[token] ?? vocab[token] }

    /// Whether the id is a special added token (HF `special: true`, GGUF control or unknown type).
    public func isSpecial(_ id: Int) -> Bool { id >= 0 && id < specialFlags.count && specialFlags[id] }

    /// The token as the vocabulary writes it (`"Ġthe"`, `"<|im_end|>"`), or nil for an unused id.
    public func token(_ id: Int) -> String? {
        guard id >= 0 && id < tokenStrings.count, !tokenStrings[id].isEmpty else { return nil }
        return tokenStrings[id]
    }

    /// The words the pre-tokenizer cuts plain text into (no added-token matching, no merges); for inspection.
    public func preTokenize(_ text: String) -> [String] {
        let scalars = prepared(ArraySlice(text.unicodeScalars))
        return pipeline.split(scalars, classes: scalars.map(CharClass.of)).map {
            String(String.UnicodeScalarView(scalars[$0]))
        }
    }

    // MARK: Encoding internals

    private func prepared(_ slice: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var scalars = Array(slice)
        if nfc {
            let text = String(String.UnicodeScalarView(scalars)).precomposedStringWithCanonicalMapping
            scalars = Array(text.unicodeScalars)
        }
        if pipeline.addPrefixSpace && scalars.first != " " { scalars.insert(" ", at: 0) }
        return scalars
    }

    private func encodePlain(_ slice: ArraySlice<Unicode.Scalar>, into out: inout [Int]) {
        let scalars = prepared(slice)
        let classes = scalars.map(CharClass.of)
        var bytes: [UInt8] = []
        for piece in pipeline.split(scalars, classes: classes) {
            bytes.removeAll(keepingCapacity: true)
            for scalar in scalars[piece] { appendUTF8(scalar, to: &bytes) }
            encodeWord(bytes, into: &out)
        }
    }

    private func encodeWord(_ bytes: [UInt8], into out: inout [Int]) {
        if ignoreMerges, let id = vocab[ByteLevel.encode(bytes)] {
            out.append(id)
            return
        }
        var symbols: [Int32] = []
        symbols.reserveCapacity(bytes.count)
        for byte in bytes where byteIDs[Int(byte)] >= 0 { symbols.append(byteIDs[Int(byte)]) }
        for id in merges.merge(symbols) { out.append(Int(id)) }
    }
}

/// Appends the UTF-8 bytes of one scalar.
@inline(__always)
func appendUTF8(_ scalar: Unicode.Scalar, to bytes: inout [UInt8]) {
    let v = scalar.value
    switch v {
    case 0..<0x80:
        bytes.append(UInt8(v))
    case 0x80..<0x800:
        bytes.append(UInt8(0xC0 | (v >> 6)))
        bytes.append(UInt8(0x80 | (v & 0x3F)))
    case 0x800..<0x10000:
        bytes.append(UInt8(0xE0 | (v >> 12)))
        bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
        bytes.append(UInt8(0x80 | (v & 0x3F)))
    default:
        bytes.append(UInt8(0xF0 | (v >> 18)))
        bytes.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
        bytes.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
        bytes.append(UInt8(0x80 | (v & 0x3F)))
    }
}
