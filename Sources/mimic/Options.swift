// Options shared by the model commands (which model, threads, sampling) and the output helpers.
import ArgumentParser
import Foundation

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
    @Flag(help: "Keep activations in FP32 (slower; by default they are rounded as llama.cpp rounds them: to 8 bits for 4- to 8-bit weights at generation, to BF16 for BF16 weights on AVX512_BF16 CPUs).")
    var exact = false
}

/// The sampling flags of `mimic generate` and `mimic chat`, named as their configs' keys; those not given are left to
/// the file.
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
}
