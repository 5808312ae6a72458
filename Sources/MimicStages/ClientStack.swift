// The one client stack every remote (or locally served) model is reached through: a local model served by
// Mimic on 127.0.0.1 or an OpenAI-compatible endpoint, behind traffic control, the request cache and ledger, and
// the budget. Collection uses it today; the judge and evaluation build on it.
import Foundation
import MimicCore
import MimicModels
import MimicServer
import MimicTeacher

/// How requests to a model are sent, cached, billed and limited. The same keys in every stage's config.
public struct ClientConfig: Codable, Sendable, Hashable {
    /// Base URL for `openai:MODEL` without `@URL` (default: $MIMIC_TEACHER_BASE_URL, $OPENAI_BASE_URL, or OpenAI's).
    public var baseUrl: String?
    /// The request cache and ledger (default: `teacher.sqlite` in the cache folder).
    public var cache: String?
    /// The ledger's run name (default: the stage's output file name).
    public var run: String?
    /// Dollars the run may spend (earlier interrupted attempts included).
    public var budget: Double?
    /// A price file over the built-in table.
    public var prices: String?
    /// Requests in flight at once.
    public var concurrency = 16
    /// Requests per minute (nil: no limit).
    public var rpm: Double?
    /// Tokens per minute (nil: no limit).
    public var tpm: Double?
    /// Seconds for one answer before it is retried.
    public var timeout = 600.0
    /// Attempts per request, the first included.
    public var maxAttempts = 6
    /// Send through the OpenAI Batch API (half price).
    public var batch = false
    /// Seconds between Batch API polls.
    public var batchPoll = 30.0

    /// The defaults.
    public init() {}

    /// The request cache's path: `cache` or the default.
    public var cachePath: String { cache ?? Self.defaultCache }

    /// `teacher.sqlite` in Mimic's cache folder (`$MIMIC_CACHE`, else `./.cache`, else `~/.cache/mimic`).
    public static var defaultCache: String { ModelCache.directory + "/teacher.sqlite" }

    /// Checks every field; `prefix` is the key the config sits under (`client`).
    public func validate(prefix: String = "client") throws {
        try ConfigError.require(concurrency >= 1, prefix + ".concurrency", "must be at least 1")
        try ConfigError.require(timeout > 0, prefix + ".timeout", "must be positive seconds")
        try ConfigError.require(maxAttempts >= 1, prefix + ".max_attempts", "must be at least 1")
        if let budget { try ConfigError.require(budget >= 0, prefix + ".budget", "must be 0 or more dollars") }
        if let rpm { try ConfigError.require(rpm > 0, prefix + ".rpm", "must be positive") }
        if let tpm { try ConfigError.require(tpm > 0, prefix + ".tpm", "must be positive") }
        try ConfigError.require(batchPoll > 0, prefix + ".batch_poll", "must be positive seconds")
    }
}

/// An open model client: the cached, budgeted `Teacher` and what must be closed after it.
public final class ClientStack: @unchecked Sendable {
    /// Requests through the cache, ledger and budget.
    public let teacher: CachedTeacher
    /// The request cache and ledger.
    public let store: RequestStore
    /// The HTTP client.
    public let client: OpenAIClient
    /// Traffic control around `client`.
    public let throttled: ThrottledClient
    /// The local server, for a local model.
    public let server: LocalServer?
    /// Where requests go.
    public let endpoint: TeacherEndpoint
    /// The cache key's endpoint: the base URL, or `local:MODEL` for a local model (its port changes every run).
    public let keyEndpoint: String
    /// The model name sent.
    public let model: String
    /// The model's context length when known (local models).
    public let contextLength: Int?
    /// Counts tokens as the model does when known (local models); nil: estimate.
    public let tokenCount: (@Sendable (String) -> Int)?

    private init(teacher: CachedTeacher, store: RequestStore, client: OpenAIClient, throttled: ThrottledClient,
                 server: LocalServer?, endpoint: TeacherEndpoint, keyEndpoint: String, model: String,
                 contextLength: Int?, tokenCount: (@Sendable (String) -> Int)?) {
        self.teacher = teacher
        self.store = store
        self.client = client
        self.throttled = throttled
        self.server = server
        self.endpoint = endpoint
        self.keyEndpoint = keyEndpoint
        self.model = model
        self.contextLength = contextLength
        self.tokenCount = tokenCount
    }

    /// Opens `ref` for ledger run `run`: serves a local model on 127.0.0.1, or reaches the endpoint; opens the cache.
    public static func open(_ ref: ModelRef, config: ClientConfig, run: String) async throws -> ClientStack {
        let prices = try config.prices.map { try PriceTable.load(from: $0) } ?? .default
        let store = try RequestStore(path: config.cachePath)
        var server: LocalServer?
        let endpoint: TeacherEndpoint, keyEndpoint: String, model: String
        var contextLength: Int?, tokenCount: (@Sendable (String) -> Int)?
        switch ref.withDefaultBaseURL(config.baseUrl) {
        case .local(let name):
            let opened = try OpenedModel(name)
            guard let tokenizer = opened.tokenizer else {
                throw ConfigError(field: "model", problem: "\(name) has no tokenizer", hint: "a local model needs one to be served")
            }
            model = "local:" + name
            server = try await LocalServer.start(
                model: opened, configuration: ServerConfiguration(host: "127.0.0.1", port: 0, modelName: model,
                                                                  parallel: min(256, max(1, config.concurrency))))
            endpoint = server!.endpoint
            keyEndpoint = model
            contextLength = opened.model.contextLength
            tokenCount = { tokenizer.encode($0).count }
        case .remote(let name, let url):
            endpoint = TeacherEndpoint.fromEnvironment(baseURL: url)
            if endpoint.apiKey == nil && endpoint.baseURL.contains("api.openai.com") {
                throw ConfigError(field: "model", problem: "no API key for \(endpoint.baseURL)",
                                  hint: "set OPENAI_API_KEY (or MIMIC_TEACHER_API_KEY)")
            }
            keyEndpoint = endpoint.baseURL
            model = name
        }
        do {
            let client = try OpenAIClient(endpoint: endpoint, timeout: config.timeout, maxConnections: max(64, config.concurrency))
            let policy = TrafficPolicy(maxConcurrent: config.concurrency, requestsPerMinute: config.rpm,
                                       tokensPerMinute: config.tpm, maxAttempts: config.maxAttempts)
            let throttled = try ThrottledClient(wrapping: client, policy: policy)
            let teacher = try CachedTeacher(client: throttled, endpoint: keyEndpoint, model: model, store: store,
                                            prices: prices, run: run, budget: config.budget)
            return ClientStack(teacher: teacher, store: store, client: client, throttled: throttled, server: server,
                               endpoint: endpoint, keyEndpoint: keyEndpoint, model: model,
                               contextLength: contextLength, tokenCount: tokenCount)
        } catch {
            await server?.stop()
            throw error
        }
    }

    /// Closes the HTTP client and stops a local server.
    public func close() async {
        try? await client.shutdown()
        await server?.stop()
    }
}
