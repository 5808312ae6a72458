// Shared helpers for the tokenizer tests: resource URLs, the corpus and the golden-file shapes.
import Foundation
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

    /// A scratch file holding `text`, removed by the caller.
    static func temporaryFile(_ text: String, name: String = "tokenizer.json") throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
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

/// Where the real GPT-2 rank file is looked for: $MIMIC_CACHE, else ./.cache, else the package's .cache.
enum GPT2Ranks {
    static var url: URL? {
        let environment = ProcessInfo.processInfo.environment
        var candidates: [URL] = []
        if let cache = environment["MIMIC_CACHE"], !cache.isEmpty {
            candidates.append(URL(fileURLWithPath: cache).appendingPathComponent("tokenizers/gpt2.tiktoken"))
        }
        candidates.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent(".cache/tokenizers/gpt2.tiktoken"))
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".cache/tokenizers/gpt2.tiktoken"))
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// MIMIC_REQUIRE_ASSETS=1 turns a missing asset from a skip into a failure.
    static var required: Bool { ProcessInfo.processInfo.environment["MIMIC_REQUIRE_ASSETS"] == "1" }

    /// The GPT-2 tokenizer from the rank file, or nil (after recording an issue when assets are required).
    static func tokenizer() throws -> BPETokenizer? {
        guard let url else {
            if required { Issue.record("gpt2.tiktoken not found under $MIMIC_CACHE/tokenizers or ./.cache/tokenizers") }
            return nil
        }
        return try BPETokenizer(tiktokenRanks: url, specialTokens: ["<|endoftext|>": 50256], pattern: .gpt2)
    }
}
