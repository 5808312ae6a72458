// WeightMatrix: a (rows, cols) weight in any GGMLType, multiplied without copying it to FP32 for small
// batches, and through dequantize-then-sgemm for large ones.
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
    /// Whether small-batch products may round activations to 8 bits (false keeps them FP32: the output
    /// projection always does, since rounding the final hidden state moves logits by tenths).
    public var allowsQuantizedActivations = true

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

    /// Bytes per row.
    public var rowBytes: Int { cols / type.blockElements * type.blockBytes }

    /// Dequantizes rows `range` into `dst` (rows.count × cols floats).
    public func dequantizeRows(_ range: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
        dequantize(type, bytes + range.lowerBound * rowBytes, into: dst, count: range.count * cols)
    }

    /// Whether a small-batch product rounds the activations to 8 bits (block-quantized weights: Q4_0, Q4_1, Q5_0,
    /// Q5_1, Q8_0 and the K-quants, on AVX2 CPUs, as llama.cpp does), given the caller's `exact` setting.
    public func quantizesActivations(exact: Bool = false) -> Bool {
        !exact && allowsQuantizedActivations && ck_q8_path(Int32(type.rawValue), Int64(cols)) != 0
    }

    /// The kernel a product with `batch` rows of activations runs here (what `mimic bench --verbose` prints).
    public func kernelPath(batch: Int, exact: Bool = false) -> String {
        guard batch <= WeightMatrix.fusedBatchLimit else { return type == .f32 ? "OpenBLAS sgemm" : "dequantize, then OpenBLAS sgemm" }
        return String(cString: ck_matmul_path_name(Int32(type.rawValue), Int64(cols), Int64(batch), quantizesActivations(exact: exact) ? 1 : 0))
    }

    /// Batches up to this many rows use the fused quantized kernels; larger ones dequantize and call sgemm.
    public static let fusedBatchLimit = 8

    /// y (M, rows) = x (M, cols) · Wᵀ, with y's row stride `ldy` (default `rows`). With `exact`, activations
    /// stay FP32 even where 8-bit rounding would be used.
    public func matmul(_ x: UnsafePointer<Float>, batch m: Int, into y: UnsafeMutablePointer<Float>,
                       ldy: Int? = nil, exact: Bool = false, scratch: Scratch) {
        let ldy = ldy ?? rows
        if m <= WeightMatrix.fusedBatchLimit {
            ck_matmul(Int32(type.rawValue), bytes, Int64(cols), x, Int64(m), y, Int64(ldy), Int64(rows),
                      quantizesActivations(exact: exact) ? 1 : 0)
            return
        }
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
