// Finite-difference checks: the analytic gradients of the whole tiny Llama and GPT-2 agree with central differences of
// its own loss (FP32, so the tolerance is loose: 3% relative or 2e-3 absolute).
import Foundation
import MimicCore
import MimicModels
import MimicTensor
import MimicTrain
import Testing

func sampleBatch(vocab: Int, rows: Int, length: Int, seed: UInt64) -> [TrainingBlock] {
    var rng = SeededGenerator(seed: seed)
    return (0..<rows).map { _ in
        let toks = (0..<length).map { _ in Int(rng.next() % UInt64(vocab)) }
        var targets = Array(toks.dropFirst()) + [ignoreLabel]
        targets[1] = ignoreLabel
        return TrainingBlock(tokens: toks, targets: targets)
    }
}

@Suite struct GradientCheckTests {
    @Test(arguments: ["llama", "gpt2"])
    func wholeModelMatchesCentralDifferences(family: String) throws {
        let model: any TrainableModel = family == "llama" ? try TrainFixtures.tinyLlama() : try TrainFixtures.tinyGPT2()
        let batch = sampleBatch(vocab: 512, rows: 2, length: 7, seed: 5)
        let trained = batch.reduce(0) { $0 + $1.trainedCount }
        model.zeroGradients()
        _ = try model.accumulateGradients(batch, normalizer: trained)
        func loss() throws -> Double { let r = try model.evaluate(batch); return r.lossSum / Double(r.trained) }
        var rng = SeededGenerator(seed: 9)
        var checked = 0
        for p in model.parameters {
            for _ in 0..<2 {
                let i = Int(rng.next() % UInt64(p.count))
                let old = p.value[i], h: Float = 1e-2
                p.value[i] = old + h
                let up = try loss()
                p.value[i] = old - h
                let down = try loss()
                p.value[i] = old
                let numeric = (up - down) / Double(2 * h), analytic = Double(p.grad[i])
                #expect(abs(numeric - analytic) <= 2e-3 + 0.03 * abs(numeric), "\(p.name)[\(i)]: \(analytic) vs \(numeric)")
                checked += 1
            }
        }
        #expect(checked == 2 * model.parameters.count)
    }
}

@Suite struct RecomputeTests {
    /// Recomputing activations in the backward gives the same gradients as keeping them.
    @Test func recomputedGradientsEqualKeptOnes() throws {
        let batch = sampleBatch(vocab: 512, rows: 2, length: 9, seed: 8)
        let trained = batch.reduce(0) { $0 + $1.trainedCount }
        let kept = try TrainFixtures.tinyLlama(), recomputed = try TrainFixtures.tinyLlama()
        recomputed.recomputeActivations = true
        for m in [kept, recomputed] {
            m.zeroGradients()
            _ = try m.accumulateGradients(batch, normalizer: trained)
        }
        for (a, b) in zip(kept.parameters, recomputed.parameters) {
            #expect(a.grad.array == b.grad.array, "\(a.name)")
        }
    }
}
