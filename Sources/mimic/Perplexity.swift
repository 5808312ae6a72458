// `mimic perplexity`: perplexity of a text file, computed as llama.cpp's llama-perplexity does.
import ArgumentParser
import Foundation
import MimicModels

struct Perplexity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Perplexity of a text file in llama-perplexity's way (windows of --ctx tokens, second halves scored).")

    @OptionGroup var modelOptions: ModelOptions
    @Argument(help: "The text file.") var file: String
    @Option(help: "Window size in tokens.") var ctx = 512

    func run() throws {
        guard ctx >= 4 else { throw ValidationError("--ctx must be at least 4") }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("\(file): cannot read the file")
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }  // as llama-perplexity reads -f
        let opened = try modelOptions.open()
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
