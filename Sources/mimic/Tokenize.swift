// `mimic tokenize`: token ids (and their pieces) of a text under a model's tokenizer. The flags (over `--config` and
// MIMIC_TOKENIZE_*) become a `TokenizeConfig`; `ModelTools.tokenize` works.
import ArgumentParser
import Foundation
import MimicStages

struct Tokenize: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(abstract: "Show the tokens of a text.")

    @OptionGroup var modelFlags: ModelFlags
    @OptionGroup var config: ConfigFileOption
    @Option(name: .shortAndLong, help: "The text (or use --file).") var prompt: String?
    @Option(name: .shortAndLong, help: "Read the text from a file.") var file: String?
    @Flag(help: "Print only the ids, as a JSON list.") var ids = false
    @Flag(help: "Treat special-token text (<|im_start|>) as plain text.") var noParseSpecial = false
    @Flag(help: "Prepend BOS even if the model does not.") var bos = false

    func run() throws {
        let resolved = try ConfigResolver.resolve(TokenizeConfig(), file: config.path, environmentPrefix: "MIMIC_TOKENIZE", flags: self,
                                                  except: ["ids"])
        let tokens = try ModelTools.tokenize(resolved)
        if ids {
            print("[" + tokens.map { String($0.id) }.joined(separator: ", ") + "]")
            return
        }
        for t in tokens {
            let shown = t.piece.unicodeScalars.map { s in
                switch s {
                case "\n": "\\n"
                case "\t": "\\t"
                case "\r": "\\r"
                default: String(s)
                }
            }.joined()
            print(String(format: "%6d -> '%@'", t.id, shown))
        }
        print("\(tokens.count) tokens")
    }
}
