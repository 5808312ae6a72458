// Model configurations read from a GGUF file's metadata (llama.cpp's `<arch>.*` keys).
import Foundation
import MimicTensor

extension GGUFFile {
    /// The model architecture (`general.architecture`).
    public var architecture: String { string("general.architecture") ?? "unknown" }

    /// A Llama configuration from `llama.*` keys (also used by SmolLM2 and other Llama-architecture models).
    public func llamaConfig() throws -> LlamaConfig {
        let a = architecture
        guard let embd = tensor("token_embd.weight"), embd.dims.count == 2 else {
            throw ModelError.missingTensor(file: path, tensor: "token_embd.weight")
        }
        let heads = try requireInt("\(a).attention.head_count")
        let hidden = try requireInt("\(a).embedding_length")
        try checkSizes(path, [("\(a).attention.head_count", heads), ("\(a).embedding_length", hidden)])
        var scaling: RopeScaling?
        if let type = string("\(a).rope.scaling.type"), type != "none" {
            scaling = RopeScaling(ropeType: type, factor: double("\(a).rope.scaling.factor") ?? 1)
        }
        return LlamaConfig(
            vocabSize: embd.dims[1], hiddenSize: hidden,
            intermediateSize: try requireInt("\(a).feed_forward_length"),
            numHiddenLayers: try requireInt("\(a).block_count"), numAttentionHeads: heads,
            numKeyValueHeads: int("\(a).attention.head_count_kv") ?? heads,
            headDim: int("\(a).attention.key_length") ?? hidden / heads,
            maxPositionEmbeddings: int("\(a).context_length") ?? 2048,
            rmsNormEps: double("\(a).attention.layer_norm_rms_epsilon") ?? 1e-5,
            ropeTheta: double("\(a).rope.freq_base") ?? 10000, ropeScaling: scaling,
            tieWordEmbeddings: tensor("output.weight") == nil, rotaryDim: int("\(a).rope.dimension_count"),
            bosTokenId: int("tokenizer.ggml.bos_token_id"), eosTokenId: int("tokenizer.ggml.eos_token_id").map { [$0] } ?? [])
    }

    /// Loads the model this file holds.
    public func loadModel() throws -> any LanguageModel {
        switch architecture {
        case "llama":
            let config = try llamaConfig()
            let factors = has("rope_freqs.weight") ? try floats("rope_freqs.weight", count: config.rotaryDim / 2).array : nil
            return try LlamaModel(config: config, source: self, names: .gguf, interleavedRope: true, freqFactors: factors)
        case "gpt2":
            return try GPT2Model(config: try gpt2Config(), source: self, names: .gguf)
        default:
            throw ModelError.unsupportedArchitecture(file: path, architecture: architecture)
        }
    }

    /// A GPT-2 configuration from `gpt2.*` keys.
    public func gpt2Config() throws -> GPT2Config {
        guard let embd = tensor("token_embd.weight"), embd.dims.count == 2 else {
            throw ModelError.missingTensor(file: path, tensor: "token_embd.weight")
        }
        return GPT2Config(
            vocabSize: embd.dims[1], nPositions: try requireInt("gpt2.context_length"),
            nEmbd: try requireInt("gpt2.embedding_length"), nLayer: try requireInt("gpt2.block_count"),
            nHead: try requireInt("gpt2.attention.head_count"), nInner: int("gpt2.feed_forward_length"),
            layerNormEpsilon: double("gpt2.attention.layer_norm_epsilon") ?? 1e-5)
    }
}
