// Causal self-attention for training: grouped-query heads, several documents per block (a query sees only
// earlier keys of its own document); the probabilities are made again in the backward pass, not kept.
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
    /// Query rows per piece: a piece of rows needs only the keys up to its last row, so the products skip most of
    /// the causal mask's upper triangle (about 56% of the full T × T work at T = 1024).
    static let pieceRows = 64

    /// The pieces of a block's T rows: each piece's rows and the first key any of them sees (its first row's
    /// document start; later rows' starts are not earlier).
    static func pieces(block b: Int, starts: [Int], dims d: AttentionDims, pieceRows: Int) -> [(rows: Range<Int>, firstKey: Int)] {
        stride(from: 0, to: d.length, by: pieceRows).map { r0 in
            (r0..<min(r0 + pieceRows, d.length), starts[b * d.length + r0] - b * d.length)
        }
    }

    /// P of block `b`, head `h`, query rows `rows` against keys `firstKey..<rows.upperBound`: (rows.count, keys)
    /// with row stride `keys`, softmax(q kᵀ · scale) with each query seeing only the earlier keys of its own document
    /// (the entries before its document's start are 0, those after the query 0). The forward and the backward both
    /// make P here, from the same inputs in the same order, so the backward's P is the forward's bit for bit: no
    /// (B, H, T, T) probabilities are kept between them (at 1 × 1024 tokens on a 30-layer, 9-head model that was
    /// 1.1 GB), for one more product per head in the backward.
    static func probabilities(q: UnsafePointer<Float>, k: UnsafePointer<Float>, starts: [Int], dims d: AttentionDims,
                              block b: Int, head h: Int, rows: Range<Int>, firstKey: Int, into p: UnsafeMutablePointer<Float>) {
        let T = d.length, keys = rows.upperBound - firstKey
        let qb = q + (b * T + rows.lowerBound) * d.qWidth + h * d.headDim
        let kb = k + (b * T + firstKey) * d.kvWidth + (h / d.group) * d.headDim
        sgemmNT(m: rows.count, n: keys, k: d.headDim, a: qb, lda: d.qWidth, b: kb, ldb: d.kvWidth, c: p, ldc: keys)
        for i in rows {
            let s = starts[b * T + i] - b * T, row = p + (i - rows.lowerBound) * keys
            if s > firstKey { row.update(repeating: 0, count: s - firstKey) }
            var valid = Int64(i - s + 1)
            Kernels.softmaxRows(row + (s - firstKey), rows: 1, n: rows.upperBound - s, valid: &valid, scale: d.scale)
        }
    }

    /// out (N, H·D) = softmax(q kᵀ · scale, masked) v. q: (N, H·D), k, v: (N, Hkv·D), already rotated.
    static func forward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                        out: UnsafeMutablePointer<Float>, starts: [Int], dims d: AttentionDims, scratch: Scratch,
                        pieceRows: Int = pieceRows) {
        let T = d.length
        let p = scratch.floats(min(pieceRows, T) * T)
        for b in 0..<d.blocks {
            for (rows, firstKey) in pieces(block: b, starts: starts, dims: d, pieceRows: pieceRows) {
                let keys = rows.upperBound - firstKey
                for h in 0..<d.heads {
                    probabilities(q: q, k: k, starts: starts, dims: d, block: b, head: h, rows: rows, firstKey: firstKey, into: p)
                    sgemmNN(m: rows.count, n: d.headDim, k: keys, a: p, lda: keys,
                            b: v + (b * T + firstKey) * d.kvWidth + (h / d.group) * d.headDim, ldb: d.kvWidth,
                            c: out + (b * T + rows.lowerBound) * d.qWidth + h * d.headDim, ldc: d.qWidth)
                }
            }
        }
    }

    /// dq (N, H·D) = ∂/∂q; dk, dv (N, Hkv·D) are overwritten. P is made again (`probabilities`), piece by piece;
    /// dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale.
    static func backward(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                         dout: UnsafePointer<Float>, dq: UnsafeMutablePointer<Float>,
                         dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>, starts: [Int], dims d: AttentionDims,
                         scratch: Scratch, pieceRows: Int = pieceRows) {
        let T = d.length, most = min(pieceRows, T) * T
        dk.update(repeating: 0, count: d.rows * d.kvWidth)
        dv.update(repeating: 0, count: d.rows * d.kvWidth)
        let p = scratch.floats(2 * most), dp = p + most
        for b in 0..<d.blocks {
            for (rows, firstKey) in pieces(block: b, starts: starts, dims: d, pieceRows: pieceRows) {
                let m = rows.count, keys = rows.upperBound - firstKey
                for h in 0..<d.heads {
                    let g = h / d.group
                    let qr = q + (b * T + rows.lowerBound) * d.qWidth + h * d.headDim
                    let dor = dout + (b * T + rows.lowerBound) * d.qWidth + h * d.headDim
                    let kKeys = k + (b * T + firstKey) * d.kvWidth + g * d.headDim
                    let vKeys = v + (b * T + firstKey) * d.kvWidth + g * d.headDim
                    probabilities(q: q, k: k, starts: starts, dims: d, block: b, head: h, rows: rows, firstKey: firstKey, into: p)
                    sgemmTN(m: keys, n: d.headDim, k: m, a: p, lda: keys, b: dor, ldb: d.qWidth,
                            c: dv + (b * T + firstKey) * d.kvWidth + g * d.headDim, ldc: d.kvWidth, beta: 1)
                    sgemmNT(m: m, n: keys, k: d.headDim, a: dor, lda: d.qWidth, b: vKeys, ldb: d.kvWidth, c: dp, ldc: keys)
                    for i in rows {
                        let pr = p + (i - rows.lowerBound) * keys, dr = dp + (i - rows.lowerBound) * keys
                        let last = i - firstKey   // the query's own key
                        var dot: Float = 0
                        for j in 0...last { dot += pr[j] * dr[j] }
                        for j in 0..<keys { dr[j] = j <= last ? pr[j] * (dr[j] - dot) * d.scale : 0 }
                    }
                    sgemmNN(m: m, n: d.headDim, k: keys, a: dp, lda: keys, b: kKeys, ldb: d.kvWidth,
                            c: dq + (b * T + rows.lowerBound) * d.qWidth + h * d.headDim, ldc: d.qWidth)
                    sgemmTN(m: keys, n: d.headDim, k: m, a: dp, lda: keys, b: qr, ldb: d.qWidth,
                            c: dk + (b * T + firstKey) * d.kvWidth + g * d.headDim, ldc: d.kvWidth, beta: 1)
                }
            }
        }
    }
}
