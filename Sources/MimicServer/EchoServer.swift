// EchoServer: a trivial OpenAI-compatible server with no model (each chat completion answers the last user
// message back at once), for measuring a client's own overhead and for trying a pipeline without a model.
import Foundation
import Hummingbird
import Logging
import MimicTeacher
import NIOCore

/// A running echo server; `stop()` it when done.
public final class EchoServer: Sendable {
    /// The port it is bound to.
    public let port: Int
    /// The OpenAI base URL, e.g. `http://127.0.0.1:8080/v1`.
    public let baseURL: String
    private let task: Task<Void, Error>

    private init(port: Int, host: String, task: Task<Void, Error>) {
        self.port = port
        self.baseURL = "http://\(host):\(port)/v1"
        self.task = task
    }

    /// Starts serving on `host:port` (0 picks a free port); returns once bound. With `apiKey`, every route but
    /// `/health` requires `Authorization: Bearer KEY`, as `mimic serve` with a model does.
    public static func start(host: String = "127.0.0.1", port: Int = 0, apiKey: String? = nil, maxBodyBytes: Int = 4 << 20,
                             handleSignals: Bool = false) async throws -> EchoServer {
        let router = Router()
        router.add(middleware: OpenAIErrorMiddleware())
        if let apiKey { router.add(middleware: APIKeyMiddleware(key: apiKey)) }
        router.post("/v1/chat/completions") { request, _ -> Response in
            let chat = try await decode(ChatBody.self, request, limit: maxBodyBytes)
            _ = try chat.chatMessages()
            let text = chat.messages.last { $0.role == "user" }?.content ?? ""
            let words = text.split(whereSeparator: \.isWhitespace).count
            let answer = ChatCompletionResponse(
                id: "echo", created: unixTime(), model: chat.model ?? "echo",
                choices: (0..<max(1, chat.n ?? 1)).map {
                    .init(index: $0, message: APIMessage(role: "assistant", content: text), finishReason: "stop")
                },
                usage: Usage(promptTokens: words, completionTokens: words * max(1, chat.n ?? 1)))
            return jsonResponse(answer)
        }
        router.get("/v1/models") { _, _ in jsonResponse(ModelList(data: [.init(id: "echo", created: 0, ownedBy: "mimic")])) }
        router.get("/health") { _, _ in jsonResponse(["status": "ok"]) }
        var logger = Logger(label: "mimic-echo")
        logger.logLevel = .critical
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "mimic-echo"),
                              onServerRunning: { channel in
                                  continuation.yield(channel.localAddress?.port ?? -1)
                                  continuation.finish()
                              }, logger: logger)
        let task = Task {
            defer { continuation.finish() }
            try await app.runService(gracefulShutdownSignals: handleSignals ? [.sigterm, .sigint] : [])
        }
        var bound: Int?
        for await p in ports { bound = p }
        guard let bound, bound > 0 else {
            task.cancel()
            throw ServerSetupError.bind("\(host):\(port): \((try? await task.value).map { "ended" } ?? "could not bind")")
        }
        return EchoServer(port: bound, host: host, task: task)
    }

    /// Stops listening and waits for the server to end.
    public func stop() async {
        task.cancel()
        _ = await task.result
    }

    /// Waits until the server ends (a signal, when started with `handleSignals`).
    public func wait() async throws { try await task.value }
}
