// Test fixture: a tiny random Llama written as a GGUF with a one-token-per-character byte-level vocabulary,
// ChatML special tokens and a ChatML chat template, so a server, a study or a training run can be exercised end to
// end in milliseconds.
import Foundation
import MimicCore
import MimicTokenizers

public enum TinyChatModel {
    /// Special tokens first (ids 0, 1, 2), then one token per printable ASCII character and newline.
    public static let specials = ["<eos>", "<|im_start|>", "<|im_end|>"]
    public static let characters = (32...126).map { Character(UnicodeScalar(UInt8($0))) } + ["\n"]
    public static let contextLength = 512

    /// The GGUF bytes of a 2-layer Llama (hidden 128, 4 heads / 2 KV heads, FFN 256) over that vocabulary, its
    /// layer products in Q8_0 (so generation takes the 8-bit-activation kernels, as real quantized models do).
    public static func gguf(seed: UInt64 = 11) -> [UInt8] {
        var w = GGUFBuilder()
        var rng = SeededGenerator(seed: seed)
        let tokens = specials + characters.map { ByteLevel.encode(Array(String($0).utf8)) }
        let V = tokens.count, C = 128, F = 256, kv = 64, layers = 2
        let template = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
        w.kv = GGUFBuilder.llamaMetadata(contextLength: contextLength, hidden: C, layers: layers, ffn: F, tokens: tokens,
                                         tokenTypes: [3, 3, 3] + [Int32](repeating: 1, count: V - 3))
            + [("tokenizer.chat_template", .str(template))]
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
}
