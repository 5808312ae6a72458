// The fast kernels (C, every SIMD level this CPU has) held to the plain Swift ones in ReferenceKernels.
import CKernels
import Foundation
import MimicCore
import MimicTensor
import Testing

func randomFloats(_ n: Int, _ rng: inout SeededGenerator, scale: Float = 1) -> [Float] {
    (0..<n).map { _ in Float(rng.nextUnit() * 2 - 1) * scale }
}

func maxDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    // A NaN on either side counts as infinitely far (max would drop it: NaN > x is false).
    return zip(a, b).reduce(0) { let d = abs($1.0 - $1.1); return d.isNaN ? .infinity : max($0, d) }
}

/// Every SIMD level up to the CPU's best (0 = portable C).
let simdLevels: [Int] = {
    let best = Kernels.setSIMDLevel(9)
    return Array(0...best)
}()

@Suite(.serialized) struct KernelTests {
    /// Norms are compiled as target clones (the loader picks the CPU's best), so only that one runs here.
    @Test func normsMatchReference() {
        var rng = SeededGenerator(seed: 1)
        let rows = 3, n = 77
        let x = randomFloats(rows * n, &rng, scale: 3), w = randomFloats(n, &rng), b = randomFloats(n, &rng)
        var out = [Float](repeating: 0, count: rows * n)
        Kernels.rmsNorm(x, weight: w, out: &out, rows: rows, n: n, eps: 1e-5)
        #expect(maxDiff(out, ReferenceKernels.rmsNorm(x, weight: w, rows: rows, n: n, eps: 1e-5)) < 1e-5)
        Kernels.layerNorm(x, weight: w, bias: b, out: &out, rows: rows, n: n, eps: 1e-5)
        #expect(maxDiff(out, ReferenceKernels.layerNorm(x, weight: w, bias: b, rows: rows, n: n, eps: 1e-5)) < 1e-5)
    }

    @Test(arguments: simdLevels)
    func softmaxAndActivationsMatchReference(level: Int) {
        defer { Kernels.setSIMDLevel(9) }
        Kernels.setSIMDLevel(level)
        var rng = SeededGenerator(seed: 2)
        let n = 133
        var x = randomFloats(n, &rng, scale: 20)
        let expected = ReferenceKernels.softmax(Array(x[..<100]), scale: 0.5)
        var valid: [Int64] = [100]
        Kernels.softmaxRows(&x, rows: 1, n: n, valid: &valid, scale: 0.5)
        #expect(maxDiff(Array(x[..<100]), expected) < 1e-6)
        #expect(x[100...].allSatisfy { $0 == 0 }, "entries past the valid length are zeroed")

        var g = randomFloats(n, &rng, scale: 8)
        let up = randomFloats(n, &rng)
        let siluExpected = zip(g, up).map { ReferenceKernels.silu($0) * $1 }
        Kernels.siluMul(&g, up, n: n)
        #expect(maxDiff(g, siluExpected) < 1e-5)

        var h = randomFloats(n, &rng, scale: 6)
        let geluExpected = h.map(ReferenceKernels.geluTanh)
        Kernels.geluTanh(&h, n: n)
        #expect(maxDiff(h, geluExpected) < 1e-5)
    }

    @Test(arguments: simdLevels)
    func expIsAccurateOverItsRange(level: Int) {
        defer { Kernels.setSIMDLevel(9) }
        Kernels.setSIMDLevel(level)
        let x = stride(from: -87.0, through: 88.0, by: 0.173).map { Float($0) }
        var y = [Float](repeating: 0, count: x.count)
        Kernels.exp(x, &y, n: x.count)
        let worst = zip(x, y).map { abs(Double($1) / Foundation.exp(Double($0)) - 1) }.max()!
        #expect(worst < 5e-7, "relative error \(worst)")
    }

    @Test func ropeMatchesReferenceInBothLayouts() throws {
        var rng = SeededGenerator(seed: 3)
        let dim = 16, heads = 2, tokens = 3, p0 = 5
        let invFreq = (0..<(dim / 2)).map { Float(1 / pow(10000.0, Double(2 * $0) / Double(dim))) }
        let angles = (0..<tokens).flatMap { t in invFreq.map { Double(Float(p0 + t) * $0) } }
        let (c, s) = (angles.map { Float(cos($0)) }, angles.map { Float(sin($0)) })
        // Partial rotation: only the first 8 of 16 dimensions turn; the rest pass through.
        let halfFreq = (0..<4).map { Float(1 / pow(10000.0, Double(2 * $0) / 8)) }
        let partialAngles = (0..<tokens).flatMap { t in halfFreq.map { Double(Float(p0 + t) * $0) } }
        var px = randomFloats(tokens * heads * dim, &rng)
        let pbefore = px
        Kernels.rope(&px, tokens: tokens, heads: heads, dim: dim, stride: heads * dim, cos: partialAngles.map { Float(cos($0)) },
                     sin: partialAngles.map { Float(sin($0)) }, rotaryDim: 8, interleaved: false)
        for t in 0..<tokens {
            for h in 0..<heads {
                let at = (t * heads + h) * dim
                let expected = ReferenceKernels.rope(Array(pbefore[at..<(at + 8)]), invFreq: halfFreq, position: p0 + t, interleaved: false)
                #expect(maxDiff(Array(px[at..<(at + 8)]), expected) < 1e-5)
                #expect(Array(px[(at + 8)..<(at + dim)]) == Array(pbefore[(at + 8)..<(at + dim)]))
            }
        }
        for interleaved in [true, false] {
            var x = randomFloats(tokens * heads * dim, &rng)
            let before = x
            Kernels.rope(&x, tokens: tokens, heads: heads, dim: dim, stride: heads * dim, cos: c, sin: s, rotaryDim: dim,
                         interleaved: interleaved)
            for t in 0..<tokens {
                for h in 0..<heads {
                    let at = (t * heads + h) * dim
                    let expected = ReferenceKernels.rope(Array(before[at..<(at + dim)]), invFreq: invFreq,
                                                         position: p0 + t, interleaved: interleaved)
                    #expect(maxDiff(Array(x[at..<(at + dim)]), expected) < 1e-5)
                }
            }
        }
    }

    /// At every SIMD level, with head sizes that take the four-sum loop (64), its tail (72, 16) and the plain path (8
    /// on AVX-512, 12 everywhere).
    @Test(arguments: simdLevels, [8, 12, 16, 64, 72])
    func attentionMatchesReferenceWithGroupedHeads(level: Int, dim: Int) {
        defer { Kernels.setSIMDLevel(9) }
        Kernels.setSIMDLevel(level)
        var rng = SeededGenerator(seed: UInt64(4 + dim))
        let heads = 4, kvHeads = 2, p0 = 3, tokens = 2, L = p0 + tokens
        let q = randomFloats(tokens * heads * dim, &rng), k = randomFloats(L * kvHeads * dim, &rng)
        let v = randomFloats(L * kvHeads * dim, &rng)
        var out = [Float](repeating: 0, count: q.count), scores = [Float](repeating: 0, count: L * 8)
        Kernels.attentionParallel(q: q, qStride: heads * dim, k: k, v: v, kvStride: kvHeads * dim, out: &out, tokens: tokens,
                                  p0: p0, dim: dim, group: heads / kvHeads, heads: heads, scale: 0.35, scores: &scores, slots: 8)
        expectAttentionMatchesReference(out, q: q, k: k, v: v, tokens: tokens, p0: p0, heads: heads, kvHeads: kvHeads, dim: dim)
    }

    /// Each query's and head's row of `out` against the reference over the keys it may see (scale 0.35).
    func expectAttentionMatchesReference(_ out: [Float], q: [Float], k: [Float], v: [Float], tokens: Int, p0: Int, heads: Int,
                                         kvHeads: Int, dim: Int) {
        for t in 0..<tokens {
            for h in 0..<heads {
                let g = h / (heads / kvHeads), visible = p0 + t + 1
                let keys = (0..<visible).map { j in Array(k[(j * kvHeads + g) * dim..<((j * kvHeads + g) * dim + dim)]) }
                let values = (0..<visible).map { j in Array(v[(j * kvHeads + g) * dim..<((j * kvHeads + g) * dim + dim)]) }
                let at = (t * heads + h) * dim
                let expected = ReferenceKernels.attention(q: Array(q[at..<(at + dim)]), keys: keys, values: values, scale: 0.35)
                #expect(maxDiff(Array(out[at..<(at + dim)]), expected) < 1e-5, "tokens \(tokens) p0 \(p0) query \(t) head \(h) dim \(dim)")
            }
        }
    }

    /// A prompt's attention (every query at once, in tasks of a head and up to 32 queries) at every SIMD level: head
    /// sizes that take the AVX-512 tiles (64, 80: its last vectors fewer than four), the AVX2 ones (24) and the plain
    /// path (12); prompts whose blocks and row groups end short (37, 70 queries), after cached keys (p0 = 13) and
    /// from the start, with grouped heads. Each query's row is held to the reference over the keys it may see.
    @Test(arguments: simdLevels, [12, 24, 64, 80])
    func promptAttentionMatchesReference(level: Int, dim: Int) {
        defer { Kernels.setSIMDLevel(9) }
        Kernels.setSIMDLevel(level)
        var rng = SeededGenerator(seed: UInt64(40 + dim))
        for (tokens, p0) in [(37, 0), (70, 13)] {
            let heads = 6, kvHeads = 2, L = p0 + tokens
            let q = randomFloats(tokens * heads * dim, &rng), k = randomFloats(L * kvHeads * dim, &rng)
            let v = randomFloats(L * kvHeads * dim, &rng)
            var out = [Float](repeating: .nan, count: q.count)
            Kernels.attentionPrefill(q: q, qStride: heads * dim, k: k, v: v, kvStride: kvHeads * dim, out: &out, tokens: tokens,
                                     p0: p0, dim: dim, group: heads / kvHeads, heads: heads, scale: 0.35)
            expectAttentionMatchesReference(out, q: q, k: k, v: v, tokens: tokens, p0: p0, heads: heads, kvHeads: kvHeads, dim: dim)
        }
    }

    /// A value row that is not finite reaches only the queries that can see it: the queries before it in the same
    /// register tile stay finite and equal to the reference (the tile's rows see different numbers of keys).
    @Test(arguments: simdLevels) func promptAttentionKeepsALaterInfiniteValueFromEarlierQueries(level: Int) {
        defer { Kernels.setSIMDLevel(9) }
        Kernels.setSIMDLevel(level)
        var rng = SeededGenerator(seed: 99)
        let heads = 2, kvHeads = 1, dim = 16, tokens = 12, p0 = 0
        let q = randomFloats(tokens * heads * dim, &rng), k = randomFloats(tokens * kvHeads * dim, &rng)
        var v = randomFloats(tokens * kvHeads * dim, &rng)
        v[5 * dim] = .infinity  // key 5: queries 0-4 cannot see it; 4 shares a register tile with 5-7
        var out = [Float](repeating: 0, count: q.count)
        Kernels.attentionPrefill(q: q, qStride: heads * dim, k: k, v: v, kvStride: kvHeads * dim, out: &out, tokens: tokens,
                                 p0: p0, dim: dim, group: heads / kvHeads, heads: heads, scale: 0.35)
        expectAttentionMatchesReference(Array(out[..<(5 * heads * dim)]), q: q, k: k, v: v, tokens: 5, p0: p0, heads: heads,
                                        kvHeads: kvHeads, dim: dim)
        #expect(!out[5 * heads * dim].isFinite, "query 5 sees the infinite value")
    }

    /// The activations' 8-bit rounding gives the same bytes, scales and sums at every SIMD level, equal to the
    /// reference rounding.
    @Test(arguments: simdLevels) func activationQuantizationIsExactAtEveryLevel(level: Int) {
        defer { Kernels.setSIMDLevel(9) }
        Kernels.setSIMDLevel(level)
        var rng = SeededGenerator(seed: 77)
        var x = randomFloats(32 * 40, &rng).map { $0 * 3 }
        for i in 0..<32 { x[32 + i] = 0 }                       // an all-zero block
        for i in 0..<32 { x[64 + i] = Float(i) - 15.5 }         // with 127 below, d = 1: every value a tie,
        x[64] = 127                                              // rounded to even
        x[96] = 1e6                                              // one outlier
        var blocks = [ck_xblock](repeating: ck_xblock(), count: x.count / 32)
        ck_quantize_q8(x, &blocks, Int64(x.count))
        let reference = ReferenceKernels.quantizeQ8(x)
        for (b, block) in blocks.enumerated() {
            let qs = withUnsafeBytes(of: block.qs) { Array($0.bindMemory(to: Int8.self)) }
            let values = qs.map { Float($0) * block.d }
            #expect(values == Array(reference[(b * 32)..<(b * 32 + 32)]), "block \(b) level \(level)")
            #expect(block.s == block.d * Float(qs.reduce(0) { $0 + Int($1) }), "block \(b) level \(level)")
        }
    }

    /// The activations' BF16 rounding gives ggml's bits at every SIMD level: ties to even both ways, values that
    /// carry into the exponent, infinities, NaNs (kept quiet, with their sign) and denormals (kept, not flushed as
    /// the vcvtne2ps2bf16 instruction would).
    @Test(arguments: simdLevels) func activationBF16RoundingIsGGMLsAtEveryLevel(level: Int) {
        defer { Kernels.setSIMDLevel(9) }
        Kernels.setSIMDLevel(level)
        var rng = SeededGenerator(seed: 78)
        var x = randomFloats(100, &rng).map { $0 * 1000 }
        let special: [UInt32] = [0x3F80_8000, 0x3F81_8000, 0x3F80_8001, 0x3F80_7FFF, 0xBF80_8000, 0xBF81_8000,  // ties, near ties
                                 0x3FFF_FFFF, 0x7F7F_FFFF, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0xFF80_0001,  // carries, inf, NaN
                                 0x7F80_0001, 0x0000_8000, 0x0001_8000, 0x8000_0001, 0x0000_0000, 0x8000_0000]  // denormals, zeros
        x += special.map { Float(bitPattern: $0) }
        var out = [UInt16](repeating: 0, count: x.count)
        ck_round_bf16(x, &out, Int64(x.count))
        let reference = ReferenceKernels.roundBF16(x).map { UInt16($0.bitPattern >> 16) }
        #expect(out == reference, "level \(level)")
        // Spot values written out, so the reference itself is pinned: 1 + 2^-8 is a tie that goes down to 1,
        // 1 + 3 * 2^-8 one that goes up; a signalling NaN comes back quiet; the largest float rounds to infinity.
        #expect(reference[100] == 0x3F80 && reference[101] == 0x3F82 && reference[102] == 0x3F81 && reference[103] == 0x3F80)
        #expect(reference[107] == 0x7F80 && reference[111] == 0xFFC0 && reference[112] == 0x7FC0 && reference[113] == 0x0000)
        #expect(reference[114] == 0x0002)
    }

    /// The limits are measured, positive and finite (their size is the machine's; BENCHMARKS.md reports them), and
    /// an empty buffer reads as 0 rather than failing.
    @Test(arguments: simdLevels) func machineLimitsAreMeasured(level: Int) {
        defer { Kernels.setSIMDLevel(9) }
        Kernels.setSIMDLevel(level)
        let limits = MachineLimits.measure(bufferBytes: 8 << 20, repetitions: 2, sgemmSize: 64)
        #expect(limits.memoryReadGBs > 0 && limits.memoryReadGBs.isFinite)
        #expect(limits.sgemmGFLOPS > 0 && limits.sgemmGFLOPS.isFinite)
        #expect(limits.threads == Threads.count)
        #expect(ck_read_bandwidth(0, 3) == 0 && ck_read_bandwidth(1 << 20, 0) == 0)
    }
}
