// Batched decoding: the next token of several sequences, each with its own KV cache, in one forward pass whose
// weight products are one (B, C) matmul (Llama); other models run the sequences one after another.
import Foundation
import MimicTensor

/// A model that can advance several independent sequences by one token in one pass.
public protocol BatchedDecoding: LanguageModel {
    /// Runs `tokens[b]` at position `caches[b].length` of sequence b, appending to each cache; returns (B, vocab)
    /// logits, row b for sequence b (the caches must be distinct objects). Equal to B separate
    /// `forward([tokens[b]], cache: caches[b], logits: .last)` calls up to rounding (with 8-bit activations, up to
    /// their rounding too), and batch-invariant: row b is bitwise the same whatever the other rows are and however
    /// many there are (up to `WeightMatrix.decodeBatchLimit`), so a sequence decodes the same alone or in company.
    /// Throws ModelError if a cache does not fit the model, is full, or a token is out of range.
    func forwardBatch(_ tokens: [Int], caches: [KVCache]) throws -> Tensor
}

extension LanguageModel {
    /// One decode step for each sequence: batched when the model supports it, else one forward per sequence.
    /// Returns (B, vocab) logits, row b for sequence b.
    public func decodeStep(_ tokens: [Int], caches: [KVCache]) throws -> Tensor {
        precondition(tokens.count == caches.count, "one token per cache")
        if let batched = self as? any BatchedDecoding { return try batched.forwardBatch(tokens, caches: caches) }
        let out = Tensor(zeros: [tokens.count, vocabularySize])
        for (b, (token, cache)) in zip(tokens, caches).enumerated() {
            let row = try forward([token], cache: cache, logits: .last)
            out.row(b).update(from: row.data, count: vocabularySize)
        }
        return out
    }
}

extension LlamaModel: BatchedDecoding {
    /// One token for each of B sequences: embeddings, norms, the q/k/v/o and MLP products and the output head run
    /// over all B rows at once; RoPE and attention run per sequence at its own position over its own cache.
    /// The decode kernels sum each row of a product the same way whatever rows come with it (up to
    /// `WeightMatrix.decodeBatchLimit`), which makes the step batch-invariant without padding a lone sequence.
    public func forwardBatch(_ tokens: [Int], caches: [KVCache]) throws -> Tensor {
        let B = tokens.count, C = config.hiddenSize, F = config.intermediateSize, V = config.vocabSize
        precondition(B == caches.count, "one token per cache")
        guard B > 0 else { return Tensor(zeros: [0, V]) }
        for cache in caches {
            try cache.check(layers: layers.count, width: shape.kvWidth)
            try cache.reserve(1)
        }
        for t in tokens where !(0..<V).contains(t) { throw ModelError.tokenOutOfRange(token: t, vocabulary: V) }
        let qw = shape.qWidth, kvw = shape.kvWidth, eps = Float(config.rmsNormEps)
        let scratch = Scratch()
        let x = Tensor(zeros: [B, C]), h = Tensor(zeros: [B, C]), tmp = Tensor(zeros: [B, C])   // (B, C)
        let q = Tensor(zeros: [B, qw]), att = Tensor(zeros: [B, qw])                           // (B, H·D)
        let k = Tensor(zeros: [B, kvw]), v = Tensor(zeros: [B, kvw])                           // (B, Hkv·D)
        let gate = Tensor(zeros: [B, F]), up = Tensor(zeros: [B, F])                           // (B, F)
        for i in 0..<B {
            let t = tokens[i]
            embed.dequantizeRows(t..<(t + 1), into: x.row(i))
        }
        let positions = caches.map(\.length)
        let tables = positions.map { rope.tables(from: $0, count: 1) }
        for (l, layer) in layers.enumerated() {
            Kernels.rmsNorm(x.data, weight: layer.attnNorm.data, out: h.data, rows: B, n: C, eps: eps)
            layer.wq.matmul(h.data, batch: B, into: q.data, exact: exactActivations, decode: true, scratch: scratch)
            layer.wk.matmul(h.data, batch: B, into: k.data, exact: exactActivations, decode: true, scratch: scratch)
            layer.wv.matmul(h.data, batch: B, into: v.data, exact: exactActivations, decode: true, scratch: scratch)
            for (b, cache) in caches.enumerated() {
                let p = positions[b], kRow = cache.keys(l) + p * kvw, vRow = cache.values(l) + p * kvw
                kRow.update(from: k.row(b), count: kvw)
                vRow.update(from: v.row(b), count: kvw)
                Kernels.rope(q.row(b), tokens: 1, heads: shape.heads, dim: shape.headDim, stride: qw, cos: tables[b].cos,
                             sin: tables[b].sin, rotaryDim: rope.rotaryDim, interleaved: rope.interleaved)
                Kernels.rope(kRow, tokens: 1, heads: shape.kvHeads, dim: shape.headDim, stride: kvw, cos: tables[b].cos,
                             sin: tables[b].sin, rotaryDim: rope.rotaryDim, interleaved: rope.interleaved)
            }
            decodeAttention(q: q.data, caches: caches, layer: l, positions: positions, out: att.data, shape: shape)
            layer.wo.matmul(att.data, batch: B, into: tmp.data, exact: exactActivations, decode: true, scratch: scratch)
            Kernels.add(x.data, tmp.data, n: B * C)
            Kernels.rmsNorm(x.data, weight: layer.ffnNorm.data, out: h.data, rows: B, n: C, eps: eps)
            layer.gate.matmul(h.data, batch: B, into: gate.data, exact: exactActivations, decode: true, scratch: scratch)
            layer.up.matmul(h.data, batch: B, into: up.data, exact: exactActivations, decode: true, scratch: scratch)
            Kernels.siluMul(gate.data, up.data, n: B * F)
            layer.down.matmul(gate.data, batch: B, into: tmp.data, exact: exactActivations, decode: true, scratch: scratch)
            Kernels.add(x.data, tmp.data, n: B * C)
        }
        for cache in caches { cache.length += 1 }
        Kernels.rmsNorm(x.data, weight: norm.data, out: h.data, rows: B, n: C, eps: eps)
        let logits = Tensor(zeros: [B, V])
        output.matmul(h.data, batch: B, into: logits.data, exact: exactActivations, decode: true, scratch: scratch)
        return logits
    }
}
