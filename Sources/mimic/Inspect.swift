// `mimic inspect`: what a model is: architecture, sizes, quantization, tokenizer and chat template.
import ArgumentParser
import Foundation
import MimicCore
import MimicModels
import MimicTensor
import MimicTokenizers

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Describe a model: architecture, sizes, quantization, tokenizer, template.")

    @OptionGroup var modelOptions: ModelOptions
    @Flag(help: "Also list every tensor (GGUF) and metadata key.") var all = false

    func run() throws {
        let start = Date()
        let opened = try modelOptions.open()
        let seconds = Date().timeIntervalSince(start)
        print("model:        \(opened.path)")
        print("loaded in:    \(String(format: "%.3f", seconds)) s")
        print("architecture: \(opened.model.summary)")
        if let g = opened.gguf {
            let params = g.tensors.reduce(0) { $0 + $1.elementCount }
            let bytes = g.tensors.reduce(0) { $0 + $1.byteCount }
            var byType: [String: Int] = [:]
            for t in g.tensors { byType[t.type.description, default: 0] += 1 }
            print("format:       GGUF v\(g.version), \(g.tensors.count) tensors, \(g.metadata.count) metadata keys")
            if let name = g.string("general.name") { print("name:         \(name)") }
            print(String(format: "parameters:   %.1f M, %.1f MB of weights (%.2f bits per weight)", Double(params) / 1e6,
                         Double(bytes) / 1e6, Double(bytes * 8) / Double(max(params, 1))))
            print("quantization: " + byType.sorted { $0.value > $1.value }.map { "\($0.key) × \($0.value)" }.joined(separator: ", "))
            if all {
                for key in g.keys {
                    let value = g.metadata[key].map(describe) ?? ""
                    print("  \(key) = \(value)")
                }
                for t in g.tensors { print("  \(t.name)  \(t.type)  \(t.dims)") }
            }
        } else {
            print("format:       Hugging Face folder (safetensors)")
        }
        if let tok = opened.tokenizer {
            print("tokenizer:    byte-level BPE, \(tok.vocabularySize) tokens, BOS \(tok.bosTokenID.map(String.init) ?? "none")"
                  + " (\(tok.addsBOS ? "added" : "not added")), EOS \(tok.eosTokenID.map(String.init) ?? "none")")
        } else {
            print("tokenizer:    none")
        }
        if let source = opened.chatTemplateSource {
            let recognised = (try? ChatTemplate.recognize(jinja: source)).map(\.rawValue) ?? "unrecognised (use --template)"
            print("template:     \(recognised)")
        } else {
            print("template:     none in the model")
        }
    }

    private func describe(_ v: GGUFValue) -> String {
        switch v {
        case .uint(let x): "\(x)"
        case .int(let x): "\(x)"
        case .float(let x): "\(x)"
        case .bool(let x): "\(x)"
        case .string(let s): s.count > 80 ? "\"\(s.prefix(80))…\"" : "\"\(s)\""
        case .array(let a): "[\(a.count) items: \(a.prefix(3).map(describe).joined(separator: ", "))\(a.count > 3 ? ", …" : "")]"
        }
    }
}
