// Element and block types of weights as GGUF stores them, with plain-Swift dequantization for tests.
import CKernels

/// A weight element type: plain floats or one of ggml's quantized block formats.
public enum GGMLType: Int, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q4_K = 12, q5_K = 13, q6_K = 14, bf16 = 30

    /// Elements per block.
    public var blockElements: Int { Int(ck_block_elements(Int32(rawValue))) }
    /// Bytes per block.
    public var blockBytes: Int { Int(ck_block_bytes(Int32(rawValue))) }
    /// Whether the type is a quantized block format.
    public var isQuantized: Bool { blockElements > 1 }

    /// Bytes that `elements` elements take, or nil if `elements` is not a whole number of blocks.
    public func byteCount(elements: Int) -> Int? {
        guard elements % blockElements == 0 else { return nil }
        let (bytes, overflow) = (elements / blockElements).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }

    /// ggml's name of the type ("F32", "Q4_K", …).
    public var description: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .bf16: "BF16"
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q5_0: "Q5_0"
        case .q5_1: "Q5_1"
        case .q8_0: "Q8_0"
        case .q4_K: "Q4_K"
        case .q5_K: "Q5_K"
        case .q6_K: "Q6_K"
        }
    }

    /// The name ggml gives type ids this engine cannot read, for error messages.
    public static func name(ofUnsupported id: Int) -> String {
        let names = [9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 15: "Q8_K", 16: "IQ2_XXS",
                     17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S", 22: "IQ2_S",
                     23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M"]
        return names[id] ?? "type \(id)"
    }
}

/// Dequantizes `count` elements of `type` from `src` into `dst` (the fast C kernels).
public func dequantize(_ type: GGMLType, _ src: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>, count: Int) {
    ck_dequantize(Int32(type.rawValue), src, dst, Int64(count))
}
