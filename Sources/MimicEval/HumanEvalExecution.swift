// HumanEvalExecution.swift: HumanEval's check programs and parallel sandboxed runs (the problems are read by
// DatasetLoader's humaneval format).
import CSandbox
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Sandbox {
    /// The check program of HumanEval's execution.py: prompt + completion, the test, then `check(entryPoint)`.
    public static func humanEvalProgram(prompt: String, completion: String, test: String,
                                        entryPoint: String) -> String {
        prompt + completion + "\n\n" + test + "\n\n" + "check(\(entryPoint))\n"
    }

    /// Runs every program with `run(program:interpreter:limits:)`, at most `parallelism` at a time, and returns
    /// the results in input order. `progress` is called (from worker threads, one at a time, in increasing order)
    /// with the number finished so far. Throws the first `SandboxError` in input order, after all runs have finished.
    public static func runAll(programs: [String], interpreter: String = "python3",
                              limits: SandboxLimits = SandboxLimits(),
                              parallelism: Int = ProcessInfo.processInfo.activeProcessorCount,
                              progress: ((Int) -> Void)? = nil) throws -> [SandboxResult] {
        try runEach(programs: programs, interpreter: interpreter, limits: limits, parallelism: parallelism,
                    progress: progress).map { try $0.get() }
    }

    /// `runAll`, keeping each program's error in its place instead of throwing.
    static func runEach(programs: [String], interpreter: String, limits: SandboxLimits, parallelism: Int,
                        progress: ((Int) -> Void)? = nil) -> [Result<SandboxResult, Error>] {
        let state = BatchState(count: programs.count)
        let workers = max(1, min(parallelism, programs.count, uidSlots))
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            let thread = Thread {
                while let index = state.claim() {
                    let outcome = Result { try run(program: programs[index], interpreter: interpreter, limits: limits) }
                    state.finish(outcome, at: index, report: progress)
                }
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
        return state.results.map { result in
            guard let result else { preconditionFailure("runEach: a program was never run") }
            return result
        }
    }
}

/// Shared work queue and result slots of `Sandbox.runAll`.
private final class BatchState: @unchecked Sendable {
    private let lock = NSLock()
    private let progressLock = NSLock()
    private var next = 0
    private var finished = 0
    private(set) var results: [Result<SandboxResult, Error>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func claim() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < results.count else { return nil }
        next += 1
        return next - 1
    }

    private func store(_ result: Result<SandboxResult, Error>, at index: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        results[index] = result
        finished += 1
        return finished
    }

    /// Stores a result and reports the number finished, both under the progress lock, so the reports come one at a
    /// time and in increasing order (counted under one lock and reported under another, two workers could report 6
    /// before 5).
    func finish(_ result: Result<SandboxResult, Error>, at index: Int, report: ((Int) -> Void)?) {
        progressLock.lock()
        defer { progressLock.unlock() }
        let finished = store(result, at: index)
        report?(finished)
    }
}
