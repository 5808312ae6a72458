// Text generation, sampling and scoring above the model: stop strings, limits, cache reuse (on the
// ScriptedModel dummy), the sampler's filters, and log-likelihood against transformers' logits.
import Foundation
import MimicCore
import MimicModels
import MimicTensor
import MimicTokenizers
import Testing

/// A tokenizer with one token per character of "abcdefghijklmnopqrstuvwxyz .!STOP", one per byte of the
/// combining acute accent U+0301 (so it spans two tokens), and "<eos>" (id 0).
func characterTokenizer() throws -> BPETokenizer {
    let chars = Array("abcdefghijklmnopqrstuvwxyz .!STOP").map(String.init)
    var seen = Set<String>(), tokens = ["<eos>"]
    for c in chars where seen.insert(c).inserted { tokens.append(ByteLevel.encode(Array(c.utf8))) }
    tokens += Array("\u{301}".utf8).map { ByteLevel.encode([$0]) }
    return try BPETokenizer(tokens: tokens, merges: [], tokenTypes: [3] + Array(repeating: 1, count: tokens.count - 1),
                            preTokenizer: "gpt2", bosID: nil, eosID: 0, addBOS: false)
}

@Suite struct GenerationTests {
    func scripted(_ text: String, then fallback: String? = nil, prompt: String = "ab") throws -> (ScriptedModel, BPETokenizer) {
        let tok = try characterTokenizer()
        let script = tok.encode(prompt, addBOS: false, parseSpecial: false) + tok.encode(text, addBOS: false, parseSpecial: true)
        let model = ScriptedModel(vocabularySize: tok.vocabularySize, script: Array(script.dropFirst()),
                                  fallback: fallback.map { tok.encode($0, addBOS: false, parseSpecial: false)[0] } ?? 0)
        return (model, tok)
    }

    @Test func stopStringIsCutAndNeverStreamed() throws {
        let (model, tok) = try scripted("hello STOP world")
        let gen = TextGenerator(model: model, tokenizer: tok)
        var streamed = ""
        let r = try gen.generate(prompt: "ab", options: GenerationOptions(maxTokens: 50, stopStrings: ["STOP"])) {
            streamed += $0
            return true
        }
        #expect(r.text == "hello ")
        #expect(streamed == "hello ")
        #expect(r.finishReason == .stop)
    }

    /// A combining mark that arrives in a later token joins the previous character; the stream must still send it.
    @Test func combiningMarksInLaterTokensAreStreamed() throws {
        let (model, tok) = try scripted("cafe\u{301} ok<eos>")
        var streamed = ""
        let r = try TextGenerator(model: model, tokenizer: tok).generate(prompt: "ab", options: GenerationOptions(maxTokens: 50)) {
            streamed += $0
            return true
        }
        #expect(r.text == "cafe\u{301} ok")
        #expect(streamed.unicodeScalars.elementsEqual(r.text.unicodeScalars))
    }

    @Test func endOfSequenceStopsAndIsNotText() throws {
        let (model, tok) = try scripted("done<eos>more")
        let r = try TextGenerator(model: model, tokenizer: tok).generate(prompt: "ab", options: GenerationOptions(maxTokens: 50))
        #expect(r.text == "done")
        #expect(r.finishReason == .stop)
    }

    @Test func tokenLimitEndsWithLength() throws {
        let (model, tok) = try scripted("abcdefghij")
        let r = try TextGenerator(model: model, tokenizer: tok).generate(prompt: "ab", options: GenerationOptions(maxTokens: 4))
        #expect(r.text == "abcd" && r.tokens.count == 4)
        #expect(r.finishReason == .length)
    }

    @Test func cachedPrefixIsNotRecomputed() throws {
        let (model, tok) = try scripted("xyz<eos>", prompt: "hello there")
        let gen = TextGenerator(model: model, tokenizer: tok)
        let cache = model.makeCache(capacity: 64)
        _ = try gen.generate(prompt: "hello", options: GenerationOptions(maxTokens: 1), cache: cache)
        let cached = tok.encode("hello", addBOS: false, parseSpecial: true)
        let before = model.calls.count
        _ = try gen.generate(prompt: "hello there", options: GenerationOptions(maxTokens: 3), cache: cache, cachedTokens: cached)
        #expect(model.calls[before] == tok.encode(" there", addBOS: false, parseSpecial: true))
    }

    @Test func contextTooSmallForThePromptIsAnError() throws {
        let (_, tok) = try scripted("x")
        let small = ScriptedModel(vocabularySize: tok.vocabularySize, script: [1], contextLength: 3)
        #expect(throws: ModelError.self) {
            try TextGenerator(model: small, tokenizer: tok).generate(prompt: "abcd", options: GenerationOptions(maxTokens: 2))
        }
    }
}

@Suite struct SamplerTests {
    let logits: [Float] = [log(0.5), log(0.3), log(0.2), -30]

    func draws(_ options: SamplingOptions, _ n: Int = 4000) -> [Int] {
        var s = Sampler(options)
        return (0..<n).map { _ in s.sample(logits, count: logits.count, history: []) }
    }

    /// The partial-sort `pick` is held to the plain full-sort version on random logits (with ties and a long tail),
    /// every filter combination and many draws; draws within 1e-9 of a cumulative boundary are skipped, since the
    /// two sum the normaliser in different orders.
    @Test func fastPickEqualsTheFullSortReference() {
        var rng = SeededGenerator(seed: 12)
        var compared = 0
        for trial in 0..<20 {
            let n = 1000
            var l = (0..<n).map { _ in Float(rng.nextUnit() * 12 - 6) }
            for i in 0..<20 { l[(i * 131 + trial) % n] = 4 }   // ties near the top
            if trial % 5 == 0 { l[7] = 30 }                     // one dominant token
            for options in [SamplingOptions(temperature: 1), SamplingOptions(temperature: 0.7, topK: 40),
                            SamplingOptions(temperature: 1.3, topP: 0.9), SamplingOptions(temperature: 1, minP: 0.05),
                            SamplingOptions(temperature: 0.9, topK: 200, topP: 0.95, minP: 0.01),
                            SamplingOptions(temperature: 2, topK: n + 5)] {
                for _ in 0..<15 {
                    let u = rng.nextUnit()
                    let want = Sampler.pickReference(l, options: options, u: u)
                    guard Sampler.pickReference(l, options: options, u: max(0, u - 1e-9)) == want,
                          Sampler.pickReference(l, options: options, u: min(0.999999999, u + 1e-9)) == want else { continue }
                    #expect(Sampler.pick(l, options: options, u: u) == want, "trial \(trial), \(options), u \(u)")
                    compared += 1
                }
            }
        }
        #expect(compared > 1500)
    }

    @Test func greedyAndTopKOneTakeTheMostLikely() {
        #expect(Set(draws(SamplingOptions(), 50)) == [0])
        #expect(Set(draws(SamplingOptions(temperature: 1, topK: 1), 50)) == [0])
    }

    @Test func temperatureOneFollowsTheDistribution() {
        let d = draws(SamplingOptions(temperature: 1, seed: 3), 20000)
        for (token, p) in [(0, 0.5), (1, 0.3), (2, 0.2)] {
            let f = Double(d.filter { $0 == token }.count) / Double(d.count)
            #expect(abs(f - p) < 0.015, "token \(token): \(f)")
        }
    }

    @Test func topPAndMinPCutTheTail() {
        #expect(Set(draws(SamplingOptions(temperature: 1, topP: 0.6, seed: 1))) == [0, 1])
        #expect(Set(draws(SamplingOptions(temperature: 1, minP: 0.5, seed: 1))) == [0, 1])
        #expect(Set(draws(SamplingOptions(temperature: 1, topK: 2, seed: 1))) == [0, 1])
    }

    @Test func sameSeedSameTokensOtherSeedOtherTokens() {
        let a = draws(SamplingOptions(temperature: 1, seed: 42), 100), b = draws(SamplingOptions(temperature: 1, seed: 42), 100)
        #expect(a == b)
        #expect(a != draws(SamplingOptions(temperature: 1, seed: 43), 100))
    }

    @Test func repetitionPenaltyDividesPositiveAndMultipliesNegativeLogits() {
        var s = Sampler(SamplingOptions(repetitionPenalty: 4))
        // Token 0 (logit 2) seen: 2 / 4 = 0.5 < 1.5, so token 1 wins; a seen negative logit only sinks further.
        #expect(s.sample([2, 1.5, -1], count: 3, history: [0, 2]) == 1)
        // The window: token 0 seen only long ago is outside the last 2 tokens, inside "all" (-1).
        var recent = Sampler(SamplingOptions(repetitionPenalty: 4, repeatLastN: 2))
        #expect(recent.sample([2, 1.5, -1], count: 3, history: [0, 2, 2]) == 0)
        var all = Sampler(SamplingOptions(repetitionPenalty: 4, repeatLastN: -1))
        #expect(all.sample([2, 1.5, -1], count: 3, history: [0, 2, 2]) == 1)
    }
}

/// loglikelihood(context:continuation:) against log-softmax of transformers' logits for tiny-llama
/// (golden: scripts/reference/tiny_models.py), tolerance 1e-3.
@Suite struct LogLikelihoodTests {
    @Test func matchesTransformersLogSoftmax() throws {
        let model = try HFModelFolder.loadModel(folder: Fixtures.resources + "/tiny-llama")
        let seq = (try Fixtures.json("tiny-llama/golden.json")["sequences"] as! [[String: Any]])[1]
        let ids = seq["input_ids"] as! [Int], logits = seq["logits"] as! [[Double]]
        let split = 6
        var expected = 0.0, greedy = true
        for t in (split - 1)..<(ids.count - 1) {
            let row = logits[t], m = row.max()!
            let lse = m + log(row.reduce(0) { $0 + exp($1 - m) })
            expected += row[ids[t + 1]] - lse
            if row.firstIndex(of: m)! != ids[t + 1] { greedy = false }
        }
        let got = try model.loglikelihood(context: Array(ids[..<split]), continuation: Array(ids[split...]))
        #expect(abs(got.logProbability - expected) < 1e-3, "\(got.logProbability) vs \(expected)")
        #expect(got.isGreedy == greedy)
        #expect(got.tokenCount == ids.count - split)

        // A continuation made of each position's argmax is greedy by definition.
        let argmaxes = (split - 1..<(split + 2)).map { t in logits[t].firstIndex(of: logits[t].max()!)! }
        let own = try model.loglikelihood(context: Array(ids[..<split]), continuation: [argmaxes[0]])
        #expect(own.isGreedy)
    }
}
