// Causal self-attention for training: grouped-query heads, several documents per block (a query sees only
// earlier keys of its own document), softmax probabilities kept for the backward pass.
import Foundation
import MimicTensor

/// Shapes of one attention layer over a batch of equal-length blocks.
struct AttentionDims {
    let blocks: Int      // B
    let length: Int      // T
    let heads: Int       // H
    let kvHeads: Int     // Hkv
    let headDim: Int     // D
    var rows: Int { blocks * length }
    var qWidth: Int { heads * headDim }
    var kvWidth: Int { kvHeads * headDim }
    var group: Int { heads / kvHeads }
    var probsCount: Int { blocks * heads * length * length }
    var scale: Float { 1 / Float(headDim).squareRoot() }
}

/// For each row, the first row of its document in the same block (documents are contiguous runs).
func documentStarts(_ documents: [Int], length: Int) -> [Int] {
    var start = [Int](repeating: 0, count: documents.count)
    for i in documents.indices {
        start[i] = (i % length != 0 && documents[i - 1] == documents[i]) ? start[i - 1] : i
    }
    return start
}

enum TrainAttention {
    /// out (N, H·D) = softmax(q kᵀ · scale, masked) v; probs (B, H, T, T) keeps the probabilities.
    /// q: (N, H·D), k, v: (N, Hkv·D), already rotated.
    static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                        out: UnsafeMutablePointer<Float>, probs: UnsafeMutablePointer<Float>, starts: [Int], dims d: AttentionDims) {
        let T = d.length
        for b in 0..<d.blocks {
            for h in 0..<d.heads {
                let g = h / d.group
                let qb = q + b * T * d.qWidth + h * d.headDim, kb = k + b * T * d.kvWidth + g * d.headDim
                let vb = v + b * T * d.kvWidth + g * d.headDim
                let p = probs + (b * d.heads + h) * T * T   // (T, T)
                sgemmNT(m: T, n: T, k: d.headDim, a: qb, lda: d.qWidth, b: kb, ldb: d.kvWidth, c: p, ldc: T)
                for i in 0..<T {
                    let s = starts[b * T + i] - b * T
                    let row = p + i * T
                    if s > 0 { row.update(repeating: 0, count: s) }
                    var valid = Int64(i - s + 1)
                    Kernels.softmaxRows(row + s, rows: 1, n: T - s, valid: &valid, scale: d.scale)
                }
                sgemmNN(m: T, n: d.headDim, k: T, a: p, lda: T, b: vb, ldb: d.kvWidth, c: out + b * T * d.qWidth + h * d.headDim,
                        ldc: d.qWidth)
            }
        }
    }

    /// dq (N, H·D) = ∂/∂q; dk, dv (N, Hkv·D) are overwritten. dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale.
    static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         probs: UnsafePointer<Float>, dout: UnsafePointer<Float>, dq: UnsafeMutablePointer<Float>,
                         dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>, dims d: AttentionDims,
                         scratch: Scratch) {
        let T = d.length
        dk.update(repeating: 0, count: d.rows * d.kvWidth)
        dv.update(repeating: 0, count: d.rows * d.kvWidth)
        let dp = scratch.floats(T * T)   // (T, T)
        for b in 0..<d.blocks {
            for h in 0..<d.heads {
                let g = h / d.group
                let qb = q + b * T * d.qWidth + h * d.headDim, kb = k + b * T * d.kvWidth + g * d.headDim
                let vb = v + b * T * d.kvWidth + g * d.headDim
                let dob = dout + b * T * d.qWidth + h * d.headDim
                let p = probs + (b * d.heads + h) * T * T
                sgemmTN(m: T, n: d.headDim, k: T, a: p, lda: T, b: dob, ldb: d.qWidth,
                        c: dv + b * T * d.kvWidth + g * d.headDim, ldc: d.kvWidth, beta: 1)
                sgemmNT(m: T, n: T, k: d.headDim, a: dob, lda: d.qWidth, b: vb, ldb: d.kvWidth, c: dp, ldc: T)
                for i in 0..<T {
                    let pr = p + i * T, dr = dp + i * T
                    var dot: Float = 0
                    for j in 0...i { dot += pr[j] * dr[j] }
                    for j in 0..<T { dr[j] = j <= i ? pr[j] * (dr[j] - dot) * d.scale : 0 }
                }
                sgemmNN(m: T, n: d.headDim, k: T, a: dp, lda: T, b: kb, ldb: d.kvWidth, c: dq + b * T * d.qWidth + h * d.headDim,
                        ldc: d.qWidth)
                sgemmTN(m: T, n: d.headDim, k: T, a: dp, lda: T, b: qb, ldb: d.qWidth,
                        c: dk + b * T * d.kvWidth + g * d.headDim, ldc: d.kvWidth, beta: 1)
            }
        }
    }
}
