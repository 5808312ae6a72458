// The one meaning of `--tokenizer` (and a data stage's `tokenizer` key) in every command: `words`, `gpt2`, or a
// model (a built-in name, a .gguf file, an HF folder or a tokenizer.json).
import Foundation
import MimicCore
import MimicModels
import MimicTokenizers

extension TokenCounter {
    /// The counter a `--tokenizer NAME` names: "words" (white-space separated words), "gpt2" (GPT-2's BPE from
    /// `gpt2.tiktoken` in the cache folder), or a model's tokenizer (a built-in name such as smollm2-135m-instruct, a
    /// .gguf file, a Hugging Face folder or a tokenizer.json). Throws `ConfigError` for `field` when it cannot load.
    public static func named(_ name: String, field: String = "tokenizer") throws -> TokenCounter {
        switch name.lowercased() {
        case "words":
            return .words
        case "gpt2", "gpt-2":
            let path = ModelCache.directory + "/tokenizers/gpt2.tiktoken"
            guard FileManager.default.fileExists(atPath: path) else {
                throw ConfigError(field: field, problem: "is gpt2, but \(path) is missing", hint: "scripts/fetch-assets.sh fetches it")
            }
            let bpe = try BPETokenizer(tiktokenRanks: URL(fileURLWithPath: path), specialTokens: ["<|endoftext|>": 50256], pattern: .gpt2)
            return .tokenizer(bpe, name: "gpt2")
        default:
            let path = try ModelCache.resolve(name)
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
            let loaded: BPETokenizer
            if isDir.boolValue || path.hasSuffix(".json") {
                let json = isDir.boolValue ? path + "/tokenizer.json" : path
                loaded = try BPETokenizer(tokenizerJSON: URL(fileURLWithPath: json), config: nil)
            } else {
                loaded = try GGUFFile(path: path).tokenizer()
            }
            return .tokenizer(loaded, name: path)
        }
    }
}
