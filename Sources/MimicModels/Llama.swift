// The Llama family (Llama 2/3, SmolLM2, Mistral-style): RMSNorm, rotary embeddings, grouped-query attention,
// SwiGLU MLP, tied or untied embeddings. Config with Hugging Face key names, parameters, forward.
import Foundation
import MimicTensor

/// A Llama configuration with Hugging Face `config.json` key names.
public struct LlamaConfig: Codable, Sendable, Equatable {
    /// Vocabulary size (`vocab_size`).
    public var vocabSize: Int
    /// Hidden size (`hidden_size`).
    public var hiddenSize: Int
    /// SwiGLU MLP hidden size (`intermediate_size`).
    public var intermediateSize: Int
    /// Number of decoder layers (`num_hidden_layers`).
    public var numHiddenLayers: Int
    /// Number of query heads (`num_attention_heads`).
    public var numAttentionHeads: Int
    /// Number of key/value heads (`num_key_value_heads`; defaults to the query heads); must divide them.
    public var numKeyValueHeads: Int
    /// Dimensions per head (`head_dim`; defaults to hiddenSize / numAttentionHeads).
    public var headDim: Int
    /// Context length (`max_position_embeddings`; 2048 when absent).
    public var maxPositionEmbeddings: Int
    /// RMSNorm epsilon (`rms_norm_eps`; 1e-6 when absent).
    public var rmsNormEps: Double
    /// RoPE base (`rope_theta`; 10000 when absent).
    public var ropeTheta: Double
    /// RoPE frequency scaling (`rope_scaling`), if any.
    public var ropeScaling: RopeScaling?
    /// Whether the output head shares the token embedding (`tie_word_embeddings`; false when absent).
    public var tieWordEmbeddings: Bool
    /// Dimensions of each head that RoPE rotates (HF `partial_rotary_factor` × head_dim; GGUF
    /// `rope.dimension_count`); the rest pass through unrotated.
    public var rotaryDim: Int
    /// Beginning-of-sequence id (`bos_token_id`), if any.
    public var bosTokenId: Int?
    /// End-of-sequence ids (`eos_token_id`, a number or a list in the JSON).
    public var eosTokenId: [Int]

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads", headDim = "head_dim"
        case maxPositionEmbeddings = "max_position_embeddings", rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta", ropeScaling = "rope_scaling", tieWordEmbeddings = "tie_word_embeddings"
        case bosTokenId = "bos_token_id", eosTokenId = "eos_token_id", attentionBias = "attention_bias"
        case mlpBias = "mlp_bias", modelType = "model_type", partialRotaryFactor = "partial_rotary_factor"
    }

    /// A configuration; `headDim` defaults to hiddenSize / numAttentionHeads and `rotaryDim` to `headDim`.
    public init(vocabSize: Int, hiddenSize: Int, intermediateSize: Int, numHiddenLayers: Int, numAttentionHeads: Int,
                numKeyValueHeads: Int, headDim: Int? = nil, maxPositionEmbeddings: Int, rmsNormEps: Double,
                ropeTheta: Double, ropeScaling: RopeScaling? = nil, tieWordEmbeddings: Bool, rotaryDim: Int? = nil,
                bosTokenId: Int? = nil, eosTokenId: [Int] = []) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numKeyValueHeads = numKeyValueHeads
        self.headDim = headDim ?? hiddenSize / numAttentionHeads
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.rmsNormEps = rmsNormEps
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.tieWordEmbeddings = tieWordEmbeddings
        self.rotaryDim = rotaryDim ?? self.headDim
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
    }

    /// Decodes with the defaults `transformers` applies for absent keys.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let attentionBias = try c.decodeIfPresent(Bool.self, forKey: .attentionBias) ?? false
        let mlpBias = try c.decodeIfPresent(Bool.self, forKey: .mlpBias) ?? false
        if attentionBias || mlpBias {
            throw DecodingError.dataCorruptedError(forKey: .attentionBias, in: c,
                                                   debugDescription: "attention or MLP biases are not supported")
        }
        let heads = try c.decode(Int.self, forKey: .numAttentionHeads)
        let hidden = try c.decode(Int.self, forKey: .hiddenSize)
        guard heads > 0 else {
            throw DecodingError.dataCorruptedError(forKey: .numAttentionHeads, in: c, debugDescription: "must be at least 1")
        }
        self.init(
            vocabSize: try c.decode(Int.self, forKey: .vocabSize), hiddenSize: hidden,
            intermediateSize: try c.decode(Int.self, forKey: .intermediateSize),
            numHiddenLayers: try c.decode(Int.self, forKey: .numHiddenLayers), numAttentionHeads: heads,
            numKeyValueHeads: try c.decodeIfPresent(Int.self, forKey: .numKeyValueHeads) ?? heads,
            headDim: try c.decodeIfPresent(Int.self, forKey: .headDim),
            maxPositionEmbeddings: try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 2048,
            rmsNormEps: try c.decodeIfPresent(Double.self, forKey: .rmsNormEps) ?? 1e-6,
            ropeTheta: try c.decodeIfPresent(Double.self, forKey: .ropeTheta) ?? 10000,
            ropeScaling: try c.decodeIfPresent(RopeScaling.self, forKey: .ropeScaling),
            tieWordEmbeddings: try c.decodeIfPresent(Bool.self, forKey: .tieWordEmbeddings) ?? false,
            rotaryDim: try c.decodeIfPresent(Double.self, forKey: .partialRotaryFactor).map { factor in
                Int(Double(try c.decodeIfPresent(Int.self, forKey: .headDim) ?? hidden / heads) * factor)
            },
            bosTokenId: try c.decodeIfPresent(Int.self, forKey: .bosTokenId),
            eosTokenId: try decodeIntOrList(c, .eosTokenId))
    }

    /// Encodes as `config.json` keys, with `model_type` "llama".
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("llama", forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(intermediateSize, forKey: .intermediateSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers)
        try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(numKeyValueHeads, forKey: .numKeyValueHeads)
        try c.encode(headDim, forKey: .headDim)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(rmsNormEps, forKey: .rmsNormEps)
        try c.encode(ropeTheta, forKey: .ropeTheta)
        try c.encodeIfPresent(ropeScaling, forKey: .ropeScaling)
        try c.encode(tieWordEmbeddings, forKey: .tieWordEmbeddings)
        if rotaryDim != headDim { try c.encode(Double(rotaryDim) / Double(headDim), forKey: .partialRotaryFactor) }
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId)
        if eosTokenId.count == 1 { try c.encode(eosTokenId[0], forKey: .eosTokenId) } else { try c.encode(eosTokenId, forKey: .eosTokenId) }
    }
}

/// Throws unless every named size is in 1...2^24 (a corrupt or hostile config must not allocate wildly).
func checkSizes(_ file: String, _ sizes: [(String, Int)]) throws {
    for (name, value) in sizes where !(1...(1 << 24)).contains(value) {
        throw ModelError.invalid(file: file, field: name, problem: "\(value) is out of range (1 to 16777216)")
    }
}

/// An id given as a number or a list of numbers (as `eos_token_id` is).
func decodeIntOrList<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws -> [Int] {
    if let list = try? c.decodeIfPresent([Int].self, forKey: key) { return list }
    return try c.decodeIfPresent(Int.self, forKey: key).map { [$0] } ?? []
}

/// Tensor names of the Llama family in one file format.
struct LlamaNames {
    let embed, norm, output: String
    let layer: (Int, String) -> String

    /// llama.cpp's GGUF names.
    static let gguf = LlamaNames(embed: "token_embd.weight", norm: "output_norm.weight", output: "output.weight") { i, part in
        let map = ["q": "attn_q", "k": "attn_k", "v": "attn_v", "o": "attn_output", "attn_norm": "attn_norm",
                   "ffn_norm": "ffn_norm", "gate": "ffn_gate", "up": "ffn_up", "down": "ffn_down"]
        return "blk.\(i).\(map[part]!).weight"
    }

    /// Hugging Face `transformers` names.
    static let hf = LlamaNames(embed: "model.embed_tokens.weight", norm: "model.norm.weight", output: "lm_head.weight") { i, part in
        let map = ["q": "self_attn.q_proj", "k": "self_attn.k_proj", "v": "self_attn.v_proj", "o": "self_attn.o_proj",
                   "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm", "gate": "mlp.gate_proj",
                   "up": "mlp.up_proj", "down": "mlp.down_proj"]
        return "model.layers.\(i).\(map[part]!).weight"
    }
}

/// One decoder block's parameters.
struct LlamaLayer {
    let attnNorm, ffnNorm: Tensor          // (C)
    let wq, wk, wv, wo: WeightMatrix       // (H·D, C), (Hkv·D, C), (Hkv·D, C), (C, H·D)
    let gate, up, down: WeightMatrix       // (F, C), (F, C), (C, F)
}

/// A Llama-family causal language model.
public final class LlamaModel: LanguageModel, @unchecked Sendable {
    /// The model's configuration.
    public let config: LlamaConfig
    let embed: WeightMatrix   // (V, C)
    let output: WeightMatrix  // (V, C)
    let norm: Tensor          // (C)
    let layers: [LlamaLayer]
    let rope: RotaryEmbedding
    let shape: AttentionShape

    /// Reads parameters from `source` with the given names; `interleavedRope` is true for GGUF files.
    init(config: LlamaConfig, source: WeightSource, names: LlamaNames, interleavedRope: Bool, freqFactors: [Float]? = nil) throws {
        let c = config, C = c.hiddenSize, F = c.intermediateSize
        try checkSizes(source.path, [("vocab_size", c.vocabSize), ("hidden_size", C), ("intermediate_size", F),
                                     ("num_hidden_layers", c.numHiddenLayers), ("num_attention_heads", c.numAttentionHeads),
                                     ("num_key_value_heads", c.numKeyValueHeads), ("head_dim", c.headDim),
                                     ("max_position_embeddings", c.maxPositionEmbeddings)])
        let qw = c.numAttentionHeads * c.headDim, kvw = c.numKeyValueHeads * c.headDim
        guard c.numAttentionHeads % c.numKeyValueHeads == 0 else {
            throw ModelError.invalid(file: source.path, field: "num_key_value_heads",
                                     problem: "\(c.numAttentionHeads) heads cannot be grouped over \(c.numKeyValueHeads)")
        }
        guard c.rotaryDim % 2 == 0, (2...c.headDim).contains(c.rotaryDim) else {
            throw ModelError.invalid(file: source.path, field: "head_dim / rotary dimensions",
                                     problem: "RoPE rotates \(c.rotaryDim) of \(c.headDim) dimensions; it needs an even number, at most head_dim")
        }
        guard c.rmsNormEps.isFinite, c.rmsNormEps >= 0, c.ropeTheta.isFinite, c.ropeTheta > 0 else {
            throw ModelError.invalid(file: source.path, field: "rms_norm_eps / rope_theta", problem: "must be finite and positive")
        }
        self.config = c
        embed = try source.matrix(names.embed, shape: [c.vocabSize, C])
        var head = c.tieWordEmbeddings ? embed : try source.matrix(names.output, shape: [c.vocabSize, C])
        head.allowsRoundedActivations = false
        output = head
        norm = try source.floats(names.norm, count: C)
        layers = try (0..<c.numHiddenLayers).map { i in
            let n = { names.layer(i, $0) }
            return LlamaLayer(
                attnNorm: try source.floats(n("attn_norm"), count: C), ffnNorm: try source.floats(n("ffn_norm"), count: C),
                wq: try source.matrix(n("q"), shape: [qw, C]).packedForDecoding(),
                wk: try source.matrix(n("k"), shape: [kvw, C]).packedForDecoding(),
                wv: try source.matrix(n("v"), shape: [kvw, C]).packedForDecoding(),
                wo: try source.matrix(n("o"), shape: [C, qw]).packedForDecoding(),
                gate: try source.matrix(n("gate"), shape: [F, C]).packedForDecoding(),
                up: try source.matrix(n("up"), shape: [F, C]).packedForDecoding(),
                down: try source.matrix(n("down"), shape: [C, F]).packedForDecoding())
        }
        rope = try RotaryEmbedding(dim: c.rotaryDim, base: c.ropeTheta, scaling: c.ropeScaling, interleaved: interleavedRope,
                                     freqFactors: freqFactors)
        shape = AttentionShape(heads: c.numAttentionHeads, kvHeads: c.numKeyValueHeads, headDim: c.headDim)
    }

    /// Keep activations FP32 in every product (see `LanguageModel.exactActivations`).
    public var exactActivations = false
    /// Vocabulary size of the logits (`vocabSize`).
    public var vocabularySize: Int { config.vocabSize }
    /// The context length (`maxPositionEmbeddings`).
    public var contextLength: Int { config.maxPositionEmbeddings }

    /// Every weight matrix a forward pass multiplies by (what `mimic bench --verbose` names kernels for).
    public var weightMatrices: [WeightMatrix] { layers.flatMap { [$0.wq, $0.wk, $0.wv, $0.wo, $0.gate, $0.up, $0.down] } + [output] }

    /// One line: layers, hidden size, heads and KV heads, FFN size, vocabulary, RoPE, embeddings and context.
    public var summary: String {
        let c = config
        return "llama: \(c.numHiddenLayers) layers, hidden \(c.hiddenSize), \(c.numAttentionHeads) heads / "
            + "\(c.numKeyValueHeads) KV heads (head dim \(c.headDim)), FFN \(c.intermediateSize), vocabulary \(c.vocabSize), "
            + "RoPE base \(c.ropeTheta)\(c.ropeScaling.map { " (\($0.ropeType) ×\($0.factor))" } ?? ""), "
            + "\(c.tieWordEmbeddings ? "tied" : "untied") embeddings, context \(c.maxPositionEmbeddings)"
    }

    /// A cache of `capacity` positions (default: `maxPositionEmbeddings`).
    public func makeCache(capacity: Int? = nil) -> KVCache {
        KVCache(layers: config.numHiddenLayers, width: shape.kvWidth, capacity: capacity ?? config.maxPositionEmbeddings)
    }

    /// Runs `tokens` at positions cache.length…, appending their keys and values; returns (rows, vocab) logits
    /// per `mode`. Throws ModelError if the cache does not fit the model, is full, or a token is out of range.
    public func forward(_ tokens: [Int], cache: KVCache, logits mode: LogitsMode) throws -> Tensor {
        let T = tokens.count, C = config.hiddenSize, F = config.intermediateSize, V = config.vocabSize
        guard T > 0 else { return Tensor(zeros: [0, V]) }
        try cache.check(layers: layers.count, width: shape.kvWidth)
        try cache.reserve(T)
        for t in tokens where !(0..<V).contains(t) { throw ModelError.tokenOutOfRange(token: t, vocabulary: V) }
        let p0 = cache.length, qw = shape.qWidth, kvw = shape.kvWidth, eps = Float(config.rmsNormEps)
        let scratch = Scratch(), attnScratch = Scratch()
        let x = Tensor(zeros: [T, C]), h = Tensor(zeros: [T, C]), tmp = Tensor(zeros: [T, C])   // (T, C)
        let q = Tensor(zeros: [T, qw]), att = Tensor(zeros: [T, qw])                           // (T, H·D)
        let gate = Tensor(zeros: [T, F]), up = Tensor(zeros: [T, F])                           // (T, F)
        for (i, t) in tokens.enumerated() { embed.dequantizeRows(t..<(t + 1), into: x.row(i)) }
        let (cosT, sinT) = rope.tables(from: p0, count: T)
        for (l, layer) in layers.enumerated() {
            Kernels.rmsNorm(x.data, weight: layer.attnNorm.data, out: h.data, rows: T, n: C, eps: eps)
            let kRows = cache.keys(l) + p0 * kvw, vRows = cache.values(l) + p0 * kvw   // (T, Hkv·D) in the cache
            layer.wq.matmul(h.data, batch: T, into: q.data, exact: exactActivations, scratch: scratch)
            layer.wk.matmul(h.data, batch: T, into: kRows, ldy: kvw, exact: exactActivations, scratch: scratch)
            layer.wv.matmul(h.data, batch: T, into: vRows, ldy: kvw, exact: exactActivations, scratch: scratch)
            Kernels.rope(q.data, tokens: T, heads: shape.heads, dim: shape.headDim, stride: qw, cos: cosT, sin: sinT,
                         rotaryDim: rope.rotaryDim, interleaved: rope.interleaved)
            Kernels.rope(kRows, tokens: T, heads: shape.kvHeads, dim: shape.headDim, stride: kvw, cos: cosT, sin: sinT,
                         rotaryDim: rope.rotaryDim, interleaved: rope.interleaved)
            causalAttention(q: q.data, keys: cache.keys(l), values: cache.values(l), out: att.data, tokens: T, p0: p0,
                            shape: shape, scratch: attnScratch)
            layer.wo.matmul(att.data, batch: T, into: tmp.data, exact: exactActivations, scratch: scratch)
            Kernels.add(x.data, tmp.data, n: T * C)
            Kernels.rmsNorm(x.data, weight: layer.ffnNorm.data, out: h.data, rows: T, n: C, eps: eps)
            layer.gate.matmul(h.data, batch: T, into: gate.data, exact: exactActivations, scratch: scratch)
            layer.up.matmul(h.data, batch: T, into: up.data, exact: exactActivations, scratch: scratch)
            Kernels.siluMul(gate.data, up.data, n: T * F)
            layer.down.matmul(gate.data, batch: T, into: tmp.data, exact: exactActivations, scratch: scratch)
            Kernels.add(x.data, tmp.data, n: T * C)
        }
        cache.length = p0 + T
        guard let first = mode.firstRow(of: T) else { return Tensor(zeros: [0, V]) }
        let rows = T - first
        Kernels.rmsNorm(x.row(first), weight: norm.data, out: h.data, rows: rows, n: C, eps: eps)
        let logits = Tensor(zeros: [rows, V])
        output.matmul(h.data, batch: rows, into: logits.data, exact: exactActivations, scratch: scratch)
        return logits
    }
}
