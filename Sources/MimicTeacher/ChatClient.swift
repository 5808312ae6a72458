// The boundary to a teacher model: `ChatClient` (one HTTP-level call each) and `Teacher` (what collection
// uses: cache, ledger, budget and traffic control behind one call), with a scripted client for tests.
import Foundation

/// A model behind the OpenAI Chat Completions / Completions API.
public protocol ChatClient: Sendable {
    /// One non-streaming chat completion.
    func chat(_ request: ChatCompletionRequest) async throws -> ChatCompletionResponse
    /// One non-streaming text completion (with `logprobs` and `echo` for scoring).
    func complete(_ request: CompletionRequest) async throws -> CompletionResponse
    /// A streamed chat completion: the chunks as the server sends them.
    func streamChat(_ request: ChatCompletionRequest) -> AsyncThrowingStream<ChatCompletionChunk, Error>
}

extension ChatClient {
    /// Streams a chat completion and folds the chunks into one response (as if it had not been streamed).
    public func chatByStreaming(_ request: ChatCompletionRequest) async throws -> ChatCompletionResponse {
        var texts: [Int: String] = [:]
        var finish: [Int: String] = [:]
        var id = "", model = request.model, created = 0
        var usage: Usage?
        for try await chunk in streamChat(request) {
            id = chunk.id
            model = chunk.model
            created = chunk.created
            if let u = chunk.usage { usage = u }
            for choice in chunk.choices {
                texts[choice.index, default: ""] += choice.delta.content ?? ""
                if let reason = choice.finishReason { finish[choice.index] = reason }
            }
        }
        let choices = texts.keys.sorted().map {
            ChatCompletionResponse.Choice(index: $0, message: APIMessage(role: "assistant", content: texts[$0] ?? ""),
                                          finishReason: finish[$0])
        }
        return ChatCompletionResponse(id: id, created: created, model: model, choices: choices, usage: usage)
    }
}

/// How one collection request ended.
public enum TeacherOutcome: Sendable, Hashable {
    /// The teacher answered (now, or earlier and the answer came from the cache).
    case answered(ChatCompletionResponse, key: String, cached: Bool)
    /// The request failed for good (retries exhausted or a non-retryable error); the reason is recorded.
    case failed(key: String, reason: String)

    /// The request hash (the cache key).
    public var key: String {
        switch self {
        case .answered(_, let key, _), .failed(let key, _): return key
        }
    }
}

/// What collection talks to: one call per (request, sample index), answered from a cache when it can.
/// Throws only to stop the whole collection: `TeacherError.budgetExhausted` or cancellation.
public protocol Teacher: Sendable {
    /// The teacher's model name, for provenance.
    var model: String { get }
    func chat(_ request: ChatCompletionRequest, sampleIndex: Int) async throws -> TeacherOutcome
}

/// A `Teacher` with no cache or ledger: every call goes to the client; errors become `.failed`.
public struct DirectTeacher: Teacher {
    public let client: any ChatClient
    public let model: String
    public let endpoint: String

    public init(client: any ChatClient, model: String, endpoint: String = "direct") {
        self.client = client
        self.model = model
        self.endpoint = endpoint
    }

    public func chat(_ request: ChatCompletionRequest, sampleIndex: Int) async throws -> TeacherOutcome {
        let key = RequestKey.chat(endpoint: endpoint, request: request, sampleIndex: sampleIndex)
        do {
            return .answered(try await client.chat(request), key: key, cached: false)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            return .failed(key: key, reason: error.localizedDescription)
        }
    }
}

/// A `ChatClient` that answers from a closure: for tests and dry runs, no network.
public struct ScriptedChatClient: ChatClient {
    public typealias Responder = @Sendable (ChatCompletionRequest) async throws -> String

    private let respond: Responder

    /// `respond` gives the assistant text for a request; usage counts words (prompt) and words (answer).
    public init(respond: @escaping Responder) { self.respond = respond }

    public func chat(_ request: ChatCompletionRequest) async throws -> ChatCompletionResponse {
        let count = max(1, request.n ?? 1)
        var choices: [ChatCompletionResponse.Choice] = []
        var completionTokens = 0
        for index in 0..<count {
            let text = try await respond(request)
            completionTokens += Self.words(text)
            choices.append(.init(index: index, message: APIMessage(role: "assistant", content: text), finishReason: "stop"))
        }
        let promptTokens = request.messages.reduce(0) { $0 + Self.words($1.content) }
        return ChatCompletionResponse(id: "scripted", created: 0, model: request.model, choices: choices,
                                      usage: Usage(promptTokens: promptTokens, completionTokens: completionTokens))
    }

    public func complete(_ request: CompletionRequest) async throws -> CompletionResponse {
        let chat = ChatCompletionRequest(model: request.model,
                                         messages: [APIMessage(role: "user", content: request.prompt.texts.joined())])
        let text = try await respond(chat)
        return CompletionResponse(id: "scripted", created: 0, model: request.model,
                                  choices: [.init(text: text, index: 0, logprobs: nil, finishReason: "stop")],
                                  usage: Usage(promptTokens: Self.words(request.prompt.texts.joined()),
                                               completionTokens: Self.words(text)))
    }

    public func streamChat(_ request: ChatCompletionRequest) -> AsyncThrowingStream<ChatCompletionChunk, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let answer = try await chat(request)
                    for choice in answer.choices {
                        continuation.yield(ChatCompletionChunk(
                            id: answer.id, created: 0, model: answer.model,
                            choices: [.init(index: choice.index, delta: .init(role: "assistant", content: choice.message.content),
                                            finishReason: choice.finishReason)]))
                    }
                    continuation.yield(ChatCompletionChunk(id: answer.id, created: 0, model: answer.model, choices: [],
                                                           usage: answer.usage))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    static func words(_ text: String) -> Int { text.split(whereSeparator: \.isWhitespace).count }
}
