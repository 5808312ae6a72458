// A Hummingbird router served on 127.0.0.1 at a free port for the duration of a test body, then stopped.
import Hummingbird
import Logging

/// Hands a server's port from `onServerRunning` to the test that waits for it.
public actor PortBox {
    private var port: Int?
    private var waiters: [CheckedContinuation<Int, Never>] = []

    /// An empty box.
    public init() {}

    /// Stores the port and wakes every waiter.
    public func set(_ value: Int) {
        port = value
        for waiter in waiters { waiter.resume(returning: value) }
        waiters = []
    }

    /// The port, once `set` has been called.
    public func wait() async -> Int {
        if let port { return port }
        return await withCheckedContinuation { waiters.append($0) }
    }
}

/// Runs `router` on 127.0.0.1 at a free port for the duration of `body`, which gets the port; the server is
/// cancelled when `body` returns or throws. Its log (the cancellation logs errors) is kept quiet.
public func withLoopbackServer<T: Sendable>(_ router: Router<BasicRequestContext>, label: String = "fake-server",
                                            _ body: @escaping @Sendable (Int) async throws -> T) async throws -> T {
    let port = PortBox()
    var logger = Logger(label: label)
    logger.logLevel = .critical
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                          onServerRunning: { channel in await port.set(channel.localAddress?.port ?? -1) },
                          logger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.runService(gracefulShutdownSignals: []) }
        let value = await port.wait()
        defer { group.cancelAll() }
        return try await body(value)
    }
}
