// Chat templates: ChatML (SmolLM2), Llama 2, Llama 3 and the Vicuna USER:/GPT: format, chosen by name or recognised from Jinja.
import Foundation
import MimicCore

/// The chat formats Mimic renders itself (no Jinja engine): each a fixed layout of roles and special tokens.
///
/// `render` writes BOS tokens as text where the template does (`<s>`, `<|begin_of_text|>`), so encode its
/// output with `addBOS: false, parseSpecial: true`.
public enum ChatTemplate: String, Sendable, CaseIterable, Codable {
    /// ChatML, as SmolLM2 uses it: `<|im_start|>ROLE\nCONTENT<|im_end|>\n` per message; the generation prompt
    /// is `<|im_start|>assistant\n`. Pass `defaultSystemPrompt` to insert a system turn when the first message
    /// is not one (SmolLM2's own template does, with `smolLM2DefaultSystemPrompt`).
    case chatml
    /// Llama 2 chat: `<s>[INST] <<SYS>>\nSYSTEM\n<</SYS>>\n\nUSER [/INST] ANSWER </s><s>[INST] USER2 [/INST]`.
    /// Contents are trimmed; a leading system message folds into the first user turn; any role other than
    /// "assistant" is rendered as a user turn. There is no separate generation prompt (the text ends in `[/INST]`).
    case llama2
    /// Llama 3: `<|begin_of_text|>` then `<|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT<|eot_id|>` per
    /// message (contents trimmed); the generation prompt is `<|start_header_id|>assistant<|end_header_id|>\n\n`.
    case llama3
    /// The Vicuna v1.1 / ShareGPT turn format with the paper's role names, rendered exactly as
    /// `SYSTEM USER: U1 GPT: A1</s>USER: U2 GPT:` — the system text (if any) and a space, then for each
    /// user turn `USER: ` + content + ` `, for each assistant turn `GPT: ` + content + `</s>`; any other role
    /// is written upper-cased like a user turn. The generation prompt is `GPT:`. No BOS is written.
    case vicuna

    /// SmolLM2-Instruct's default system message, inserted by its template when the first turn is not system.
    public static let smolLM2DefaultSystemPrompt = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"

    /// Looks a template up by name, ignoring case: chatml, llama2, llama3, vicuna (also "user-gpt").
    public init(name: String) throws {
        switch name.lowercased() {
        case "chatml", "smollm2", "smollm": self = .chatml
        case "llama2", "llama-2": self = .llama2
        case "llama3", "llama-3": self = .llama3
        case "vicuna", "user-gpt": self = .vicuna
        default: throw ChatTemplateError.unknownName(name)
        }
    }

    /// Renders a conversation; with `addGenerationPrompt`, ends with the opening of an assistant turn.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool) -> String {
        render(messages, addGenerationPrompt: addGenerationPrompt, defaultSystemPrompt: nil)
    }

    /// Renders a conversation; `defaultSystemPrompt` is used by `chatml` (and `vicuna`) when the first
    /// message is not a system message.
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool, defaultSystemPrompt: String?) -> String {
        switch self {
        case .chatml: return Self.renderChatML(messages, addGenerationPrompt, defaultSystemPrompt)
        case .llama2: return Self.renderLlama2(messages)
        case .llama3: return Self.renderLlama3(messages, addGenerationPrompt)
        case .vicuna: return Self.renderVicuna(messages, addGenerationPrompt, defaultSystemPrompt)
        }
    }

    /// Text that ends an assistant turn in this format; generation stops at any of them.
    public var stopStrings: [String] {
        switch self {
        case .chatml: return ["<|im_end|>", "<|endoftext|>"]
        case .llama2: return ["</s>"]
        case .llama3: return ["<|eot_id|>", "<|end_of_text|>"]
        case .vicuna: return ["</s>", "USER:"]
        }
    }

    private static func renderChatML(_ messages: [ChatMessage], _ prompt: Bool, _ defaultSystem: String?) -> String {
        var out = ""
        if let defaultSystem, let first = messages.first, first.role != "system" {
            out += "<|im_start|>system\n\(defaultSystem)<|im_end|>\n"
        }
        for message in messages { out += "<|im_start|>\(message.role)\n\(message.content)<|im_end|>\n" }
        if prompt { out += "<|im_start|>assistant\n" }
        return out
    }

    private static func renderLlama2(_ messages: [ChatMessage]) -> String {
        var turns = messages[...]
        var system: String?
        if let first = turns.first, first.role == "system" {
            system = trimmed(first.content)
            turns = turns.dropFirst()
        }
        var out = ""
        var firstUser = true
        for message in turns {
            if message.role == "assistant" {
                out += " \(trimmed(message.content)) </s>"
                continue
            }
            var content = trimmed(message.content)
            if firstUser, let system { content = "<<SYS>>\n\(system)\n<</SYS>>\n\n\(content)" }
            firstUser = false
            out += "<s>[INST] \(content) [/INST]"
        }
        return out
    }

    private static func renderLlama3(_ messages: [ChatMessage], _ prompt: Bool) -> String {
        var out = "<|begin_of_text|>"
        for message in messages {
            out += "<|start_header_id|>\(message.role)<|end_header_id|>\n\n\(trimmed(message.content))<|eot_id|>"
        }
        if prompt { out += "<|start_header_id|>assistant<|end_header_id|>\n\n" }
        return out
    }

    private static func renderVicuna(_ messages: [ChatMessage], _ prompt: Bool, _ defaultSystem: String?) -> String {
        var turns = messages[...]
        var out = ""
        if let first = turns.first, first.role == "system" {
            out = first.content + " "
            turns = turns.dropFirst()
        } else if let defaultSystem {
            out = defaultSystem + " "
        }
        for message in turns {
            switch message.role {
            case "assistant": out += "GPT: \(message.content)</s>"
            case "user": out += "USER: \(message.content) "
            default: out += "\(message.role.uppercased()): \(message.content) "
            }
        }
        if prompt { out += "GPT:" }
        return out
    }

    private static func trimmed(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// Why a chat template could not be chosen.
public enum ChatTemplateError: LocalizedError, Equatable {
    /// `ChatTemplate(name:)` got a name it does not know.
    case unknownName(String)
    /// `ChatTemplate.recognize(jinja:)` found none of the known markers.
    case unrecognized(excerpt: String)

    /// A readable explanation with a hint.
    public var errorDescription: String? {
        switch self {
        case .unknownName(let name):
            return "Unknown chat template \"\(name)\". Valid names: chatml, llama2, llama3, vicuna (or user-gpt)."
        case .unrecognized(let excerpt):
            return "Cannot tell which chat format this Jinja template is: \"\(excerpt)…\". "
                + "Pass --template NAME (chatml, llama2, llama3, vicuna)."
        }
    }
}

extension ChatTemplate {
    /// Maps a Jinja chat template (GGUF `tokenizer.chat_template`, tokenizer_config.json `chat_template`)
    /// to a format by its markers: `<|im_start|>` → chatml, `<|start_header_id|>` → llama3, `[INST]` → llama2,
    /// `USER:` / `ASSISTANT:` / `GPT:` → vicuna. Throws `ChatTemplateError.unrecognized` otherwise.
    public static func recognize(jinja: String) throws -> ChatTemplate {
        if jinja.contains("<|im_start|>") { return .chatml }
        if jinja.contains("<|start_header_id|>") { return .llama3 }
        if jinja.contains("[INST]") { return .llama2 }
        if ["USER:", "ASSISTANT:", "GPT:"].contains(where: { jinja.contains($0) }) { return .vicuna }
        let flat = jinja.replacingOccurrences(of: "\n", with: " ")
        throw ChatTemplateError.unrecognized(excerpt: String(flat.prefix(60)))
    }

    /// The system message a ChatML Jinja template inserts when the conversation has none (SmolLM2 does),
    /// read from its literal `<|im_start|>system\n…<|im_end|>` text; nil when it inserts none.
    public static func defaultSystemPrompt(jinja: String) -> String? {
        for newline in ["\\n", "\n"] {
            let opening = "<|im_start|>system" + newline
            guard let start = jinja.range(of: opening), let end = jinja.range(of: "<|im_end|>", range: start.upperBound..<jinja.endIndex)
            else { continue }
            let text = String(jinja[start.upperBound..<end.lowerBound])
            // A literal message, not an expression such as `' + message['content'] + '`.
            if !text.isEmpty && !text.contains("'") && !text.contains("{") && !text.contains("\"") { return text }
        }
        return nil
    }
}
