// The body of `POST /v1/chat/completions` as this server reads it: MimicTeacher's ChatCompletionRequest's fields
// with `model` optional (a server of one model answers with it, as llama-server and vLLM do) and
// `max_completion_tokens` (the OpenAI SDK's current name for `max_tokens`), and the OpenAI fields it does not
// support, read only to refuse them with a 400 rather than ignore them.
import Foundation
import MimicCore
import MimicModels
import MimicTeacher

/// `POST /v1/chat/completions` as decoded here.
struct ChatBody: Decodable, Sendable {
    var model: String?
    var messages: [APIMessage]
    var temperature: Double?
    var topP: Double?
    var maxTokens: Int?
    var maxCompletionTokens: Int?
    var n: Int?
    var stop: StopSequences?
    var seed: Int?
    var stream: Bool?
    var streamOptions: StreamOptions?
    var logprobs: Bool?
    var topLogprobs: Int?
    var unsupported: UnsupportedFields

    enum CodingKeys: String, CodingKey {
        case model, messages, temperature, n, stop, seed, stream, logprobs
        case topP = "top_p", maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens"
        case streamOptions = "stream_options", topLogprobs = "top_logprobs"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        messages = try c.decode([APIMessage].self, forKey: .messages)
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature)
        topP = try c.decodeIfPresent(Double.self, forKey: .topP)
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens)
        maxCompletionTokens = try c.decodeIfPresent(Int.self, forKey: .maxCompletionTokens)
        n = try c.decodeIfPresent(Int.self, forKey: .n)
        stop = try c.decodeIfPresent(StopSequences.self, forKey: .stop)
        seed = try c.decodeIfPresent(Int.self, forKey: .seed)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream)
        streamOptions = try c.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)
        logprobs = try c.decodeIfPresent(Bool.self, forKey: .logprobs)
        topLogprobs = try c.decodeIfPresent(Int.self, forKey: .topLogprobs)
        unsupported = try UnsupportedFields(from: decoder)
    }

    /// The token limit: `max_completion_tokens` or `max_tokens` (both only when they agree).
    func tokenLimit() throws -> Int? {
        if let a = maxTokens, let b = maxCompletionTokens, a != b {
            throw APIError.badRequest("max_tokens (\(a)) and max_completion_tokens (\(b)) disagree; send one of them.",
                                      param: "max_completion_tokens")
        }
        return maxCompletionTokens ?? maxTokens
    }

    /// The messages as the chat template takes them: each role checked (`developer` is the system's newer name),
    /// every unsupported field refused.
    func chatMessages() throws -> [ChatMessage] {
        try unsupported.check(n: n ?? 1)
        guard !messages.isEmpty else { throw APIError.badRequest("messages must not be empty.", param: "messages") }
        return try messages.enumerated().map { i, message in
            switch message.role {
            case "system", "user", "assistant": return ChatMessage(role: message.role, content: message.content)
            case "developer": return ChatMessage(role: "system", content: message.content)
            case "tool", "function":
                throw APIError.badRequest("messages[\(i)] has role '\(message.role)': this server runs no tools.",
                                          param: "messages[\(i)].role")
            default:
                throw APIError.badRequest("messages[\(i)].role is '\(message.role)': use system, developer, user or assistant.",
                                          param: "messages[\(i)].role")
            }
        }
    }
}

/// OpenAI request fields this server does not support. Each may be sent with its neutral value (no tools, plain
/// text, no bias, no penalty, `best_of` equal to n, an empty suffix); anything else is refused, naming the field.
struct UnsupportedFields: Decodable, Sendable {
    var tools: JSONValue?
    var toolChoice: JSONValue?
    var functions: JSONValue?
    var functionCall: JSONValue?
    var responseFormat: JSONValue?
    var logitBias: JSONValue?
    var suffix: JSONValue?
    var bestOf: JSONValue?
    var presencePenalty: JSONValue?
    var frequencyPenalty: JSONValue?

    enum CodingKeys: String, CodingKey {
        case tools, functions, suffix
        case toolChoice = "tool_choice", functionCall = "function_call", responseFormat = "response_format"
        case logitBias = "logit_bias", bestOf = "best_of", presencePenalty = "presence_penalty"
        case frequencyPenalty = "frequency_penalty"
    }

    /// Throws a 400 naming the first field set to something this server cannot do.
    func check(n: Int) throws {
        func refuse(_ field: String, _ what: String) -> APIError {
            APIError.badRequest("\(field) is not supported by this server (\(what)); leave it out.", param: field, code: "unsupported_parameter")
        }
        func empty(_ value: JSONValue?) -> Bool {
            switch value {
            case nil, .null?: return true
            case .array(let a)?: return a.isEmpty
            case .object(let o)?: return o.isEmpty
            case .string(let s)?: return s.isEmpty
            default: return false
            }
        }
        func zero(_ value: JSONValue?) -> Bool {
            switch value {
            case nil, .null?: return true
            case .int(let i)?: return i == 0
            case .double(let d)?: return d == 0
            default: return false
            }
        }
        guard empty(tools) else { throw refuse("tools", "it runs no tools") }
        guard empty(functions) else { throw refuse("functions", "it runs no tools") }
        switch toolChoice {
        case nil, .null?, .string("none")?, .string("auto")?: break
        default: throw refuse("tool_choice", "it runs no tools")
        }
        switch functionCall {
        case nil, .null?, .string("none")?, .string("auto")?: break
        default: throw refuse("function_call", "it runs no tools")
        }
        switch responseFormat {
        case nil, .null?: break
        case .object(let o)? where o["type"] == .string("text"): break
        default: throw refuse("response_format", "answers are plain text; JSON modes and schemas are not enforced")
        }
        guard empty(logitBias) else { throw refuse("logit_bias", "sampling has no per-token bias") }
        guard empty(suffix) else { throw refuse("suffix", "there is no insertion mode") }
        switch bestOf {
        case nil, .null?: break
        case .int(let k)? where k == n: break
        default: throw refuse("best_of", "each choice is one sample; use n")
        }
        guard zero(presencePenalty) else { throw refuse("presence_penalty", "sampling has no penalties") }
        guard zero(frequencyPenalty) else { throw refuse("frequency_penalty", "sampling has no penalties") }
    }
}
