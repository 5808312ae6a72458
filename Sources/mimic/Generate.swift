// `mimic generate`: one completion for a prompt, raw or through the model's chat template, streamed.
import ArgumentParser
import Foundation
import MimicCore
import MimicModels
import MimicTokenizers

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate text for a prompt, through the chat template unless --raw.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .shortAndLong, help: "The prompt (or use --file).") var prompt: String?
    @Option(name: .shortAndLong, help: "Read the prompt from a file.") var file: String?
    @Flag(help: "Give the prompt to the model as is, without the chat template.") var raw = false
    @Option(help: "A system message (chat mode).") var system: String?
    @Option(help: "Chat template: chatml, llama2, llama3 or vicuna (default: the model's own).") var template: String?
    @OptionGroup var sampling: SamplingArguments
    @Flag(help: "Print a JSON result instead of streaming text.") var json = false
    @Flag(help: "Print speed figures to standard error.") var verbose = false

    func run() throws {
        let text = try promptText(prompt, file: file)
        let opened = try modelOptions.open()
        let tokenizer = try opened.requireTokenizer()
        var input = text, extraStops: [String] = []
        if !raw {
            let format = try opened.chatFormat(template: template)
            var messages = [ChatMessage(role: "user", content: text)]
            if let system { messages.insert(ChatMessage(role: "system", content: system), at: 0) }
            input = format.prompt(messages)
            extraStops = format.template.stopStrings
        }
        let generator = TextGenerator(model: opened.model, tokenizer: tokenizer, extraStopTokens: extraStops)
        // A chat template writes its own BOS text; a raw prompt gets the tokenizer's default.
        let result = try generator.generate(prompt: input, options: sampling.options(extraStops: extraStops),
                                            addBOS: raw ? nil : false) { piece in
            if !json { emit(piece) }
            return true
        }
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(result), as: UTF8.self))
        } else {
            emit("\n")
        }
        if verbose {
            printError(String(format: "prompt: %d tokens in %.3f s; generated %d tokens at %.1f tokens/s (%@)",
                              result.promptTokens, result.promptSeconds, result.tokens.count,
                              Double(result.tokens.count) / max(result.generateSeconds, 1e-9), result.finishReason.rawValue))
        }
    }
}
