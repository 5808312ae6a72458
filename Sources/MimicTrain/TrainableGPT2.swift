// The GPT-2 family for training: learned positions, LayerNorm with biases, fused QKV, GELU (tanh) MLP, tied
// output; forward and backward side by side. Weights are kept (out, in); Hugging Face's Conv1D stores them
// (in, out), so they are transposed on the way in and out.
import Foundation
import MimicModels
import MimicTensor

/// A GPT-2 model with trainable FP32 parameters.
public final class TrainableGPT2: TrainableModel, @unchecked Sendable {
    /// The model's configuration.
    public let config: GPT2Config
    /// Every parameter in a fixed order, Conv1D weights kept (out, in).
    public let parameters: [Parameter]
    let pool = BufferPool()
    /// The attention's T × T work space (see `TrainAttention`).
    let attentionScratch = Scratch()
    let prefix: String
    let wte, wpe, lnfW, lnfB: Parameter
    let layers: [Layer]
    /// Names of the matrices stored transposed relative to Hugging Face (Conv1D).
    let conv1D: Set<String>

    struct Layer {
        let ln1W, ln1B, qkv, qkvB, proj, projB, ln2W, ln2B, fc, fcB, fcProj, fcProjB: Parameter
    }

    /// Builds the model from Hugging Face tensors (GPT2LMHeadModel names, with or without "transformer.", each of
    /// exactly its HF shape: Conv1D weights (in, out)); throws `TrainError.missingParameter` or `.shapeMismatch`.
    public init(config: GPT2Config, tensors: [String: Tensor]) throws {
        self.config = config
        let prefix = tensors["transformer.wte.weight"] != nil ? "transformer." : ""
        self.prefix = prefix
        var all: [Parameter] = [], transposed: Set<String> = []
        func take(_ name: String, _ shape: [Int], conv: Bool = false) throws -> Parameter {
            let t = try requireTensor(prefix + name, shape: conv ? [shape[1], shape[0]] : shape, in: tensors)
            let copy = Tensor(zeros: shape)
            if conv {   // HF (in, out) = (shape[1], shape[0]) -> (out, in)
                for i in 0..<shape[1] { for o in 0..<shape[0] { copy.data[o * shape[1] + i] = t.data[i * shape[0] + o] } }
                transposed.insert(prefix + name)
            } else {
                copy.data.update(from: t.data, count: t.count)
            }
            let p = Parameter(name: prefix + name, value: copy, transposedFromHF: conv)
            all.append(p)
            return p
        }
        let C = config.nEmbd, F = config.innerSize
        wte = try take("wte.weight", [config.vocabSize, C])
        wpe = try take("wpe.weight", [config.nPositions, C])
        layers = try (0..<config.nLayer).map { i in
            let p = "h.\(i)."
            return Layer(ln1W: try take(p + "ln_1.weight", [C]), ln1B: try take(p + "ln_1.bias", [C]),
                         qkv: try take(p + "attn.c_attn.weight", [3 * C, C], conv: true), qkvB: try take(p + "attn.c_attn.bias", [3 * C]),
                         proj: try take(p + "attn.c_proj.weight", [C, C], conv: true), projB: try take(p + "attn.c_proj.bias", [C]),
                         ln2W: try take(p + "ln_2.weight", [C]), ln2B: try take(p + "ln_2.bias", [C]),
                         fc: try take(p + "mlp.c_fc.weight", [F, C], conv: true), fcB: try take(p + "mlp.c_fc.bias", [F]),
                         fcProj: try take(p + "mlp.c_proj.weight", [C, F], conv: true), fcProjB: try take(p + "mlp.c_proj.bias", [C]))
        }
        lnfW = try take("ln_f.weight", [C])
        lnfB = try take("ln_f.bias", [C])
        parameters = all
        conv1D = transposed
    }

    /// Vocabulary size of the logits (`vocabSize`).
    public var vocabularySize: Int { config.vocabSize }

    /// The parameters by Hugging Face name, Conv1D weights transposed back to (in, out); others share storage.
    public func huggingFaceTensors() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for p in parameters {
            guard conv1D.contains(p.name) else { out[p.name] = p.value; continue }
            let (rows, cols) = (p.shape[0], p.shape[1])   // (out, in) -> HF (in, out)
            let t = Tensor(zeros: [cols, rows])
            for o in 0..<rows { for i in 0..<cols { t.data[i * rows + o] = p.value.data[o * cols + i] } }
            out[p.name] = t
        }
        return out
    }

    struct Saved {
        let xIn, h1, mean1, rstd1, q, k, v, att, xMid, h2, mean2, rstd2, f, a: Tensor
    }

    struct Forward {
        let saved: [Saved]
        let xOut, hf, meanF, rstdF, logits: Tensor
        let targets: [Int]
        /// Each row's document start (see `documentStarts`).
        let starts: [Int]
        var trained: Int { targets.filter { $0 != ignoreLabel }.count }
    }

    /// Logits (N, V) of every position of the batch (a copy: the model's own buffers are reused by later calls).
    public func logits(_ batch: [TrainingBlock]) throws -> Tensor {
        try forward(batch, keep: false).logits.copy()
    }

    /// Summed token loss and trained-token count of a batch, without gradients; throws TrainError on a bad batch.
    public func evaluate(_ batch: [TrainingBlock]) throws -> (lossSum: Double, trained: Int) {
        let f = try forward(batch, keep: false)
        return (TrainOps.crossEntropyInPlace(f.logits.data, targets: f.targets, vocab: config.vocabSize, normalizer: f.trained), f.trained)
    }

    /// Adds gradients of (summed loss / `normalizer`) into each parameter's `grad`; returns the summed loss and
    /// trained-token count. Throws TrainError on a bad batch.
    public func accumulateGradients(_ batch: [TrainingBlock], normalizer: Int) throws -> (lossSum: Double, trained: Int) {
        let f = try forward(batch, keep: true)
        let loss = TrainOps.crossEntropyInPlace(f.logits.data, targets: f.targets, vocab: config.vocabSize, normalizer: normalizer)
        backward(batch, f)
        return (loss, f.trained)
    }

    /// y (N, n) += b on every row.
    private func addBias(_ y: UnsafeMutablePointer<Float>, _ b: Parameter, rows: Int) {
        for r in 0..<rows { Kernels.add(y + r * b.count, b.value.data, n: b.count) }
    }

    /// db += Σ_rows dy.
    private func biasBackward(_ dy: UnsafePointer<Float>, _ b: Parameter, rows: Int) {
        for r in 0..<rows { Kernels.add(b.grad.data, dy + r * b.count, n: b.count) }
    }

    private func forward(_ batch: [TrainingBlock], keep: Bool) throws -> Forward {
        let t = try validate(batch, vocabulary: config.vocabSize, maxLength: config.nPositions)
        let C = config.nEmbd, F = config.innerSize, eps = Float(config.layerNormEpsilon)
        let d = AttentionDims(blocks: batch.count, length: t, heads: config.nHead, kvHeads: config.nHead, headDim: C / config.nHead)
        let N = d.rows, tokens = batch.flatMap(\.tokens), positions = batch.flatMap(\.positions)
        let starts = documentStarts(batch.flatMap(\.documents), length: t)
        let tag = ""
        var x = pool.get("x" + tag, [N, C])
        for r in 0..<N {
            x.row(r).update(from: wte.value.row(tokens[r]), count: C)
            Kernels.add(x.row(r), wpe.value.row(positions[r]), n: C)
        }
        var saved: [Saved] = []
        for (li, layer) in layers.enumerated() {
            let tag = "\(li)"
            let h1 = pool.get("h1" + tag, [N, C]), mean1 = pool.get("mean1" + tag, [N]), rstd1 = pool.get("rstd1" + tag, [N])
            TrainOps.layerNorm(x.data, layer.ln1W.value.data, layer.ln1B.value.data, h1.data, mean: mean1.data, rstd: rstd1.data,
                               n: N, c: C, eps: eps)
            let qkv = pool.get("qkv" + tag, [N, 3 * C])
            TrainOps.linear(h1.data, layer.qkv.value.data, qkv.data, n: N, inFeatures: C, outFeatures: 3 * C)
            addBias(qkv.data, layer.qkvB, rows: N)
            let q = pool.get("q" + tag, [N, C]), k = pool.get("k" + tag, [N, C]), v = pool.get("v" + tag, [N, C])
            for r in 0..<N {
                q.row(r).update(from: qkv.row(r), count: C)
                k.row(r).update(from: qkv.row(r) + C, count: C)
                v.row(r).update(from: qkv.row(r) + 2 * C, count: C)
            }
            let att = pool.get("att" + tag, [N, C])
            TrainAttention.forward(q: q.data, k: k.data, v: v.data, out: att.data, starts: starts, dims: d, scratch: attentionScratch)
            let xMid = pool.get("xMid" + tag, [N, C])
            TrainOps.linear(att.data, layer.proj.value.data, xMid.data, n: N, inFeatures: C, outFeatures: C)
            addBias(xMid.data, layer.projB, rows: N)
            Kernels.add(xMid.data, x.data, n: N * C)
            let h2 = pool.get("h2" + tag, [N, C]), mean2 = pool.get("mean2" + tag, [N]), rstd2 = pool.get("rstd2" + tag, [N])
            TrainOps.layerNorm(xMid.data, layer.ln2W.value.data, layer.ln2B.value.data, h2.data, mean: mean2.data, rstd: rstd2.data,
                               n: N, c: C, eps: eps)
            let f = pool.get("f" + tag, [N, F]), a = pool.get("a" + tag, [N, F])
            TrainOps.linear(h2.data, layer.fc.value.data, f.data, n: N, inFeatures: C, outFeatures: F)
            addBias(f.data, layer.fcB, rows: N)
            TrainOps.gelu(f.data, a.data, n: N * F)
            let xOut = pool.get("xOut" + tag, [N, C])
            TrainOps.linear(a.data, layer.fcProj.value.data, xOut.data, n: N, inFeatures: F, outFeatures: C)
            addBias(xOut.data, layer.fcProjB, rows: N)
            Kernels.add(xOut.data, xMid.data, n: N * C)
            if keep {
                saved.append(Saved(xIn: x, h1: h1, mean1: mean1, rstd1: rstd1, q: q, k: k, v: v, att: att,
                                   xMid: xMid, h2: h2, mean2: mean2, rstd2: rstd2, f: f, a: a))
            }
            x = xOut
        }
        let hf = pool.get("hf" + tag, [N, C]), meanF = pool.get("meanF" + tag, [N]), rstdF = pool.get("rstdF" + tag, [N])
        TrainOps.layerNorm(x.data, lnfW.value.data, lnfB.value.data, hf.data, mean: meanF.data, rstd: rstdF.data, n: N, c: C, eps: eps)
        let logits = pool.get("logits" + tag, [N, config.vocabSize])
        TrainOps.linear(hf.data, wte.value.data, logits.data, n: N, inFeatures: C, outFeatures: config.vocabSize)
        return Forward(saved: saved, xOut: x, hf: hf, meanF: meanF, rstdF: rstdF, logits: logits, targets: batch.flatMap(\.targets),
                       starts: starts)
    }

    private func backward(_ batch: [TrainingBlock], _ fw: Forward) {
        let C = config.nEmbd, F = config.innerSize, t = batch[0].count
        let d = AttentionDims(blocks: batch.count, length: t, heads: config.nHead, kvHeads: config.nHead, headDim: C / config.nHead)
        let N = d.rows, tag = "b"
        let dh = pool.get("dh" + tag, [N, C]), dx = pool.get("dx" + tag, [N, C])
        TrainOps.linearBackward(x: fw.hf.data, w: wte.value.data, dy: fw.logits.data, dx: dh.data, dw: wte.grad.data,
                                n: N, inFeatures: C, outFeatures: config.vocabSize)
        TrainOps.layerNormBackward(x: fw.xOut.data, w: lnfW.value.data, mean: fw.meanF.data, rstd: fw.rstdF.data, dy: dh.data,
                                   dx: dx.data, dw: lnfW.grad.data, db: lnfB.grad.data, n: N, c: C, accumulate: false)
        let da = pool.get("da" + tag, [N, F]), df = pool.get("df" + tag, [N, F]), datt = pool.get("datt" + tag, [N, C])
        let dq = pool.get("dq" + tag, [N, C]), dk = pool.get("dk" + tag, [N, C]), dv = pool.get("dv" + tag, [N, C]), dqkv = pool.get("dqkv" + tag, [N, 3 * C])
        for (l, layer) in layers.enumerated().reversed() {
            let s = fw.saved[l]
            biasBackward(dx.data, layer.fcProjB, rows: N)
            TrainOps.linearBackward(x: s.a.data, w: layer.fcProj.value.data, dy: dx.data, dx: da.data, dw: layer.fcProj.grad.data,
                                    n: N, inFeatures: F, outFeatures: C)
            TrainOps.geluBackward(x: s.f.data, dy: da.data, dx: df.data, n: N * F)
            biasBackward(df.data, layer.fcB, rows: N)
            TrainOps.linearBackward(x: s.h2.data, w: layer.fc.value.data, dy: df.data, dx: dh.data, dw: layer.fc.grad.data,
                                    n: N, inFeatures: C, outFeatures: F)
            TrainOps.layerNormBackward(x: s.xMid.data, w: layer.ln2W.value.data, mean: s.mean2.data, rstd: s.rstd2.data, dy: dh.data,
                                       dx: dx.data, dw: layer.ln2W.grad.data, db: layer.ln2B.grad.data, n: N, c: C, accumulate: true)
            biasBackward(dx.data, layer.projB, rows: N)
            TrainOps.linearBackward(x: s.att.data, w: layer.proj.value.data, dy: dx.data, dx: datt.data, dw: layer.proj.grad.data,
                                    n: N, inFeatures: C, outFeatures: C)
            TrainAttention.backward(q: s.q.data, k: s.k.data, v: s.v.data, dout: datt.data, dq: dq.data, dk: dk.data, dv: dv.data,
                                    starts: fw.starts, dims: d, scratch: attentionScratch)
            for r in 0..<N {
                dqkv.row(r).update(from: dq.row(r), count: C)
                (dqkv.row(r) + C).update(from: dk.row(r), count: C)
                (dqkv.row(r) + 2 * C).update(from: dv.row(r), count: C)
            }
            biasBackward(dqkv.data, layer.qkvB, rows: N)
            TrainOps.linearBackward(x: s.h1.data, w: layer.qkv.value.data, dy: dqkv.data, dx: dh.data, dw: layer.qkv.grad.data,
                                    n: N, inFeatures: C, outFeatures: 3 * C)
            TrainOps.layerNormBackward(x: s.xIn.data, w: layer.ln1W.value.data, mean: s.mean1.data, rstd: s.rstd1.data, dy: dh.data,
                                       dx: dx.data, dw: layer.ln1W.grad.data, db: layer.ln1B.grad.data, n: N, c: C, accumulate: true)
        }
        let tokens = batch.flatMap(\.tokens), positions = batch.flatMap(\.positions)
        for r in 0..<N {
            Kernels.add(wte.grad.row(tokens[r]), dx.row(r), n: C)
            Kernels.add(wpe.grad.row(positions[r]), dx.row(r), n: C)
        }
    }
}
