// Quantized mat-vec and mat-mul (fused SIMD kernels, the portable path, dequantize + sgemm) held to a plain
// matrix product over the dequantized weights, for every weight type and SIMD level.
import Foundation
import MimicCore
import MimicTensor
import Testing

/// Random blocks of `type` whose scale fields are sane half floats, so every dequantized value is finite.
func randomWeights(_ type: GGMLType, rows: Int, cols: Int, _ rng: inout SeededGenerator) -> [UInt8] {
    let blocks = rows * cols / type.blockElements
    var bytes = (0..<(blocks * type.blockBytes)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    func half(_ v: Float) -> (UInt8, UInt8) {
        let bits = Float16(v).bitPattern
        return (UInt8(bits & 0xFF), UInt8(bits >> 8))
    }
    let scaleOffsets: [Int] = switch type {
    case .q4_0, .q5_0, .q8_0: [0]
    case .q4_1, .q5_1, .q4_K, .q5_K: [0, 2]
    case .q6_K: [208]
    case .f16: Array(stride(from: 0, to: type.blockBytes, by: 2))
    case .f32, .bf16: []
    }
    for b in 0..<blocks {
        for off in scaleOffsets {
            let (lo, hi) = half(Float(rng.nextUnit() * 0.2 - 0.1))
            bytes[b * type.blockBytes + off] = lo
            bytes[b * type.blockBytes + off + 1] = hi
        }
        if type == .f32 {
            for i in 0..<(type.blockBytes / 4) {
                let v = Float(rng.nextUnit() * 2 - 1).bitPattern
                for j in 0..<4 { bytes[b * 4 + i * 4 + j] = UInt8((v >> (8 * UInt32(j))) & 0xFF) }
            }
        }
        if type == .bf16 { bytes[b * 2 + 1] = UInt8(0x3C + rng.next() % 4) | (bytes[b * 2 + 1] & 0x80) }
    }
    return bytes
}

/// Whether /proc/cpuinfo lists avx512_bf16 (false where it cannot be read).
let cpuHasAVX512BF16: Bool = {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return false }
    return flags.split(separator: " ").contains("avx512_bf16")
}()

@Suite(.serialized) struct WeightMatrixTests {
    static let types = GGMLType.allCases

    @Test(arguments: types, simdLevels)
    func matmulMatchesDequantizedReference(type: GGMLType, level: Int) {
        defer { Kernels.setSIMDLevel(9) }
        Kernels.setSIMDLevel(level)
        var rng = SeededGenerator(seed: UInt64(type.rawValue * 10 + level))
        let rows = 67, cols = 512
        let bytes = randomWeights(type, rows: rows, cols: cols, &rng)
        bytes.withUnsafeBytes { raw in
            let w = WeightMatrix(type: type, rows: rows, cols: cols, bytes: raw.baseAddress!, owner: nil)
            var dense = [Float](repeating: 0, count: rows * cols)
            w.dequantizeRows(0..<rows, into: &dense)
            let finite = dense.allSatisfy { $0.isFinite }
            #expect(finite)
            // More than fusedBatchLimit rows: a prompt (tiles, or dequantize + sgemm). Exact, FP32 activations (the
            // output head's products, `--exact`).
            for (batch, exact) in [1, 3, 5, 12, 14].flatMap({ [($0, false), ($0, true)] }) {
                let x = randomFloats(batch * cols, &rng)
                var y = [Float](repeating: 0, count: batch * rows)
                w.matmul(x, batch: batch, into: &y, exact: exact, scratch: Scratch())
                let seen = switch w.activationRounding(batch: batch, exact: exact) {
                case .none: x
                case .eightBit: ReferenceKernels.quantizeQ8(x)
                case .bf16: ReferenceKernels.roundBF16(x)
                }
                let expected = ReferenceKernels.matmulNT(seen, dense, m: batch, n: rows, k: cols)
                let scale = expected.map(abs).max() ?? 1
                #expect(maxDiff(y, expected) <= 1e-5 * max(scale, 1), "\(type) batch \(batch) exact \(exact) level \(level)")
                if w.activationRounding(batch: batch, exact: exact) == .none {
                    // Dequantized a block of rows at a time, the products are bitwise those of the FP32 matrix.
                    var fromDense = [Float](repeating: 0, count: batch * rows)
                    dense.withUnsafeBytes { d in
                        WeightMatrix(type: .f32, rows: rows, cols: cols, bytes: d.baseAddress!, owner: nil)
                            .matmul(x, batch: batch, into: &fromDense, exact: exact, scratch: Scratch())
                    }
                    #expect(batch <= WeightMatrix.fusedBatchLimit || y == fromDense, "\(type) batch \(batch) level \(level)")
                }
            }
        }
    }

    /// A row's product is bitwise the same whatever rows come with it, from one row to `fusedBatchLimit` (and to a
    /// prompt's 13 rows where the BF16 kernel takes every batch), and in decode steps of 13 and `decodeBatchLimit`
    /// rows, for every type, with and without rounded activations, at every SIMD level: a sequence decodes the same
    /// alone or batched, and a lone one needs no padding row.
    @Test(arguments: types, simdLevels)
    func aRowsProductDoesNotDependOnTheOtherRows(type: GGMLType, level: Int) {
        defer { Kernels.setSIMDLevel(9) }
        Kernels.setSIMDLevel(level)
        var rng = SeededGenerator(seed: UInt64(type.rawValue * 10 + level + 2000))
        let rows = 37, cols = 512, most = WeightMatrix.decodeBatchLimit
        let bytes = randomWeights(type, rows: rows, cols: cols, &rng)
        bytes.withUnsafeBytes { raw in
            let w = WeightMatrix(type: type, rows: rows, cols: cols, bytes: raw.baseAddress!, owner: nil)
            let x = randomFloats(most * cols, &rng)
            for exact in [false, true] {
                // Each row of x alone, then every batch size: every row of every batch equals its product alone.
                let alone: [[Float]] = (0..<most).map { i in
                    var y = [Float](repeating: 0, count: rows)
                    x.withUnsafeBufferPointer { w.matmul($0.baseAddress! + i * cols, batch: 1, into: &y, exact: exact, scratch: Scratch()) }
                    return y
                }
                let prompt = w.activationRounding(batch: 13, exact: exact) == .bf16 ? [(13, false)] : []
                let decode = [(13, true), (WeightMatrix.decodeBatchLimit, true)]
                for (batch, isDecode) in (2...WeightMatrix.fusedBatchLimit).map { ($0, false) } + prompt + decode {
                    var y = [Float](repeating: 0, count: batch * rows)
                    w.matmul(x, batch: batch, into: &y, exact: exact, decode: isDecode, scratch: Scratch())
                    for i in 0..<batch {
                        #expect(Array(y[(i * rows)..<((i + 1) * rows)]) == alone[i], "\(type) level \(level) exact \(exact) batch \(batch) decode \(isDecode) row \(i)")
                    }
                }
            }
        }
    }

    /// `kernelPath` names the kernel the dispatch picks, at every level the machine has (what `mimic bench
    /// --verbose` prints).
    @Test(arguments: simdLevels) func theKernelPathIsTheOneThatRuns(level: Int) {
        defer { Kernels.setSIMDLevel(9) }
        Kernels.setSIMDLevel(level)
        let bytes = [UInt8](repeating: 0, count: 64 * 512 * 4)
        bytes.withUnsafeBytes { raw in
            func path(_ type: GGMLType, _ batch: Int, exact: Bool = true, decode: Bool = false) -> String {
                WeightMatrix(type: type, rows: 64, cols: 512, bytes: raw.baseAddress!, owner: nil)
                    .kernelPath(batch: batch, exact: exact, decode: decode)
            }
            let isa = ["portable C", "AVX2", "AVX-512"][level]
            for type in [GGMLType.f32, .bf16, .f16] {
                #expect(path(type, 1).hasPrefix(isa), "\(type) level \(level): \(path(type, 1))")
                #expect(level == 0 || path(type, 1).contains("four sums a row"), "\(type) level \(level): \(path(type, 1))")
                #expect(path(type, 4) == path(type, 1), "one kernel for one row and for several")
                #expect(path(type, WeightMatrix.decodeBatchLimit, decode: true) == path(type, 1), "and for a decode step")
                // A prompt: FP32 register tiles on AVX-512 (other types dequantized to FP32 first), else OpenBLAS.
                let prompt = path(type, WeightMatrix.fusedBatchLimit + 1)
                #expect(prompt.hasSuffix(level == 2 ? "AVX-512 FP32 tiles of 4 x 6" : "OpenBLAS sgemm"), "\(type) level \(level): \(prompt)")
                #expect(prompt.hasPrefix("dequantize, then") == (type != .f32), "\(type) level \(level): \(prompt)")
            }
            // Block-quantized weights round activations to 8 bits unless exact; exact, the K-quants have no fused
            // kernel.
            #expect(path(.q6_K, 1).hasPrefix("portable C"))
            for type in [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K] {
                #expect(path(type, 1, exact: false).hasPrefix(level == 0 ? "portable C" : "8-bit activations"), "\(type)")
                #expect(path(type, WeightMatrix.decodeBatchLimit, exact: false, decode: true) == path(type, 1, exact: false),
                        "\(type): a decode step of many sequences on the decode kernels")
                #expect(path(type, WeightMatrix.fusedBatchLimit + 1, exact: false).hasPrefix("dequantize, then"), "\(type): a prompt")
            }
            #expect(path(.q4_1, 1, exact: true).hasPrefix(isa))
            // BF16 weights round activations to BF16 at every batch where the CPU has AVX512_BF16 (read from
            // /proc/cpuinfo here, not from the kernels' own detection) and AVX-512 is in force.
            let bf16 = level == 2 && cpuHasAVX512BF16
            for batch in [1, 4, WeightMatrix.fusedBatchLimit + 1, 512] {
                let rounded = path(.bf16, batch, exact: false)
                #expect(rounded.hasPrefix("BF16 activations") == bf16, "level \(level) batch \(batch): \(rounded)")
                #expect(bf16 || rounded == path(.bf16, batch), "level \(level) batch \(batch): \(rounded)")
            }
        }
    }

    /// The one-element-per-weight types at widths that are not multiples of the kernels' unrolled steps (64 and 32
    /// columns), so the kernels' leftover loops run too, and one that only the portable path takes.
    @Test(arguments: [GGMLType.f32, .bf16, .f16], simdLevels)
    func wideTypesAtOddWidthsMatchTheReference(type: GGMLType, level: Int) {
        defer { Kernels.setSIMDLevel(9) }
        Kernels.setSIMDLevel(level)
        var rng = SeededGenerator(seed: UInt64(type.rawValue * 10 + level + 1000))
        for cols in [528, 40, 12] {
            let rows = 19
            let bytes = randomWeights(type, rows: rows, cols: cols, &rng)
            bytes.withUnsafeBytes { raw in
                let w = WeightMatrix(type: type, rows: rows, cols: cols, bytes: raw.baseAddress!, owner: nil)
                var dense = [Float](repeating: 0, count: rows * cols)
                w.dequantizeRows(0..<rows, into: &dense)
                for batch in [1, 3] {
                    let x = randomFloats(batch * cols, &rng)
                    var y = [Float](repeating: 0, count: batch * rows)
                    w.matmul(x, batch: batch, into: &y, scratch: Scratch())
                    let expected = ReferenceKernels.matmulNT(x, dense, m: batch, n: rows, k: cols)
                    let scale = expected.map(abs).max() ?? 1
                    #expect(maxDiff(y, expected) <= 1e-5 * max(scale, 1), "\(type) cols \(cols) batch \(batch) level \(level)")
                }
            }
        }
    }

    @Test func typeSizesAreGGMLs() {
        let expected: [GGMLType: (Int, Int)] = [.f32: (1, 4), .f16: (1, 2), .bf16: (1, 2), .q4_0: (32, 18), .q4_1: (32, 20), .q5_0: (32, 22), .q5_1: (32, 24),
                                                .q8_0: (32, 34), .q4_K: (256, 144), .q5_K: (256, 176), .q6_K: (256, 210)]
        for (type, (elements, bytes)) in expected {
            #expect(type.blockElements == elements && type.blockBytes == bytes, "\(type)")
        }
    }
}

/// Q4_0, Q4_1 and Q8_0 weights packed for the 8-bit kernel (16 rows side by side): held to the product over the
/// dequantized weights and 8-bit activations, row by row the same in every batch (a few rows, a prompt-sized decode
/// step and 64 sequences), at two widths (16 and 18 blocks), on AVX-512 (VNNI where the CPU has it) and AVX2, which
/// give the same bits; the portable level does not read the packed copy.
@Suite(.serialized) struct PackedWeightTests {
    @Test(arguments: [GGMLType.q4_0, .q4_1, .q8_0], [512, 576])
    func packedProductsMatchTheReferenceInEveryBatch(type: GGMLType, cols: Int) {
        defer { Kernels.setSIMDLevel(9) }
        var rng = SeededGenerator(seed: UInt64(type.rawValue * 1000 + cols))
        let rows = 48, most = WeightMatrix.decodeBatchLimit
        let bytes = randomWeights(type, rows: rows, cols: cols, &rng)
        bytes.withUnsafeBytes { raw in
            let plain = WeightMatrix(type: type, rows: rows, cols: cols, bytes: raw.baseAddress!, owner: nil)
            let w = plain.packedForDecoding()
            #expect((w.packed != nil) == (Kernels.simdLevel >= 1), "packed where the CPU has AVX2")
            #expect(WeightMatrix(type: type, rows: rows + 1, cols: cols, bytes: raw.baseAddress!, owner: nil)
                .packedForDecoding().packed == nil, "rows not in sixteens are not packed")
            guard w.packed != nil else { return }
            var dense = [Float](repeating: 0, count: rows * cols)
            w.dequantizeRows(0..<rows, into: &dense)
            let x = randomFloats(most * cols, &rng)
            var byLevel: [[Float]] = []
            for level in Array(1...Kernels.simdLevel).reversed() {
                Kernels.setSIMDLevel(level)
                #expect(w.kernelPath(batch: 1).hasSuffix("(packed)") && w.kernelPath(batch: most, decode: true).hasSuffix("(packed)"))
                #expect(w.kernelPath(batch: 1, exact: true) == plain.kernelPath(batch: 1, exact: true), "exact products do not read it")
                let alone: [[Float]] = (0..<most).map { i in
                    var y = [Float](repeating: 0, count: rows)
                    x.withUnsafeBufferPointer { w.matmul($0.baseAddress! + i * cols, batch: 1, into: &y, scratch: Scratch()) }
                    return y
                }
                for (batch, decode) in [(1, false), (3, false), (8, false), (13, true), (most, true)] {
                    var y = [Float](repeating: 0, count: batch * rows)
                    w.matmul(x, batch: batch, into: &y, decode: decode, scratch: Scratch())
                    let expected = ReferenceKernels.matmulNT(ReferenceKernels.quantizeQ8(Array(x.prefix(batch * cols))), dense,
                                                             m: batch, n: rows, k: cols)
                    let scale = expected.map(abs).max() ?? 1
                    #expect(maxDiff(y, expected) <= 1e-5 * max(scale, 1), "\(type) \(cols) batch \(batch)")
                    for i in 0..<batch {
                        #expect(Array(y[(i * rows)..<((i + 1) * rows)]) == alone[i], "\(type) \(cols) batch \(batch) row \(i)")
                    }
                }
                var y = [Float](repeating: 0, count: most * rows)
                w.matmul(x, batch: most, into: &y, decode: true, scratch: Scratch())
                byLevel.append(y)
            }
            #expect(Set(byLevel).count == 1, "AVX-512 and AVX2 give the same bits")
            // At the portable level the packed matrix runs the row kernels and gives what the unpacked one gives.
            Kernels.setSIMDLevel(0)
            let x0 = randomFloats(3 * cols, &rng)
            var a = [Float](repeating: 0, count: 3 * rows), b = a
            w.matmul(x0, batch: 3, into: &a, scratch: Scratch())
            plain.matmul(x0, batch: 3, into: &b, scratch: Scratch())
            #expect(a == b && !w.kernelPath(batch: 3).hasSuffix("(packed)"))
        }
    }
}
