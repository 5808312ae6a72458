// Dense FP32 parameters of a loaded model in Hugging Face names and layouts, as HFCheckpoint writes them:
// every weight dequantized, llama.cpp's Q/K row permutation undone, GPT-2's Conv1D (in, out) layout restored.
import Foundation
import MimicTensor

extension WeightMatrix {
    /// All rows dequantized to FP32: (rows, cols).
    func dense() -> Tensor {
        let out = Tensor(zeros: [rows, cols])
        dequantizeRows(0..<rows, into: out.data)
        return out
    }
}

extension Tensor {
    /// A copy with its own storage, reshaped to `shape` (same element count).
    func copy(shape: [Int]? = nil) -> Tensor {
        let out = Tensor(zeros: shape ?? self.shape)
        precondition(out.count == count, "copy to \(out.shape) from \(self.shape)")
        out.data.update(from: data, count: count)
        return out
    }

    /// The transpose of a (rows, cols) tensor: (cols, rows).
    func transposed() -> Tensor {
        let rows = shape[0], cols = shape[1]
        let out = Tensor(zeros: [cols, rows])
        for r in 0..<rows { for c in 0..<cols { out.data[c * rows + r] = data[r * cols + c] } }
        return out
    }
}

/// Undoes llama.cpp's Q/K permutation of a (heads·d, C) projection: GGUF row 2i+j of a head is HF row
/// j·(d/2)+i, for i < d/2 and j in {0, 1}, where d is the head dimension.
func unpermuteGGUFRows(_ t: Tensor, heads: Int, headDim d: Int) -> Tensor {
    let cols = t.shape[1], half = d / 2
    let out = t.copy()
    guard d % 2 == 0 else { return out }
    for h in 0..<heads {
        for i in 0..<half {
            for j in 0..<2 {
                let src = t.data + (h * d + 2 * i + j) * cols, dst = out.data + (h * d + j * half + i) * cols
                dst.update(from: src, count: cols)
            }
        }
    }
    return out
}

extension LlamaModel {
    /// Every parameter as dense FP32 in `LlamaForCausalLM` names and layouts (`model.layers.0.self_attn.q_proj.weight`,
    /// (out, in) matrices). For a model read from GGUF the Q and K rows are put back in Hugging Face order.
    /// With tied embeddings there is no `lm_head.weight`. The tensors are copies: changing them leaves the model as is.
    public func hfParameters() -> [String: Tensor] { hfParameters(layers: Array(layers.indices)) }

    /// The parameters with only the decoder layers `keep` (indices into this model's layers, each in range),
    /// renumbered 0..<keep.count in the order given.
    func hfParameters(layers keep: [Int]) -> [String: Tensor] {
        let names = LlamaNames.hf, c = config
        var out: [String: Tensor] = [names.embed: embed.dense(), names.norm: norm.copy()]
        if !c.tieWordEmbeddings { out[names.output] = output.dense() }
        for (new, old) in keep.enumerated() {
            let layer = layers[old], name = { names.layer(new, $0) }
            var q = layer.wq.dense(), k = layer.wk.dense()
            if rope.interleaved {
                q = unpermuteGGUFRows(q, heads: c.numAttentionHeads, headDim: c.headDim)
                k = unpermuteGGUFRows(k, heads: c.numKeyValueHeads, headDim: c.headDim)
            }
            out[name("q")] = q
            out[name("k")] = k
            out[name("v")] = layer.wv.dense()
            out[name("o")] = layer.wo.dense()
            out[name("gate")] = layer.gate.dense()
            out[name("up")] = layer.up.dense()
            out[name("down")] = layer.down.dense()
            out[name("attn_norm")] = layer.attnNorm.copy()
            out[name("ffn_norm")] = layer.ffnNorm.copy()
        }
        return out
    }

    /// The configuration to write beside `hfParameters()`.
    ///
    /// Throws `CheckpointError.unsupportedModel` when the rotary frequencies (a GGUF's `rope_freqs.weight`)
    /// differ from what `rope_theta` and `rope_scaling` give, since config.json could not reproduce them.
    public func hfConfig() throws -> LlamaConfig {
        let expected = try RotaryEmbedding(dim: config.rotaryDim, base: config.ropeTheta, scaling: config.ropeScaling,
                                           interleaved: false)
        guard expected.invFreq == rope.invFreq else {
            throw CheckpointError.unsupportedModel(
                path: "model", reason: "its RoPE frequency factors (GGUF rope_freqs.weight) have no config.json equivalent")
        }
        return config
    }
}

extension GPT2Model {
    /// Every parameter as dense FP32 in `GPT2LMHeadModel` names and layouts (`transformer.h.0.attn.c_attn.weight`):
    /// the attention and MLP matrices in Conv1D (in, out) order, `transformer.wpe.weight` as (n_positions, n_embd),
    /// and `lm_head.weight` only when the output projection differs from the token embedding. The tensors are copies.
    public func hfParameters() -> [String: Tensor] { hfParameters(layers: Array(layers.indices)) }

    /// The parameters with only the blocks `keep`, renumbered 0..<keep.count in the order given.
    func hfParameters(layers keep: [Int]) -> [String: Tensor] {
        let names = GPT2Names.hf(prefix: "transformer."), c = config
        var out: [String: Tensor] = [
            names.wte: wte.dense(), names.wpe: wpe.copy(shape: [c.nPositions, c.nEmbd]),
            names.lnfW: lnfW.copy(), names.lnfB: lnfB.copy(),
        ]
        if hasUntiedHead { out["lm_head.weight"] = output.dense() }
        for (new, old) in keep.enumerated() {
            let layer = layers[old], name = { names.layer(new, $0) }
            out[name("ln1.weight")] = layer.ln1W.copy()
            out[name("ln1.bias")] = layer.ln1B.copy()
            out[name("qkv.weight")] = layer.qkv.dense().transposed()
            out[name("qkv.bias")] = layer.qkvB.copy()
            out[name("proj.weight")] = layer.proj.dense().transposed()
            out[name("proj.bias")] = layer.projB.copy()
            out[name("ln2.weight")] = layer.ln2W.copy()
            out[name("ln2.bias")] = layer.ln2B.copy()
            out[name("fc.weight")] = layer.fc.dense().transposed()
            out[name("fc.bias")] = layer.fcB.copy()
            out[name("fcproj.weight")] = layer.fcProj.dense().transposed()
            out[name("fcproj.bias")] = layer.fcProjB.copy()
        }
        return out
    }

    /// Whether the output projection holds other values than the token embedding (a GGUF `output.weight`
    /// that is not a copy of `token_embd.weight`).
    var hasUntiedHead: Bool {
        if output.bytes == wte.bytes && output.type == wte.type { return false }
        let a = output.dense(), b = wte.dense()
        return memcmp(a.data, b.data, a.count * 4) != 0
    }
}
