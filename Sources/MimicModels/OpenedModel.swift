// OpenedModel: a model with its tokenizer and chat template, opened from a GGUF file, a Hugging Face folder,
// or a built-in name.
import Foundation
import MimicCore
import MimicTokenizers

/// A model opened from a GGUF file, a Hugging Face folder, or a built-in name.
public struct OpenedModel: Sendable {
    /// The resolved path of the GGUF file or model folder.
    public let path: String
    /// The loaded model.
    public let model: any LanguageModel
    /// The GGUF file, when the model came from one.
    public let gguf: GGUFFile?
    /// The model's tokenizer, if it ships one.
    public let tokenizer: BPETokenizer?
    /// The Jinja chat template the model ships, if any.
    public let chatTemplateSource: String?

    /// Opens `nameOrPath`: a `.gguf` file, a folder with `config.json`, or a built-in name. With
    /// `loadTokenizer` false the tokenizer is not read (for work on token ids alone, such as benchmarks).
    public init(_ nameOrPath: String, loadTokenizer: Bool = true) throws {
        path = try ModelCache.resolve(nameOrPath)
        var isDir: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDir)
        if isDir.boolValue {
            model = try HFModelFolder.loadModel(folder: path)
            gguf = nil
            let json = path + "/tokenizer.json", config = path + "/tokenizer_config.json"
            if loadTokenizer && FileManager.default.fileExists(atPath: json) {
                let hasConfig = FileManager.default.fileExists(atPath: config)
                let tok = try BPETokenizer(tokenizerJSON: URL(fileURLWithPath: json),
                                           config: hasConfig ? URL(fileURLWithPath: config) : nil)
                tokenizer = tok
                chatTemplateSource = tok.chatTemplate
            } else {
                tokenizer = nil
                chatTemplateSource = nil
            }
        } else {
            let file = try GGUFFile(path: path)
            model = try file.loadModel()
            gguf = file
            tokenizer = loadTokenizer && file.metadata["tokenizer.ggml.tokens"] != nil ? try file.tokenizer() : nil
            chatTemplateSource = file.string("tokenizer.chat_template")
        }
    }

    /// The tokenizer, or an error naming the model when it has none.
    public func requireTokenizer() throws -> BPETokenizer {
        guard let tokenizer else {
            throw ModelError.invalid(file: path, field: "tokenizer", problem: "the model ships no tokenizer (tokenizer.json or GGUF tokenizer keys)")
        }
        return tokenizer
    }

    /// The chat format: the named template, else the one recognised from the model's own.
    public func chatFormat(template: String? = nil) throws -> ChatFormat {
        try ChatFormat(jinja: chatTemplateSource, override: template, source: path)
    }
}
