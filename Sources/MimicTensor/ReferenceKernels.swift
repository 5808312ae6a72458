// Plain Swift loops that define what each fast kernel computes; tests hold `Kernels` to these.
import Foundation

/// Straightforward implementations in Double or Float arithmetic, for tests only.
public enum ReferenceKernels {
    /// RMSNorm of each row of x (rows, n): x / sqrt(mean(x²) + eps) × weight (n), accumulated in Double.
    public static func rmsNorm(_ x: [Float], weight: [Float], rows: Int, n: Int, eps: Float) -> [Float] {
        var out = [Float](repeating: 0, count: rows * n)
        for r in 0..<rows {
            var ss = 0.0
            for i in 0..<n { ss += Double(x[r * n + i]) * Double(x[r * n + i]) }
            let inv = 1 / (ss / Double(n) + Double(eps)).squareRoot()
            for i in 0..<n { out[r * n + i] = Float(Double(x[r * n + i]) * inv) * weight[i] }
        }
        return out
    }

    /// LayerNorm of each row of x (rows, n): (x − mean) / sqrt(variance + eps) × weight + bias, in Double.
    public static func layerNorm(_ x: [Float], weight: [Float], bias: [Float], rows: Int, n: Int, eps: Float) -> [Float] {
        var out = [Float](repeating: 0, count: rows * n)
        for r in 0..<rows {
            let row = x[(r * n)..<(r * n + n)].map(Double.init)
            let mean = row.reduce(0, +) / Double(n)
            let variance = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
            for i in 0..<n {
                out[r * n + i] = Float((row[i] - mean) / (variance + Double(eps)).squareRoot()) * weight[i] + bias[i]
            }
        }
        return out
    }

    /// softmax(x · scale) over the whole array, computed in Double with the maximum subtracted.
    public static func softmax(_ x: [Float], scale: Float = 1) -> [Float] {
        let m = x.map { Double($0 * scale) }.max() ?? 0
        let e = x.map { exp(Double($0 * scale) - m) }
        let s = e.reduce(0, +)
        return e.map { Float($0 / s) }
    }

    /// SiLU: x · sigmoid(x), computed in Double.
    public static func silu(_ x: Float) -> Float { Float(Double(x) / (1 + exp(-Double(x)))) }

    /// GELU, tanh approximation (GPT-2's `gelu_new`), computed in Double.
    public static func geluTanh(_ x: Float) -> Float {
        let v = Double(x)
        return Float(0.5 * v * (1 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v))))
    }

    /// x rounded as the 8-bit activation kernels see it: per 32 values, q = round(x / d) with d = max|x| / 127.
    public static func quantizeQ8(_ x: [Float]) -> [Float] {
        var out = x
        for b in stride(from: 0, to: x.count, by: 32) {
            let block = x[b..<min(b + 32, x.count)]
            let d = (block.map { abs($0) }.max() ?? 0) / 127
            let id: Float = d > 0 ? 1 / d : 0
            for i in block.indices { out[i] = (x[i] * id).rounded(.toNearestOrEven) * d }
        }
        return out
    }

    /// x rounded to BF16 as ggml rounds it (nearest, ties to even, on the bits; a NaN stays a quiet NaN), as FP32.
    public static func roundBF16(_ x: [Float]) -> [Float] {
        x.map { v in
            let u = v.bitPattern
            if u & 0x7FFF_FFFF > 0x7F80_0000 { return Float(bitPattern: (u | 0x0040_0000) & 0xFFFF_0000) }
            return Float(bitPattern: (u &+ 0x7FFF &+ ((u >> 16) & 1)) & 0xFFFF_0000)
        }
    }

    /// y (M, N) = x (M, K) · Wᵀ with W (N, K).
    public static func matmulNT(_ x: [Float], _ w: [Float], m: Int, n: Int, k: Int) -> [Float] {
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k { s += Double(x[i * k + p]) * Double(w[j * k + p]) }
                y[i * n + j] = Float(s)
            }
        }
        return y
    }

    /// Rotary embedding of one head vector at one position (theta_i = pos · invFreq[i]).
    public static func rope(_ v: [Float], invFreq: [Float], position: Int, interleaved: Bool) -> [Float] {
        var out = v
        let half = invFreq.count
        for i in 0..<half {
            let angle = Double(Float(position) * invFreq[i])
            let (c, s) = (cos(angle), sin(angle))
            let (a, b) = interleaved ? (2 * i, 2 * i + 1) : (i, i + half)
            out[a] = Float(Double(v[a]) * c - Double(v[b]) * s)
            out[b] = Float(Double(v[a]) * s + Double(v[b]) * c)
        }
        return out
    }

    /// Causal attention for one query head against keys/values [L][dim].
    public static func attention(q: [Float], keys: [[Float]], values: [[Float]], scale: Float) -> [Float] {
        let scores = keys.map { k in zip(q, k).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
        let p = softmax(scores, scale: scale)
        var out = [Float](repeating: 0, count: q.count)
        for (j, v) in values.enumerated() { for i in 0..<q.count { out[i] += p[j] * v[i] } }
        return out
    }
}
