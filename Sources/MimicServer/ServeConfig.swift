// `mimic serve` as a library call: a `ServeConfig` (the model, where to listen, limits) in, a running server out.
import Foundation
import MimicCore
import MimicModels
import MimicTensor

/// Everything a served model is configured by.
public struct ServeConfig: StageConfig, Hashable {
    /// The model: a GGUF file, a Hugging Face folder or a built-in name.
    public var model = "smollm2-135m-instruct"
    /// Host to listen on.
    public var host = "127.0.0.1"
    /// Port to listen on (0 picks a free one).
    public var port = 8080
    /// Require this API key as `Authorization: Bearer KEY` (the command line falls back to $MIMIC_SERVER_API_KEY).
    public var apiKey: String?
    /// The model name clients send (default: the built-in name or the file name).
    public var modelName: String?
    /// Largest request body, in MB.
    public var maxBodyMb = 4.0
    /// Most sequences decoded together; more requests wait.
    public var parallel = 16
    /// Prompt tokens run in one piece while other sequences decode (0: whole prompts).
    public var prefillChunk = 256
    /// Threads for kernels and BLAS (default: all cores).
    public var threads: Int?
    /// FP32 activations everywhere (slower; by default rounded as llama.cpp does: `WeightMatrix.activationRounding`).
    public var exact = false
    /// Most sequences waiting for a place; a request that would queue more gets 429.
    public var maxQueued = 256
    /// Most tokens one request may ask for across its choices (n × max_tokens).
    public var maxRequestTokens = 65_536
    /// Open connections at most (more are closed at once).
    public var maxConnections = 512
    /// Seconds a connection may wait without a request, or take to send its headers, before it is closed.
    public var idleTimeout = 30.0
    /// Seconds a request body may take to arrive (408 after).
    public var bodyTimeout = 30.0

    /// The defaults.
    public init() {}

    public func validate() throws {
        try ConfigError.require(!model.isEmpty, "model", "names no model")
        try ConfigError.require((0...65535).contains(port), "port", "must be in 0...65535")
        try ConfigError.require(maxBodyMb > 0 && maxBodyMb <= 1024, "max_body_mb", "must be in (0, 1024]")
        try ConfigError.require((1...256).contains(parallel), "parallel", "must be in 1...256")
        try ConfigError.require(prefillChunk >= 0, "prefill_chunk", "must be 0 (whole prompts) or more")
        try ConfigError.requireThreads(threads)
        try ConfigError.require(maxQueued >= 1, "max_queued", "must be at least 1")
        try ConfigError.require(maxRequestTokens >= 1, "max_request_tokens", "must be at least 1")
        try ConfigError.require(maxConnections >= 1, "max_connections", "must be at least 1")
        try ConfigError.require(idleTimeout > 0 && idleTimeout <= ServerConfiguration.maxTimeout, "idle_timeout",
                                "must be above 0 and at most \(Int(ServerConfiguration.maxTimeout)) seconds")
        try ConfigError.require(bodyTimeout > 0 && bodyTimeout <= ServerConfiguration.maxTimeout, "body_timeout",
                                "must be above 0 and at most \(Int(ServerConfiguration.maxTimeout)) seconds")
    }

    /// The name clients send: `model_name`, else the built-in name as given, else the file or folder name without
    /// its extension.
    public var servedName: String {
        if let modelName { return modelName }
        if ModelCache.builtins[model.lowercased()] != nil { return model.lowercased() }
        let last = URL(fileURLWithPath: model).lastPathComponent
        return last.hasSuffix(".gguf") ? String(last.dropLast(5)) : last
    }

    /// The server's settings.
    public var serverConfiguration: ServerConfiguration {
        ServerConfiguration(host: host, port: port, modelName: servedName, apiKey: apiKey,
                            maxBodyBytes: Int(maxBodyMb * 1_048_576), parallel: parallel, prefillChunk: prefillChunk, maxQueued: maxQueued,
                            maxRequestTokens: maxRequestTokens, maxConnections: maxConnections, idleTimeout: idleTimeout,
                            bodyTimeout: bodyTimeout)
    }
}

extension LocalServer {
    /// Opens `config.model` and serves it; `handleSignals` stops it on SIGINT or SIGTERM.
    public static func start(_ config: ServeConfig, handleSignals: Bool = false) async throws -> LocalServer {
        try config.validate()
        if let threads = config.threads { Threads.set(threads) }
        let opened = try OpenedModel(config.model)
        opened.model.exactActivations = config.exact
        return try await start(model: opened, configuration: config.serverConfiguration, handleSignals: handleSignals)
    }
}
