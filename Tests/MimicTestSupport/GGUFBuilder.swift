// A minimal GGUF v3 writer for tests: random F32 and Q8_0 tensors, metadata, and a tiny random Llama.
import Foundation
import MimicCore

/// Builds GGUF v3 bytes: metadata key/values, then tensors aligned to 32 bytes (the subset of types tests need).
public struct GGUFBuilder {
    /// A metadata value.
    public enum Value {
        case u32(UInt32), f32(Float), str(String), strings([String]), ints([Int32]), bool(Bool)
    }

    /// Metadata, written in order.
    public var kv: [(String, Value)] = []
    /// Tensors, written in order: name, dims (GGUF order, fastest first), GGML type and raw bytes.
    public var tensors: [(name: String, dims: [Int], type: UInt32, data: [UInt8])] = []

    /// An empty file.
    public init() {}

    /// Appends a random F32 tensor, values in ±scale.
    public mutating func f32Tensor(_ name: String, _ dims: [Int], _ rng: inout SeededGenerator, scale: Float = 0.3) {
        let n = dims.reduce(1, *)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(n * 4)
        for _ in 0..<n {
            let v = Float(rng.nextUnit() * 2 - 1) * scale
            withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        tensors.append((name, dims, 0, bytes))
    }

    /// Appends a random Q8_0 tensor (blocks of an f16 scale and 32 signed bytes), so products take the 8-bit path.
    public mutating func q8Tensor(_ name: String, _ dims: [Int], _ rng: inout SeededGenerator, scale: Float = 0.3) {
        var bytes: [UInt8] = []
        for _ in 0..<(dims.reduce(1, *) / 32) {
            let bits = Float16(scale / 127).bitPattern
            bytes += [UInt8(bits & 0xFF), UInt8(bits >> 8)]
            for _ in 0..<32 { bytes.append(UInt8(truncatingIfNeeded: Int(rng.nextUnit() * 255) - 127)) }
        }
        tensors.append((name, dims, 8, bytes))
    }

    /// The file's bytes.
    public func build() -> [UInt8] {
        var out: [UInt8] = Array("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); out.append(contentsOf: Array(s.utf8)) }
        u32(3)
        u64(UInt64(tensors.count))
        u64(UInt64(kv.count))
        for (key, value) in kv {
            str(key)
            switch value {
            case .u32(let v): u32(4); u32(v)
            case .f32(let v): u32(6); u32(v.bitPattern)
            case .bool(let v): u32(7); out.append(v ? 1 : 0)
            case .str(let s): u32(8); str(s)
            case .strings(let a): u32(9); u32(8); u64(UInt64(a.count)); a.forEach(str)
            case .ints(let a): u32(9); u32(5); u64(UInt64(a.count)); a.forEach { u32(UInt32(bitPattern: $0)) }
            }
        }
        var offset = 0
        for t in tensors {
            str(t.name)
            u32(UInt32(t.dims.count))
            t.dims.forEach { u64(UInt64($0)) }
            u32(t.type)
            u64(UInt64(offset))
            offset += (t.data.count + 31) / 32 * 32
        }
        while out.count % 32 != 0 { out.append(0) }
        for t in tensors {
            out.append(contentsOf: t.data)
            while out.count % 32 != 0 { out.append(0) }
        }
        return out
    }

    /// Metadata of a Llama with 4 heads and 2 KV heads (rope base 10000, RMS epsilon 1e-5) and a byte-level BPE
    /// vocabulary without merges whose end-of-sequence token is id 0.
    public static func llamaMetadata(contextLength: Int, hidden: Int, layers: Int, ffn: Int, tokens: [String],
                                     tokenTypes: [Int32]) -> [(String, Value)] {
        [("general.architecture", .str("llama")), ("llama.context_length", .u32(UInt32(contextLength))),
         ("llama.embedding_length", .u32(UInt32(hidden))), ("llama.block_count", .u32(UInt32(layers))),
         ("llama.feed_forward_length", .u32(UInt32(ffn))), ("llama.attention.head_count", .u32(4)),
         ("llama.attention.head_count_kv", .u32(2)), ("llama.rope.freq_base", .f32(10000)),
         ("llama.attention.layer_norm_rms_epsilon", .f32(1e-5)), ("tokenizer.ggml.model", .str("gpt2")),
         ("tokenizer.ggml.pre", .str("gpt2")), ("tokenizer.ggml.tokens", .strings(tokens)),
         ("tokenizer.ggml.token_type", .ints(tokenTypes)),
         ("tokenizer.ggml.merges", .strings([])), ("tokenizer.ggml.eos_token_id", .u32(0))]
    }

    /// A 1-layer Llama (vocab 64, hidden 32, 4 heads / 2 KV heads, FFN 48) with a 64-token byte-level vocabulary.
    public static func tinyLlama(seed: UInt64 = 7) -> GGUFBuilder {
        var b = GGUFBuilder()
        var rng = SeededGenerator(seed: seed)
        let V = 64, C = 32, F = 48, kv = 16
        b.kv = llamaMetadata(contextLength: 64, hidden: C, layers: 1, ffn: F,
                             tokens: (0..<V).map { String(UnicodeScalar(UInt8(65 + $0 % 26))) + "\($0 / 26)" },
                             tokenTypes: [Int32](repeating: 1, count: V))
        b.f32Tensor("token_embd.weight", [C, V], &rng)
        b.f32Tensor("output_norm.weight", [C], &rng)
        b.f32Tensor("blk.0.attn_norm.weight", [C], &rng)
        b.f32Tensor("blk.0.ffn_norm.weight", [C], &rng)
        b.f32Tensor("blk.0.attn_q.weight", [C, C], &rng)
        b.f32Tensor("blk.0.attn_k.weight", [C, kv], &rng)
        b.f32Tensor("blk.0.attn_v.weight", [C, kv], &rng)
        b.f32Tensor("blk.0.attn_output.weight", [C, C], &rng)
        b.f32Tensor("blk.0.ffn_gate.weight", [C, F], &rng)
        b.f32Tensor("blk.0.ffn_up.weight", [C, F], &rng)
        b.f32Tensor("blk.0.ffn_down.weight", [F, C], &rng)
        return b
    }
}
