// `mimic tokenize`: token ids (and their pieces) of a text under a model's tokenizer.
import ArgumentParser
import Foundation
import MimicCore
import MimicModels
import MimicTokenizers

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the tokens of a text.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .shortAndLong, help: "The text (or use --file).") var prompt: String?
    @Option(name: .shortAndLong, help: "Read the text from a file.") var file: String?
    @Flag(help: "Print only the ids, as a JSON list.") var ids = false
    @Flag(help: "Treat special-token text (<|im_start|>) as plain text.") var noParseSpecial = false
    @Flag(help: "Prepend BOS even if the model does not.") var bos = false

    func run() throws {
        let text = try promptText(prompt, file: file)
        let tokenizer = try modelOptions.open().requireTokenizer()
        let tokens = tokenizer.encode(text, addBOS: bos || tokenizer.addsBOS, parseSpecial: !noParseSpecial)
        if ids {
            print("[" + tokens.map(String.init).joined(separator: ", ") + "]")
            return
        }
        for t in tokens {
            let piece = String(decoding: tokenizer.tokenBytes(t), as: UTF8.self)
            let shown = piece.unicodeScalars.map { s in
                switch s {
                case "\n": "\\n"
                case "\t": "\\t"
                case "\r": "\\r"
                default: String(s)
                }
            }.joined()
            print(String(format: "%6d -> '%@'", t, shown))
        }
        print("\(tokens.count) tokens")
    }
}
