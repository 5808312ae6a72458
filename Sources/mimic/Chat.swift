// `mimic chat`: an interactive conversation that streams the model's answers and reuses the KV cache. The flags (over
// `--config` and MIMIC_CHAT_*) become a `ChatConfig`; a `ChatSession` answers each line.
import ArgumentParser
import Foundation
import MimicModels
import MimicStages

struct Chat: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        abstract: "Chat with a model interactively (/reset clears the conversation, /exit or end of input quits).")

    @OptionGroup var modelFlags: ModelFlags
    @OptionGroup var config: ConfigFileOption
    @Option(help: "A system message.") var system: String?
    @Option(help: "Chat template: chatml, llama2, llama3 or vicuna (default: the model's own).") var template: String?
    @Option(help: "Context size in tokens (default: the model's, at most 4096).") var ctx: Int?
    @OptionGroup var sampling: SamplingFlags

    func run() throws {
        let resolved = try ConfigResolver.resolve(ChatConfig(), file: config.path, environmentPrefix: "MIMIC_CHAT", flags: self)
        let session = try ChatSession(resolved)
        let interactive = isatty(STDIN_FILENO) != 0
        if interactive { printError("Chatting with \(session.modelPath). /reset clears the conversation, /exit quits.") }
        while true {
            if interactive { emit("> ") }
            guard let line = readLine() else { break }
            let input = line.trimmingCharacters(in: .whitespaces)
            if input.isEmpty { continue }
            if input == "/exit" || input == "/quit" { break }
            if input == "/reset" {
                session.reset()
                continue
            }
            do {
                _ = try session.reply(input) { piece in
                    emit(piece)
                    return true
                }
                emit("\n")
            } catch ModelError.contextOverflow(let needed, let capacity) {
                printError("The conversation (\(needed) tokens) no longer fits the context (\(capacity)); /reset to start over.")
            }
        }
    }
}
