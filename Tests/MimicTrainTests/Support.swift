// Shared helpers for the training tests: fixtures, a tiny byte-level tokenizer built in code, conversations.
import Foundation
import MimicCore
import MimicTokenizers
import MimicTrain
import Testing

enum Fixtures {
    /// The test bundle's Resources folder.
    static var resources: String { Bundle.module.bundlePath + "/Resources" }

    /// A fixture path under Resources/.
    static func path(_ relative: String) -> String { resources + "/" + relative }

    /// The tokenizer corpus every tokenizer golden covers.
    static func corpus() throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path("tokenizers/tokenizer_corpus.json")))
        return try JSONDecoder().decode([String].self, from: data)
    }

    /// A file under the test target's Resources/ folder.
    static func url(_ name: String, _ ext: String, in folder: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources/\(folder)"))
    }

    /// A conversation fixture under Resources/conversations.
    static func conversations(_ name: String) throws -> URL { try url(name, "jsonl", in: "conversations") }

    /// The small SmolLM-style tokenizer (ChatML specials) trained for the tokenizer tests.
    static func smolTokenizer() throws -> BPETokenizer {
        try BPETokenizer(tokenizerJSON: url("tokenizer", "json", in: "bpe-smollm"),
                         config: url("tokenizer_config", "json", in: "bpe-smollm"))
    }
}

/// The special tokens of all four templates, after the 256 byte tokens of `ByteTokenizer`.
let templateSpecials = [
    "<|im_start|>", "<|im_end|>", "<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", "<s>", "</s>",
]

/// A byte-level BPE with one token per byte, the specials of every template, and the given merges (pairs of
/// byte-level strings, e.g. `("Ċ", "Ċ")` for "\n\n"), with GPT-2 pre-tokenization.
func byteTokenizer(merges: [(String, String)] = []) throws -> BPETokenizer {
    var tokens = (0..<256).map { ByteLevel.encode([UInt8($0)]) }
    tokens += merges.map { $0.0 + $0.1 }
    tokens += templateSpecials
    let types = [Int](repeating: 1, count: tokens.count - templateSpecials.count) + templateSpecials.map { _ in 3 }
    return try BPETokenizer(
        tokens: tokens, merges: merges.map { "\($0.0) \($0.1)" }, tokenTypes: types, preTokenizer: "gpt2",
        bosID: nil, eosID: tokens.firstIndex(of: "</s>"), addBOS: false)
}

/// A conversation at `test:line`.
func conversation(_ turns: [(String, String)], line: Int = 1) -> Conversation {
    Conversation(messages: turns.map { ChatMessage(role: $0.0, content: $0.1) }, source: SourceLine(file: "test", line: line))
}
