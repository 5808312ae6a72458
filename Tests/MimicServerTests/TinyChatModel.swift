// Test fixture: a tiny random Llama written as a GGUF with a one-token-per-character byte-level vocabulary,
// ChatML special tokens and a ChatML chat template, so the server can be exercised end to end in milliseconds.
import Foundation
import MimicCore
import MimicModels
import MimicTensor
import MimicTokenizers

/// A minimal GGUF v3 writer (the subset of value types the fixture needs).
struct GGUFWriter {
    enum Value { case u32(UInt32), f32(Float), str(String), strings([String]), ints([Int32]) }

    var kv: [(String, Value)] = []
    var tensors: [(name: String, dims: [Int], type: UInt32, data: [UInt8])] = []

    /// A random F32 tensor, values in ±scale.
    mutating func f32Tensor(_ name: String, _ dims: [Int], _ rng: inout SeededGenerator, scale: Float = 0.3) {
        var bytes: [UInt8] = []
        for _ in 0..<dims.reduce(1, *) {
            let v = Float(rng.nextUnit() * 2 - 1) * scale
            withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        tensors.append((name, dims, 0, bytes))
    }

    /// A random Q8_0 tensor (blocks of an f16 scale and 32 signed bytes), so products take the 8-bit path.
    mutating func q8Tensor(_ name: String, _ dims: [Int], _ rng: inout SeededGenerator, scale: Float = 0.3) {
        var bytes: [UInt8] = []
        for _ in 0..<(dims.reduce(1, *) / 32) {
            let bits = Float16(scale / 127).bitPattern
            bytes += [UInt8(bits & 0xFF), UInt8(bits >> 8)]
            for _ in 0..<32 { bytes.append(UInt8(truncatingIfNeeded: Int(rng.nextUnit() * 255) - 127)) }
        }
        tensors.append((name, dims, 8, bytes))
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
}

enum TinyChatModel {
    /// Special tokens first (ids 0, 1, 2), then one token per printable ASCII character and newline.
    static let specials = ["<eos>", "<|im_start|>", "<|im_end|>"]
    static let characters = (32...126).map { Character(UnicodeScalar(UInt8($0))) } + ["\n"]
    static let contextLength = 512

    /// The GGUF bytes of a 2-layer Llama (hidden 128, 4 heads / 2 KV heads, FFN 256) over that vocabulary, its
    /// layer products in Q8_0 (so generation takes the 8-bit-activation kernels, as real quantized models do).
    static func gguf(seed: UInt64 = 11) -> [UInt8] {
        var w = GGUFWriter()
        var rng = SeededGenerator(seed: seed)
        let tokens = specials + characters.map { ByteLevel.encode(Array(String($0).utf8)) }
        let V = tokens.count, C = 128, F = 256, kv = 64, layers = 2
        let template = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
        w.kv = [("general.architecture", .str("llama")), ("llama.context_length", .u32(UInt32(contextLength))),
                ("llama.embedding_length", .u32(UInt32(C))), ("llama.block_count", .u32(UInt32(layers))),
                ("llama.feed_forward_length", .u32(UInt32(F))), ("llama.attention.head_count", .u32(4)),
                ("llama.attention.head_count_kv", .u32(2)), ("llama.rope.freq_base", .f32(10000)),
                ("llama.attention.layer_norm_rms_epsilon", .f32(1e-5)), ("tokenizer.ggml.model", .str("gpt2")),
                ("tokenizer.ggml.pre", .str("gpt2")), ("tokenizer.ggml.tokens", .strings(tokens)),
                ("tokenizer.ggml.token_type", .ints([3, 3, 3] + [Int32](repeating: 1, count: V - 3))),
                ("tokenizer.ggml.merges", .strings([])), ("tokenizer.ggml.eos_token_id", .u32(0)),
                ("tokenizer.chat_template", .str(template))]
        w.f32Tensor("token_embd.weight", [C, V], &rng, scale: 1)
        w.f32Tensor("output.weight", [C, V], &rng, scale: 1)
        w.f32Tensor("output_norm.weight", [C], &rng, scale: 1)
        for l in 0..<layers {
            w.f32Tensor("blk.\(l).attn_norm.weight", [C], &rng, scale: 1)
            w.f32Tensor("blk.\(l).ffn_norm.weight", [C], &rng, scale: 1)
            w.q8Tensor("blk.\(l).attn_q.weight", [C, C], &rng)
            w.q8Tensor("blk.\(l).attn_k.weight", [C, kv], &rng)
            w.q8Tensor("blk.\(l).attn_v.weight", [C, kv], &rng)
            w.q8Tensor("blk.\(l).attn_output.weight", [C, C], &rng)
            w.q8Tensor("blk.\(l).ffn_gate.weight", [C, F], &rng)
            w.q8Tensor("blk.\(l).ffn_up.weight", [C, F], &rng)
            w.q8Tensor("blk.\(l).ffn_down.weight", [F, C], &rng)
        }
        return w.build()
    }

    /// The fixture written to a fresh temporary file and opened.
    static func open() throws -> OpenedModel {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-server-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("tiny-chat-\(UInt64.random(in: 0...UInt64.max)).gguf")
        try Data(gguf()).write(to: url)
        return try OpenedModel(url.path)
    }
}
