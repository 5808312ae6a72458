// Pre-tokenizer splits written out by hand (checked against HF `tokenizers`' pre_tokenize_str), and the llama.cpp names.
import MimicCore
import Testing
@testable import MimicTokenizers

@Suite("Pre-tokenizers")
struct PreTokenizerTests {
    static let cases: [(String, [String], [String], [String])] = [
        // text, GPT-2, Llama 3, SmolLM2
        ("Hello  world", ["Hello", " ", " world"], ["Hello", " ", " world"], ["Hello", " ", " world"]),
        ("I'm they'LL", ["I", "'m", " they", "'", "LL"], ["I", "'m", " they", "'LL"], ["I", "'m", " they", "'", "LL"]),
        ("a\n\nb", ["a", "\n", "\n", "b"], ["a", "\n\n", "b"], ["a", "\n", "\n", "b"]),
        ("12345 x", ["12345", " x"], ["123", "45", " x"], ["1", "2", "3", "4", "5", " x"]),
        (" (hello)\n", [" (", "hello", ")", "\n"], [" (", "hello", ")\n"], [" (", "hello", ")", "\n"]),
        ("x 12½", ["x", " 12½"], ["x", " ", "12½"], ["x", " ", "1", "2", "½"]),
        ("a \u{A0}b", ["a", " ", "\u{A0}", "b"], ["a", " ", "\u{A0}b"], ["a", " ", "\u{A0}", "b"]),
        ("end  ", ["end", "  "], ["end", "  "], ["end", "  "]),
    ]

    private func tokenizer(_ pre: PreTokenizer) throws -> BPETokenizer {
        // A vocabulary of the 256 byte tokens only: enough to pre-tokenize.
        let tokens = (0..<256).map { ByteLevel.encode([UInt8($0)]) }
        return try BPETokenizer(
            tokens: tokens, merges: [], tokenTypes: [], preTokenizer: pre.rawValue == "default" ? "default" : pre.rawValue,
            bosID: nil, eosID: nil, addBOS: false)
    }

    @Test("GPT-2, Llama-3 and SmolLM2 splits", arguments: cases.indices)
    func splits(index: Int) throws {
        let (text, gpt2, llama3, smollm) = Self.cases[index]
        #expect(try tokenizer(.gpt2).preTokenize(text) == gpt2)
        #expect(try tokenizer(.llama3).preTokenize(text) == llama3)
        #expect(try tokenizer(.smollm).preTokenize(text) == smollm)
    }

    @Test("HF's (?i:'s…) also matches 'ſ (Oniguruma case folding); llama.cpp's Llama-3 scanner does not")
    func longS() throws {
        let hf = try Fixtures.trained("llama3")
        #expect(hf.preTokenize("'ſx they'LL") == ["'ſ", "x", " they", "'LL"])
        #expect(try tokenizer(.llama3).preTokenize("'ſx they'LL") == ["'ſx", " they", "'LL"])
    }

    @Test("llama.cpp's default: punctuation runs, GPT-2, number runs, ASCII digit triples")
    func llamaCppDefault() throws {
        #expect(try tokenizer(.llamaCppDefault).preTokenize("a+=b 1234567!?") == ["a", "+=", "b", " ", "123", "456", "7", "!?"])
    }

    @Test("byte-level spelling round-trips all 256 bytes")
    func byteLevel() {
        let all = (0..<256).map { UInt8($0) }
        #expect(ByteLevel.decode(ByteLevel.encode(all)) == all)
        #expect(ByteLevel.encode(Array(" the\n".utf8)) == "Ġthe\u{10A}")
        #expect(ByteLevel.decode("日") == nil)
    }

    @Test("llama.cpp pre-tokenizer names; unknown names are errors that name them")
    func names() throws {
        #expect(try PreTokenizer(llamaCppName: "gpt-2") == .gpt2)
        #expect(try PreTokenizer(llamaCppName: "gpt2") == .gpt2)
        #expect(try PreTokenizer(llamaCppName: "llama-bpe") == .llama3)
        #expect(try PreTokenizer(llamaCppName: "smollm") == .smollm)
        #expect(try PreTokenizer(llamaCppName: "default") == .llamaCppDefault)
        #expect(throws: TokenizerError.unknownPreTokenizer(name: "qwen2")) { try PreTokenizer(llamaCppName: "qwen2") }
        let message = TokenizerError.unknownPreTokenizer(name: "qwen2").errorDescription ?? ""
        #expect(message.contains("\"qwen2\"") && message.contains("tokenizer.ggml.pre"))
    }
}
