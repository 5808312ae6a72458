// LocalServer: an OpenAI-compatible server over a local model, started and stopped in-process (for `mimic serve`,
// tests, and collection's offline teacher), with its bound port.
import Foundation
import Hummingbird
import Logging
import MimicModels
import MimicTeacher
import NIOCore

/// A running server. Start it with `start(model:configuration:)`, read `port`/`baseURL`, and `stop()` it.
public final class LocalServer: Sendable {
    /// The host it listens on.
    public let host: String
    /// The port it is bound to (the one the system picked when the configuration asked for 0).
    public let port: Int
    /// The model name requests must use.
    public let modelName: String
    private let engine: Engine
    private let task: Task<Void, Error>

    /// The OpenAI base URL, e.g. `http://127.0.0.1:8080/v1`.
    public var baseURL: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)/v1" }

    /// The endpoint a client uses to reach this server (with its API key, if any).
    public let endpoint: TeacherEndpoint

    /// Sequences queued or being generated now (0 once every request has ended or been cancelled).
    public var busySequences: Int { engine.busy }

    /// Connections open now.
    public var openConnections: Int { connections.count }
    private let connections: ConnectionCounter

    /// Running requests that would be stopped if their client went (0 when none runs: a long-lived connection
    /// keeps nothing per finished request).
    public var watchedRequests: Int { watch.waiting }
    private let watch: ClientWatch

    private init(host: String, port: Int, modelName: String, apiKey: String?, engine: Engine, connections: ConnectionCounter,
                 watch: ClientWatch, task: Task<Void, Error>) {
        self.connections = connections
        self.watch = watch
        self.host = host
        self.port = port
        self.modelName = modelName
        self.engine = engine
        self.task = task
        let url = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)/v1"
        endpoint = TeacherEndpoint(baseURL: url, apiKey: apiKey)
    }

    /// Starts serving `model` and returns once the socket is bound. `handleSignals` makes SIGINT/SIGTERM stop the
    /// server gracefully (for the `mimic serve` process; leave it off in-process). Throws ServerSetupError when the
    /// configuration is invalid, the model has no tokenizer, or the address cannot be bound.
    public static func start(model: OpenedModel, configuration: ServerConfiguration,
                             handleSignals: Bool = false) async throws -> LocalServer {
        try configuration.validate()
        let served = try ServedModel(model, name: configuration.modelName, defaultMaxTokens: configuration.defaultMaxTokens)
        let engine = Engine(model: served.model, tokenizer: served.tokenizer, parallel: configuration.parallel,
                            prefillChunk: configuration.prefillChunk, maxQueued: configuration.maxQueued)
        let watch = ClientWatch()
        let router = Routes(served: served, engine: engine, configuration: configuration, watch: watch).router()
        let connections = ConnectionCounter(limit: configuration.maxConnections)
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "mimic-serve")
        logger.logLevel = ProcessInfo.processInfo.environment["MIMIC_SERVER_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        let app = Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [ConnectionGuard(counter: connections, watch: watch)],
                                                idleTimeout: .milliseconds(Int64(configuration.idleTimeout * 1000)))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "mimic"),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? -1)
                portContinuation.finish()
            },
            logger: logger)
        let task = Task {
            defer { portContinuation.finish() }
            try await app.runService(gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [])
        }
        var bound: Int?
        for await p in portStream { bound = p }
        guard let port = bound, port > 0 else {
            engine.shutdown()
            task.cancel()
            let reason: String
            switch await task.result {
            case .failure(let error): reason = "\(error)"
            case .success: reason = "the server ended before it was listening"
            }
            throw ServerSetupError.bind("\(configuration.host):\(configuration.port): \(reason)")
        }
        return LocalServer(host: configuration.host, port: port, modelName: configuration.modelName,
                           apiKey: configuration.apiKey, engine: engine, connections: connections, watch: watch, task: task)
    }

    /// Opens `nameOrPath` (a GGUF file, a model folder or a built-in name such as `smollm2-135m-instruct`) and
    /// starts serving it under the configuration's model name.
    public static func start(modelAt nameOrPath: String, configuration: ServerConfiguration,
                             handleSignals: Bool = false) async throws -> LocalServer {
        try await start(model: OpenedModel(nameOrPath), configuration: configuration, handleSignals: handleSignals)
    }

    /// Fails any request still running, stops listening, and waits until both have ended.
    public func stop() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.engine.shutdown()
                done.resume()
            }
        }
        task.cancel()
        _ = await task.result
    }

    /// Waits until the server ends (a signal when `handleSignals` was set, or `stop()`), then stops the engine.
    public func wait() async throws {
        let result = await task.result
        await stop()
        try result.get()
    }
}
