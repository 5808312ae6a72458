// `mimic generate`: one completion for a prompt, raw or through the model's chat template, streamed. The flags (over
// `--config` and MIMIC_GENERATE_*) become a `GenerateConfig`; `ModelTools.generate` works.
import ArgumentParser
import Foundation
import MimicCore
import MimicStages

struct Generate: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        abstract: "Generate text for a prompt, through the chat template unless --raw.")

    @OptionGroup var modelFlags: ModelFlags
    @OptionGroup var config: ConfigFileOption
    @Option(name: .shortAndLong, help: "The prompt (or use --file).") var prompt: String?
    @Option(name: .shortAndLong, help: "Read the prompt from a file.") var file: String?
    @Flag(help: "Give the prompt to the model as is, without the chat template.") var raw = false
    @Option(help: "A system message (chat mode).") var system: String?
    @Option(help: "Chat template: chatml, llama2, llama3 or vicuna (default: the model's own).") var template: String?
    @OptionGroup var sampling: SamplingFlags
    @Flag(help: "Print a JSON result instead of streaming text.") var json = false
    @Flag(help: "Print speed figures to standard error.") var verbose = false

    func run() throws {
        let resolved = try ConfigResolver.resolve(GenerateConfig(), file: config.path, environmentPrefix: "MIMIC_GENERATE", flags: self,
                                                  except: ["json", "verbose"])
        let result = try ModelTools.generate(resolved) { piece in
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
