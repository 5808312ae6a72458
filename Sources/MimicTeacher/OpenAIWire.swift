// The OpenAI Chat Completions and Completions wire format: requests, responses, stream chunks and error
// bodies, shared by the client (MimicTeacher) and the server (MimicServer).
import Foundation

/// One message of a chat: `{"role": "user", "content": "…"}`. A `null` or missing content decodes as "".
public struct APIMessage: Codable, Sendable, Hashable {
    public var role: String
    public var content: String

    public init(role: String, content: String) { (self.role, self.content) = (role, content) }

    enum CodingKeys: String, CodingKey { case role, content }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        role = try c.decode(String.self, forKey: .role)
        if let text = try? c.decodeIfPresent(String.self, forKey: .content) {
            content = text
        } else if let parts = try? c.decodeIfPresent([ContentPart].self, forKey: .content) {
            // The multi-part form: keep the text parts, in order.
            content = parts.compactMap(\.text).joined()
        } else if try c.decodeNil(forKey: .content) || !c.contains(.content) {
            content = ""
        } else {
            throw DecodingError.typeMismatch(
                String.self,
                DecodingError.Context(codingPath: c.codingPath + [CodingKeys.content],
                                      debugDescription: "content must be a string or a list of text parts"))
        }
    }

    struct ContentPart: Codable { var type: String; var text: String? }
}

/// `stop` may be a single string or a list of strings on the wire; it is always a list here.
public struct StopSequences: Codable, Sendable, Hashable {
    public var values: [String]
    public init(_ values: [String]) { self.values = values }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let one = try? c.decode(String.self) { values = [one] } else { values = try c.decode([String].self) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(values)
    }
}

/// Asks for usage in the last stream chunk (`stream_options: {"include_usage": true}`).
public struct StreamOptions: Codable, Sendable, Hashable {
    public var includeUsage: Bool?
    public init(includeUsage: Bool? = true) { self.includeUsage = includeUsage }
    enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
}

/// `POST /v1/chat/completions`.
public struct ChatCompletionRequest: Codable, Sendable, Hashable {
    public var model: String
    public var messages: [APIMessage]
    public var temperature: Double?
    public var topP: Double?
    public var maxTokens: Int?
    public var n: Int?
    public var stop: StopSequences?
    public var seed: Int?
    public var stream: Bool?
    public var streamOptions: StreamOptions?
    public var logprobs: Bool?
    public var topLogprobs: Int?

    public init(model: String, messages: [APIMessage], temperature: Double? = nil, topP: Double? = nil,
                maxTokens: Int? = nil, n: Int? = nil, stop: [String]? = nil, seed: Int? = nil,
                stream: Bool? = nil, logprobs: Bool? = nil, topLogprobs: Int? = nil) {
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.topP = topP
        self.maxTokens = maxTokens
        self.n = n
        self.stop = stop.map(StopSequences.init)
        self.seed = seed
        self.stream = stream
        self.logprobs = logprobs
        self.topLogprobs = topLogprobs
    }

    enum CodingKeys: String, CodingKey {
        case model, messages, temperature, n, stop, seed, stream, logprobs
        case topP = "top_p", maxTokens = "max_tokens", streamOptions = "stream_options"
        case topLogprobs = "top_logprobs"
    }
}

/// Token counts a server reports for one request.
public struct Usage: Codable, Sendable, Hashable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = promptTokens + completionTokens
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        promptTokens = try c.decodeIfPresent(Int.self, forKey: .promptTokens) ?? 0
        completionTokens = try c.decodeIfPresent(Int.self, forKey: .completionTokens) ?? 0
        totalTokens = try c.decodeIfPresent(Int.self, forKey: .totalTokens) ?? promptTokens + completionTokens
    }
}

/// Per-token log-probabilities of a chat choice (`choices[i].logprobs.content`).
public struct ChatLogprobs: Codable, Sendable, Hashable {
    public struct Entry: Codable, Sendable, Hashable {
        public struct Alternative: Codable, Sendable, Hashable {
            public var token: String
            public var logprob: Double
            public init(token: String, logprob: Double) { self.token = token; self.logprob = logprob }
        }
        public var token: String
        public var logprob: Double
        public var topLogprobs: [Alternative]?
        public init(token: String, logprob: Double, topLogprobs: [Alternative]? = nil) {
            self.token = token
            self.logprob = logprob
            self.topLogprobs = topLogprobs
        }
        enum CodingKeys: String, CodingKey { case token, logprob, topLogprobs = "top_logprobs" }
    }
    public var content: [Entry]?
    public init(content: [Entry]?) { self.content = content }
}

/// One choice of a `POST /v1/chat/completions` answer.
public struct ChatChoice: AnswerChoice {
    public static let object = "chat.completion"
    public var index: Int
    public var message: APIMessage
    public var finishReason: String?
    public var logprobs: ChatLogprobs?
    public init(index: Int, message: APIMessage, finishReason: String?, logprobs: ChatLogprobs? = nil) {
        self.index = index
        self.message = message
        self.finishReason = finishReason
        self.logprobs = logprobs
    }
    enum CodingKeys: String, CodingKey { case index, message, logprobs, finishReason = "finish_reason" }
}

/// A choice of an answer, and the `object` its answer is.
public protocol AnswerChoice: Codable, Sendable, Hashable {
    /// The answer's `object` field (`chat.completion`, `text_completion`).
    static var object: String { get }
}

/// An answer of `POST /v1/chat/completions` (`ChatCompletionResponse`) or `POST /v1/completions`
/// (`CompletionResponse`, also the shape of each streamed completions event).
public struct CompletionAnswer<C: AnswerChoice>: Codable, Sendable, Hashable {
    /// The choice type (`ChatCompletionResponse.Choice`).
    public typealias Choice = C
    public var id: String
    public var object: String
    public var created: Int
    public var model: String
    public var choices: [C]
    public var usage: Usage?

    public init(id: String, created: Int, model: String, choices: [C], usage: Usage?) {
        self.id = id
        self.object = C.object
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
    }
}

/// `POST /v1/chat/completions` answer.
public typealias ChatCompletionResponse = CompletionAnswer<ChatChoice>

/// One server-sent event of a streamed chat completion (`object: chat.completion.chunk`).
public struct ChatCompletionChunk: Codable, Sendable, Hashable {
    public struct Delta: Codable, Sendable, Hashable {
        public var role: String?
        public var content: String?
        public init(role: String? = nil, content: String? = nil) { self.role = role; self.content = content }
    }
    public struct Choice: Codable, Sendable, Hashable {
        public var index: Int
        public var delta: Delta
        public var finishReason: String?
        public init(index: Int, delta: Delta, finishReason: String?) {
            self.index = index
            self.delta = delta
            self.finishReason = finishReason
        }
        enum CodingKeys: String, CodingKey { case index, delta, finishReason = "finish_reason" }
    }
    public var id: String
    public var object: String
    public var created: Int
    public var model: String
    public var choices: [Choice]
    public var usage: Usage?

    public init(id: String, created: Int, model: String, choices: [Choice], usage: Usage? = nil) {
        self.id = id
        self.object = "chat.completion.chunk"
        self.created = created
        self.model = model
        self.choices = choices
        self.usage = usage
    }
}

/// A completions prompt: one string, a batch of strings, or a batch of token-id lists (which servers such as vLLM
/// and `mimic serve` score without tokenizing again).
public enum PromptInput: Codable, Sendable, Hashable {
    case text(String)
    case batch([String])
    case tokens([[Int]])

    /// The prompts' texts (empty for token-id prompts).
    public var texts: [String] {
        switch self {
        case .text(let t): return [t]
        case .batch(let b): return b
        case .tokens: return []
        }
    }

    /// How many prompts the request holds.
    public var count: Int {
        switch self {
        case .text: return 1
        case .batch(let b): return b.count
        case .tokens(let ids): return ids.count
        }
    }

    /// A generous token estimate for the budget: UTF-8 bytes / 3 rounded up for text, the ids for token prompts.
    public var estimatedTokens: Int {
        switch self {
        case .tokens(let ids): return ids.reduce(0) { $0 + $1.count }
        default: return texts.reduce(0) { $0 + ($1.utf8.count + 2) / 3 }
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let one = try? c.decode(String.self) {
            self = .text(one)
        } else if let many = try? c.decode([String].self) {
            self = .batch(many)
        } else {
            self = .tokens(try c.decode([[Int]].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .text(let t): try c.encode(t)
        case .batch(let b): try c.encode(b)
        case .tokens(let ids): try c.encode(ids)
        }
    }
}

/// `POST /v1/completions` (the legacy text endpoint; `echo` with `logprobs` scores a prompt).
public struct CompletionRequest: Codable, Sendable, Hashable {
    public var model: String
    public var prompt: PromptInput
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var n: Int?
    public var stop: StopSequences?
    public var seed: Int?
    public var stream: Bool?
    public var logprobs: Int?
    public var echo: Bool?

    public init(model: String, prompt: PromptInput, maxTokens: Int? = nil, temperature: Double? = nil,
                topP: Double? = nil, n: Int? = nil, stop: [String]? = nil, seed: Int? = nil,
                stream: Bool? = nil, logprobs: Int? = nil, echo: Bool? = nil) {
        self.model = model
        self.prompt = prompt
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.n = n
        self.stop = stop.map(StopSequences.init)
        self.seed = seed
        self.stream = stream
        self.logprobs = logprobs
        self.echo = echo
    }

    enum CodingKeys: String, CodingKey {
        case model, prompt, temperature, n, stop, seed, stream, logprobs, echo
        case maxTokens = "max_tokens", topP = "top_p"
    }
}

/// Per-token log-probabilities of a completions choice, in the legacy layout.
public struct CompletionLogprobs: Codable, Sendable, Hashable {
    public var tokens: [String]
    /// `null` for the first prompt token, which has no context to be scored in.
    public var tokenLogprobs: [Double?]
    public var topLogprobs: [[String: Double]?]?
    public var textOffset: [Int]

    public init(tokens: [String], tokenLogprobs: [Double?], topLogprobs: [[String: Double]?]?, textOffset: [Int]) {
        self.tokens = tokens
        self.tokenLogprobs = tokenLogprobs
        self.topLogprobs = topLogprobs
        self.textOffset = textOffset
    }

    enum CodingKeys: String, CodingKey {
        case tokens, tokenLogprobs = "token_logprobs", topLogprobs = "top_logprobs", textOffset = "text_offset"
    }
}

/// One choice of a `POST /v1/completions` answer.
public struct TextChoice: AnswerChoice {
    public static let object = "text_completion"
    public var text: String
    public var index: Int
    public var logprobs: CompletionLogprobs?
    public var finishReason: String?
    public init(text: String, index: Int, logprobs: CompletionLogprobs?, finishReason: String?) {
        self.text = text
        self.index = index
        self.logprobs = logprobs
        self.finishReason = finishReason
    }
    enum CodingKeys: String, CodingKey { case text, index, logprobs, finishReason = "finish_reason" }
}

/// `POST /v1/completions` answer (also the shape of each streamed completions event).
public typealias CompletionResponse = CompletionAnswer<TextChoice>

/// `GET /v1/models` answer.
public struct ModelList: Codable, Sendable, Hashable {
    public struct Model: Codable, Sendable, Hashable {
        public var id: String
        public var object: String
        public var created: Int
        public var ownedBy: String
        public init(id: String, created: Int, ownedBy: String) {
            self.id = id
            self.object = "model"
            self.created = created
            self.ownedBy = ownedBy
        }
        enum CodingKeys: String, CodingKey { case id, object, created, ownedBy = "owned_by" }
    }
    public var object: String
    public var data: [Model]
    public init(data: [Model]) { self.object = "list"; self.data = data }
}

/// The body of every error answer: `{"error": {"message": …, "type": …, "param": …, "code": …}}`.
public struct APIErrorBody: Codable, Sendable, Hashable {
    public struct Detail: Codable, Sendable, Hashable {
        public var message: String
        public var type: String
        public var param: String?
        public var code: String?
        public init(message: String, type: String, param: String? = nil, code: String? = nil) {
            self.message = message
            self.type = type
            self.param = param
            self.code = code
        }
    }
    public var error: Detail
    public init(message: String, type: String, param: String? = nil, code: String? = nil) {
        error = Detail(message: message, type: type, param: param, code: code)
    }
}
