// Tokenizer export: a tokenizer written as tokenizer.json + tokenizer_config.json and read back gives the same
// ids on the tokenizer corpus, the same vocabulary, added tokens, BOS/EOS and chat template.
import Foundation
import MimicCore
import MimicTestSupport
import MimicTokenizers
import Testing

@Suite struct TokenizerExportTests {
    /// Texts beyond the corpus that exercise added tokens, digits, whitespace runs and punctuation runs.
    static let extra = [
        "<|im_start|>user\nHello 12345!<|im_end|>\n<|im_start|>assistant\n", "[[name]] and [[name]]x",
        "numbers 1234567 ١٢٣٤ ½ and 3.14159", "a   b\n\n  c\t\td \r\n e  ", "$$+<=>^~|| hello!!! (x) {y} -- z",
        "'ſ 's 'S 'LL", "<|begin_of_text|>text<|end_of_text|><|eot_id|>", "",
    ]

    /// Writes both files into `folder` and reads them back.
    static func roundTrip(_ tokenizer: BPETokenizer, in folder: ScratchFolder) throws -> BPETokenizer {
        let json = URL(fileURLWithPath: folder.file("tokenizer.json"))
        let config = URL(fileURLWithPath: folder.file("tokenizer_config.json"))
        try tokenizer.huggingFaceJSON().write(to: json)
        try tokenizer.tokenizerConfigJSON(modelMaxLength: 2048).write(to: config)
        return try BPETokenizer(tokenizerJSON: json, config: config)
    }

    static func expectSame(_ a: BPETokenizer, _ b: BPETokenizer, _ label: String) throws {
        for text in try Fixtures.corpus() + extra {
            for parseSpecial in [true, false] {
                #expect(a.encode(text, addBOS: a.addsBOS, parseSpecial: parseSpecial)
                        == b.encode(text, addBOS: b.addsBOS, parseSpecial: parseSpecial), "\(label): \(text)")
            }
        }
        #expect(a.vocabularySize == b.vocabularySize && a.addedTokens == b.addedTokens, "\(label)")
        #expect(a.bosTokenID == b.bosTokenID && a.eosTokenID == b.eosTokenID && a.addsBOS == b.addsBOS, "\(label)")
        #expect(a.chatTemplate == b.chatTemplate, "\(label)")
        for id in 0..<a.vocabularySize where a.tokenBytes(id) != b.tokenBytes(id) || a.isSpecial(id) != b.isSpecial(id) {
            Issue.record("\(label): token \(id) differs")
        }
    }

    static func fixture(_ style: String) throws -> BPETokenizer {
        let folder = Fixtures.path("tokenizers/bpe-\(style)")
        let config = folder + "/tokenizer_config.json"
        return try BPETokenizer(tokenizerJSON: URL(fileURLWithPath: folder + "/tokenizer.json"),
                                config: FileManager.default.fileExists(atPath: config) ? URL(fileURLWithPath: config) : nil)
    }

    @Test(arguments: ["gpt2", "llama3", "smollm"])
    func tokenizerJSONRoundTripsWithIdenticalIds(style: String) throws {
        let original = try Self.fixture(style)
        let folder = try ScratchFolder("mimic-ckpt")
        try Self.expectSame(original, try Self.roundTrip(original, in: folder), style)
    }

    /// The pre-tokenizer is written in the form the ecosystem uses for each kind.
    @Test func preTokenizerTakesTheUsualForm() throws {
        func pre(_ style: String) throws -> [String: Any] {
            let root = try JSONSerialization.jsonObject(with: try Self.fixture(style).huggingFaceJSON()) as! [String: Any]
            return root["pre_tokenizer"] as! [String: Any]
        }
        let gpt2 = try pre("gpt2")
        #expect(gpt2["type"] as? String == "ByteLevel" && gpt2["use_regex"] as? Bool == true
                && gpt2["add_prefix_space"] as? Bool == false)
        let smol = try pre("smollm")["pretokenizers"] as! [[String: Any]]
        #expect(smol.map { $0["type"] as! String } == ["Digits", "ByteLevel"])
        #expect(smol[0]["individual_digits"] as? Bool == true && smol[1]["use_regex"] as? Bool == true)
        let llama = try pre("llama3")["pretokenizers"] as! [[String: Any]]
        #expect(llama.map { $0["type"] as! String } == ["Split", "ByteLevel"])
        #expect(llama[0]["behavior"] as? String == "Isolated" && llama[0]["invert"] as? Bool == false)
        #expect((llama[0]["pattern"] as? [String: String])?["Regex"]?.hasPrefix("(?i:'s|'t|'re") == true)
        #expect(llama[1]["use_regex"] as? Bool == false)
    }

    @Test func tokenizerConfigNamesSpecialTokensAndTemplate() throws {
        let tokenizer = try Self.fixture("smollm")
        let data = tokenizer.tokenizerConfigJSON(chatTemplate: "{{ messages }}", modelMaxLength: 8192)
        let config = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(config["bos_token"] as? String == "<|im_start|>" && config["eos_token"] as? String == "<|im_end|>")
        #expect(config["add_bos_token"] as? Bool == false && config["model_max_length"] as? Int == 8192)
        #expect(config["chat_template"] as? String == "{{ messages }}")
        #expect(config["tokenizer_class"] as? String == "PreTrainedTokenizerFast")
        #expect(config["model_input_names"] as? [String] == ["input_ids", "attention_mask"])
        let own = try JSONSerialization.jsonObject(with: tokenizer.tokenizerConfigJSON()) as! [String: Any]
        #expect(own["chat_template"] as? String == tokenizer.chatTemplate && own["model_max_length"] == nil)
    }

    /// Tokenizers built from GGUF keys, under each llama.cpp pre-tokenizer Mimic implements, round-trip too.
    @Test(arguments: ["gpt2", "smollm", "llama-bpe", "default"])
    func ggufTokenizersRoundTrip(pre: String) throws {
        let style = pre == "llama-bpe" ? "llama3" : "smollm"
        let url = URL(fileURLWithPath: Fixtures.path("tokenizers/bpe-\(style)/tokenizer.json"))
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let model = root["model"] as! [String: Any]
        let vocab = model["vocab"] as! [String: Int]
        var tokens = [String](repeating: "", count: vocab.values.max()! + 1)
        for (token, id) in vocab { tokens[id] = token }
        var types = [Int](repeating: 1, count: tokens.count)
        for added in root["added_tokens"] as! [[String: Any]] { types[added["id"] as! Int] = 3 }
        let merges = (model["merges"] as! [[String]]).map { $0.joined(separator: " ") }
        let original = try BPETokenizer(tokens: tokens, merges: merges, tokenTypes: types, preTokenizer: pre,
                                        bosID: 0, eosID: 1, addBOS: pre == "llama-bpe", chatTemplate: "{{ x }}")
        let folder = try ScratchFolder("mimic-ckpt")
        try Self.expectSame(original, try Self.roundTrip(original, in: folder), pre)
    }
}
