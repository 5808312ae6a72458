// The per-request cache of an evaluation: an append-only JSONL file of model answers keyed by a hash of the model,
// the task and the request, so an interrupted `mimic eval` resumes and a rerun asks the model nothing.
import Foundation
import MimicCore
import MimicTeacher

/// One cached answer: a log-likelihood, a completion, a sandbox outcome or a toxicity score.
public enum CachedAnswer: Codable, Sendable, Equatable {
    case loglikelihood(Double, greedy: Bool)
    case completion(String)
    case execution(CodeOutcome)
    case toxicity(Double)
}

/// Answers keyed by request, kept in memory and appended to a JSONL file as they arrive.
public final class ItemCache: @unchecked Sendable {
    struct Line: Codable {
        var key: String
        var answer: CachedAnswer
    }

    /// The file, or nil for a cache in memory only.
    public let path: String?
    private var answers: [String: CachedAnswer] = [:]
    private var handle: FileHandle?
    private let lock = NSLock()

    /// Opens (or creates) the cache at `path` and locks it for this process. Undecodable lines are skipped; a last
    /// line cut off by an interruption is cut from the file (the next answer is appended after the last whole line).
    public init(path: String?) throws {
        self.path = path
        guard let path else { return }
        let fm = FileManager.default
        try? fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw EvalError.invalidArgument("\(path): cannot open the evaluation cache (errno \(errno)); check the folder is writable") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw EvalError.invalidArgument("\(path): another mimic eval is using this cache; wait for it, or give this run its own --out or --cache")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        self.handle = handle
        let data = try handle.readToEnd() ?? Data()
        var offset = 0, wholeEnd = 0
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let end = offset + line.count
            defer { offset = end + 1 }
            guard end < data.count else { break }          // no newline after it: an interrupted write
            wholeEnd = end + 1
            if let entry = try? decoder.decode(Line.self, from: Data(line)) { answers[entry.key] = entry.answer }
        }
        if wholeEnd < data.count { try handle.truncate(atOffset: UInt64(wholeEnd)) }
    }

    deinit { try? handle?.close() }

    /// Number of cached answers.
    public var count: Int { lock.withLock { answers.count } }

    /// The cached answer for a key.
    public func answer(_ key: String) -> CachedAnswer? { lock.withLock { answers[key] } }

    /// Stores answers and appends them to the file (one write, then synchronised to disk).
    public func store(_ entries: [(String, CachedAnswer)]) throws {
        guard !entries.isEmpty else { return }
        try lock.withLock {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            var blob = Data()
            for (key, answer) in entries {
                answers[key] = answer
                blob += try encoder.encode(Line(key: key, answer: answer)) + Data("\n".utf8)
            }
            if let handle {
                try handle.write(contentsOf: blob)
                try handle.synchronize()
            }
        }
    }

    /// The key of a request: SHA-256 of the model's identity, the task and version, and the request's JSON.
    public static func key<R: Encodable>(model: String, task: String, version: Int, request: R) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data("\(model)\u{0}\(task)\u{0}\(version)\u{0}".utf8)
        data += (try? encoder.encode(request)) ?? Data()
        return SHA256.hex(data)
    }
}
