// Settings of a `mimic serve` server: address, served model name, API key and limits.
import Foundation

/// How a server listens and what it accepts.
public struct ServerConfiguration: Sendable {
    /// Host to bind (default 127.0.0.1, this machine only).
    public var host: String
    /// Port to bind; 0 picks a free one (read it from `LocalServer.port`).
    public var port: Int
    /// The model name clients must send in `model` (and `/v1/models` lists).
    public var modelName: String
    /// When set, every `/v1` request must carry `Authorization: Bearer <key>`.
    public var apiKey: String?
    /// Largest request body accepted, in bytes (larger ones get 413).
    public var maxBodyBytes: Int
    /// Most sequences decoded together; further requests wait in a queue.
    public var parallel: Int
    /// Prompt tokens run in one piece while other sequences decode (0: a whole prompt at once), so that a long
    /// prompt holds the running streams up for about one piece at a time (a prompt scored with `echo` runs whole).
    public var prefillChunk: Int
    /// Tokens generated when a request gives no `max_tokens` (bounded by the context left).
    public var defaultMaxTokens: Int
    /// Most sequences waiting for a place in the engine; a request that would queue more gets 429.
    public var maxQueued: Int
    /// Most tokens one request may ask for across its choices (n × max_tokens).
    public var maxRequestTokens: Int
    /// Open connections at most; more are closed at once.
    public var maxConnections: Int
    /// The longest time-out a server takes, in seconds (a day).
    public static let maxTimeout: Double = 86_400
    /// Seconds a connection may sit without a request (or send its headers that slowly) before it is closed.
    public var idleTimeout: Double
    /// Seconds a request's body may take to arrive (408 after).
    public var bodyTimeout: Double

    /// Settings with the given values; the defaults serve on 127.0.0.1:8080 with 4 MB bodies and 16 sequences.
    public init(host: String = "127.0.0.1", port: Int = 8080, modelName: String, apiKey: String? = nil,
                maxBodyBytes: Int = 4 << 20, parallel: Int = 16, prefillChunk: Int = 256, defaultMaxTokens: Int = 2048, maxQueued: Int = 256,
                maxRequestTokens: Int = 65_536, maxConnections: Int = 512, idleTimeout: Double = 30, bodyTimeout: Double = 30) {
        self.host = host
        self.port = port
        self.modelName = modelName
        self.apiKey = apiKey.flatMap { $0.isEmpty ? nil : $0 }
        self.maxBodyBytes = maxBodyBytes
        self.parallel = parallel
        self.prefillChunk = prefillChunk
        self.defaultMaxTokens = defaultMaxTokens
        self.maxQueued = maxQueued
        self.maxRequestTokens = maxRequestTokens
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.bodyTimeout = bodyTimeout
    }

    /// Throws ServerSetupError when a value is out of range.
    func validate() throws {
        guard (0...65535).contains(port) else { throw ServerSetupError.invalid("port \(port) is not in 0...65535") }
        guard maxBodyBytes >= 1024 else { throw ServerSetupError.invalid("the body limit must be at least 1024 bytes") }
        guard (1...256).contains(parallel) else { throw ServerSetupError.invalid("--parallel must be in 1...256") }
        guard prefillChunk >= 0 else { throw ServerSetupError.invalid("the prefill chunk must be 0 (off) or more") }
        guard defaultMaxTokens >= 1 else { throw ServerSetupError.invalid("the default max_tokens must be at least 1") }
        guard !modelName.isEmpty else { throw ServerSetupError.invalid("the model name is empty") }
        guard maxQueued >= 1, maxRequestTokens >= 1, maxConnections >= 1 else {
            throw ServerSetupError.invalid("the queue, request-token and connection limits must be at least 1")
        }
        guard idleTimeout > 0, bodyTimeout > 0, idleTimeout <= Self.maxTimeout, bodyTimeout <= Self.maxTimeout else {
            throw ServerSetupError.invalid("the time-outs must be above 0 and at most \(Int(Self.maxTimeout)) seconds")
        }
    }
}

/// Why a server could not be started.
public enum ServerSetupError: LocalizedError, Equatable {
    /// A configuration value is out of range.
    case invalid(String)
    /// The model cannot be served (no tokenizer, no chat template…).
    case model(String)
    /// The listening socket could not be opened.
    case bind(String)

    /// What went wrong and what to change.
    public var errorDescription: String? {
        switch self {
        case .invalid(let what): return "mimic serve: \(what)"
        case .model(let what): return "mimic serve: the model cannot be served: \(what)"
        case .bind(let what): return "mimic serve: cannot listen: \(what)"
        }
    }
}
