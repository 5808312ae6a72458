// SandboxExecutor.swift: the `CodeExecutor` that runs each program in the process sandbox (Sandbox.swift).
import Foundation

/// Runs programs (HumanEval check programs) in the sandbox, `parallelism` at a time, on its own threads so
/// that the blocking runs never occupy the Swift concurrency pool.
public struct SandboxExecutor: CodeExecutor {
    /// Programs run at once (each in its own sandbox and uid slot).
    public let parallelism: Int
    /// Limits of every run.
    public let limits: SandboxLimits
    /// The interpreter, a name on PATH or an absolute path.
    public let interpreter: String

    /// Creates an executor.
    public init(parallelism: Int, limits: SandboxLimits = SandboxLimits(), interpreter: String = "python3") {
        self.parallelism = max(1, parallelism)
        self.limits = limits
        self.interpreter = interpreter
    }

    /// One outcome per program, in order; a sandbox that cannot run a program gives a failed outcome naming why.
    public func run(_ programs: [String]) async -> [CodeOutcome] {
        let (parallelism, limits, interpreter) = (self.parallelism, self.limits, self.interpreter)
        let results = await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(returning: Sandbox.runEach(programs: programs, interpreter: interpreter,
                                                               limits: limits, parallelism: parallelism))
            }.start()
        }
        return results.map(Self.outcome)
    }

    /// "passed", "failed: exit 1: AssertionError", "timed out", "failed: signal 9", "error: …".
    static func outcome(_ result: Result<SandboxResult, Error>) -> CodeOutcome {
        switch result {
        case .failure(let error):
            return CodeOutcome(passed: false, detail: "error: \(error.localizedDescription)", sandboxError: true)
        case .success(let run):
            switch run.status {
            case .passed: return CodeOutcome(passed: true, detail: "passed")
            case .failed(let code):
                let last = run.stderr.split(separator: "\n").last.map { String($0.prefix(200)) }
                return CodeOutcome(passed: false, detail: "failed: exit \(code)" + (last.map { ": " + $0 } ?? ""))
            case .timedOut: return CodeOutcome(passed: false, detail: "timed out")
            case .killed(let signal): return CodeOutcome(passed: false, detail: "failed: signal \(signal)")
            case .error(let message): return CodeOutcome(passed: false, detail: "error: \(message)", sandboxError: true)
            }
        }
    }
}
