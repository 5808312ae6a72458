// Training throughput: full fine-tuning steps (forward, backward, AdamW) on random tokens, in tokens/s.
import Foundation
import MimicCore
import MimicModels
import MimicTensor

/// Synthetic training-throughput benchmarks on randomly initialised models.
public enum TrainBenchmark {
    /// Tensors of the given Llama configuration, normal(0, std) from the seed (norm weights 1), HF names.
    public static func randomLlamaTensors(_ c: LlamaConfig, seed: UInt64, std: Float = 0.02) -> [String: Tensor] {
        var rng = SeededGenerator(seed: seed)
        func normal(_ shape: [Int]) -> Tensor {
            let t = Tensor(zeros: shape)
            for i in 0..<t.count {   // Box-Muller
                let u1 = max(rng.nextUnit(), 1e-12), u2 = rng.nextUnit()
                t[i] = Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)) * std
            }
            return t
        }
        func ones(_ n: Int) -> Tensor { Tensor(shape: [n], values: [Float](repeating: 1, count: n)) }
        let C = c.hiddenSize, F = c.intermediateSize, qw = c.numAttentionHeads * c.headDim, kvw = c.numKeyValueHeads * c.headDim
        var t: [String: Tensor] = ["model.embed_tokens.weight": normal([c.vocabSize, C]), "model.norm.weight": ones(C)]
        if !c.tieWordEmbeddings { t["lm_head.weight"] = normal([c.vocabSize, C]) }
        for i in 0..<c.numHiddenLayers {
            let p = "model.layers.\(i)."
            t[p + "input_layernorm.weight"] = ones(C)
            t[p + "post_attention_layernorm.weight"] = ones(C)
            t[p + "self_attn.q_proj.weight"] = normal([qw, C])
            t[p + "self_attn.k_proj.weight"] = normal([kvw, C])
            t[p + "self_attn.v_proj.weight"] = normal([kvw, C])
            t[p + "self_attn.o_proj.weight"] = normal([C, qw])
            t[p + "mlp.gate_proj.weight"] = normal([F, C])
            t[p + "mlp.up_proj.weight"] = normal([F, C])
            t[p + "mlp.down_proj.weight"] = normal([C, F])
        }
        return t
    }

    /// Runs `warmup` untimed then `steps` timed optimizer steps of `batch` × `length` random tokens; returns
    /// tokens per second of the timed steps.
    public static func run(model: TrainableModel, batch: Int, length: Int, steps: Int, warmup: Int = 1,
                           seed: UInt64 = 1) throws -> Double {
        var rng = SeededGenerator(seed: seed)
        let optimizer = AdamW(parameters: model.parameters, options: AdamWOptions(learningRate: 1e-4))
        var seconds = 0.0
        for s in 0..<(warmup + steps) {
            let blocks = (0..<batch).map { _ in
                let toks = (0..<length).map { _ in Int(rng.next() % UInt64(model.vocabularySize)) }
                return TrainingBlock(tokens: toks, targets: Array(toks.dropFirst()) + [ignoreLabel])
            }
            let start = Date()
            model.zeroGradients()
            let trained = blocks.reduce(0) { $0 + $1.trainedCount }
            _ = try model.accumulateGradients(blocks, normalizer: trained)
            optimizer.update(learningRate: 1e-4)
            if s >= warmup { seconds += Date().timeIntervalSince(start) }
        }
        return Double(batch * length * steps) / seconds
    }
}
