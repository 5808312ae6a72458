// Golden tests: the Swift BPE gives the ids Hugging Face `tokenizers` and `tiktoken` give, and round-trips text.
// Goldens: scripts/reference/tokenizer_train_bpe.py and scripts/reference/tokenizer_tiktoken_gpt2.py (exact ids, no tolerance).
import Foundation
import MimicCore
import MimicTestSupport
import Testing
@testable import MimicTokenizers

/// The golden ids of one corpus string, with special-token parsing on and off.
func expectIDs(_ tokenizer: BPETokenizer, _ item: GoldenFile.Case, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(tokenizer.encode(item.text, addBOS: false, parseSpecial: true) == item.ids, "\(item.text.debugDescription)",
            sourceLocation: sourceLocation)
    #expect(tokenizer.encode(item.text, addBOS: false, parseSpecial: false) == item.idsNoSpecial,
            "no special: \(item.text.debugDescription)", sourceLocation: sourceLocation)
}

@Suite("BPE against Hugging Face tokenizers")
struct HuggingFaceGoldenTests {
    static let styles = ["gpt2", "llama3", "smollm"]

    @Test("ids match tokenizers, special tokens parsed and not", arguments: styles)
    func ids(style: String) throws {
        let tokenizer = try Fixtures.trained(style)
        let golden = try Fixtures.load(GoldenFile.self, "golden", in: "bpe-\(style)")
        #expect(golden.cases.count == (try Fixtures.corpus()).count)
        for item in golden.cases {
            expectIDs(tokenizer, item)
            if let withBOS = item.idsWithBos {
                #expect(tokenizer.encode(item.text) == withBOS, "with BOS: \(item.text.debugDescription)")
            }
        }
    }

    @Test("decode(encode(x)) == x for every corpus string", arguments: styles)
    func roundTrip(style: String) throws {
        let tokenizer = try Fixtures.trained(style)
        for text in try Fixtures.corpus() {
            for special in [true, false] {
                let ids = tokenizer.encode(text, addBOS: false, parseSpecial: special)
                #expect(Array(tokenizer.decode(ids).utf8) == Array(text.utf8), "\(text.debugDescription)")
            }
        }
    }

    @Test("decoding cut id lists replaces broken UTF-8 as tokenizers does", arguments: styles)
    func decodeCuts(style: String) throws {
        let tokenizer = try Fixtures.trained(style)
        let cases = try #require(try Fixtures.load(GoldenFile.self, "golden", in: "bpe-\(style)").decodeCases)
        #expect(cases.count > 50)
        for item in cases {
            #expect(tokenizer.decode(item.ids, skipSpecial: false) == item.text, "\(item.ids)")
            #expect(tokenizer.decode(item.ids, skipSpecial: true) == item.textSkipSpecial, "skip: \(item.ids)")
        }
    }

    @Test("the GGUF-key constructor reproduces the tokenizer.json goldens", arguments: [("gpt2", "gpt-2"), ("smollm", "smollm"), ("llama3", "llama-bpe")])
    func ggufKeys(style: String, pre: String) throws {
        let url = try Fixtures.url("tokenizer", "json", in: "bpe-\(style)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let model = try #require(root["model"] as? [String: Any])
        let vocab = try #require(model["vocab"] as? [String: Int])
        let merges = try #require(model["merges"] as? [[String]]).map { $0.joined(separator: " ") }
        let added = try #require(root["added_tokens"] as? [[String: Any]])
        let maxID = max(vocab.values.max() ?? 0, added.compactMap { $0["id"] as? Int }.max() ?? 0)
        var tokens = [String](repeating: "", count: maxID + 1)
        var types = [Int](repeating: 1, count: tokens.count)
        for (token, id) in vocab { tokens[id] = token }
        for entry in added {
            let id = try #require(entry["id"] as? Int)
            tokens[id] = try #require(entry["content"] as? String)
            types[id] = entry["special"] as? Bool == true ? 3 : 4
        }
        let tokenizer = try BPETokenizer(
            tokens: tokens, merges: merges, tokenTypes: types, preTokenizer: pre, bosID: nil, eosID: 0, addBOS: false)
        let golden = try Fixtures.load(GoldenFile.self, "golden", in: "bpe-\(style)")
        for item in golden.cases {
            #expect(tokenizer.encode(item.text, addBOS: false, parseSpecial: true) == item.ids, "\(item.text.debugDescription)")
            #expect(tokenizer.encode(item.text, addBOS: false, parseSpecial: false) == item.idsNoSpecial)
        }
    }

    @Test("special and added tokens: ids, flags, BOS from the post-processor")
    func specials() throws {
        let gpt2 = try Fixtures.trained("gpt2")
        let start = try #require(gpt2.tokenID("<|im_start|>"))
        #expect(gpt2.isSpecial(start))
        let name = try #require(gpt2.tokenID("[[name]]"))
        #expect(!gpt2.isSpecial(name))
        #expect(gpt2.encode("[[name]]", addBOS: false, parseSpecial: false) == [name])
        #expect(gpt2.decode([start, name], skipSpecial: true) == "[[name]]")
        #expect(gpt2.eosTokenID == gpt2.tokenID("<|endoftext|>"))
        #expect(!gpt2.addsBOS)
        let llama = try Fixtures.trained("llama3")
        #expect(llama.addsBOS)
        #expect(llama.bosTokenID == llama.tokenID("<|begin_of_text|>"))
        let smol = try Fixtures.trained("smollm", withConfig: true)
        #expect(smol.eosTokenID == smol.tokenID("<|im_end|>"))
        #expect(smol.bosTokenID == smol.tokenID("<|im_start|>"))
        #expect(!smol.addsBOS)
        #expect(try ChatTemplate.recognize(jinja: try #require(smol.chatTemplate)) == .chatml)
    }
}

@Suite("tokenizer.json options")
struct TokenizerOptionTests {
    /// bpe-gpt2/tokenizer.json with an NFC normalizer and `<|im_end|>` swallowing whitespace on both sides.
    private func modified() throws -> BPETokenizer {
        let url = try Fixtures.url("tokenizer", "json", in: "bpe-gpt2")
        var root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        root["normalizer"] = ["type": "NFC"]
        var added = try #require(root["added_tokens"] as? [[String: Any]])
        for index in added.indices where added[index]["content"] as? String == "<|im_end|>" {
            added[index]["lstrip"] = true
            added[index]["rstrip"] = true
        }
        root["added_tokens"] = added
        let file = try Scratch.file(String(decoding: try JSONSerialization.data(withJSONObject: root), as: UTF8.self), name: "tokenizer.json", prefix: "mimic-tok")
        defer { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        return try BPETokenizer(tokenizerJSON: file)
    }

    @Test("NFC normalizer and lstrip/rstrip added tokens (expected ids checked with HF tokenizers)")
    func options() throws {
        let tokenizer = try modified()
        #expect(tokenizer.encode("cafe\u{301}") == tokenizer.encode("caf\u{E9}"))
        #expect(tokenizer.encode("cafe\u{301}") == [69, 67, 447, 105])
        #expect(tokenizer.encode("a  <|im_end|>  b") == [67, 2, 68])
        let plain = try Fixtures.trained("gpt2")
        #expect(plain.encode("cafe\u{301}") != plain.encode("caf\u{E9}"))
    }
}

@Suite("BPE against tiktoken with the real GPT-2 ranks")
struct TiktokenGoldenTests {
    @Test("ids match tiktoken (skipped without gpt2.tiktoken unless MIMIC_REQUIRE_ASSETS=1)",
          .requires(.gpt2Ranks))
    func ids() throws {
        let tokenizer = try GPT2Ranks.tokenizer()
        #expect(tokenizer.vocabularySize == 50257)
        let golden = try Fixtures.load(GoldenFile.self, "tiktoken_gpt2_golden")
        #expect(golden.cases.count == (try Fixtures.corpus()).count)
        for item in golden.cases {
            expectIDs(tokenizer, item)
            #expect(Array(tokenizer.decode(item.ids).utf8) == Array(item.text.utf8))
        }
    }
}
