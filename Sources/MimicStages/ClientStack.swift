// The one client stack every remote (or locally served) model is reached through: a local model served by
// Mimic on 127.0.0.1 or an OpenAI-compatible endpoint, behind traffic control, the request cache and ledger, and
// the budget. Collection uses it today; the judge and evaluation build on it.
import Foundation
import MimicCore
import MimicModels
import MimicServer
import MimicTeacher

/// An open model client: a local model served by Mimic, or an endpoint, behind the one cached, billed stack.
public final class ClientStack: @unchecked Sendable {
    /// Traffic control, cache, ledger and budget.
    public let stack: CachedEndpoint
    /// The local server, for a local model.
    public let server: LocalServer?
    /// The model name sent.
    public let model: String
    /// The model's context length when known (local models).
    public let contextLength: Int?
    /// Counts tokens as the model does when known (local models); nil: estimate.
    public let tokenCount: (@Sendable (String) -> Int)?

    /// Requests through the cache, ledger and budget.
    public var teacher: CachedTeacher { stack.teacher }
    /// The request cache and ledger.
    public var store: RequestStore { stack.store }
    /// Traffic control (its counters: retries by reason).
    public var throttled: ThrottledClient { stack.throttled }
    /// Where requests go.
    public var endpoint: TeacherEndpoint { stack.endpoint }
    /// The cache key's endpoint: the base URL, or `local:MODEL` for a local model (its port changes every run).
    public var keyEndpoint: String { stack.keyEndpoint }

    private init(stack: CachedEndpoint, server: LocalServer?, model: String, contextLength: Int?,
                 tokenCount: (@Sendable (String) -> Int)?) {
        self.stack = stack
        self.server = server
        self.model = model
        self.contextLength = contextLength
        self.tokenCount = tokenCount
    }

    /// Opens `ref` for ledger run `run`: serves a local model on 127.0.0.1, or reaches the endpoint; opens the cache.
    public static func open(_ ref: ModelRef, config: ClientConfig, run: String) async throws -> ClientStack {
        switch ref.withDefaultBaseURL(config.baseUrl) {
        case .local(let name):
            let opened = try OpenedModel(name)
            guard let tokenizer = opened.tokenizer else {
                throw ConfigError(field: "model", problem: "\(name) has no tokenizer", hint: "a local model needs one to be served")
            }
            let model = "local:" + name
            let server = try await LocalServer.start(
                model: opened, configuration: ServerConfiguration(host: "127.0.0.1", port: 0, modelName: model,
                                                                  parallel: min(256, max(1, config.concurrency))))
            do {
                let stack = try CachedEndpoint.open(endpoint: server.endpoint, keyEndpoint: model, model: model, config: config, run: run)
                return ClientStack(stack: stack, server: server, model: model, contextLength: opened.model.contextLength,
                                   tokenCount: { tokenizer.encode($0).count })
            } catch {
                await server.stop()
                throw error
            }
        case .remote(let name, let url):
            let endpoint = TeacherEndpoint.fromEnvironment(baseURL: url)
            if endpoint.apiKey == nil && endpoint.baseURL.contains("api.openai.com") {
                throw ConfigError(field: "model", problem: "no API key for \(endpoint.baseURL)",
                                  hint: "set OPENAI_API_KEY (or MIMIC_TEACHER_API_KEY)")
            }
            let stack = try CachedEndpoint.open(endpoint: endpoint, keyEndpoint: endpoint.baseURL, model: name, config: config, run: run)
            return ClientStack(stack: stack, server: nil, model: name, contextLength: nil, tokenCount: nil)
        }
    }

    /// Closes the HTTP client and stops a local server.
    public func close() async {
        await stack.shutdown()
        await server?.stop()
    }
}
