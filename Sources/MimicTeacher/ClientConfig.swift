// How requests to a model are sent, cached, billed and limited: the same keys under every stage's config that
// talks to a model (collection's teacher, a remote model under evaluation, the judge).
import Foundation
import MimicCore

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
    public static var defaultCache: String { CacheDirectory.path + "/teacher.sqlite" }

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

/// An OpenAI-compatible endpoint behind traffic control, the request cache and ledger, and the budget: the one
/// stack every model request goes through (collection, remote evaluation, the judge).
public struct CachedEndpoint: Sendable {
    /// Requests through the cache, ledger and budget.
    public let teacher: CachedTeacher
    /// The request cache and ledger.
    public let store: RequestStore
    /// The HTTP client.
    public let http: OpenAIClient
    /// Traffic control around `http`.
    public let throttled: ThrottledClient
    /// Where requests go.
    public let endpoint: TeacherEndpoint
    /// The cache key's endpoint (the base URL, or a stable name such as `local:MODEL` for a server whose port changes).
    public let keyEndpoint: String

    /// Opens the cache at `config.cachePath` and a client of `endpoint` for `model`, billing ledger run `run`.
    public static func open(endpoint: TeacherEndpoint, keyEndpoint: String, model: String, config: ClientConfig, run: String,
                            seed: UInt64 = 0) throws -> CachedEndpoint {
        let prices = try config.prices.map { try PriceTable.load(from: $0) } ?? .default
        let store = try RequestStore(path: config.cachePath)
        let http = try OpenAIClient(endpoint: endpoint, timeout: config.timeout, maxConnections: max(64, config.concurrency))
        let policy = TrafficPolicy(maxConcurrent: config.concurrency, requestsPerMinute: config.rpm,
                                   tokensPerMinute: config.tpm, maxAttempts: config.maxAttempts)
        let throttled = try ThrottledClient(wrapping: http, policy: policy, seed: seed)
        let teacher = try CachedTeacher(client: throttled, endpoint: keyEndpoint, model: model, store: store,
                                        prices: prices, run: run, budget: config.budget)
        return CachedEndpoint(teacher: teacher, store: store, http: http, throttled: throttled, endpoint: endpoint,
                              keyEndpoint: keyEndpoint)
    }

    /// The stack as a `ChatClient` (chat and completions cached and billed).
    public var client: CachedChatClient { CachedChatClient(teacher: teacher, streaming: throttled) }

    /// Closes the HTTP client.
    public func shutdown() async { try? await http.shutdown() }
}
