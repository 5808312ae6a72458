// Throughput benchmark in llama-bench's terms: pp N (one batch of N prompt tokens into an empty cache) and
// tg N (N single-token steps from an empty cache), repeated, as mean ± standard deviation in tokens/s.
import Foundation
import MimicCore
import MimicTensor

/// One benchmark figure.
public struct BenchmarkResult: Codable, Sendable {
    /// Test name in llama-bench's terms: "pp512" (prompt processing) or "tg128" (generation).
    public var test: String
    /// Tokens processed per repetition.
    public var tokens: Int
    /// Mean throughput over the repetitions, in tokens/s.
    public var tokensPerSecond: Double
    /// Sample standard deviation of the throughput, in tokens/s (0 with one repetition).
    public var stddev: Double
    /// Throughput of each timed repetition, in tokens/s.
    public var samples: [Double]
}

/// llama-bench-style throughput measurements of a LanguageModel on random tokens.
public enum Benchmark {
    /// Runs pp`prompt` and tg`generate` `repetitions` times each after one warm-up run.
    public static func run(model: any LanguageModel, prompt: Int, generate: Int, repetitions: Int,
                           seed: UInt64 = 1) throws -> [BenchmarkResult] {
        var rng = SeededGenerator(seed: seed)
        var results: [BenchmarkResult] = []
        if prompt > 0 {
            let tokens = (0..<prompt).map { _ in Int(rng.next() % UInt64(model.vocabularySize)) }
            let samples = try measure(repetitions) {
                _ = try model.forward(tokens, cache: model.makeCache(capacity: prompt), logits: .last)
            }
            results.append(summarize("pp\(prompt)", prompt, samples))
        }
        if generate > 0 {
            let first = Int(rng.next() % UInt64(model.vocabularySize))
            let samples = try measure(repetitions) {
                let cache = model.makeCache(capacity: generate)
                var token = first
                for _ in 0..<generate {
                    let logits = try model.forward([token], cache: cache, logits: .last)
                    token = argmax(logits.array)
                }
            }
            results.append(summarize("tg\(generate)", generate, samples))
        }
        return results
    }

    private static func measure(_ n: Int, _ body: () throws -> Void) throws -> [Double] {
        try body()  // warm-up
        return try (0..<max(n, 1)).map { _ in
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }

    private static func summarize(_ name: String, _ tokens: Int, _ seconds: [Double]) -> BenchmarkResult {
        let rates = seconds.map { Double(tokens) / $0 }
        let mean = rates.reduce(0, +) / Double(rates.count)
        let sd = rates.count > 1 ? (rates.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(rates.count - 1)).squareRoot() : 0
        return BenchmarkResult(test: name, tokens: tokens, tokensPerSecond: mean, stddev: sd, samples: rates)
    }
}
