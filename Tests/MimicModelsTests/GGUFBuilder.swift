// A minimal GGUF v3 writer for tests: a tiny random Llama with tokenizer keys, to corrupt and to load.
import Foundation
import MimicCore
import MimicTensor

struct GGUFBuilder {
    enum Value {
        case u32(UInt32), f32(Float), str(String), strings([String]), ints([Int32]), bool(Bool)
    }

    var kv: [(String, Value)] = []
    var tensors: [(name: String, dims: [Int], type: UInt32, data: [UInt8])] = []

    mutating func f32Tensor(_ name: String, _ dims: [Int], _ rng: inout SeededGenerator, scale: Float = 0.3) {
        let n = dims.reduce(1, *)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(n * 4)
        for _ in 0..<n {
            let v = Float(rng.nextUnit() * 2 - 1) * scale
            withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        tensors.append((name, dims, 0, bytes))
    }

    func build() -> [UInt8] {
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
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            offset += (t.data.count + 31) / 32 * 32
        }
        for (t, off) in zip(tensors, offsets) {
            str(t.name)
            u32(UInt32(t.dims.count))
            t.dims.forEach { u64(UInt64($0)) }
            u32(t.type)
            u64(UInt64(off))
        }
        while out.count % 32 != 0 { out.append(0) }
        for t in tensors {
            out.append(contentsOf: t.data)
            while out.count % 32 != 0 { out.append(0) }
        }
        return out
    }

    /// A 1-layer Llama (vocab 64, hidden 32, 4 heads / 2 KV heads, FFN 48) with a 64-token byte-level vocabulary.
    static func tinyLlama(seed: UInt64 = 7) -> GGUFBuilder {
        var b = GGUFBuilder()
        var rng = SeededGenerator(seed: seed)
        let V = 64, C = 32, F = 48, kv = 16
        b.kv = [("general.architecture", .str("llama")), ("llama.context_length", .u32(64)),
                ("llama.embedding_length", .u32(UInt32(C))), ("llama.block_count", .u32(1)),
                ("llama.feed_forward_length", .u32(UInt32(F))), ("llama.attention.head_count", .u32(4)),
                ("llama.attention.head_count_kv", .u32(2)), ("llama.rope.freq_base", .f32(10000)),
                ("llama.attention.layer_norm_rms_epsilon", .f32(1e-5)), ("tokenizer.ggml.model", .str("gpt2")),
                ("tokenizer.ggml.pre", .str("gpt2")),
                ("tokenizer.ggml.tokens", .strings((0..<V).map { String(UnicodeScalar(UInt8(65 + $0 % 26))) + "\($0 / 26)" })),
                ("tokenizer.ggml.token_type", .ints([Int32](repeating: 1, count: V))),
                ("tokenizer.ggml.merges", .strings([])), ("tokenizer.ggml.eos_token_id", .u32(0))]
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

/// Writes bytes to a fresh temporary file and returns its path.
func temporaryFile(_ bytes: [UInt8], name: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-tests-\(ProcessInfo.processInfo.processIdentifier)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try Data(bytes).write(to: url)
    return url.path
}
