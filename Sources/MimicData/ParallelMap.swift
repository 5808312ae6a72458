// A small work-sharing map over 0..<n on a fixed number of threads, with per-thread state and progress.
import Foundation

/// Runs `body(i, &state)` for every i in 0..<count on `threads` threads (chunks handed out in order from a
/// shared counter), each thread with its own `state`; results land at their index, so they do not depend on
/// the thread count.
enum ParallelMap {
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

    static func run<T, State>(_ count: Int, threads: Int, chunk: Int = 16,
                              progress: (@Sendable (Int, Int) -> Void)? = nil,
                              state makeState: () -> State, _ body: (Int, inout State) -> T) -> [T] {
        guard count > 0 else { return [] }
        let results = Box<T>(count)
        let counter = Counter()
        let workers = max(1, min(threads, (count + chunk - 1) / chunk))
        withoutActuallyEscaping(body) { body in
            withoutActuallyEscaping(makeState) { makeState in
                let work = { (_: Int) in
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
                        let done = counter.done
                        progress?(done, count)
                        counter.lock.unlock()
                    }
                }
                if workers == 1 {
                    work(0)
                } else {
                    DispatchQueue.concurrentPerform(iterations: workers, execute: work)
                }
            }
        }
        return results.buffer.compactMap { $0 }  // every index was written
    }
}
