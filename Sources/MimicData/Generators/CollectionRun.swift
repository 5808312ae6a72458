// What every generator shares: settings (parallelism, output, checkpoints, progress), the report, bounded
// parallel teacher calls, distinct sample indices for repeated requests, and atomic checkpoints of the output.
import Foundation
import MimicCore
import MimicTeacher

/// Progress of one stage of a collection, reported after every finished request.
public struct CollectionProgress: Sendable, Hashable {
    /// The stage: "replay", "nq-synthetic", "tldr-synthetic", "self-instruct/instructions", "self-instruct/answers".
    public var stage: String
    /// Requests finished in this stage.
    public var done: Int
    /// Requests planned in this stage so far (it grows in the iterative generators).
    public var total: Int
    /// Of `done`, answered from the cache.
    public var cached: Int
    /// Of `done`, failed.
    public var failed: Int

    /// Creates a progress value.
    public init(stage: String, done: Int, total: Int, cached: Int, failed: Int) {
        self.stage = stage
        self.done = done
        self.total = total
        self.cached = cached
        self.failed = failed
    }
}

/// How a collection runs, whatever the generator.
public struct CollectionSettings: Sendable {
    /// Teacher requests in flight at once (the teacher throttles too; this bounds the tasks created).
    public var maxInFlight: Int
    /// Where the records are written (atomically) at the end, at checkpoints and when the run is stopped;
    /// nil: the caller writes `CollectionResult.records` itself.
    public var output: URL?
    /// Seconds between checkpoint writes of `output` (0: after every finished request).
    public var checkpointSeconds: Double
    /// Called on the collecting task after every finished request.
    public var progress: (@Sendable (CollectionProgress) -> Void)?

    /// Creates settings.
    public init(maxInFlight: Int = 64, output: URL? = nil, checkpointSeconds: Double = 30,
                progress: (@Sendable (CollectionProgress) -> Void)? = nil) {
        self.maxInFlight = max(1, maxInFlight)
        self.output = output
        self.checkpointSeconds = checkpointSeconds
        self.progress = progress
    }
}

/// What a collection did, in counts.
public struct CollectionReport: Sendable, Hashable, Codable {
    /// The generator: "replay", "nq-synthetic", "tldr-synthetic", "self-instruct".
    public var generator: String
    /// Teacher requests made (answered from the cache or not, failed or not).
    public var requested = 0
    /// Of `requested`, answered from the cache.
    public var cached = 0
    /// Of `requested`, failed for good.
    public var failed = 0
    /// Failure reasons and how often each occurred.
    public var failureReasons: [String: Int] = [:]
    /// Malformed input lines, and malformed items in the teacher's answers (a Q without an A, an empty instruction).
    public var malformedDropped = 0
    /// Duplicate items dropped (the same Q/A pair twice, an instruction already in the pool).
    public var duplicatesDropped = 0
    /// Self-instruct: instructions rejected as too similar (ROUGE-L above the threshold) to an existing one.
    public var similarDropped = 0
    /// Inputs not sent, with the reasons (a post too long for the context, a conversation with no user turn).
    public var skipped = 0
    /// Skip reasons and how often each occurred.
    public var skipReasons: [String: Int] = [:]
    /// Records in the output.
    public var records = 0
    /// Remarks on the run (an input file cut off, a target not reached).
    public var notes: [String] = []

    /// An empty report for `generator`.
    public init(generator: String) { self.generator = generator }

    mutating func fail(_ reason: String) {
        failed += 1
        failureReasons[reason, default: 0] += 1
    }

    mutating func skip(_ reason: String) {
        skipped += 1
        skipReasons[reason, default: 0] += 1
    }
}

/// The records a generator made, in input order, and its report.
public struct CollectionResult: Sendable {
    /// The records, in input (request) order.
    public var records: [ConversationRecord]
    /// What happened.
    public var report: CollectionReport

    /// Creates a result.
    public init(records: [ConversationRecord], report: CollectionReport) {
        self.records = records
        self.report = report
    }
}

/// One teacher call's result as the generators use it.
enum TeacherReply: Sendable {
    case answered(text: String, key: String, cached: Bool, finishReason: String?)
    case failed(key: String, reason: String)

    var key: String {
        switch self {
        case .answered(_, let key, _, _), .failed(let key, _): return key
        }
    }

    var cached: Bool {
        if case .answered(_, _, true, _) = self { return true }
        return false
    }

    var isFailure: Bool {
        if case .failed = self { return true }
        return false
    }

    /// Asks `teacher`; an answer with no choice is a failure. Throws only what the teacher throws (budget, cancel).
    static func ask(_ teacher: any Teacher, _ request: ChatCompletionRequest, sampleIndex: Int) async throws -> TeacherReply {
        try Task.checkCancellation()
        switch try await teacher.chat(request, sampleIndex: sampleIndex) {
        case .answered(let response, let key, let cached):
            guard let choice = response.choices.first else { return .failed(key: key, reason: "the answer has no choices") }
            return .answered(text: choice.message.content, key: key, cached: cached, finishReason: choice.finishReason)
        case .failed(let key, let reason):
            return .failed(key: key, reason: reason)
        }
    }

    /// Counts this reply in `report` (requested, cached, failed with its reason) and in `progress`.
    func count(in report: inout CollectionReport, progress: inout CollectionProgress) {
        report.requested += 1
        progress.done += 1
        switch self {
        case .answered(_, _, let cached, _):
            if cached {
                report.cached += 1
                progress.cached += 1
            }
        case .failed(_, let reason):
            report.fail(reason)
            progress.failed += 1
        }
    }
}

/// Asks `teacher` each planned (request, sample index), at most `settings.maxInFlight` at once. Each reply, in
/// completion order, is counted in `report` and `progress`, given to `onReply` with its index, then progress is
/// reported. Throws what the teacher or `onReply` throws (budget, cancellation, a checkpoint write).
func askAll(_ teacher: any Teacher, _ planned: [(ChatCompletionRequest, Int)], settings: CollectionSettings,
            report: inout CollectionReport, progress: inout CollectionProgress,
            onReply: (Int, TeacherReply) throws -> Void) async throws {
    try await runBounded(count: planned.count, maxInFlight: settings.maxInFlight, { k in
        try await TeacherReply.ask(teacher, planned[k].0, sampleIndex: planned[k].1)
    }, onResult: { k, reply in
        reply.count(in: &report, progress: &progress)
        try onReply(k, reply)
        settings.progress?(progress)
    })
}

/// Gives each request a sample index: 0 the first time its content is asked in this run, 1 the second, …,
/// so that repeated identical prompts get distinct samples (and distinct cache keys) deterministically.
struct SampleIndexer {
    private var seen: [String: Int] = [:]

    mutating func next(for request: ChatCompletionRequest) -> Int {
        let content = RequestKey.chat(endpoint: "", request: request, sampleIndex: 0)
        defer { seen[content, default: 0] += 1 }
        return seen[content, default: 0]
    }
}

/// Writes the output file at the end, every `checkpointSeconds`, and when a run stops early; always atomically.
final class Checkpointer {
    let output: URL?
    let interval: Double
    private var last = Date()
    /// Records the output held when the run began: a checkpoint never replaces it with fewer (a stopped rerun
    /// leaves the earlier, fuller output); the final write always replaces it.
    private var floor: Int

    init(_ settings: CollectionSettings) {
        output = settings.output
        interval = settings.checkpointSeconds
        floor = settings.output.map(Self.lineCount) ?? 0
        if let output { AtomicFile.removeStaleTemporaries(for: output) }
    }

    /// Newlines in the file at `url` (0 if there is none), read in chunks.
    static func lineCount(_ url: URL) -> Int {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return 0 }
        defer { try? handle.close() }
        var count = 0
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            count += chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        }
        return count
    }

    /// Writes `records()` if a checkpoint is due and it holds more than the output had.
    func tick(_ records: () -> [ConversationRecord]) throws {
        guard output != nil, Date().timeIntervalSince(last) >= interval else { return }
        let done = records()
        guard done.count > floor else { return }
        try write(done)
    }

    /// Writes `records` now.
    func write(_ records: [ConversationRecord]) throws {
        guard let output else { return }
        try ConversationJSONL.write(records, to: output)
        last = Date()
    }

    /// The final write of `records`, and the run's result: them and `report` with its record count.
    func finish(_ records: [ConversationRecord], report: CollectionReport) throws -> CollectionResult {
        var report = report
        report.records = records.count
        try write(records)
        return CollectionResult(records: records, report: report)
    }

    /// Runs `body`; if it throws (cancellation, budget), writes what `records()` holds then (unless the output
    /// already held more) and rethrows.
    func guarding<T>(_ records: () -> [ConversationRecord], _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            let done = records()
            if done.count > floor { try? write(done) }
            throw error
        }
    }
}

/// Fills `{name}` placeholders of a template.
enum TemplateFill {
    /// One pass over `template`: a `{name}` with a value is replaced, anything else is kept as written (so a value
    /// that itself holds `{…}` is never filled again).
    static func fill(_ template: String, _ values: [String: String]) -> String {
        var out = ""
        var rest = template[...]
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            let after = rest[rest.index(after: open)...]
            if let close = after.firstIndex(of: "}"), let value = values[String(after[..<close])] {
                out += value
                rest = after[after.index(after: close)...]
            } else {
                out += "{"
                rest = after
            }
        }
        return out + rest
    }

    /// Throws if `template` lacks one of `names`.
    static func check(_ template: String, named: String, needs names: [String]) throws {
        for name in names where !template.contains("{\(name)}") {
            throw GeneratorError.badTemplate(name: named, missing: name)
        }
    }
}

/// A generator's input is unusable.
public enum GeneratorError: Error, LocalizedError, Sendable, Hashable {
    /// A prompt template lacks a placeholder it needs.
    case badTemplate(name: String, missing: String)
    /// Too few seed items to build a prompt.
    case tooFewSeeds(what: String, have: Int, need: Int)
    /// An option is out of range.
    case badOption(String)

    public var errorDescription: String? {
        switch self {
        case .badTemplate(let name, let missing):
            return "template \(name) has no {\(missing)} placeholder (add it where that text belongs)"
        case .tooFewSeeds(let what, let have, let need):
            return "\(what): \(have) given, at least \(need) needed (add more to the seed file)"
        case .badOption(let what):
            return what
        }
    }
}
