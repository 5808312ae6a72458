// The Llama family for training: FP32 parameters in Hugging Face layout, a forward pass that keeps what the
// backward needs, and the backward beside it. RoPE uses HF's half-split layout (GGUF weights are un-permuted
// when they are read).
import Foundation
import MimicModels
import MimicTensor

/// A Llama model with trainable FP32 parameters.
public final class TrainableLlama: TrainableModel, @unchecked Sendable {
    /// The model's configuration.
    public let config: LlamaConfig
    /// Every parameter in a fixed order, in Hugging Face names and layouts.
    public let parameters: [Parameter]
    let pool = BufferPool()
    /// The attention's T × T work space (see `TrainAttention`).
    let attentionScratch = Scratch()
    /// Keep only each layer's input in the forward and recompute the rest in the backward: activation memory
    /// of one layer instead of all, for about a third more compute.
    public var recomputeActivations = false
    let embed, norm: Parameter
    let lmHead: Parameter?   // nil when tied to the embedding
    let layers: [Layer]
    let invFreq: [Float]

    struct Layer {
        let attnNorm, q, k, v, o, ffnNorm, gate, up, down: Parameter
    }

    /// Builds the model from Hugging Face tensors (name → tensor of exactly the HF shape the config gives); throws
    /// `TrainError.missingParameter` or `.shapeMismatch` naming the tensor.
    public init(config: LlamaConfig, tensors: [String: Tensor]) throws {
        self.config = config
        var all: [Parameter] = []
        func take(_ name: String, _ shape: [Int]) throws -> Parameter {
            let p = Parameter(name: name, value: try requireTensor(name, shape: shape, in: tensors).copy())
            all.append(p)
            return p
        }
        let c = config, C = c.hiddenSize, F = c.intermediateSize
        let qw = c.numAttentionHeads * c.headDim, kvw = c.numKeyValueHeads * c.headDim
        embed = try take("model.embed_tokens.weight", [c.vocabSize, C])
        layers = try (0..<c.numHiddenLayers).map { i in
            let p = "model.layers.\(i)."
            return Layer(attnNorm: try take(p + "input_layernorm.weight", [C]), q: try take(p + "self_attn.q_proj.weight", [qw, C]),
                         k: try take(p + "self_attn.k_proj.weight", [kvw, C]), v: try take(p + "self_attn.v_proj.weight", [kvw, C]),
                         o: try take(p + "self_attn.o_proj.weight", [C, qw]),
                         ffnNorm: try take(p + "post_attention_layernorm.weight", [C]),
                         gate: try take(p + "mlp.gate_proj.weight", [F, C]), up: try take(p + "mlp.up_proj.weight", [F, C]),
                         down: try take(p + "mlp.down_proj.weight", [C, F]))
        }
        norm = try take("model.norm.weight", [C])
        lmHead = c.tieWordEmbeddings ? nil : try take("lm_head.weight", [c.vocabSize, C])
        parameters = all
        invFreq = try RotaryEmbedding(dim: c.rotaryDim, base: c.ropeTheta, scaling: c.ropeScaling, interleaved: false).invFreq
    }

    /// Vocabulary size of the logits (`vocabSize`).
    public var vocabularySize: Int { config.vocabSize }

    /// The parameters by Hugging Face name (sharing storage with the model, not copies).
    public func huggingFaceTensors() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.value) })
    }

    /// What one layer's forward keeps for its backward.
    struct Saved {
        let xIn, h1, q, k, v, att, xMid, h2, g, u, a: Tensor
        let rstd1, rstd2: Tensor
    }

    /// The forward pass's results: per-layer activations, the final hidden state before and after the norm.
    struct Forward {
        let saved: [Saved]
        /// Each layer's input, when activations are recomputed in the backward instead of kept.
        let inputs: [Tensor]
        let context: Context
        let xOut, hf, rstdF, logits: Tensor
        let targets: [Int]
        var trained: Int { targets.filter { $0 != ignoreLabel }.count }
    }

    /// Logits (N, V) of every position of the batch (a copy: the model's own buffers are reused by later calls).
    public func logits(_ batch: [TrainingBlock]) throws -> Tensor {
        try forward(batch, keep: false).logits.copy()
    }

    /// Summed token loss and trained-token count of a batch, without gradients; throws TrainError on a bad batch.
    public func evaluate(_ batch: [TrainingBlock]) throws -> (lossSum: Double, trained: Int) {
        let f = try forward(batch, keep: false)
        let loss = TrainOps.crossEntropyInPlace(f.logits.data, targets: f.targets, vocab: config.vocabSize, normalizer: f.trained)
        return (loss, f.trained)
    }

    /// Adds gradients of (summed loss / `normalizer`) into each parameter's `grad`; returns the summed loss and
    /// trained-token count. Throws TrainError on a bad batch.
    public func accumulateGradients(_ batch: [TrainingBlock], normalizer: Int) throws -> (lossSum: Double, trained: Int) {
        let f = try forward(batch, keep: true)
        let loss = TrainOps.crossEntropyInPlace(f.logits.data, targets: f.targets, vocab: config.vocabSize, normalizer: normalizer)
        backward(batch, f)
        return (loss, f.trained)
    }

    private func dims(_ batch: [TrainingBlock], _ t: Int) -> AttentionDims {
        AttentionDims(blocks: batch.count, length: t, heads: config.numAttentionHeads, kvHeads: config.numKeyValueHeads,
                      headDim: config.headDim)
    }

    /// What every layer's forward needs besides its input: shapes, document starts, RoPE tables.
    struct Context {
        let d: AttentionDims
        let starts: [Int]
        let ropeCos, ropeSin: [Float]
        let eps: Float
    }

    /// One decoder block on x (N, C): returns what the backward needs and the block's output, which lives in
    /// the buffer `outKey`; the intermediates live in buffers tagged `tag` (shared by all layers when
    /// activations are recomputed).
    private func layerForward(_ layer: Layer, _ x: Tensor, _ ctx: Context, tag: String, outKey: String) -> (Saved, Tensor) {
        let d = ctx.d, N = d.rows, C = config.hiddenSize, F = config.intermediateSize
        let h1 = pool.get("h1" + tag, [N, C]), rstd1 = pool.get("rstd1" + tag, [N])
        TrainOps.rmsNorm(x.data, layer.attnNorm.value.data, h1.data, rstd: rstd1.data, n: N, c: C, eps: ctx.eps)
        let q = pool.get("q" + tag, [N, d.qWidth]), k = pool.get("k" + tag, [N, d.kvWidth]), v = pool.get("v" + tag, [N, d.kvWidth])
        TrainOps.linear(h1.data, layer.q.value.data, q.data, n: N, inFeatures: C, outFeatures: d.qWidth)
        TrainOps.linear(h1.data, layer.k.value.data, k.data, n: N, inFeatures: C, outFeatures: d.kvWidth)
        TrainOps.linear(h1.data, layer.v.value.data, v.data, n: N, inFeatures: C, outFeatures: d.kvWidth)
        TrainOps.rope(q.data, n: N, heads: d.heads, dim: d.headDim, cos: ctx.ropeCos, sin: ctx.ropeSin)
        TrainOps.rope(k.data, n: N, heads: d.kvHeads, dim: d.headDim, cos: ctx.ropeCos, sin: ctx.ropeSin)
        let att = pool.get("att" + tag, [N, d.qWidth])
        TrainAttention.forward(q: q.data, k: k.data, v: v.data, out: att.data, starts: ctx.starts, dims: d, scratch: attentionScratch)
        let xMid = pool.get("xMid" + tag, [N, C])
        TrainOps.linear(att.data, layer.o.value.data, xMid.data, n: N, inFeatures: d.qWidth, outFeatures: C)
        Kernels.add(xMid.data, x.data, n: N * C)
        let h2 = pool.get("h2" + tag, [N, C]), rstd2 = pool.get("rstd2" + tag, [N])
        TrainOps.rmsNorm(xMid.data, layer.ffnNorm.value.data, h2.data, rstd: rstd2.data, n: N, c: C, eps: ctx.eps)
        let g = pool.get("g" + tag, [N, F]), u = pool.get("u" + tag, [N, F]), a = pool.get("a" + tag, [N, F])
        TrainOps.linear(h2.data, layer.gate.value.data, g.data, n: N, inFeatures: C, outFeatures: F)
        TrainOps.linear(h2.data, layer.up.value.data, u.data, n: N, inFeatures: C, outFeatures: F)
        TrainOps.swiglu(g.data, u.data, a.data, n: N * F)
        let xOut = pool.get(outKey, [N, C])
        TrainOps.linear(a.data, layer.down.value.data, xOut.data, n: N, inFeatures: F, outFeatures: C)
        Kernels.add(xOut.data, xMid.data, n: N * C)
        return (Saved(xIn: x, h1: h1, q: q, k: k, v: v, att: att, xMid: xMid, h2: h2, g: g, u: u, a: a,
                      rstd1: rstd1, rstd2: rstd2), xOut)
    }

    /// Runs the batch, keeping what the backward needs when `keep`: every layer's activations, or with
    /// `recomputeActivations` only each layer's input.
    private func forward(_ batch: [TrainingBlock], keep: Bool) throws -> Forward {
        let t = try validate(batch, vocabulary: config.vocabSize, maxLength: config.maxPositionEmbeddings)
        let c = config, C = c.hiddenSize, d = dims(batch, t), N = d.rows
        let tokens = batch.flatMap(\.tokens), positions = batch.flatMap(\.positions)
        let (ropeCos, ropeSin) = TrainOps.ropeTables(positions: positions, invFreq: invFreq)
        let ctx = Context(d: d, starts: documentStarts(batch.flatMap(\.documents), length: t), ropeCos: ropeCos, ropeSin: ropeSin,
                          eps: Float(c.rmsNormEps))
        var x = pool.get("x", [N, C])                                                       // (N, C)
        for (r, tok) in tokens.enumerated() { x.row(r).update(from: embed.value.row(tok), count: C) }
        var saved: [Saved] = [], inputs: [Tensor] = []
        for (li, layer) in layers.enumerated() {
            let shared = recomputeActivations || !keep
            let (s, xOut) = layerForward(layer, x, ctx, tag: shared ? "r" : "\(li)", outKey: "xOut\(li)")
            if keep { if recomputeActivations { inputs.append(x) } else { saved.append(s) } }
            x = xOut
        }
        let hf = pool.get("hf", [N, C]), rstdF = pool.get("rstdF", [N])
        TrainOps.rmsNorm(x.data, norm.value.data, hf.data, rstd: rstdF.data, n: N, c: C, eps: ctx.eps)
        let logits = pool.get("logits", [N, c.vocabSize])
        TrainOps.linear(hf.data, (lmHead ?? embed).value.data, logits.data, n: N, inFeatures: C, outFeatures: c.vocabSize)
        return Forward(saved: saved, inputs: inputs, context: ctx, xOut: x, hf: hf, rstdF: rstdF, logits: logits,
                       targets: batch.flatMap(\.targets))
    }

    /// Adds the gradients of the loss into every parameter; `f.logits` already holds dL/dlogits (N, V).
    private func backward(_ batch: [TrainingBlock], _ f: Forward) {
        let c = config, C = c.hiddenSize, F = c.intermediateSize, d = dims(batch, batch[0].count), N = d.rows
        let head = lmHead ?? embed, tag = "b"
        let dh = pool.get("dh" + tag, [N, C])
        TrainOps.linearBackward(x: f.hf.data, w: head.value.data, dy: f.logits.data, dx: dh.data, dw: head.grad.data,
                                n: N, inFeatures: C, outFeatures: c.vocabSize)
        let dx = pool.get("dx" + tag, [N, C])   // gradient flowing down the residual stream
        TrainOps.rmsNormBackward(x: f.xOut.data, w: norm.value.data, rstd: f.rstdF.data, dy: dh.data, dx: dx.data,
                                 dw: norm.grad.data, n: N, c: C, accumulate: false)
        let da = pool.get("da" + tag, [N, F]), dg = pool.get("dg" + tag, [N, F]), du = pool.get("du" + tag, [N, F])
        let datt = pool.get("datt" + tag, [N, d.qWidth]), dq = pool.get("dq" + tag, [N, d.qWidth])
        let dk = pool.get("dk" + tag, [N, d.kvWidth]), dv = pool.get("dv" + tag, [N, d.kvWidth])
        for (l, layer) in layers.enumerated().reversed() {
            let s = recomputeActivations ? layerForward(layer, f.inputs[l], f.context, tag: "r", outKey: "xOutR").0 : f.saved[l]
            // MLP: xOut = xMid + down(silu(gate(h2)) ⊙ up(h2)), h2 = rmsnorm(xMid)
            TrainOps.linearBackward(x: s.a.data, w: layer.down.value.data, dy: dx.data, dx: da.data, dw: layer.down.grad.data,
                                    n: N, inFeatures: F, outFeatures: C)
            TrainOps.swigluBackward(g: s.g.data, u: s.u.data, da: da.data, dg: dg.data, du: du.data, n: N * F)
            TrainOps.linearBackward(x: s.h2.data, w: layer.gate.value.data, dy: dg.data, dx: dh.data, dw: layer.gate.grad.data,
                                    n: N, inFeatures: C, outFeatures: F)
            TrainOps.linearBackward(x: s.h2.data, w: layer.up.value.data, dy: du.data, dx: dh.data, dw: layer.up.grad.data,
                                    n: N, inFeatures: C, outFeatures: F, accumulateInput: true)
            TrainOps.rmsNormBackward(x: s.xMid.data, w: layer.ffnNorm.value.data, rstd: s.rstd2.data, dy: dh.data, dx: dx.data,
                                     dw: layer.ffnNorm.grad.data, n: N, c: C, accumulate: true)
            // Attention: xMid = xIn + o(attention(rope(q(h1)), rope(k(h1)), v(h1))), h1 = rmsnorm(xIn)
            TrainOps.linearBackward(x: s.att.data, w: layer.o.value.data, dy: dx.data, dx: datt.data, dw: layer.o.grad.data,
                                    n: N, inFeatures: d.qWidth, outFeatures: C)
            TrainAttention.backward(q: s.q.data, k: s.k.data, v: s.v.data, dout: datt.data, dq: dq.data, dk: dk.data, dv: dv.data,
                                    starts: f.context.starts, dims: d, scratch: attentionScratch)
            TrainOps.rope(dq.data, n: N, heads: d.heads, dim: d.headDim, cos: f.context.ropeCos, sin: f.context.ropeSin, inverse: true)
            TrainOps.rope(dk.data, n: N, heads: d.kvHeads, dim: d.headDim, cos: f.context.ropeCos, sin: f.context.ropeSin, inverse: true)
            TrainOps.linearBackward(x: s.h1.data, w: layer.q.value.data, dy: dq.data, dx: dh.data, dw: layer.q.grad.data,
                                    n: N, inFeatures: C, outFeatures: d.qWidth)
            TrainOps.linearBackward(x: s.h1.data, w: layer.k.value.data, dy: dk.data, dx: dh.data, dw: layer.k.grad.data,
                                    n: N, inFeatures: C, outFeatures: d.kvWidth, accumulateInput: true)
            TrainOps.linearBackward(x: s.h1.data, w: layer.v.value.data, dy: dv.data, dx: dh.data, dw: layer.v.grad.data,
                                    n: N, inFeatures: C, outFeatures: d.kvWidth, accumulateInput: true)
            TrainOps.rmsNormBackward(x: s.xIn.data, w: layer.attnNorm.value.data, rstd: s.rstd1.data, dy: dh.data, dx: dx.data,
                                     dw: layer.attnNorm.grad.data, n: N, c: C, accumulate: true)
        }
        for (r, tok) in batch.flatMap(\.tokens).enumerated() { Kernels.add(embed.grad.row(tok), dx.row(r), n: C) }
    }
}
