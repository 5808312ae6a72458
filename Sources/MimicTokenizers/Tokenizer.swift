// The Tokenizer protocol: text to token ids and back, with special tokens.
import MimicCore

/// A tokenizer turns text into token ids and ids back into text.
///
/// Implementations: `BPETokenizer` (byte-level BPE from `tokenizer.json`, GGUF keys or tiktoken ranks).
public protocol Tokenizer: Sendable {
    /// Number of ids (base vocabulary plus added tokens).
    var vocabularySize: Int { get }
    /// Beginning-of-sequence id, if the model uses one.
    var bosTokenID: Int? { get }
    /// End-of-sequence id (also the default stop token).
    var eosTokenID: Int? { get }
    /// Whether `encode` prepends BOS by default (Llama 2 / Llama 3 do, GPT-2 and SmolLM2 do not).
    var addsBOS: Bool { get }
    /// Encodes text. With `parseSpecial`, special tokens written in the text (`<|im_start|>`) become their ids.
    func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int]
    /// Decodes ids to text; special tokens are rendered as their text unless `skipSpecial`.
    func decode(_ ids: [Int], skipSpecial: Bool) -> String
    /// The raw bytes a token stands for (specials: their UTF-8 text).
    func tokenBytes(_ id: Int) -> [UInt8]
    /// The id of a token written exactly as in the vocabulary (`"<|im_end|>"`), if any.
    func tokenID(_ token: String) -> Int?
    /// Whether the id is a special (control) token.
    func isSpecial(_ id: Int) -> Bool
}

extension Tokenizer {
    /// Encodes with the tokenizer's BOS default, parsing special tokens.
    public func encode(_ text: String) -> [Int] { encode(text, addBOS: addsBOS, parseSpecial: true) }
    /// Decodes, keeping special tokens.
    public func decode(_ ids: [Int]) -> String { decode(ids, skipSpecial: false) }
}
