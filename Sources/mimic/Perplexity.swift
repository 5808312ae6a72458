// `mimic perplexity`: perplexity of a text file, computed as llama.cpp's llama-perplexity does.
import ArgumentParser
import Foundation
import MimicModels

struct Perplexity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Perplexity of a text file in llama-perplexity's way (windows of --ctx tokens, second halves scored).")

    @Argument(help: "[MODEL] FILE: the model (default smollm2-135m-instruct) and the text file.") var paths: [String]
    @Option(name: .shortAndLong, help: "Threads for kernels and BLAS (default: all cores).") var threads: Int?
    @Option(help: "Window size in tokens.") var ctx = 512

    func validate() throws {
        guard (1...2).contains(paths.count) else { throw ValidationError("give the text file, optionally after the model") }
    }

    var file: String { paths[paths.count - 1] }
    /// The model options the two forms name (parsed, so that their defaults apply).
    func modelOptions() throws -> ModelOptions {
        try ModelOptions.parse((paths.count == 2 ? [paths[0]] : []) + (threads.map { ["--threads", String($0)] } ?? []))
    }

    func run() throws {
        guard ctx >= 4 else { throw ValidationError("--ctx must be at least 4") }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("\(file): cannot read the file")
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }  // as llama-perplexity reads -f
        let opened = try modelOptions().open()
        let tokenizer = try opened.requireTokenizer()
        guard ctx <= opened.model.contextLength else {
            throw ValidationError("--ctx \(ctx) is larger than the model's context (\(opened.model.contextLength))")
        }
        let tokens = tokenizer.encode(text, addBOS: tokenizer.addsBOS, parseSpecial: false)
        printError("\(file): \(tokens.count) tokens, \(tokens.count / ctx) chunks of \(ctx)")
        let result = try opened.model.perplexity(tokens: tokens, context: ctx, bos: tokenizer.addsBOS ? tokenizer.bosTokenID : nil) { i, _, ppl in
            emit(String(format: "[%d]%.4f,", i, ppl))
        }
        emit("\n")
        print(String(format: "Final estimate: PPL = %.4f (%d tokens scored)", result.perplexity, result.scoredTokens))
    }
}
