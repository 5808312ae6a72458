// The kernels the models call. Each forwards to the fast C version in CKernels; `ReferenceKernels`
// holds the plain Swift loops that tests hold the fast ones to. This is the one place the choice is made.
import CKernels

/// Fast kernels over raw FP32 buffers. Shapes are given as (rows, n) with rows contiguous.
public enum Kernels {
    /// out = x / sqrt(mean(x²) + eps) ⊙ w per row.  x, out: (rows, n); w: (n)
    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                               rows: Int, n: Int, eps: Float) {
        ck_rmsnorm(x, weight, out, Int64(rows), Int64(n), eps)
    }

    /// out = (x − mean) / sqrt(var + eps) ⊙ w + b per row.  x, out: (rows, n); w, b: (n)
    public static func layerNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                 out: UnsafeMutablePointer<Float>, rows: Int, n: Int, eps: Float) {
        ck_layernorm(x, weight, bias, out, Int64(rows), Int64(n), eps)
    }

    /// Softmax of `scale · x` over each row's first `valid[r]` entries (all if nil); later entries become 0.
    /// x: (rows, n) with row stride `stride`.
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int, stride: Int? = nil,
                                   valid: UnsafePointer<Int64>? = nil, scale: Float = 1) {
        ck_softmax_rows(x, Int64(rows), Int64(n), Int64(stride ?? n), valid, scale)
    }

    /// gate = silu(gate) ⊙ up, n elements.
    public static func siluMul(_ gate: UnsafeMutablePointer<Float>, _ up: UnsafePointer<Float>, n: Int) {
        ck_silu_mul(gate, up, Int64(n))
    }

    /// x = gelu_tanh(x), n elements (GPT-2's `gelu_new`).
    public static func geluTanh(_ x: UnsafeMutablePointer<Float>, n: Int) { ck_gelu_tanh(x, Int64(n)) }

    /// y = exp(x), n elements (the vectorised exp the softmax and activations use).
    public static func exp(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, n: Int) { ck_expf(x, y, Int64(n)) }

    /// y += x, n elements.
    public static func add(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, n: Int) { ck_add(y, x, Int64(n)) }

    /// Rotary embedding in place on x: (T, heads, dim) with row stride `stride`; cos/sin: (T, rot/2).
    public static func rope(_ x: UnsafeMutablePointer<Float>, tokens: Int, heads: Int, dim: Int, stride: Int,
                            cos: UnsafePointer<Float>, sin: UnsafePointer<Float>, rotaryDim: Int, interleaved: Bool) {
        ck_rope(x, Int64(tokens), Int64(heads), Int64(dim), Int64(stride), cos, sin, Int64(rotaryDim), interleaved ? 1 : 0)
    }

    /// Causal attention of T queries (at positions p0…p0+T−1) over keys 0…p0+T−1 for heads `heads`.
    /// q, out: (T, H·dim) with row stride qStride; k, v: (L, Hkv·dim) with row stride kvStride.
    public static func attention(q: UnsafePointer<Float>, qStride: Int, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
                                 kvStride: Int, out: UnsafeMutablePointer<Float>, tokens: Int, p0: Int, dim: Int,
                                 group: Int, heads: Range<Int>, scale: Float, scores: UnsafeMutablePointer<Float>) {
        ck_attention(q, Int64(qStride), k, v, Int64(kvStride), out, Int64(tokens), Int64(p0), Int64(dim), Int64(group),
                     Int64(heads.lowerBound), Int64(heads.upperBound), scale, scores)
    }

    /// `attention` over all heads, split across the kernel thread pool into at most `slots` tasks;
    /// scores: slots · (p0 + T) floats.
    public static func attentionParallel(q: UnsafePointer<Float>, qStride: Int, k: UnsafePointer<Float>,
                                         v: UnsafePointer<Float>, kvStride: Int, out: UnsafeMutablePointer<Float>,
                                         tokens: Int, p0: Int, dim: Int, group: Int, heads: Int, scale: Float,
                                         scores: UnsafeMutablePointer<Float>, slots: Int) {
        ck_attention_parallel(q, Int64(qStride), k, v, Int64(kvStride), out, Int64(tokens), Int64(p0), Int64(dim),
                              Int64(group), Int64(heads), scale, scores, Int64(slots))
    }

    /// A decode step's attention: row b of q (position positions[b]) over keys 0 ... positions[b] of sequence b's own
    /// cache (keys[b], values[b], rows of `kvStride`), every head, across the pool; each sequence and head as
    /// `attentionParallel` computes it alone.
    public static func attentionDecode(q: UnsafePointer<Float>, qStride: Int, keys: [UnsafePointer<Float>],
                                       values: [UnsafePointer<Float>], kvStride: Int, positions: [Int],
                                       out: UnsafeMutablePointer<Float>, dim: Int, group: Int, heads: Int, scale: Float) {
        precondition(keys.count == positions.count && values.count == positions.count, "one cache per sequence")
        let keys = keys.map { Optional($0) }, values = values.map { Optional($0) }, positions = positions.map { Int64($0) }
        ck_attention_decode(Int64(positions.count), q, Int64(qStride), keys, values, Int64(kvStride), positions, out,
                            Int64(dim), Int64(group), Int64(heads), scale)
    }

    /// Causal attention of a prompt's `tokens` queries (positions p0…) over keys 0 ..< p0 + tokens, every head,
    /// across the pool; shapes as `attentionParallel`'s.
    public static func attentionPrefill(q: UnsafePointer<Float>, qStride: Int, k: UnsafePointer<Float>,
                                        v: UnsafePointer<Float>, kvStride: Int, out: UnsafeMutablePointer<Float>,
                                        tokens: Int, p0: Int, dim: Int, group: Int, heads: Int, scale: Float) {
        ck_attention_prefill(q, Int64(qStride), k, v, Int64(kvStride), out, Int64(tokens), Int64(p0), Int64(dim),
                             Int64(group), Int64(heads), scale)
    }

    /// The SIMD level in use: 2 AVX-512, 1 AVX2, 0 portable C.
    public static var simdLevel: Int { Int(ck_simd_level()) }

    /// Caps the SIMD level on the calling thread and the pool jobs it starts (tests run every level; -1 or a
    /// level above the CPU's removes the cap); returns the level in force.
    @discardableResult
    public static func setSIMDLevel(_ level: Int) -> Int { Int(ck_set_simd_level(Int32(level))) }
}
