// Typed errors for loading tokenizers and choosing chat templates, each naming the file or field and giving a hint.
import Foundation
import MimicCore

/// Why a tokenizer or chat template could not be loaded.
public enum TokenizerError: LocalizedError, Equatable {
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// The file is not valid JSON (or not the expected JSON shape at the top).
    case malformedJSON(file: String, reason: String)
    /// `model.type` is not "BPE".
    case unsupportedModel(file: String, type: String)
    /// A required field is absent.
    case missingField(file: String, field: String)
    /// A field holds something Mimic cannot use.
    case invalidField(file: String, field: String, reason: String)
    /// A normalizer, pre-tokenizer or decoder type Mimic does not implement.
    case unsupportedComponent(file: String, field: String, type: String)
    /// A llama.cpp pre-tokenizer name (GGUF `tokenizer.ggml.pre`) Mimic does not implement.
    case unknownPreTokenizer(name: String)
    /// A line of a tiktoken rank file that is not `BASE64 RANK`.
    case invalidRankLine(file: String, line: Int, text: String)
    /// A vocabulary handed over in arrays (GGUF keys) is inconsistent.
    case invalidVocabulary(source: String, reason: String)
    /// The tokenizer cannot be written as a Hugging Face tokenizer.json that tokenizes the same way.
    case cannotExport(reason: String)

    /// A readable explanation with a hint.
    public var errorDescription: String? {
        switch self {
        case .unreadable(let file, let reason):
            return "Cannot read \(file): \(reason). Check the path and permissions."
        case .malformedJSON(let file, let reason):
            return "\(file) is not valid JSON: \(reason). Re-download or re-save the file."
        case .unsupportedModel(let file, let type):
            return "\(file): model.type is \"\(type)\", but Mimic reads only byte-level \"BPE\" tokenizers "
                + "(GPT-2, Llama 3, SmolLM2 style). Use a model whose tokenizer.json has model.type \"BPE\"."
        case .missingField(let file, let field):
            return "\(file): the field \(field) is missing. Is this a Hugging Face tokenizer.json?"
        case .invalidField(let file, let field, let reason):
            return "\(file): \(field) \(reason)."
        case .unsupportedComponent(let file, let field, let type):
            return "\(file): \(field) of type \"\(type)\" is not supported. Mimic reads byte-level BPE: normalizer "
                + "null or NFC; pre_tokenizer ByteLevel, Split(GPT-2 / Llama-3 regex) + ByteLevel, Digits + ByteLevel; "
                + "decoder ByteLevel."
        case .unknownPreTokenizer(let name):
            return "Unknown pre-tokenizer \"\(name)\" (GGUF key tokenizer.ggml.pre). Mimic implements: gpt2 (gpt-2), "
                + "llama-bpe (llama3), smollm (starcoder), default."
        case .invalidRankLine(let file, let line, let text):
            return "\(file):\(line): expected \"BASE64 RANK\", found \"\(text.prefix(60))\". Is this a .tiktoken file?"
        case .invalidVocabulary(let source, let reason):
            return "\(source): \(reason)."
        case .cannotExport(let reason):
            return "Cannot write this tokenizer as a Hugging Face tokenizer.json: \(reason)."
        }
    }
}
