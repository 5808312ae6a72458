// `mimic perplexity`: perplexity of a text file, computed as llama.cpp's llama-perplexity does. The flags (over
// `--config` and MIMIC_PERPLEXITY_*) become a `PerplexityConfig`; `ModelTools.perplexity` works.
import ArgumentParser
import Foundation
import MimicStages

struct Perplexity: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        abstract: "Perplexity of a text file in llama-perplexity's way (windows of --ctx tokens, second halves scored).")

    @Argument(help: "[MODEL] FILE: the model (default smollm2-135m-instruct) and the text file (or `file` in --config).")
    var paths: [String] = []
    @OptionGroup var config: ConfigFileOption
    @Option(name: .shortAndLong, help: "Threads for kernels and BLAS (default: all cores).") var threads: Int?
    @Flag(help: "Keep activations in FP32 in quantized mat-vecs.") var exact = false
    @Option(help: "Window size in tokens (default 512).") var ctx: Int?

    func validate() throws {
        guard paths.count <= 2 else { throw ValidationError("give the text file, optionally after the model") }
    }

    func run() throws {
        let resolved = try ConfigResolver.resolve(PerplexityConfig(), file: config.path, environmentPrefix: "MIMIC_PERPLEXITY",
                                                  flags: self, except: ["paths"]) { c in
            if let file = paths.last { c.file = file }
            if paths.count == 2 { c.model = paths[0] }
        }
        let report = try ModelTools.perplexity(resolved, onStart: { tokens, chunks in
            printError("\(resolved.file): \(tokens) tokens, \(chunks) chunks of \(resolved.ctx)")
        }, onChunk: { i, ppl in emit(String(format: "[%d]%.4f,", i, ppl)) })
        emit("\n")
        print(String(format: "Final estimate: PPL = %.4f (%d tokens scored)", report.perplexity, report.scoredTokens))
    }
}
