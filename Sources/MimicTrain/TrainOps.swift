// Training operations: each forward beside its backward, on FP32 row-major buffers. Shapes are in comments
// as (rows, cols); N is the number of token rows in a batch, C the model width.
import CKernels
import Foundation
import MimicTensor

/// Forward and backward passes of the layers both model families are built from.
public enum TrainOps {
    // MARK: matrix products (W stored (out, in), as Hugging Face Linear layers do)

    /// y (N, out) = x (N, in) · Wᵀ.
    public static func linear(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                              n: Int, inFeatures: Int, outFeatures: Int) {
        sgemmNT(m: n, n: outFeatures, k: inFeatures, a: x, lda: inFeatures, b: w, ldb: inFeatures, c: y, ldc: outFeatures)
    }

    /// dx (N, in) (+)= dy (N, out) · W;  dW (out, in) += dyᵀ · x.  `accumulateInput` adds to dx instead of overwriting.
    public static func linearBackward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, dy: UnsafePointer<Float>,
                                      dx: UnsafeMutablePointer<Float>?, dw: UnsafeMutablePointer<Float>,
                                      n: Int, inFeatures: Int, outFeatures: Int, accumulateInput: Bool = false) {
        if let dx {
            sgemmNN(m: n, n: inFeatures, k: outFeatures, a: dy, lda: outFeatures, b: w, ldb: inFeatures, c: dx,
                    ldc: inFeatures, beta: accumulateInput ? 1 : 0)
        }
        sgemmTN(m: outFeatures, n: inFeatures, k: n, a: dy, lda: outFeatures, b: x, ldb: inFeatures, c: dw,
                ldc: inFeatures, beta: 1)
    }

    // MARK: RMSNorm

    /// y = x · rstd ⊙ w with rstd = 1 / sqrt(mean(x²) + eps) per row; rstd (N) is kept for the backward.
    public static func rmsNorm(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                               rstd: UnsafeMutablePointer<Float>, n: Int, c: Int, eps: Float) {
        for r in 0..<n {
            let xr = x + r * c
            var ss: Float = 0
            for i in 0..<c { ss += xr[i] * xr[i] }
            let s = 1 / (ss / Float(c) + eps).squareRoot()
            rstd[r] = s
            let yr = y + r * c
            for i in 0..<c { yr[i] = xr[i] * s * w[i] }
        }
    }

    /// dx (+)= rstd · (dy⊙w) − x · rstd³ · mean(dy⊙w⊙x);  dw += Σ_rows dy ⊙ x · rstd.
    public static func rmsNormBackward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                       dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                       dw: UnsafeMutablePointer<Float>, n: Int, c: Int, accumulate: Bool) {
        for r in 0..<n {
            let xr = x + r * c, dyr = dy + r * c, dxr = dx + r * c, s = rstd[r]
            var dot: Float = 0
            for i in 0..<c { dot += dyr[i] * w[i] * xr[i] }
            let k = s * s * s * dot / Float(c)
            for i in 0..<c {
                let g = s * dyr[i] * w[i] - xr[i] * k
                dxr[i] = accumulate ? dxr[i] + g : g
                dw[i] += dyr[i] * xr[i] * s
            }
        }
    }

    // MARK: LayerNorm

    /// y = (x − mean) · rstd ⊙ w + b per row; mean and rstd (N) are kept for the backward.
    public static func layerNorm(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                 _ y: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                                 rstd: UnsafeMutablePointer<Float>, n: Int, c: Int, eps: Float) {
        for r in 0..<n {
            let xr = x + r * c, yr = y + r * c
            var m: Float = 0
            for i in 0..<c { m += xr[i] }
            m /= Float(c)
            var v: Float = 0
            for i in 0..<c { v += (xr[i] - m) * (xr[i] - m) }
            let s = 1 / (v / Float(c) + eps).squareRoot()
            mean[r] = m
            rstd[r] = s
            for i in 0..<c { yr[i] = (xr[i] - m) * s * w[i] + b[i] }
        }
    }

    /// dx (+)= rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂)) with g = dy ⊙ w, x̂ = (x − mean) · rstd; dw += dy ⊙ x̂; db += dy.
    public static func layerNormBackward(x: UnsafePointer<Float>, w: UnsafePointer<Float>, mean: UnsafePointer<Float>,
                                         rstd: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
                                         dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>, n: Int, c: Int,
                                         accumulate: Bool) {
        for r in 0..<n {
            let xr = x + r * c, dyr = dy + r * c, dxr = dx + r * c, m = mean[r], s = rstd[r]
            var meanG: Float = 0, meanGX: Float = 0
            for i in 0..<c {
                let g = dyr[i] * w[i], xh = (xr[i] - m) * s
                meanG += g
                meanGX += g * xh
                dw[i] += dyr[i] * xh
                db[i] += dyr[i]
            }
            meanG /= Float(c)
            meanGX /= Float(c)
            for i in 0..<c {
                let xh = (xr[i] - m) * s
                let g = s * (dyr[i] * w[i] - meanG - xh * meanGX)
                dxr[i] = accumulate ? dxr[i] + g : g
            }
        }
    }

    // MARK: activations

    /// a = silu(g) ⊙ u.  g, u, a: (N, F) as n elements.
    public static func swiglu(_ g: UnsafePointer<Float>, _ u: UnsafePointer<Float>, _ a: UnsafeMutablePointer<Float>, n: Int) {
        ck_swiglu(g, u, a, Int64(n))
    }

    /// dg = da ⊙ u ⊙ silu′(g);  du = da ⊙ silu(g).
    public static func swigluBackward(g: UnsafePointer<Float>, u: UnsafePointer<Float>, da: UnsafePointer<Float>,
                                      dg: UnsafeMutablePointer<Float>, du: UnsafeMutablePointer<Float>, n: Int) {
        ck_swiglu_backward(g, u, da, dg, du, Int64(n))
    }

    /// y = gelu_tanh(x) (GPT-2's gelu_new).
    public static func gelu(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, n: Int) {
        let k: Float = 0.7978845608028654
        for i in 0..<n {
            let v = x[i]
            y[i] = 0.5 * v * (1 + tanh(k * (v + 0.044715 * v * v * v)))
        }
    }

    /// dx = dy · gelu_tanh′(x).
    public static func geluBackward(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, n: Int) {
        let k: Float = 0.7978845608028654
        for i in 0..<n {
            let v = x[i], u = k * (v + 0.044715 * v * v * v), t = tanh(u)
            dx[i] = dy[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * 0.044715 * v * v))
        }
    }

    // MARK: rotary embedding

    /// cos and sin of positions[r] · invFreq[i], each (N, invFreq.count).
    public static func ropeTables(positions: [Int], invFreq: [Float]) -> (cos: [Float], sin: [Float]) {
        let half = invFreq.count
        var c = [Float](repeating: 0, count: positions.count * half), s = c
        for (r, p) in positions.enumerated() {
            for i in 0..<half {
                let angle = Double(Float(p) * invFreq[i])
                c[r * half + i] = Float(cos(angle))
                s[r * half + i] = Float(sin(angle))
            }
        }
        return (c, s)
    }

    /// Rotates the first 2·half dims of each head of x (N, heads·dim) by the tables' angles in HF's half-split
    /// layout; `inverse` rotates back (the backward of a rotation is the opposite rotation).
    public static func rope(_ x: UnsafeMutablePointer<Float>, n: Int, heads: Int, dim: Int, cos c: [Float], sin s: [Float],
                            inverse: Bool = false) {
        let half = c.count / max(n, 1), sign: Float = inverse ? -1 : 1
        for r in 0..<n {
            for h in 0..<heads {
                let v = x + r * heads * dim + h * dim
                for i in 0..<half {
                    let a = v[i], b = v[i + half], cr = c[r * half + i], sr = sign * s[r * half + i]
                    v[i] = a * cr - b * sr
                    v[i + half] = a * sr + b * cr
                }
            }
        }
    }

    /// `rope` with tables computed from positions and inverse frequencies.
    public static func rope(_ x: UnsafeMutablePointer<Float>, n: Int, heads: Int, dim: Int, positions: [Int],
                            invFreq: [Float], inverse: Bool = false) {
        let (c, s) = ropeTables(positions: positions, invFreq: invFreq)
        rope(x, n: n, heads: heads, dim: dim, cos: c, sin: s, inverse: inverse)
    }

    // MARK: cross-entropy

    /// Mean cross-entropy of logits (N, V) against targets (ignoreLabel skipped), divided by `normalizer` (the
    /// trained-token count of the whole batch). Overwrites logits with dL/dlogits. Returns the summed loss.
    public static func crossEntropyInPlace(_ logits: UnsafeMutablePointer<Float>, targets: [Int], vocab v: Int,
                                           normalizer: Int) -> Double {
        var total = 0.0
        let scale = 1 / Float(max(normalizer, 1))
        for (r, t) in targets.enumerated() {
            let row = logits + r * v
            guard t != ignoreLabel else {
                row.update(repeating: 0, count: v)
                continue
            }
            total += ck_cross_entropy_row(row, Int64(v), Int64(t), scale)
        }
        return total
    }
}

/// C (m, n) = Aᵀ · B where A is (k, m) and B is (k, n); `beta` scales the old C.
public func sgemmTN(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                    c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, beta: Float = 0) {
    sgemmGeneral(transA: true, transB: false, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
                 alpha: alpha, beta: beta)
}
