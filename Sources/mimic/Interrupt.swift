// Ctrl-C for long async commands: the first SIGINT (or SIGTERM) cancels the work so it can save what it has
// and exit; a second one exits at once.
import Dispatch
import Foundation

/// Runs `work` as a task that a first Ctrl-C cancels; a second Ctrl-C exits with status 130 immediately.
func runInterruptible<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
    let task = Task { try await work() }
    let sources = [SIGINT, SIGTERM].map { sig -> DispatchSourceSignal in
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        let count = SignalCount()
        source.setEventHandler {
            if count.next() == 1 {
                FileHandle.standardError.write(Data("\ninterrupted: finishing up (Ctrl-C again to quit now)\n".utf8))
                task.cancel()
            } else {
                exit(130)
            }
        }
        source.resume()
        return source
    }
    defer {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
    return try await task.value
}

/// A thread-safe counter of signals received.
private final class SignalCount: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}
