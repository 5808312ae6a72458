// Training against PyTorch on the same weights and batches (goldens: scripts/reference/train_reference.py):
// whole-model gradients of tiny Llama and GPT-2 (per tensor |g − ref| ≤ 1e-4·max|ref| + 1e-3·|ref|, loss 1e-5
// relative), 20 AdamW steps with warm-up and clipping (losses, gradient norms and the final loss within 1e-4
// relative), and a packed block's logits against each document run alone (1e-4).
import Foundation
import MimicModels
import MimicTensor
import MimicTrain
import Testing

func floats(base64 s: String) -> [Float] {
    let d = Data(base64Encoded: s)!
    return d.withUnsafeBytes { p in (0..<(d.count / 4)).map { Float(bitPattern: p.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) } }
}

func trainGolden(_ name: String) throws -> [String: Any] { try TrainFixtures.json(TrainFixtures.resources + "/" + name) }

func model(_ family: String) throws -> TrainableModel {
    family == "tiny-llama" ? try TrainFixtures.tinyLlama() : try TrainFixtures.tinyGPT2()
}

/// A parameter's gradient in Hugging Face layout (GPT-2's Conv1D matrices transposed back to (in, out)).
func hfGradient(_ p: Parameter) -> [Float] {
    let g = Array(UnsafeBufferPointer(start: p.grad.data, count: p.count))
    guard p.transposedFromHF else { return g }
    let (rows, cols) = (p.shape[0], p.shape[1])
    var out = [Float](repeating: 0, count: g.count)
    for o in 0..<rows { for i in 0..<cols { out[i * rows + o] = g[o * cols + i] } }
    return out
}

func blocks(ids: [[Int]], targets: [[Int]]) -> [TrainingBlock] {
    zip(ids, targets).map { TrainingBlock(tokens: $0, targets: $1) }
}

@Suite struct PyTorchReferenceTests {
    @Test(arguments: ["tiny-llama", "tiny-gpt2"])
    func gradientsMatchAutograd(family: String) throws {
        let golden = try trainGolden("grad_golden_\(family).json")
        var grads: [[String: Any]] = []
        for file in golden["gradient_files"] as! [String] { grads += try trainGolden(file)["gradients"] as! [[String: Any]] }
        let m = try model(family)
        let batch = blocks(ids: golden["input_ids"] as! [[Int]], targets: golden["targets"] as! [[Int]])
        let trained = golden["trained_count"] as! Int
        m.zeroGradients()
        let r = try m.accumulateGradients(batch, normalizer: trained)
        let ref = golden["loss"] as! Double
        #expect(abs(r.lossSum / Double(trained) - ref) <= 1e-5 * ref)
        let byName = Dictionary(uniqueKeysWithValues: m.parameters.map { ($0.name, $0) })
        #expect(grads.count == m.parameters.count)
        for g in grads {
            let name = g["name"] as! String
            let p = try #require(byName[name], "\(name) missing")
            let want = floats(base64: g["f32_b64"] as! String), maxAbs = g["max_abs"] as! Double
            let got = hfGradient(p)
            let bad = zip(got, want).filter { abs(Double($0) - Double($1)) > 1e-4 * maxAbs + 1e-3 * abs(Double($1)) }.count
            #expect(bad == 0, "\(name): \(bad) of \(want.count) elements off")
        }
    }

    @Test(arguments: ["tiny-llama", "tiny-gpt2"])
    func twentyAdamWStepsGiveTorchsLosses(family: String) throws {
        let golden = try trainGolden("adamw_golden_\(family).json")
        let ref = golden["float32"] as! [String: Any], opt = golden["optimizer"] as! [String: Any]
        let m = try model(family)
        let adam = AdamW(parameters: m.parameters, options: AdamWOptions(
            learningRate: opt["lr"] as! Double, beta1: opt["beta1"] as! Double, beta2: opt["beta2"] as! Double,
            epsilon: opt["eps"] as! Double, weightDecay: opt["weight_decay"] as! Double, clipNorm: 1))
        let schedule = Schedule.constant(warmup: 5)
        let batches = golden["batches"] as! [[String: Any]]
        let losses = ref["losses"] as! [Double], norms = ref["grad_norms"] as! [Double], lrs = ref["lrs"] as! [Double]
        for (s, b) in batches.enumerated() {
            let batch = blocks(ids: b["input_ids"] as! [[Int]], targets: b["targets"] as! [[Int]])
            let trained = batch.reduce(0) { $0 + $1.trainedCount }
            m.zeroGradients()
            let loss = try m.accumulateGradients(batch, normalizer: trained).lossSum / Double(trained)
            let lr = (opt["lr"] as! Double) * schedule.factor(step: s)
            #expect(abs(lr - lrs[s]) <= 1e-12)
            let norm = adam.update(learningRate: lr)
            #expect(abs(loss - losses[s]) <= 1e-4 * losses[s], "step \(s): loss \(loss) vs \(losses[s])")
            #expect(abs(norm - norms[s]) <= 1e-4 * norms[s], "step \(s): grad norm \(norm) vs \(norms[s])")
        }
        let first = blocks(ids: batches[0]["input_ids"] as! [[Int]], targets: batches[0]["targets"] as! [[Int]])
        let final = try m.evaluate(first)
        let want = ref["final_loss_step0_batch"] as! Double
        #expect(abs(final.lossSum / Double(final.trained) - want) <= 1e-4 * want)
    }

    @Test func packedBlockEqualsEachDocumentAlone() throws {
        let golden = try trainGolden("packed_golden.json")
        let m = try TrainFixtures.tinyLlama()
        let block = TrainingBlock(tokens: golden["input_ids"] as! [Int], targets: golden["targets"] as! [Int],
                                  positions: golden["positions"] as! [Int], documents: golden["documents"] as! [Int])
        let logits = try m.logits([block])
        let want = golden["logits"] as! [[Double]]
        let loss = try m.evaluate([block]), goldenLoss = golden["loss"] as! Double
        #expect(abs(loss.lossSum / Double(loss.trained) - goldenLoss) <= 1e-5 * goldenLoss)
        for (t, row) in want.enumerated() {
            let got = UnsafeBufferPointer(start: logits.row(t), count: row.count)
            #expect(zip(got, row).allSatisfy { abs(Double($0) - $1) < 1e-4 }, "position \(t)")
        }
    }
}
