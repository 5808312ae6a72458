// Finding and opening a model: a GGUF file, a Hugging Face folder, or a built-in name resolved to the cache.
import Foundation
import MimicCore

/// Where Mimic keeps fetched models: `$MIMIC_CACHE`, else `./.cache` if it exists, else `~/.cache/mimic`.
public enum ModelCache {
    /// The cache folder, chosen from the environment and working directory each time it is read.
    public static var directory: String { CacheDirectory.path }

    /// Built-in model names and their files under `models/`.
    public static let builtins = ["smollm2-135m-instruct": "SmolLM2-135M-Instruct.Q4_1.gguf"]

    /// The path a name or path stands for; throws if it is neither an existing path nor a fetched built-in.
    public static func resolve(_ nameOrPath: String) throws -> String {
        if FileManager.default.fileExists(atPath: nameOrPath) { return nameOrPath }
        if let file = builtins[nameOrPath.lowercased()] {
            let path = directory + "/models/" + file
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".gguf") { throw ModelError.fileNotFound(nameOrPath) }
        throw ModelError.unknownModel(nameOrPath)
    }
}

/// A Hugging Face model folder: `config.json` and safetensors weights.
public enum HFModelFolder {
    /// Loads the model of a folder (model_type llama, mistral or gpt2).
    public static func loadModel(folder: String) throws -> any LanguageModel {
        let configPath = folder + "/config.json"
        guard let data = FileManager.default.contents(atPath: configPath) else { throw ModelError.fileNotFound(configPath) }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError.invalid(file: configPath, field: "config", problem: "not a JSON object")
        }
        let type = json["model_type"] as? String ?? "unknown"
        let source = try SafeTensorsSource(folder: folder)
        do {
            switch type {
            case "llama", "mistral":
                let config = try JSONDecoder().decode(LlamaConfig.self, from: data)
                return try LlamaModel(config: config, source: source, names: .hf, interleavedRope: false)
            case "gpt2":
                let config = try JSONDecoder().decode(GPT2Config.self, from: data)
                let prefix = source.has("transformer.wte.weight") ? "transformer." : ""
                let untied = json["tie_word_embeddings"] as? Bool == false
                return try GPT2Model(config: config, source: source, names: .hf(prefix: prefix, untiedHead: untied))
            default:
                throw ModelError.unsupportedArchitecture(file: configPath, architecture: type)
            }
        } catch let error as DecodingError {
            throw ModelError.invalid(file: configPath, field: error.fieldPath, problem: error.shortDescription)
        }
    }
}

extension DecodingError {
    /// The JSON key path the error is about.
    var fieldPath: String {
        let path: [CodingKey]
        switch self {
        case .keyNotFound(let key, let ctx): path = ctx.codingPath + [key]
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx), .dataCorrupted(let ctx): path = ctx.codingPath
        @unknown default: path = []
        }
        return path.map(\.stringValue).joined(separator: ".")
    }

    /// A short reason without Swift type names.
    var shortDescription: String {
        switch self {
        case .keyNotFound: "missing"
        case .typeMismatch(let t, _): "expected a \(t)"
        case .valueNotFound: "is null"
        case .dataCorrupted(let ctx): ctx.debugDescription
        @unknown default: "invalid"
        }
    }
}
