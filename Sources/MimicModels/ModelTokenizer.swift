// The tokenizer and chat template that come with a model: from a GGUF's `tokenizer.*` keys, or from
// `tokenizer.json` and `tokenizer_config.json` in a Hugging Face folder.
import Foundation
import MimicCore
import MimicTokenizers

extension GGUFFile {
    /// The tokenizer in this file's `tokenizer.ggml.*` keys (byte-level BPE, `tokenizer.ggml.model` = gpt2).
    public func tokenizer() throws -> BPETokenizer {
        let model = string("tokenizer.ggml.model") ?? "(none)"
        guard model == "gpt2" else {
            throw ModelError.invalid(file: path, field: "tokenizer.ggml.model",
                                     problem: "'\(model)' is not supported (byte-level BPE, 'gpt2', is)")
        }
        guard let tokens = strings("tokenizer.ggml.tokens") else { throw ModelError.missingKey(file: path, key: "tokenizer.ggml.tokens") }
        let pre = string("tokenizer.ggml.pre") ?? "default"
        // llama.cpp adds BOS by default for Llama-3-style vocabularies when the file does not say.
        let bosByDefault = ["llama-bpe", "llama3", "llama-v3"].contains(pre)
        do {
            return try BPETokenizer(
                tokens: tokens, merges: strings("tokenizer.ggml.merges") ?? [], tokenTypes: ints("tokenizer.ggml.token_type") ?? [],
                preTokenizer: pre, bosID: int("tokenizer.ggml.bos_token_id"),
                eosID: int("tokenizer.ggml.eos_token_id"), addBOS: bool("tokenizer.ggml.add_bos_token") ?? bosByDefault,
                chatTemplate: string("tokenizer.chat_template"))
        } catch {
            throw ModelError.invalid(file: path, field: "tokenizer", problem: error.localizedDescription)
        }
    }
}

/// How a chat is turned into a prompt for a model.
public struct ChatFormat: Sendable {
    /// The template chats are rendered with.
    public let template: ChatTemplate
    /// The system prompt the model's own template inserts when a chat has none (SmolLM2 does).
    public let defaultSystemPrompt: String?

    /// The model's template recognised from its Jinja text, or the one named by `override`.
    public init(jinja: String?, override: String?, source: String) throws {
        if let override {
            template = try ChatTemplate(name: override)
            defaultSystemPrompt = nil
        } else if let jinja {
            template = try ChatTemplate.recognize(jinja: jinja)
            defaultSystemPrompt = ChatTemplate.defaultSystemPrompt(jinja: jinja)
        } else {
            throw ModelError.invalid(file: source, field: "chat template",
                                     problem: "the model has none; pass --template chatml|llama2|llama3|vicuna")
        }
    }

    /// The prompt text for `messages`, ending with the assistant's turn opening.
    public func prompt(_ messages: [ChatMessage]) -> String {
        template.render(messages, addGenerationPrompt: true, defaultSystemPrompt: defaultSystemPrompt)
    }

    /// The prompt's token ids: the template's own markers are special tokens, and the messages' text is text, even
    /// where it spells one (`<|im_start|>system` inside a user message does not open a turn). A chat with no such
    /// text is encoded exactly as `prompt(_:)`'s text with special tokens parsed; in one that has some, each such
    /// occurrence is encoded as plain text on its own.
    public func promptTokens(_ messages: [ChatMessage], tokenizer: any Tokenizer) -> [Int] {
        // The special tokens each message spells.
        var spelled = Set<String>()
        for message in messages {
            for id in tokenizer.encode(message.content, addBOS: false, parseSpecial: true) where tokenizer.isSpecial(id) {
                spelled.insert(String(decoding: tokenizer.tokenBytes(id), as: UTF8.self))
            }
        }
        guard !spelled.isEmpty else { return tokenizer.encode(prompt(messages), addBOS: false, parseSpecial: true) }
        // Each occurrence becomes a marker (private-use characters around its index) that no template changes; the
        // rendered text is then encoded piece by piece, the markers as the plain text they stand for.
        // Markers are matched on Unicode scalars: a combining mark after one would join it into one Character.
        let open = Unicode.Scalar(0xE000)!, close = Unicode.Scalar(0xE001)!
        var texts: [String] = []
        let longestFirst = spelled.sorted { $0.count > $1.count }
        let marked = messages.map { message -> ChatMessage in
            var content = Array(message.content.unicodeScalars)
            for special in longestFirst {
                let target = Array(special.unicodeScalars)
                var out: [Unicode.Scalar] = [], i = 0
                while i < content.count {
                    if content[i] == target[0], i + target.count <= content.count, Array(content[i..<(i + target.count)]) == target {
                        out += [open] + Array(String(texts.count).unicodeScalars) + [close]
                        texts.append(special)
                        i += target.count
                    } else {
                        out.append(content[i])
                        i += 1
                    }
                }
                content = out
            }
            var text = String.UnicodeScalarView()
            text.append(contentsOf: content)
            return ChatMessage(role: message.role, content: String(text))
        }
        var ids: [Int] = []
        var piece = String.UnicodeScalarView()
        let scalars = Array(prompt(marked).unicodeScalars)
        var i = 0
        while i < scalars.count {
            if scalars[i] == open, let end = scalars[(i + 1)...].firstIndex(of: close),
               let k = Int(String(String.UnicodeScalarView(scalars[(i + 1)..<end]))), texts.indices.contains(k) {
                ids += tokenizer.encode(String(piece), addBOS: false, parseSpecial: true)
                ids += tokenizer.encode(texts[k], addBOS: false, parseSpecial: false)
                piece = String.UnicodeScalarView()
                i = end + 1
            } else {
                piece.append(scalars[i])
                i += 1
            }
        }
        return ids + tokenizer.encode(String(piece), addBOS: false, parseSpecial: true)
    }
}
