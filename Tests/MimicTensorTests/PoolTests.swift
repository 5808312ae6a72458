// The kernel thread pool: every task of every job runs exactly once and before ck_parallel returns, for
// back-to-back jobs of varying sizes and for two threads submitting jobs at the same time.
import CKernels
import Foundation
import Testing

private final class Counters: @unchecked Sendable {
    let slots: UnsafeMutablePointer<Int32>
    var n: Int64 = 0
    init(_ capacity: Int) {
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: 0, count: capacity)
    }
    deinit { slots.deallocate() }
}

private let countTask: ck_task_fn = { ctx, i, n in
    let c = Unmanaged<Counters>.fromOpaque(ctx!).takeUnretainedValue()
    if n == c.n && i >= 0 && i < n { c.slots[Int(i)] += 1 } else { c.slots[63] += 100 }
}

/// Runs `jobs` jobs of 1…40 tasks; returns how many jobs saw a task run other than exactly once.
private func runJobs(_ jobs: Int, seed: Int) -> Int {
    let c = Counters(64)
    var bad = 0
    for j in 0..<jobs {
        let n = Int64(1 + (j * 13 + seed) % 40)
        c.n = n
        c.slots.update(repeating: 0, count: 64)
        ck_parallel(n, countTask, Unmanaged.passUnretained(c).toOpaque())
        if (0..<Int(n)).contains(where: { c.slots[$0] != 1 }) || c.slots[63] >= 100 { bad += 1 }
    }
    return bad
}

@Suite struct PoolTests {
    @Test func everyTaskRunsExactlyOnceBeforeReturn() {
        #expect(runJobs(30000, seed: 0) == 0)
    }

    @Test func twoSubmittingThreads() async {
        async let a = Task.detached { runJobs(5000, seed: 1) }.value
        async let b = Task.detached { runJobs(5000, seed: 2) }.value
        let (x, y) = await (a, b)
        #expect(x == 0 && y == 0)
    }
}
