// `mimic chat`: an interactive conversation that streams the model's answers and reuses the KV cache.
import ArgumentParser
import Foundation
import MimicCore
import MimicModels
import MimicTokenizers

struct Chat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chat with a model interactively (/reset clears the conversation, /exit or end of input quits).")

    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "A system message.") var system: String?
    @Option(help: "Chat template: chatml, llama2, llama3 or vicuna (default: the model's own).") var template: String?
    @Option(help: "Context size in tokens (default: the model's, at most 4096).") var ctx: Int?

    func validate() throws {
        if let ctx, ctx < 2 { throw ValidationError("--ctx must be at least 2") }
    }
    @OptionGroup var sampling: SamplingArguments

    func run() throws {
        let opened = try modelOptions.open()
        let tokenizer = try opened.requireTokenizer()
        let format = try opened.chatFormat(template: template)
        let generator = TextGenerator(model: opened.model, tokenizer: tokenizer, extraStopTokens: format.template.stopStrings)
        let cache = opened.model.makeCache(capacity: min(ctx ?? 4096, opened.model.contextLength))
        var cachedTokens: [Int] = []
        var messages: [ChatMessage] = system.map { [ChatMessage(role: "system", content: $0)] } ?? []
        let interactive = isatty(STDIN_FILENO) != 0
        if interactive { printError("Chatting with \(opened.path). /reset clears the conversation, /exit quits.") }
        while true {
            if interactive { emit("> ") }
            guard let line = readLine() else { break }
            let input = line.trimmingCharacters(in: .whitespaces)
            if input.isEmpty { continue }
            if input == "/exit" || input == "/quit" { break }
            if input == "/reset" {
                messages = messages.filter { $0.role == "system" }
                continue
            }
            messages.append(ChatMessage(role: "user", content: input))
            let prompt = format.prompt(messages)
            do {
                let result = try generator.generate(prompt: prompt, options: sampling.options(extraStops: format.template.stopStrings),
                                                    addBOS: false, cache: cache, cachedTokens: cachedTokens) { piece in
                    emit(piece)
                    return true
                }
                emit("\n")
                messages.append(ChatMessage(role: "assistant", content: result.text))
                cachedTokens = tokenizer.encode(prompt, addBOS: false, parseSpecial: true) + result.tokens
            } catch ModelError.contextOverflow(let needed, let capacity) {
                printError("The conversation (\(needed) tokens) no longer fits the context (\(capacity)); /reset to start over.")
                messages.removeLast()
            }
        }
    }
}
