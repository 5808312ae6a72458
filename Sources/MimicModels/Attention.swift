// Causal self-attention over the KV cache, shared by the model families: a fused C loop for a few
// queries (generation), tiles of queries against the keys they see for many (prompt processing).
import Foundation
import MimicTensor

/// Shapes of one attention layer.
struct AttentionShape {
    let heads: Int
    let kvHeads: Int
    let headDim: Int
    var qWidth: Int { heads * headDim }
    var kvWidth: Int { kvHeads * headDim }
}

/// out (T, H·D) = softmax(q kᵀ / √D, causal) v for T queries at positions p0…; keys/values: (L, Hkv·D).
func causalAttention(q: UnsafePointer<Float>, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
                     out: UnsafeMutablePointer<Float>, tokens t: Int, p0: Int, shape s: AttentionShape, scratch: Scratch) {
    let L = p0 + t
    let scale = 1 / Float(s.headDim).squareRoot()
    let group = s.heads / s.kvHeads
    if t <= WeightMatrix.fusedBatchLimit {
        let slots = Threads.count
        let buf = scratch.floats(L * slots)
        Kernels.attentionParallel(q: q, qStride: s.qWidth, k: keys, v: values, kvStride: s.kvWidth, out: out,
                                  tokens: t, p0: p0, dim: s.headDim, group: group, heads: s.heads, scale: scale,
                                  scores: buf, slots: slots)
        return
    }
    Kernels.attentionPrefill(q: q, qStride: s.qWidth, k: keys, v: values, kvStride: s.kvWidth, out: out, tokens: t,
                             p0: p0, dim: s.headDim, group: group, heads: s.heads, scale: scale)
}

/// One decode step's attention: row b of q, at position positions[b], over its own sequence's layer-`layer` cache;
/// each sequence gets what `causalAttention` gives it alone, in one pass over the pool for all of them.
func decodeAttention(q: UnsafePointer<Float>, caches: [KVCache], layer: Int, positions: [Int],
                     out: UnsafeMutablePointer<Float>, shape s: AttentionShape) {
    Kernels.attentionDecode(q: q, qStride: s.qWidth, keys: caches.map { UnsafePointer($0.keys(layer)) },
                            values: caches.map { UnsafePointer($0.values(layer)) }, kvStride: s.kvWidth,
                            positions: positions, out: out, dim: s.headDim, group: s.heads / s.kvHeads, heads: s.heads,
                            scale: 1 / Float(s.headDim).squareRoot())
}
