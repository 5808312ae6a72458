// Parallel loops over the machine's cores, and the thread budget shared with OpenBLAS.
import CBLAS
import CKernels
import Foundation

/// How many threads Mimic's kernels and OpenBLAS use (never both at once, so they do not oversubscribe).
public enum Threads {
    /// Starts as the kernel pool's count (the online cores).
    nonisolated(unsafe) private static var current = Int(ck_get_threads())

    /// Threads in use for kernels and BLAS.
    public static var count: Int { current }

    /// Sets the thread count for Mimic's kernels and OpenBLAS.
    public static func set(_ n: Int) {
        current = max(1, n)
        openblas_set_num_threads(Int32(current))
        ck_set_threads(Int32(current))
    }
}

/// Runs `body(chunk)` for chunk in 0..<chunks on up to `Threads.count` threads; returns when all are done.
@inlinable
public func parallelFor(_ chunks: Int, _ body: (Int) -> Void) {
    if chunks <= 1 || Threads.count == 1 {
        for i in 0..<chunks { body(i) }
    } else {
        DispatchQueue.concurrentPerform(iterations: chunks, execute: body)
    }
}

/// Splits 0..<n into `parts` near-equal ranges and runs `body(range)` for each in parallel.
@inlinable
public func parallelRanges(_ n: Int, parts: Int = Threads.count, _ body: (Range<Int>) -> Void) {
    let p = max(1, min(parts, n))
    parallelFor(p) { i in
        let lo = n * i / p, hi = n * (i + 1) / p
        if lo < hi { body(lo..<hi) }
    }
}
