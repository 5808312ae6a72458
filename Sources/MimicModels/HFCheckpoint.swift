// HFCheckpoint: a Hugging Face model folder (config.json, model.safetensors, tokenizer.json, tokenizer_config.json,
// generation_config.json) written into a temporary folder beside the target and renamed into place, so that an
// existing checkpoint is replaced in one step and an interrupted write leaves the old one.
import Foundation
import MimicCore
import MimicTensor
import MimicTokenizers

/// The architecture part of a checkpoint's `config.json`.
public enum HFModelConfig: Sendable, Equatable {
    /// A Llama-family model (`model_type` llama).
    case llama(LlamaConfig)
    /// A GPT-2 model (`model_type` gpt2).
    case gpt2(GPT2Config)

    /// The longest context (max_position_embeddings, n_positions).
    public var contextLength: Int {
        switch self {
        case .llama(let c): c.maxPositionEmbeddings
        case .gpt2(let c): c.nPositions
        }
    }
}

/// The contents of `generation_config.json`.
public struct HFGenerationConfig: Sendable, Equatable {
    /// `bos_token_id`, if any.
    public var bosTokenID: Int?
    /// `eos_token_id`: written as a number when there is one, a list when several, left out when empty.
    public var eosTokenIDs: [Int]
    /// `max_new_tokens`, if set.
    public var maxNewTokens: Int?

    /// A generation config; absent fields are left out of the file.
    public init(bosTokenID: Int? = nil, eosTokenIDs: [Int] = [], maxNewTokens: Int? = nil) {
        self.bosTokenID = bosTokenID
        self.eosTokenIDs = eosTokenIDs
        self.maxNewTokens = maxNewTokens
    }
}

/// Writes Hugging Face checkpoints that `transformers` and vLLM load unchanged.
public enum HFCheckpoint {
    /// Writes a checkpoint folder at `folder`.
    ///
    /// - Parameters:
    ///   - config: written with its Hugging Face keys plus `architectures` (`LlamaForCausalLM` or
    ///     `GPT2LMHeadModel`), `model_type` and `torch_dtype` "float32"; a GPT-2 with `lm_head.weight` among
    ///     `tensors` gets `tie_word_embeddings` false.
    ///   - tensors: FP32 tensors by Hugging Face name (see `LlamaModel.hfParameters()`), into `model.safetensors`.
    ///   - tokenizer: written as `tokenizer.json` and `tokenizer_config.json` (with `chatTemplate`, else the
    ///     tokenizer's own, and `model_max_length` the context length); nil writes neither.
    ///   - generation: `generation_config.json`.
    ///
    /// The files go into a hidden temporary folder beside `folder`, which is then renamed into place; an existing
    /// checkpoint (a folder with `config.json`) or empty folder there is replaced. Throws
    /// `CheckpointError.notACheckpoint` when `folder` is anything else, and `CheckpointError.cannotWrite` or
    /// `CheckpointError.badTensor` when writing fails (the temporary folder is then removed).
    public static func write(folder: String, config: HFModelConfig, tensors: [String: TensorValues],
                             tokenizer: BPETokenizer?, chatTemplate: String?, generation: HFGenerationConfig) throws {
        let target = URL(fileURLWithPath: folder).standardizedFileURL.path
        try checkReplaceable(target)
        let parent = URL(fileURLWithPath: target).deletingLastPathComponent().path
        let temp = AtomicFile.temporaryPath(beside: target)
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: temp, withIntermediateDirectories: false)
        } catch {
            throw CheckpointError.cannotWrite(path: target, reason: error.localizedDescription)
        }
        do {
            try SafeTensorsWriter.write(tensors, to: temp + "/model.safetensors")
            try AtomicFile.write(try configJSON(config, untiedGPT2Head: tensors["lm_head.weight"] != nil), to: temp + "/config.json")
            try AtomicFile.write(generationJSON(generation), to: temp + "/generation_config.json")
            if let tokenizer {
                try AtomicFile.write(try tokenizer.huggingFaceJSON(), to: temp + "/tokenizer.json")
                try AtomicFile.write(tokenizer.tokenizerConfigJSON(chatTemplate: chatTemplate, modelMaxLength: config.contextLength),
                                     to: temp + "/tokenizer_config.json")
            }
            try AtomicFile.replaceFolder(target, with: temp)
        } catch {
            try? FileManager.default.removeItem(atPath: temp)
            throw error
        }
    }

    /// `write(folder:config:tensors:tokenizer:chatTemplate:generation:)` for tensors (their shapes are their own).
    public static func write(folder: String, config: HFModelConfig, tensors: [String: Tensor],
                             tokenizer: BPETokenizer?, chatTemplate: String?, generation: HFGenerationConfig) throws {
        try write(folder: folder, config: config, tensors: tensors.mapValues(TensorValues.init), tokenizer: tokenizer,
                  chatTemplate: chatTemplate, generation: generation)
    }

    /// Writes an opened model (Llama or GPT-2 family, from GGUF or a folder) as a dense FP32 checkpoint with its
    /// tokenizer and chat template, keeping only the decoder layers `layers` (all by default), renumbered from 0.
    /// Returns the number of parameters written.
    @discardableResult
    public static func write(model opened: OpenedModel, to folder: String, layers: [Int]? = nil) throws -> Int {
        let target = URL(fileURLWithPath: folder).standardizedFileURL.path
        guard target != URL(fileURLWithPath: opened.path).standardizedFileURL.path else {
            throw CheckpointError.sameFolder(path: folder)
        }
        let total = try layerCount(of: opened)
        let keep = layers ?? Array(0..<total)
        if let bad = keep.first(where: { !(0..<total).contains($0) }) {
            throw CheckpointError.badLayerSelection("layer \(bad) does not exist; the model has \(total) layers (0 to \(total - 1))")
        }
        try checkReplaceable(target)
        let tokenizer = opened.tokenizer
        let config: HFModelConfig, tensors: [String: Tensor]
        switch opened.model {
        case let model as LlamaModel:
            var c: LlamaConfig
            do {
                c = try model.hfConfig()
            } catch CheckpointError.unsupportedModel(_, let reason) {
                throw CheckpointError.unsupportedModel(path: opened.path, reason: reason)
            }
            c.numHiddenLayers = keep.count
            c.bosTokenId = c.bosTokenId ?? tokenizer?.bosTokenID
            if c.eosTokenId.isEmpty, let eos = tokenizer?.eosTokenID { c.eosTokenId = [eos] }
            (config, tensors) = (.llama(c), model.hfParameters(layers: keep))
        case let model as GPT2Model:
            var c = model.config
            c.nLayer = keep.count
            c.bosTokenId = c.bosTokenId ?? tokenizer?.bosTokenID
            if c.eosTokenId.isEmpty, let eos = tokenizer?.eosTokenID { c.eosTokenId = [eos] }
            (config, tensors) = (.gpt2(c), model.hfParameters(layers: keep))
        default:
            throw CheckpointError.unsupportedModel(path: opened.path, reason: "only Llama and GPT-2 family models can be written")
        }
        let (bos, eos): (Int?, [Int]) = switch config {
        case .llama(let c): (c.bosTokenId, c.eosTokenId)
        case .gpt2(let c): (c.bosTokenId, c.eosTokenId)
        }
        try write(folder: target, config: config, tensors: tensors, tokenizer: tokenizer, chatTemplate: opened.chatTemplateSource,
                  generation: HFGenerationConfig(bosTokenID: bos, eosTokenIDs: eos))
        return tensors.values.reduce(0) { $0 + $1.count }
    }

    /// Whether `folder` is a Hugging Face model folder (it has `config.json`).
    public static func isCheckpoint(_ folder: String) -> Bool {
        FileManager.default.fileExists(atPath: folder + "/config.json")
    }

    /// The number of decoder layers of a Llama or GPT-2 model.
    static func layerCount(of opened: OpenedModel) throws -> Int {
        switch opened.model {
        case let model as LlamaModel: model.config.numHiddenLayers
        case let model as GPT2Model: model.config.nLayer
        default: throw CheckpointError.unsupportedModel(path: opened.path, reason: "only Llama and GPT-2 family models can be written")
        }
    }

    /// Throws unless `target` is absent, an empty folder, or a checkpoint.
    static func checkReplaceable(_ target: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: target, isDirectory: &isDir) else { return }
        let empty = (try? FileManager.default.contentsOfDirectory(atPath: target))?.isEmpty == true
        guard isDir.boolValue && (isCheckpoint(target) || empty) else { throw CheckpointError.notACheckpoint(path: target) }
    }

    /// config.json: the configuration's own keys plus architectures, model_type and torch_dtype.
    static func configJSON(_ config: HFModelConfig, untiedGPT2Head: Bool) throws -> Data {
        let encoded: Data, extra: [String: Any]
        switch config {
        case .llama(var c):
            c.rmsNormEps = shortestFloat32(c.rmsNormEps)
            c.ropeTheta = shortestFloat32(c.ropeTheta)
            encoded = try JSONEncoder().encode(c)
            extra = ["architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu",
                     "attention_bias": false, "mlp_bias": false]
        case .gpt2(var c):
            c.layerNormEpsilon = shortestFloat32(c.layerNormEpsilon)
            encoded = try JSONEncoder().encode(c)
            extra = ["architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "tie_word_embeddings": !untiedGPT2Head]
        }
        var object = try JSONSerialization.jsonObject(with: encoded) as? [String: Any] ?? [:]
        object.merge(extra) { _, new in new }
        object["torch_dtype"] = "float32"
        return try jsonData(object)
    }

    /// A value that is exactly a float32 (GGUF metadata is) as the shortest decimal that reads back as that
    /// float32, so that config.json says 1e-05 rather than 9.999999747378752e-06; other values are unchanged.
    static func shortestFloat32(_ x: Double) -> Double {
        let f = Float(x)
        guard f.isFinite, Double(f) == x, let shortest = Double("\(f)") else { return x }
        return shortest
    }

    /// generation_config.json.
    static func generationJSON(_ g: HFGenerationConfig) throws -> Data {
        var object: [String: Any] = [:]
        object["bos_token_id"] = g.bosTokenID
        if g.eosTokenIDs.count == 1 { object["eos_token_id"] = g.eosTokenIDs[0] } else if !g.eosTokenIDs.isEmpty { object["eos_token_id"] = g.eosTokenIDs }
        object["max_new_tokens"] = g.maxNewTokens
        return try jsonData(object)
    }

    private static func jsonData(_ object: [String: Any]) throws -> Data {
        var data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        data.append(0x0A)
        return data
    }
}
