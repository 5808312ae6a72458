// The machine's limits as Mimic can reach them: memory read bandwidth through its own kernels' threads and widest
// loads, and FP32 matrix-product speed through its OpenBLAS. Benchmarks report their figures as fractions of these.
import CKernels
import Foundation

/// Memory read bandwidth and sgemm speed, measured with the current thread count (`Threads`).
public struct MachineLimits: Codable, Sendable, Hashable {
    /// GB/s: the best of the repetitions of every kernel thread reading its share of a large buffer.
    public var memoryReadGBs: Double
    /// GFLOPS: the best of the repetitions of one n × n × n OpenBLAS sgemm.
    public var sgemmGFLOPS: Double
    /// The threads both used.
    public var threads: Int

    /// Measures both: `bufferBytes` read `repetitions` times, and `repetitions` products of `sgemmSize`-square
    /// matrices (after one warm-up).
    public static func measure(bufferBytes: Int = 1 << 30, repetitions: Int = 5, sgemmSize n: Int = 2048) -> MachineLimits {
        let bandwidth = ck_read_bandwidth(Int64(bufferBytes), Int32(repetitions))
        // The values do not matter for the timing; a fixed fill costs nothing (a system random draw per value did).
        let a = (0..<(n * n)).map { Float($0 % 17) * 0.0625 - 0.5 }
        let b = (0..<(n * n)).map { Float($0 % 13) * 0.0625 - 0.375 }
        var c = [Float](repeating: 0, count: n * n)
        var best = 0.0
        for r in 0...repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            sgemmNN(m: n, n: n, k: n, a: a, lda: n, b: b, ldb: n, c: &c, ldc: n)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if r > 0 { best = max(best, 2 * Double(n * n * n) / seconds / 1e9) }
        }
        return MachineLimits(memoryReadGBs: bandwidth, sgemmGFLOPS: best, threads: Threads.count)
    }
}
