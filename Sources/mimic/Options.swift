// Options shared by the model commands: which model, threads, chat template, sampling.
import ArgumentParser
import Foundation
import MimicModels
import MimicTensor

struct ModelOptions: ParsableArguments {
    @Argument(help: "A GGUF file, a Hugging Face model folder, or a built-in name.")
    var model: String = "smollm2-135m-instruct"
    @Option(name: .shortAndLong, help: "Threads for kernels and BLAS (default: all cores).")
    var threads: Int?
    @Flag(help: "Keep activations in FP32 in quantized mat-vecs (slower; by default they are rounded to 8 bits as llama.cpp does).")
    var exact = false

    /// Applies the thread and precision settings and opens the model (and its tokenizer, unless told not to).
    func open(loadTokenizer: Bool = true) throws -> OpenedModel {
        if let threads {
            guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
            Threads.set(threads)
        }
        let opened = try OpenedModel(model, loadTokenizer: loadTokenizer)
        opened.model.exactActivations = exact
        return opened
    }
}

struct SamplingArguments: ParsableArguments {
    @Option(name: [.customShort("n"), .long], help: "Most tokens to generate.") var maxTokens = 256
    @Option(help: "Temperature; 0 is greedy.") var temperature = 0.0
    @Option(help: "Keep the k most likely tokens (0: all).") var topK = 0
    @Option(help: "Nucleus sampling threshold (1: off).") var topP = 1.0
    @Option(help: "Drop tokens below min-p × the top probability (0: off).") var minP = 0.0
    @Option(help: "Repetition penalty (1: off).") var repeatPenalty = 1.0
    @Option(help: "Tokens the repetition penalty looks back over (-1: all).") var repeatLastN = 64
    @Option(help: "Random seed; the same seed gives the same text.") var seed: UInt64 = 0
    @Option(name: .customLong("stop"), help: "A string that ends generation (repeatable).") var stops: [String] = []

    func validate() throws {
        guard (1...1_000_000).contains(maxTokens) else { throw ValidationError("--max-tokens must be between 1 and 1000000") }
        guard repeatLastN >= -1 else { throw ValidationError("--repeat-last-n must be -1 (all) or more") }
        guard temperature >= 0 else { throw ValidationError("--temperature must be 0 or more") }
        guard topP > 0 && topP <= 1 else { throw ValidationError("--top-p must be in (0, 1]") }
        guard minP >= 0 && minP < 1 else { throw ValidationError("--min-p must be in [0, 1)") }
        guard topK >= 0 else { throw ValidationError("--top-k must be 0 or more") }
        guard repeatPenalty > 0 else { throw ValidationError("--repeat-penalty must be positive") }
    }

    func options(extraStops: [String] = []) -> GenerationOptions {
        GenerationOptions(
            maxTokens: maxTokens,
            sampling: SamplingOptions(temperature: temperature, topK: topK, topP: topP, minP: minP,
                                      repetitionPenalty: repeatPenalty, repeatLastN: repeatLastN, seed: seed),
            stopStrings: stops + extraStops)
    }
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Writes text to standard output at once (no buffering), for streaming.
func emit(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

/// The model flags of a command whose config has the keys `model`, `threads` and `exact` (read at the config's top).
struct ModelFlags: ParsableArguments, Encodable {
    @Argument(help: "A GGUF file, a Hugging Face model folder, or a built-in name (default: smollm2-135m-instruct).")
    var model: String?
    @Option(name: .shortAndLong, help: "Threads for kernels and BLAS (default: all cores).")
    var threads: Int?
    @Flag(help: "Keep activations in FP32 in quantized mat-vecs (slower; by default they are rounded to 8 bits as llama.cpp does).")
    var exact = false
}

/// The sampling flags of `mimic generate`, named as `GenerateConfig`'s keys; those not given are left to the file.
struct SamplingFlags: ParsableArguments, Encodable {
    @Option(name: [.customShort("n"), .long], help: "Most tokens to generate (default 256).") var maxTokens: Int?
    @Option(help: "Temperature; 0 (the default) is greedy.") var temperature: Double?
    @Option(help: "Keep the k most likely tokens (default 0: all).") var topK: Int?
    @Option(help: "Nucleus sampling threshold (default 1: off).") var topP: Double?
    @Option(help: "Drop tokens below min-p × the top probability (default 0: off).") var minP: Double?
    @Option(help: "Repetition penalty (default 1: off).") var repeatPenalty: Double?
    @Option(help: "Tokens the repetition penalty looks back over (-1: all; default 64).") var repeatLastN: Int?
    @Option(help: "Random seed; the same seed gives the same text (default 0).") var seed: UInt64?
    @Option(name: .customLong("stop"), help: "A string that ends generation (repeatable).") var stops: [String] = []

    private enum CodingKeys: String, CodingKey { case maxTokens, temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed, stops }

    /// The options given, and `stops` only when some were (an empty list would replace the file's).
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(maxTokens, forKey: .maxTokens)
        try c.encodeIfPresent(temperature, forKey: .temperature)
        try c.encodeIfPresent(topK, forKey: .topK)
        try c.encodeIfPresent(topP, forKey: .topP)
        try c.encodeIfPresent(minP, forKey: .minP)
        try c.encodeIfPresent(repeatPenalty, forKey: .repeatPenalty)
        try c.encodeIfPresent(repeatLastN, forKey: .repeatLastN)
        try c.encodeIfPresent(seed, forKey: .seed)
        if !stops.isEmpty { try c.encode(stops, forKey: .stops) }
    }
}
