// A small work-sharing map over 0..<n on a fixed number of threads, with per-thread state and progress.
import Foundation

/// Runs `body(i, &state)` for every i in 0..<count on `threads` threads (chunks handed out in order from a
/// shared counter), each thread with its own `state`; results land at their index, so they do not depend on
/// the thread count.
package enum ParallelMap {
    final class Box<T>: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<T?>
        init(_ count: Int) {
            buffer = .allocate(capacity: count)
            buffer.initialize(repeating: nil)
        }
        deinit {
            buffer.deinitialize()
            buffer.deallocate()
        }
    }

    final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var next = 0
        var done = 0
    }

    /// The calling thread works too, plus `threads - 1` started `Thread`s (not Dispatch's pool, which the
    /// caller's Swift-concurrency context shares); returns once all have finished.
    package static func run<T, State>(_ count: Int, threads: Int, chunk: Int = 16,
                              progress: (@Sendable (Int, Int) -> Void)? = nil,
                              state makeState: @escaping () -> State,
                              _ body: @escaping (Int, inout State) -> T) -> [T] {
        guard count > 0 else { return [] }
        let results = Box<T>(count)
        let counter = Counter()
        let workers = max(1, min(threads, (count + chunk - 1) / chunk))
        let work = {
            var state = makeState()
            while true {
                counter.lock.lock()
                let start = counter.next
                counter.next += chunk
                counter.lock.unlock()
                guard start < count else { return }
                let end = min(count, start + chunk)
                for i in start..<end { results.buffer[i] = body(i, &state) }
                counter.lock.lock()
                counter.done += end - start
                progress?(counter.done, count)
                counter.lock.unlock()
            }
        }
        let finished = DispatchSemaphore(value: 0)
        for _ in 1..<workers {
            let thread = Thread {
                work()
                finished.signal()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        work()
        for _ in 1..<workers { finished.wait() }
        return results.buffer.compactMap { $0 }  // every index was written
    }
}
