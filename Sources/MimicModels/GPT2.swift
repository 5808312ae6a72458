// The GPT-2 family: learned positions, pre-LayerNorm blocks with biases, fused QKV, GELU (tanh) MLP,
// tied embeddings. Config with Hugging Face key names, parameters, forward.
import Foundation
import MimicTensor

/// A GPT-2 configuration with Hugging Face `config.json` key names.
public struct GPT2Config: Codable, Sendable, Equatable {
    /// Vocabulary size (`vocab_size`).
    public var vocabSize: Int
    /// Number of learned positions, the context length (`n_positions`; 1024 when absent).
    public var nPositions: Int
    /// Hidden size (`n_embd`).
    public var nEmbd: Int
    /// Number of transformer blocks (`n_layer`).
    public var nLayer: Int
    /// Number of attention heads (`n_head`); must divide `nEmbd`.
    public var nHead: Int
    /// MLP hidden size (`n_inner`); nil means 4 × `nEmbd`.
    public var nInner: Int?
    /// LayerNorm epsilon (`layer_norm_epsilon`; 1e-5 when absent).
    public var layerNormEpsilon: Double
    /// MLP activation (`activation_function`); the tanh GELUs (`gelu_new`, the default) are supported.
    public var activationFunction: String
    /// Beginning-of-sequence id (`bos_token_id`), if any.
    public var bosTokenId: Int?
    /// End-of-sequence ids (`eos_token_id`, a number or a list in the JSON).
    public var eosTokenId: [Int]

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", nPositions = "n_positions", nEmbd = "n_embd", nLayer = "n_layer"
        case nHead = "n_head", nInner = "n_inner", layerNormEpsilon = "layer_norm_epsilon"
        case activationFunction = "activation_function", bosTokenId = "bos_token_id", eosTokenId = "eos_token_id"
        case modelType = "model_type"
    }

    /// A configuration with GPT-2's defaults for the optional fields.
    public init(vocabSize: Int, nPositions: Int, nEmbd: Int, nLayer: Int, nHead: Int, nInner: Int? = nil,
                layerNormEpsilon: Double = 1e-5, activationFunction: String = "gelu_new",
                bosTokenId: Int? = nil, eosTokenId: [Int] = []) {
        self.vocabSize = vocabSize
        self.nPositions = nPositions
        self.nEmbd = nEmbd
        self.nLayer = nLayer
        self.nHead = nHead
        self.nInner = nInner
        self.layerNormEpsilon = layerNormEpsilon
        self.activationFunction = activationFunction
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
    }

    /// Decodes `config.json`, filling Hugging Face's defaults for absent optional keys.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            vocabSize: try c.decode(Int.self, forKey: .vocabSize), nPositions: try c.decodeIfPresent(Int.self, forKey: .nPositions) ?? 1024,
            nEmbd: try c.decode(Int.self, forKey: .nEmbd), nLayer: try c.decode(Int.self, forKey: .nLayer),
            nHead: try c.decode(Int.self, forKey: .nHead), nInner: try c.decodeIfPresent(Int.self, forKey: .nInner),
            layerNormEpsilon: try c.decodeIfPresent(Double.self, forKey: .layerNormEpsilon) ?? 1e-5,
            activationFunction: try c.decodeIfPresent(String.self, forKey: .activationFunction) ?? "gelu_new",
            bosTokenId: try c.decodeIfPresent(Int.self, forKey: .bosTokenId), eosTokenId: try decodeIntOrList(c, .eosTokenId))
    }

    /// Encodes as `config.json` keys, with `model_type` "gpt2".
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("gpt2", forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize)
        try c.encode(nPositions, forKey: .nPositions)
        try c.encode(nEmbd, forKey: .nEmbd)
        try c.encode(nLayer, forKey: .nLayer)
        try c.encode(nHead, forKey: .nHead)
        try c.encodeIfPresent(nInner, forKey: .nInner)
        try c.encode(layerNormEpsilon, forKey: .layerNormEpsilon)
        try c.encode(activationFunction, forKey: .activationFunction)
        try c.encodeIfPresent(bosTokenId, forKey: .bosTokenId)
        if eosTokenId.count == 1 { try c.encode(eosTokenId[0], forKey: .eosTokenId) }
    }

    /// The MLP width (n_inner, or 4 · n_embd).
    public var innerSize: Int { nInner ?? 4 * nEmbd }
}

/// Tensor names of GPT-2 in one file format, and whether its matrices are stored (in, out) as HF's Conv1D does.
struct GPT2Names {
    let wte, wpe, lnfW, lnfB: String
    /// An untied output projection, where the format has one.
    let output: String?
    let layer: (Int, String) -> String
    let conv1D: Bool

    static let gguf = GPT2Names(wte: "token_embd.weight", wpe: "position_embd.weight", lnfW: "output_norm.weight",
                                lnfB: "output_norm.bias", output: "output.weight", layer: { i, p in
        let map = ["ln1": "attn_norm", "qkv": "attn_qkv", "proj": "attn_output", "ln2": "ffn_norm", "fc": "ffn_up",
                   "fcproj": "ffn_down"]
        let (base, kind) = splitPart(p)
        return "blk.\(i).\(map[base]!).\(kind)"
    }, conv1D: false)

    /// `prefix` is "transformer." for GPT2LMHeadModel checkpoints and "" for GPT2Model ones; `untiedHead` (config
    /// `tie_word_embeddings` false) reads the output projection from `lm_head.weight` where there is one.
    static func hf(prefix: String, untiedHead: Bool = false) -> GPT2Names {
        GPT2Names(wte: prefix + "wte.weight", wpe: prefix + "wpe.weight", lnfW: prefix + "ln_f.weight", lnfB: prefix + "ln_f.bias",
                  output: untiedHead ? "lm_head.weight" : nil, layer: { i, p in
            let map = ["ln1": "ln_1", "qkv": "attn.c_attn", "proj": "attn.c_proj", "ln2": "ln_2", "fc": "mlp.c_fc",
                       "fcproj": "mlp.c_proj"]
            let (base, kind) = splitPart(p)
            return "\(prefix)h.\(i).\(map[base]!).\(kind)"
        }, conv1D: true)
    }

    private static func splitPart(_ p: String) -> (String, String) {
        let parts = p.split(separator: ".")
        return (String(parts[0]), String(parts[1]))
    }
}

struct GPT2Layer {
    let ln1W, ln1B, ln2W, ln2B: Tensor     // (C)
    let qkv: WeightMatrix, qkvB: Tensor    // (3C, C), (3C)
    let proj: WeightMatrix, projB: Tensor  // (C, C), (C)
    let fc: WeightMatrix, fcB: Tensor      // (F, C), (F)
    let fcProj: WeightMatrix, fcProjB: Tensor  // (C, F), (C)
}

/// A GPT-2-family causal language model.
public final class GPT2Model: LanguageModel, @unchecked Sendable {
    /// The model's configuration.
    public let config: GPT2Config
    let wte: WeightMatrix     // (V, C)
    let output: WeightMatrix  // (V, C): `output.weight` in GGUF files that have one, else wte (tied)
    let wpe: Tensor        // (P, C)
    let lnfW, lnfB: Tensor
    let layers: [GPT2Layer]
    let shape: AttentionShape

    init(config: GPT2Config, source: WeightSource, names: GPT2Names) throws {
        let c = config, C = c.nEmbd, F = c.innerSize
        try checkSizes(source.path, [("vocab_size", c.vocabSize), ("n_positions", c.nPositions), ("n_embd", C),
                                     ("n_layer", c.nLayer), ("n_head", c.nHead), ("n_inner", F)])
        guard ["gelu_new", "gelu_pytorch_tanh", "gelu_fast"].contains(c.activationFunction) else {
            throw ModelError.invalid(file: source.path, field: "activation_function",
                                     problem: "'\(c.activationFunction)' is not supported (gelu_new is)")
        }
        guard C % c.nHead == 0 else {
            throw ModelError.invalid(file: source.path, field: "n_head", problem: "\(c.nHead) does not divide n_embd \(C)")
        }
        self.config = c
        wte = try source.matrix(names.wte, shape: [c.vocabSize, C])
        var head = names.output.map(source.has) == true ? try source.matrix(names.output!, shape: [c.vocabSize, C]) : wte
        head.allowsRoundedActivations = false
        output = head
        wpe = try source.floats(names.wpe, count: c.nPositions * C)
        lnfW = try source.floats(names.lnfW, count: C)
        lnfB = try source.floats(names.lnfB, count: C)
        func matrix(_ name: String, _ rows: Int, _ cols: Int) throws -> WeightMatrix {
            guard names.conv1D else { return try source.matrix(name, shape: [rows, cols]).packedForDecoding() }
            // Conv1D stores (in, out): transpose once into an owned FP32 matrix.
            let t = try source.floats(name, count: rows * cols)
            let out = Tensor(zeros: [rows, cols])
            for i in 0..<cols { for j in 0..<rows { out.data[j * cols + i] = t.data[i * rows + j] } }
            return WeightMatrix(out)
        }
        layers = try (0..<c.nLayer).map { i in
            let n = { names.layer(i, $0) }
            return GPT2Layer(
                ln1W: try source.floats(n("ln1.weight"), count: C), ln1B: try source.floats(n("ln1.bias"), count: C),
                ln2W: try source.floats(n("ln2.weight"), count: C), ln2B: try source.floats(n("ln2.bias"), count: C),
                qkv: try matrix(n("qkv.weight"), 3 * C, C), qkvB: try source.floats(n("qkv.bias"), count: 3 * C),
                proj: try matrix(n("proj.weight"), C, C), projB: try source.floats(n("proj.bias"), count: C),
                fc: try matrix(n("fc.weight"), F, C), fcB: try source.floats(n("fc.bias"), count: F),
                fcProj: try matrix(n("fcproj.weight"), C, F), fcProjB: try source.floats(n("fcproj.bias"), count: C))
        }
        shape = AttentionShape(heads: c.nHead, kvHeads: c.nHead, headDim: C / c.nHead)
    }

    /// Keep activations FP32 in every product (see `LanguageModel.exactActivations`).
    public var exactActivations = false
    /// Vocabulary size of the logits (`vocabSize`).
    public var vocabularySize: Int { config.vocabSize }
    /// The context length (`nPositions`).
    public var contextLength: Int { config.nPositions }

    /// Every weight matrix a forward pass multiplies by (what `mimic bench --verbose` names kernels for).
    public var weightMatrices: [WeightMatrix] { layers.flatMap { [$0.qkv, $0.proj, $0.fc, $0.fcProj] } + [output] }

    /// One line: layers, hidden size, heads, MLP size, vocabulary and context.
    public var summary: String {
        let c = config
        return "gpt2: \(c.nLayer) layers, hidden \(c.nEmbd), \(c.nHead) heads, MLP \(c.innerSize), "
            + "vocabulary \(c.vocabSize), context \(c.nPositions), \(output.bytes == wte.bytes ? "tied" : "untied") embeddings"
    }

    /// A cache of `capacity` positions (default and maximum: `nPositions`).
    public func makeCache(capacity: Int? = nil) -> KVCache {
        KVCache(layers: config.nLayer, width: config.nEmbd, capacity: min(capacity ?? config.nPositions, config.nPositions))
    }

    /// y (T, n) += bias (n) on every row.
    private func addBias(_ y: UnsafeMutablePointer<Float>, _ bias: Tensor, rows: Int, n: Int) {
        for r in 0..<rows { Kernels.add(y + r * n, bias.data, n: n) }
    }

    /// Runs `tokens` at positions cache.length…, appending their keys and values; returns (rows, vocab) logits
    /// per `mode`; throws ModelError if the cache does not fit, the context overflows or a token is out of range.
    public func forward(_ tokens: [Int], cache: KVCache, logits mode: LogitsMode) throws -> Tensor {
        let T = tokens.count, C = config.nEmbd, F = config.innerSize, V = config.vocabSize
        guard T > 0 else { return Tensor(zeros: [0, V]) }
        try cache.check(layers: layers.count, width: C)
        try cache.reserve(T)
        guard cache.length + T <= config.nPositions else {
            throw ModelError.contextOverflow(needed: cache.length + T, capacity: config.nPositions)
        }
        for t in tokens where !(0..<V).contains(t) { throw ModelError.tokenOutOfRange(token: t, vocabulary: V) }
        let p0 = cache.length, eps = Float(config.layerNormEpsilon)
        let scratch = Scratch(), attnScratch = Scratch()
        let x = Tensor(zeros: [T, C]), h = Tensor(zeros: [T, C]), tmp = Tensor(zeros: [T, C])    // (T, C)
        let qkv = Tensor(zeros: [T, 3 * C]), q = Tensor(zeros: [T, C]), att = Tensor(zeros: [T, C])
        let f = Tensor(zeros: [T, F])                                                           // (T, F)
        for (i, t) in tokens.enumerated() {
            wte.dequantizeRows(t..<(t + 1), into: x.row(i))
            Kernels.add(x.row(i), wpe.data + (p0 + i) * C, n: C)
        }
        for (l, layer) in layers.enumerated() {
            Kernels.layerNorm(x.data, weight: layer.ln1W.data, bias: layer.ln1B.data, out: h.data, rows: T, n: C, eps: eps)
            layer.qkv.matmul(h.data, batch: T, into: qkv.data, exact: exactActivations, scratch: scratch)
            addBias(qkv.data, layer.qkvB, rows: T, n: 3 * C)
            let kRows = cache.keys(l) + p0 * C, vRows = cache.values(l) + p0 * C
            for t in 0..<T {
                let row = qkv.row(t)
                q.row(t).update(from: row, count: C)
                kRows.advanced(by: t * C).update(from: row + C, count: C)
                vRows.advanced(by: t * C).update(from: row + 2 * C, count: C)
            }
            causalAttention(q: q.data, keys: cache.keys(l), values: cache.values(l), out: att.data, tokens: T, p0: p0,
                            shape: shape, scratch: attnScratch)
            layer.proj.matmul(att.data, batch: T, into: tmp.data, exact: exactActivations, scratch: scratch)
            addBias(tmp.data, layer.projB, rows: T, n: C)
            Kernels.add(x.data, tmp.data, n: T * C)
            Kernels.layerNorm(x.data, weight: layer.ln2W.data, bias: layer.ln2B.data, out: h.data, rows: T, n: C, eps: eps)
            layer.fc.matmul(h.data, batch: T, into: f.data, exact: exactActivations, scratch: scratch)
            addBias(f.data, layer.fcB, rows: T, n: F)
            Kernels.geluTanh(f.data, n: T * F)
            layer.fcProj.matmul(f.data, batch: T, into: tmp.data, exact: exactActivations, scratch: scratch)
            addBias(tmp.data, layer.fcProjB, rows: T, n: C)
            Kernels.add(x.data, tmp.data, n: T * C)
        }
        cache.length = p0 + T
        guard let first = mode.firstRow(of: T) else { return Tensor(zeros: [0, V]) }
        let rows = T - first
        Kernels.layerNorm(x.row(first), weight: lnfW.data, bias: lnfB.data, out: h.data, rows: rows, n: C, eps: eps)
        let logits = Tensor(zeros: [rows, V])
        output.matmul(h.data, batch: rows, into: logits.data, exact: exactActivations, scratch: scratch)
        return logits
    }
}
