// Shared helpers for the tokenizer tests: resource URLs, the corpus and the golden-file shapes.
import Foundation
import MimicCore
import MimicTestSupport
import Testing
@testable import MimicTokenizers

enum Fixtures {
    /// A file under the test target's Resources/ folder.
    static func url(_ name: String, _ ext: String, in folder: String? = nil) throws -> URL {
        let subdirectory = folder.map { "Resources/\($0)" } ?? "Resources"
        return try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: subdirectory))
    }

    /// Decodes a JSON resource.
    static func load<T: Decodable>(_ type: T.Type, _ name: String, in folder: String? = nil) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(T.self, from: Data(contentsOf: url(name, "json", in: folder)))
    }

    /// tokenizer_corpus.json: the strings every golden file covers.
    static func corpus() throws -> [String] { try load([String].self, "tokenizer_corpus") }

    /// One of the tiny trained tokenizers: "gpt2", "llama3" or "smollm".
    static func trained(_ style: String, withConfig: Bool = false) throws -> BPETokenizer {
        let folder = "bpe-\(style)"
        let config = withConfig ? try url("tokenizer_config", "json", in: folder) : nil
        return try BPETokenizer(tokenizerJSON: url("tokenizer", "json", in: folder), config: config)
    }
}

/// Golden ids written by scripts/reference/tokenizer_train_bpe.py and tokenizer_tiktoken_gpt2.py.
struct GoldenFile: Decodable {
    struct Case: Decodable {
        let text: String
        let ids: [Int]
        let idsNoSpecial: [Int]
        let idsWithBos: [Int]?
    }

    struct DecodeCase: Decodable {
        let ids: [Int]
        let text: String
        let textSkipSpecial: String
    }

    let command: String
    let cases: [Case]
    let decodeCases: [DecodeCase]?
}

/// The real GPT-2 tokenizer, from the fetched rank file (`FetchedAsset.gpt2Ranks`).
enum GPT2Ranks {
    /// The GPT-2 tokenizer; throws when the rank file is not fetched (tests carry `.requires(.gpt2Ranks)`).
    static func tokenizer() throws -> BPETokenizer {
        try BPETokenizer(tiktokenRanks: URL(fileURLWithPath: FetchedAsset.gpt2Ranks.require()),
                         specialTokens: ["<|endoftext|>": 50256], pattern: .gpt2)
    }
}
