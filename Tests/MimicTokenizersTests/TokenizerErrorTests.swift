// Loading errors: unsupported model types, malformed JSON and bad fields are typed errors that name the file.
import Foundation
import MimicCore
import MimicTestSupport
import Testing
@testable import MimicTokenizers

@Suite("Tokenizer loading errors")
struct TokenizerErrorTests {
    private func loadError(_ json: String, name: String = "tokenizer.json") throws -> (TokenizerError, URL) {
        let url = try Scratch.file(json, name: name, prefix: "mimic-tok")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let error = try #require(throws: TokenizerError.self) { try BPETokenizer(tokenizerJSON: url) }
        return (error, url)
    }

    @Test("Unigram and WordPiece models are refused, naming the file and the type",
          arguments: [
            ("Unigram", #"{"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0]]}, "added_tokens": []}"#),
            ("WordPiece", #"{"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0}}}"#),
          ])
    func unsupportedModel(type: String, json: String) throws {
        let (error, url) = try loadError(json)
        #expect(error == .unsupportedModel(file: url.path, type: type))
        let message = try #require(error.errorDescription)
        #expect(message.contains(url.path) && message.contains("\"\(type)\"") && message.contains("BPE"))
    }

    @Test("malformed JSON is an error naming the file")
    func malformed() throws {
        let (error, url) = try loadError(#"{"model": {"type": "BPE", "vocab": {"a": 0"#)
        guard case .malformedJSON(let file, _) = error else {
            Issue.record("expected malformedJSON, got \(error)")
            return
        }
        #expect(file == url.path)
        #expect(error.errorDescription?.contains(url.path) == true)
        let (top, _) = try loadError("[1, 2, 3]")
        #expect(top == .malformedJSON(file: top.file, reason: "the top level is not an object"))
    }

    @Test("a missing file is an unreadable-file error naming it")
    func missingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/mimic/tokenizer.json")
        #expect(throws: TokenizerError.self) { try BPETokenizer(tokenizerJSON: url) }
        do {
            _ = try BPETokenizer(tokenizerJSON: url)
        } catch let error as TokenizerError {
            #expect(error.errorDescription?.contains(url.path) == true)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("unsupported components and fields are named")
    func components() throws {
        let base = #"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}, "decoder": {"type": "ByteLevel"}, "#
        let (metaspace, url) = try loadError(base + #""pre_tokenizer": {"type": "Metaspace"}}"#)
        #expect(metaspace == .unsupportedComponent(file: url.path, field: "pre_tokenizer", type: "Metaspace"))
        let (split, _) = try loadError(base + #""pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Isolated"}, {"type": "ByteLevel", "use_regex": false}]}}"#)
        guard case .invalidField(_, let field, _) = split else {
            Issue.record("expected invalidField, got \(split)")
            return
        }
        #expect(field == "pre_tokenizer.pretokenizers[0].pattern.Regex")
        let (merge, _) = try loadError(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a z"]}, "pre_tokenizer": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"}}"#)
        guard case .invalidVocabulary(_, let reason) = merge else {
            Issue.record("expected invalidVocabulary, got \(merge)")
            return
        }
        #expect(reason.contains("a z"))
    }

    @Test("a config naming an eos token outside the vocabulary is an error naming the field")
    func badConfig() throws {
        let config = try Scratch.file(#"{"eos_token": "<|nope|>"}"#, name: "tokenizer_config.json", prefix: "mimic-tok")
        defer { try? FileManager.default.removeItem(at: config.deletingLastPathComponent()) }
        let json = try Fixtures.url("tokenizer", "json", in: "bpe-smollm")
        let error = try #require(throws: TokenizerError.self) { try BPETokenizer(tokenizerJSON: json, config: config) }
        guard case .invalidField(let file, let field, _) = error else {
            Issue.record("expected invalidField, got \(error)")
            return
        }
        #expect(file == config.path && field == "eos_token")
    }

    @Test("a bad tiktoken line is an error with its line number")
    func badRanks() throws {
        let url = try Scratch.file("IQ== 0\nnot base64 at all\n", name: "bad.tiktoken", prefix: "mimic-tok")
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let error = try #require(throws: TokenizerError.self) {
            try BPETokenizer(tiktokenRanks: url, specialTokens: [:], pattern: .gpt2)
        }
        #expect(error == .invalidRankLine(file: url.path, line: 2, text: "not base64 at all"))
    }

    @Test("GGUF keys: unknown pre-tokenizer, mismatched token types, bad BOS id")
    func ggufKeys() {
        let tokens = (0..<256).map { ByteLevel.encode([UInt8($0)]) }
        #expect(throws: TokenizerError.unknownPreTokenizer(name: "tekken")) {
            try BPETokenizer(tokens: tokens, merges: [], tokenTypes: [], preTokenizer: "tekken", bosID: nil, eosID: nil, addBOS: false)
        }
        #expect(throws: TokenizerError.self) {
            try BPETokenizer(tokens: tokens, merges: [], tokenTypes: [1], preTokenizer: "gpt2", bosID: nil, eosID: nil, addBOS: false)
        }
        #expect(throws: TokenizerError.self) {
            try BPETokenizer(tokens: tokens, merges: [], tokenTypes: [], preTokenizer: "gpt2", bosID: 999, eosID: nil, addBOS: true)
        }
    }
}

private extension TokenizerError {
    var file: String {
        if case .malformedJSON(let file, _) = self { return file }
        return ""
    }
}
