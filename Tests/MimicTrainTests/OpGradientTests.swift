// A finite-difference gradient test for every training operation: L = Σ out ⊙ R for a random R, and each
// input's analytic gradient (from the op's backward) against central differences (FP32: 2% or 1e-3).
import Foundation
import MimicCore
import MimicTensor
@testable import MimicTrain
import Testing

/// Checks d(loss)/d(input) against central differences at every element of `input`.
func checkGradient(_ name: String, _ input: inout [Float], analytic: [Float], h: Float = 1e-2,
                   loss: ([Float]) -> Double) {
    #expect(analytic.count == input.count)
    for i in input.indices {
        let old = input[i]
        input[i] = old + h
        let up = loss(input)
        input[i] = old - h
        let down = loss(input)
        input[i] = old
        let numeric = (up - down) / Double(2 * h)
        #expect(abs(numeric - Double(analytic[i])) <= 1e-3 + 0.02 * abs(numeric), "\(name)[\(i)]: \(analytic[i]) vs \(numeric)")
    }
}

func dot(_ a: [Float], _ b: [Float]) -> Double { zip(a, b).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

@Suite struct OpGradientTests {
    var rng = SeededGenerator(seed: 21)
    mutating func random(_ n: Int, scale: Float = 1) -> [Float] { (0..<n).map { _ in Float(rng.nextUnit() * 2 - 1) * scale } }

    @Test mutating func linear() {
        let n = 3, i = 5, o = 4
        var x = random(n * i), w = random(o * i)
        let r = random(n * o)
        func fwd(_ x: [Float], _ w: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: n * o)
            TrainOps.linear(x, w, &y, n: n, inFeatures: i, outFeatures: o)
            return y
        }
        var dx = [Float](repeating: 0, count: n * i), dw = [Float](repeating: 0, count: o * i)
        TrainOps.linearBackward(x: x, w: w, dy: r, dx: &dx, dw: &dw, n: n, inFeatures: i, outFeatures: o)
        let wc = w, xc = x
        checkGradient("x", &x, analytic: dx) { dot(fwd($0, wc), r) }
        checkGradient("w", &w, analytic: dw) { dot(fwd(xc, $0), r) }
    }

    /// The products behind `linear` and its backward equal their definitions (sums in Double) at every SIMD level, at
    /// sizes that are multiples of 16 and sizes that are not; dx overwritten and accumulated, dW accumulated onto what
    /// it held. (A kernel that runs them on other paths at some sizes or levels must keep this.)
    @Test(arguments: Array(0...Kernels.setSIMDLevel(9)), [(n: 48, i: 64, o: 80), (n: 7, i: 20, o: 12)])
    func linearProductsMatchTheirDefinitionsAtEveryLevel(level: Int, shape: (n: Int, i: Int, o: Int)) {
        defer { Kernels.setSIMDLevel(9) }
        Kernels.setSIMDLevel(level)
        var rng = SeededGenerator(seed: UInt64(31 + level))
        func random(_ count: Int) -> [Float] { (0..<count).map { _ in Float(rng.nextUnit() * 2 - 1) } }
        let (n, i, o) = shape
        let x = random(n * i), w = random(o * i), dy = random(n * o), dx0 = random(n * i), dw0 = random(o * i)
        func close(_ got: [Float], _ want: [Double], _ what: String) {
            let worst = zip(got, want).map { abs(Double($0) - $1) }.max() ?? 0
            #expect(worst <= 1e-4, "\(what) level \(level) shape \(shape): off by \(worst)")
        }
        var y = [Float](repeating: .nan, count: n * o)
        TrainOps.linear(x, w, &y, n: n, inFeatures: i, outFeatures: o)
        close(y, (0..<(n * o)).map { e in (0..<i).reduce(0.0) { $0 + Double(x[e / o * i + $1]) * Double(w[e % o * i + $1]) } }, "y")
        for accumulate in [false, true] {
            var dx = dx0, dw = dw0
            TrainOps.linearBackward(x: x, w: w, dy: dy, dx: &dx, dw: &dw, n: n, inFeatures: i, outFeatures: o,
                                    accumulateInput: accumulate)
            close(dx, (0..<(n * i)).map { e in
                (accumulate ? Double(dx0[e]) : 0) + (0..<o).reduce(0.0) { $0 + Double(dy[e / i * o + $1]) * Double(w[$1 * i + e % i]) }
            }, "dx accumulate \(accumulate)")
            close(dw, (0..<(o * i)).map { e in
                Double(dw0[e]) + (0..<n).reduce(0.0) { $0 + Double(dy[$1 * o + e / i]) * Double(x[$1 * i + e % i]) }
            }, "dW")
        }
    }

    @Test mutating func rmsNorm() {
        let n = 2, c = 6
        var x = random(n * c, scale: 2), w = random(c)
        let r = random(n * c)
        func fwd(_ x: [Float], _ w: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: n * c), s = [Float](repeating: 0, count: n)
            TrainOps.rmsNorm(x, w, &y, rstd: &s, n: n, c: c, eps: 1e-5)
            return y
        }
        var y = [Float](repeating: 0, count: n * c), s = [Float](repeating: 0, count: n)
        TrainOps.rmsNorm(x, w, &y, rstd: &s, n: n, c: c, eps: 1e-5)
        var dx = [Float](repeating: 0, count: n * c), dw = [Float](repeating: 0, count: c)
        TrainOps.rmsNormBackward(x: x, w: w, rstd: s, dy: r, dx: &dx, dw: &dw, n: n, c: c, accumulate: false)
        let wc = w, xc = x
        checkGradient("x", &x, analytic: dx) { dot(fwd($0, wc), r) }
        checkGradient("w", &w, analytic: dw) { dot(fwd(xc, $0), r) }
    }

    @Test mutating func layerNorm() {
        let n = 2, c = 6
        var x = random(n * c, scale: 2), w = random(c), b = random(c)
        let r = random(n * c)
        func fwd(_ x: [Float], _ w: [Float], _ b: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: n * c), m = [Float](repeating: 0, count: n), s = m
            TrainOps.layerNorm(x, w, b, &y, mean: &m, rstd: &s, n: n, c: c, eps: 1e-5)
            return y
        }
        var y = [Float](repeating: 0, count: n * c), m = [Float](repeating: 0, count: n), s = m
        TrainOps.layerNorm(x, w, b, &y, mean: &m, rstd: &s, n: n, c: c, eps: 1e-5)
        var dx = [Float](repeating: 0, count: n * c), dw = [Float](repeating: 0, count: c), db = dw
        TrainOps.layerNormBackward(x: x, w: w, mean: m, rstd: s, dy: r, dx: &dx, dw: &dw, db: &db, n: n, c: c, accumulate: false)
        let (xc, wc, bc) = (x, w, b)
        checkGradient("x", &x, analytic: dx) { dot(fwd($0, wc, bc), r) }
        checkGradient("w", &w, analytic: dw) { dot(fwd(xc, $0, bc), r) }
        checkGradient("b", &b, analytic: db) { dot(fwd(xc, wc, $0), r) }
    }

    @Test mutating func activations() {
        let n = 10
        var g = random(n, scale: 4), u = random(n, scale: 2), x = random(n, scale: 4)
        let r = random(n)
        func swiglu(_ g: [Float], _ u: [Float]) -> [Float] { var a = [Float](repeating: 0, count: n); TrainOps.swiglu(g, u, &a, n: n); return a }
        func gelu(_ x: [Float]) -> [Float] { var y = [Float](repeating: 0, count: n); TrainOps.gelu(x, &y, n: n); return y }
        var dg = [Float](repeating: 0, count: n), du = dg, dx = dg
        TrainOps.swigluBackward(g: g, u: u, da: r, dg: &dg, du: &du, n: n)
        TrainOps.geluBackward(x: x, dy: r, dx: &dx, n: n)
        let (gc, uc) = (g, u)
        checkGradient("gate", &g, analytic: dg) { dot(swiglu($0, uc), r) }
        checkGradient("up", &u, analytic: du) { dot(swiglu(gc, $0), r) }
        checkGradient("gelu", &x, analytic: dx) { dot(gelu($0), r) }
    }

    @Test mutating func ropeBackwardIsTheInverseRotation() {
        let n = 3, heads = 2, dim = 8
        var x = random(n * heads * dim)
        let r = random(n * heads * dim), positions = [0, 3, 7], inv: [Float] = [1, 0.3, 0.1, 0.02]
        func fwd(_ x: [Float]) -> [Float] { var y = x; TrainOps.rope(&y, n: n, heads: heads, dim: dim, positions: positions, invFreq: inv); return y }
        var dx = r
        TrainOps.rope(&dx, n: n, heads: heads, dim: dim, positions: positions, invFreq: inv, inverse: true)
        checkGradient("x", &x, analytic: dx) { dot(fwd($0), r) }
    }

    /// Whole blocks as one piece of rows, and pieces of 2 rows (the keys of a piece start at its first row's
    /// document, so the second and third pieces of block 0 skip document 0's keys).
    @Test(arguments: [TrainAttention.pieceRows, 2]) mutating func attentionWithGroupedHeadsAndDocuments(_ pieceRows: Int) {
        let d = AttentionDims(blocks: 2, length: 5, heads: 4, kvHeads: 2, headDim: 3)
        var q = random(d.rows * d.qWidth), k = random(d.rows * d.kvWidth), v = random(d.rows * d.kvWidth)
        let r = random(d.rows * d.qWidth)
        let starts = documentStarts([0, 0, 1, 1, 1, 5, 5, 5, 5, 5], length: 5)   // block 0 holds two documents
        func fwd(_ q: [Float], _ k: [Float], _ v: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: d.rows * d.qWidth)
            TrainAttention.forward(q: q, k: k, v: v, out: &out, starts: starts, dims: d, scratch: Scratch(), pieceRows: pieceRows)
            return out
        }
        var dq = [Float](repeating: 0, count: q.count), dk = [Float](repeating: 0, count: k.count), dv = dk
        TrainAttention.backward(q: q, k: k, v: v, dout: r, dq: &dq, dk: &dk, dv: &dv, starts: starts, dims: d, scratch: Scratch(),
                                pieceRows: pieceRows)
        let (qc, kc, vc) = (q, k, v)
        checkGradient("q", &q, analytic: dq) { dot(fwd($0, kc, vc), r) }
        checkGradient("k", &k, analytic: dk) { dot(fwd(qc, $0, vc), r) }
        checkGradient("v", &v, analytic: dv) { dot(fwd(qc, kc, $0), r) }
        // The pieces give the whole-block answer: the same outputs to rounding.
        let whole = { () -> [Float] in
            var out = [Float](repeating: 0, count: d.rows * d.qWidth)
            TrainAttention.forward(q: qc, k: kc, v: vc, out: &out, starts: starts, dims: d, scratch: Scratch(), pieceRows: 5)
            return out
        }()
        #expect(zip(fwd(qc, kc, vc), whole).allSatisfy { abs($0 - $1) < 1e-5 })
        // Document isolation: row 2 (first of document 1) gives nothing to rows 0-1 and sees only itself.
        var p = [Float](repeating: 0, count: 25)
        TrainAttention.probabilities(q: q, k: k, starts: starts, dims: d, block: 0, head: 0, rows: 0..<5, firstKey: 0, into: &p)
        #expect(p[0 * 5 + 2] == 0 && p[2 * 5 + 0] == 0 && abs(p[2 * 5 + 2] - 1) < 1e-6)
    }

    @Test mutating func crossEntropyWithIgnoredTargets() {
        let n = 3, vocab = 7
        var logits = random(n * vocab, scale: 3)
        let targets = [2, ignoreLabel, 6]
        func loss(_ l: [Float]) -> Double { var c = l; return TrainOps.crossEntropyInPlace(&c, targets: targets, vocab: vocab, normalizer: 2) / 2 }
        var grad = logits
        _ = TrainOps.crossEntropyInPlace(&grad, targets: targets, vocab: vocab, normalizer: 2)
        #expect(grad[vocab..<(2 * vocab)].allSatisfy { $0 == 0 }, "an ignored row has no gradient")
        checkGradient("logits", &logits, analytic: grad, h: 1e-2) { loss($0) }
    }
}
