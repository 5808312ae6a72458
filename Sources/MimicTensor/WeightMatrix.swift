// WeightMatrix: a (rows, cols) weight in any GGMLType, multiplied without copying it to FP32 for small
// batches, and for large ones on register tiles (AVX-512) or through dequantize-then-sgemm.
import CBLAS
import CKernels

/// A row-major weight matrix W of shape (rows, cols) = (out_features, in_features), as HF and GGUF store it.
/// The bytes stay in their file format (memory-mapped); `owner` keeps the mapping alive.
public struct WeightMatrix: @unchecked Sendable {
    /// Element or block type of the stored bytes.
    public let type: GGMLType
    /// Number of rows (output features).
    public let rows: Int
    /// Number of columns (input features); a whole number of the type's blocks.
    public let cols: Int
    /// The first row's bytes; rows follow each other without padding.
    public let bytes: UnsafeRawPointer
    /// The object that keeps `bytes` valid (a MappedFile or Tensor), if any.
    public let owner: AnyObject?
    /// Whether products may round the activations as llama.cpp does (false keeps them FP32: the output projection
    /// always does, since rounding the final hidden state moves logits by tenths).
    public var allowsRoundedActivations = true
    /// A copy in the packed layout of the 8-bit kernel (`packedForDecoding`), which products with 8-bit activations
    /// read instead of `bytes` where that kernel runs.
    public private(set) var packed: PackedWeights?

    /// A view of `rows` × `cols` elements of `type` at `bytes`; `cols` must be a whole number of blocks.
    public init(type: GGMLType, rows: Int, cols: Int, bytes: UnsafeRawPointer, owner: AnyObject?) {
        precondition(cols % type.blockElements == 0, "cols \(cols) not a multiple of \(type) blocks")
        self.type = type
        self.rows = rows
        self.cols = cols
        self.bytes = bytes
        self.owner = owner
    }

    /// A matrix that owns an FP32 tensor of shape (rows, cols).
    public init(_ tensor: Tensor) {
        precondition(tensor.shape.count == 2, "WeightMatrix needs a 2-D tensor")
        self.init(type: .f32, rows: tensor.shape[0], cols: tensor.shape[1], bytes: UnsafeRawPointer(tensor.data), owner: tensor)
    }

    /// This matrix with a packed copy for the 8-bit kernel where it runs here (Q4_0, Q4_1 and Q8_0 weights whose rows
    /// come in sixteens, on a CPU with AVX2 or AVX-512); else itself. A model packs its layers' products at load; the
    /// packed kernel sums each row the same way for any batch, as the other decode kernels do.
    public func packedForDecoding() -> WeightMatrix {
        guard packed == nil && allowsRoundedActivations && ck_packed_path(Int32(type.rawValue), Int64(rows), Int64(cols)) != 0
        else { return self }
        var copy = self
        copy.packed = PackedWeights(self)
        return copy
    }

    /// Bytes per row.
    public var rowBytes: Int { cols / type.blockElements * type.blockBytes }

    /// Dequantizes rows `range` into `dst` (rows.count × cols floats).
    public func dequantizeRows(_ range: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
        dequantize(type, bytes + range.lowerBound * rowBytes, into: dst, count: range.count * cols)
    }

    /// How a product rounds its activations.
    public enum ActivationRounding: Sendable, Equatable {
        /// They stay FP32.
        case none
        /// To 8 bits per block of 32 (`ReferenceKernels.quantizeQ8`), as llama.cpp's q8_1.
        case eightBit
        /// To BF16 (`ReferenceKernels.roundBF16`), as llama.cpp does for BF16 weights.
        case bf16
    }

    /// How a product with `batch` rows rounds the activations, given the caller's `exact` setting: block-quantized
    /// weights (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and the K-quants) to 8 bits on the decode kernels (up to
    /// `fusedBatchLimit` rows, or `decodeBatchLimit` in a decode step) on AVX2 CPUs; BF16 weights to BF16 at any
    /// batch on CPUs with AVX512_BF16.
    public func activationRounding(batch: Int, exact: Bool = false, decode: Bool = false) -> ActivationRounding {
        guard !exact && allowsRoundedActivations else { return .none }
        if ck_bf16_path(Int32(type.rawValue), Int64(cols)) != 0 { return .bf16 }
        if Self.decodeKernelsTake(batch: batch, decode: decode) && ck_q8_path(Int32(type.rawValue), Int64(cols)) != 0 {
            return .eightBit
        }
        return .none
    }

    /// Whether a product of `batch` rows runs on the decode kernels, which sum each row the same way whatever rows
    /// come with it: a few rows (`fusedBatchLimit`), or the rows of a decode step (one token of each of up to
    /// `decodeBatchLimit` sequences), where batch invariance matters more than the prompt tiles' speed.
    private static func decodeKernelsTake(batch: Int, decode: Bool) -> Bool {
        batch <= fusedBatchLimit || decode && batch <= decodeBatchLimit
    }

    /// Where a product with `batch` rows runs: `matmul` runs it and `kernelPath` names it from this one decision.
    private enum Route {
        /// ck_matmul on the stored weights: the decode kernels (`rows`: a few rows, or a decode step), else BF16
        /// activations or the FP32 tiles (other types dequantized a block of weight rows at a time).
        case kernels(ActivationRounding, rows: Bool)
        /// The 8-bit kernel on the packed copy (decode-sized batches with 8-bit activations).
        case packed(PackedWeights)
        /// Dequantized to FP32 first (but F32), then OpenBLAS sgemm (no tiles below AVX-512).
        case sgemm
    }

    private func route(batch: Int, exact: Bool, decode: Bool) -> Route {
        let rounding = activationRounding(batch: batch, exact: exact, decode: decode)
        let tiles = ck_f32_tiles(Int64(cols)) != 0
        if rounding == .eightBit, let packed, ck_packed_path(Int32(type.rawValue), Int64(rows), Int64(cols)) != 0 {
            return .packed(packed)
        }
        if Self.decodeKernelsTake(batch: batch, decode: decode) { return .kernels(rounding, rows: true) }
        if rounding == .bf16 || tiles { return .kernels(rounding, rows: false) }
        return .sgemm
    }

    /// The kernel a product with `batch` rows of activations runs here (what `mimic bench --verbose` prints).
    public func kernelPath(batch: Int, exact: Bool = false, decode: Bool = false) -> String {
        switch route(batch: batch, exact: exact, decode: decode) {
        case .kernels(let rounding, let rows):
            return String(cString: ck_matmul_path_name(Int32(type.rawValue), Int64(cols), rounding == .none ? 0 : 1,
                                                       rows ? 1 : 0))
        case .packed:
            return "8-bit activations, " + (ck_q8_uses_vnni() != 0 ? "AVX-512 VNNI" : "AVX2") + ", 16 weight rows side by side (packed)"
        case .sgemm:
            return (type == .f32 ? "" : "dequantize, then ") + "OpenBLAS sgemm"
        }
    }

    /// Batches up to this many rows use the decode kernels, which read each weight row once for all the rows; larger
    /// ones (prompts) take the register tiles on AVX-512 (FP32 weights, others dequantized to FP32, or BF16 with BF16
    /// activations), else dequantize and call OpenBLAS sgemm.
    public static let fusedBatchLimit = Int(CK_FUSED_ROWS)

    /// A decode step (one new token for each of several sequences) of up to this many rows runs on the decode
    /// kernels in one pass, reading each weight row once for all of them; each row's result is the same as alone.
    public static let decodeBatchLimit = 64

    /// y (M, rows) = x (M, cols) · Wᵀ, with y's row stride `ldy` (default `rows`). With `exact`, activations
    /// stay FP32 even where they would be rounded (`activationRounding`). `decode`: the rows are one token each of
    /// different sequences, so up to `decodeBatchLimit` of them run on the decode kernels.
    public func matmul(_ x: UnsafePointer<Float>, batch m: Int, into y: UnsafeMutablePointer<Float>,
                       ldy: Int? = nil, exact: Bool = false, decode: Bool = false, scratch: Scratch) {
        let ldy = ldy ?? rows
        switch route(batch: m, exact: exact, decode: decode) {
        case .kernels(let rounding, let rowKernels):
            ck_matmul(Int32(type.rawValue), bytes, Int64(cols), x, Int64(m), y, Int64(ldy), Int64(rows),
                      rounding == .none ? 0 : 1, rowKernels ? 1 : 0)
        case .packed(let packed):
            ck_matmul_packed(Int32(type.rawValue), packed.bytes, Int64(cols), x, Int64(m), y, Int64(ldy), Int64(rows))
        case .sgemm:
            let w: UnsafePointer<Float>
            if type == .f32 {
                w = bytes.assumingMemoryBound(to: Float.self)
            } else {
                let buf = scratch.floats(rows * cols)
                ck_dequantize_rows(Int32(type.rawValue), bytes, buf, Int64(rows), Int64(cols))
                w = UnsafePointer(buf)
            }
            sgemmNT(m: m, n: rows, k: cols, a: x, lda: cols, b: w, ldb: cols, c: y, ldc: ldy)
        }
    }
}

/// C (m, n) = A (m, k) · Bᵀ where B is (n, k); `beta` scales the old C.
public func sgemmNT(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                    c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, beta: Float = 0) {
    ck_pool_park()
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// C (m, n) = A (m, k) · B where B is (k, n); `beta` scales the old C.
public func sgemmNN(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                    c: UnsafeMutablePointer<Float>, ldc: Int, alpha: Float = 1, beta: Float = 0) {
    ck_pool_park()
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// C (m, n) = op(A) · op(B) with op = transpose where asked (A is (m, k) or (k, m), B is (k, n) or (n, k)).
public func sgemmGeneral(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                         b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                         alpha: Float = 1, beta: Float = 0) {
    ck_pool_park()
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n),
                Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// A weight matrix's copy in the packed layout of the 8-bit kernel (`ck_pack_rows`).
public final class PackedWeights: @unchecked Sendable {
    let bytes: UnsafeMutableRawPointer
    /// Bytes the copy takes.
    public let count: Int

    init(_ w: WeightMatrix) {
        count = Int(ck_packed_bytes(Int32(w.type.rawValue), Int64(w.rows), Int64(w.cols)))
        bytes = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64)
        ck_pack_rows(Int32(w.type.rawValue), w.bytes, Int64(w.rows), Int64(w.cols), bytes)
    }

    deinit { bytes.deallocate() }
}
