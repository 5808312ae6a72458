// NQ-synthetic (the paper's Table 4 procedure): ask the teacher for new Natural-Questions-like Q/A pairs from
// 5 random seed pairs at temperature 1.0, parse the Q/A lines, drop malformed and duplicate pairs, repeat until N.
import Foundation
import MimicCore
import MimicTeacher
import MimicTokenizers

/// A short factual question and its short answer.
public struct QAPair: Sendable, Hashable, Codable {
    /// The question.
    public var question: String
    /// The answer.
    public var answer: String

    /// Creates a pair.
    public init(question: String, answer: String) { (self.question, self.answer) = (question, answer) }

    /// The duplicate key: lower-cased, whitespace collapsed, question and answer together.
    public var key: String { QAText.normal(question) + "\u{1F}" + QAText.normal(answer) }
}

/// Options of `NQSyntheticGenerator`.
public struct NQSyntheticOptions: Sendable, Hashable {
    /// Unique pairs wanted (the paper made 6,000).
    public var count: Int
    /// Seed pairs shown in each request (the paper: 5).
    public var seedsPerRequest: Int
    /// Sampling temperature (the paper: 1.0).
    public var temperature: Double
    /// Answer length limit; nil leaves it to the server.
    public var maxTokens: Int?
    /// The model name sent; nil sends the teacher's `model`.
    public var model: String?
    /// The run's seed: request i draws its seed pairs from `SplitMix64(seed: seed, stream: i)`.
    public var seed: UInt64
    /// The prompt: `{examples}` becomes the chosen pairs as `Q: …` / `A: …` lines; `{question_1}`, `{answer_1}`, …
    /// may be used instead, one per chosen pair.
    public var template: String
    /// The template's name for provenance (a built-in name or the template file's path).
    public var templateName: String
    /// The seed file's name for provenance (`meta.source`).
    public var seedSource: String
    /// Stop after this many requests even if `count` is not reached; nil: `max(20, 2 * count)`.
    public var maxRequests: Int?

    /// Creates options with the paper's settings and the built-in template.
    public init(count: Int, seedsPerRequest: Int = 5, temperature: Double = 1.0, maxTokens: Int? = nil,
                model: String? = nil, seed: UInt64 = 0, template: String = NQSynthetic.defaultTemplate,
                templateName: String = "nq-synthetic/default", seedSource: String = "built-in",
                maxRequests: Int? = nil) {
        self.count = count
        self.seedsPerRequest = seedsPerRequest
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.model = model
        self.seed = seed
        self.template = template
        self.templateName = templateName
        self.seedSource = seedSource
        self.maxRequests = maxRequests
    }
}

/// The NQ-synthetic template, example rendering and Q/A parsing.
public enum NQSynthetic {
    /// The built-in prompt, in the shape of the paper's Table 4 (the project's own words).
    public static let defaultTemplate = """
        Write a list of new trivia questions, each followed by its answer. Keep every answer short: a few words \
        at most. Write the questions in lowercase, the way a person types them into a search engine, about people, \
        places, works and events that an encyclopedia covers. Use exactly the format of these examples:
        {examples}
        """

    /// The prompt for `examples`: `{examples}` as `Q: …\nA: …` lines, and `{question_i}` / `{answer_i}` (from 1).
    public static func render(_ examples: [QAPair], template: String) -> String {
        var values = ["examples": examples.map { "Q: \($0.question)\nA: \($0.answer)" }.joined(separator: "\n")]
        for (i, pair) in examples.enumerated() {
            values["question_\(i + 1)"] = pair.question
            values["answer_\(i + 1)"] = pair.answer
        }
        return TemplateFill.fill(template, values)
    }

    /// The Q/A pairs in `text` and the number of malformed ones (a question with no answer, an answer with no
    /// question, an empty side). `Q:` and `A:` open a question and an answer at the start of a line, after a list
    /// marker, or inline after a space; a question may run over several lines, an answer ends with its line.
    public static func parse(_ text: String) -> (pairs: [QAPair], malformed: Int) {
        var pairs: [QAPair] = []
        var malformed = 0
        var question: String?
        for (marker, body) in QAText.segments(text) {
            if marker == "Q" {
                if question != nil { malformed += 1 }
                question = QAText.clean(body)
            } else {
                let answer = QAText.clean(String(body.prefix { $0 != "\n" }))
                guard let q = question else { malformed += 1; continue }
                question = nil
                if q.isEmpty || answer.isEmpty { malformed += 1 } else { pairs.append(QAPair(question: q, answer: answer)) }
            }
        }
        if question != nil { malformed += 1 }
        return (pairs, malformed)
    }

    /// Seed pairs from a file: JSON Lines with `question`/`answer` (or `q`/`a`) fields, or text in the
    /// `Q: …` / `A: …` form. Throws `RecordFileError` naming the file (and line) if it holds no pair.
    public static func loadSeeds(_ url: URL) throws -> [QAPair] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw RecordFileError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        let text = String(decoding: data, as: UTF8.self)
        let pairs: [QAPair]
        if text.drop(while: { $0.isWhitespace }).first == "{" {
            pairs = try jsonlPairs(text, file: url.path)
        } else {
            pairs = parse(text).pairs
        }
        guard !pairs.isEmpty else {
            throw RecordFileError.badFormat(file: url.path, problem: "no Q/A pairs found (write `Q: …` and `A: …` lines, or JSONL with question and answer)")
        }
        return pairs
    }

    /// The built-in seed pairs (`DefaultSeeds.nqText` parsed).
    public static var defaultSeeds: [QAPair] { parse(DefaultSeeds.nqText).pairs }

    static func jsonlPairs(_ text: String, file: String) throws -> [QAPair] {
        var pairs: [QAPair] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            guard let q = (object?["question"] ?? object?["q"]) as? String, let a = (object?["answer"] ?? object?["a"]) as? String,
                  !q.isEmpty, !a.isEmpty else {
                throw RecordFileError.malformedLine(file: file, line: index + 1, problem: "expected {\"question\": …, \"answer\": …}")
            }
            pairs.append(QAPair(question: q, answer: a))
        }
        return pairs
    }
}

/// Text helpers of the Q/A parser.
enum QAText {
    /// Lower-cased with runs of whitespace as one space, trimmed.
    static func normal(_ s: String) -> String {
        s.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// Trimmed, inner whitespace (line breaks of a long question) collapsed to single spaces.
    static func clean(_ s: String) -> String {
        s.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The `Q:` / `A:` markers of `text` with the text after each up to the next marker.
    static func segments(_ text: String) -> [(Character, String)] {
        let chars = Array(text)
        var marks: [(Int, Character)] = []
        var i = 0
        while i + 1 < chars.count {
            if (chars[i] == "Q" || chars[i] == "A") && chars[i + 1] == ":" && opensMarker(chars, at: i) {
                marks.append((i, chars[i]))
                i += 2
            } else {
                i += 1
            }
        }
        return marks.enumerated().map { k, mark in
            let end = k + 1 < marks.count ? marks[k + 1].0 : chars.count
            return (mark.1, String(chars[(mark.0 + 2)..<end]))
        }
    }

    /// A marker starts the text, follows whitespace, or follows a list marker (`1.`, `2)`, `-`, `*`).
    static func opensMarker(_ chars: [Character], at i: Int) -> Bool {
        guard i > 0 else { return true }
        let before = chars[i - 1]
        if before.isWhitespace { return true }
        guard before == "." || before == ")" || before == "-" || before == "*" else { return false }
        var j = i - 2
        while j >= 0 && chars[j].isNumber { j -= 1 }
        return j < 0 || chars[j].isWhitespace
    }
}

/// `mimic collect nq-synthetic`: `options.count` unique Q/A pairs, each a single-turn record (user: the question,
/// assistant: the answer), as the paper trained on.
public struct NQSyntheticGenerator: Sendable {
    /// Who answers.
    public let teacher: any Teacher
    /// What is asked.
    public let options: NQSyntheticOptions
    /// Parallelism, output and progress.
    public let settings: CollectionSettings

    /// Creates the generator.
    public init(teacher: any Teacher, options: NQSyntheticOptions, settings: CollectionSettings = CollectionSettings()) {
        self.teacher = teacher
        self.options = options
        self.settings = settings
    }

    /// The request with index `index` (its seed pairs drawn from stream `index` of the seed): the same on every run.
    public func request(_ index: Int, seeds: [QAPair]) -> ChatCompletionRequest {
        var rng = SplitMix64(seed: options.seed, stream: UInt64(index))
        let chosen = rng.sampleIndices(seeds.count, count: options.seedsPerRequest).map { seeds[$0] }
        let prompt = NQSynthetic.render(chosen, template: options.template)
        // The request's own sampling seed, drawn after its seed pairs, so a local teacher answers it the same way on
        // every run.
        return ChatCompletionRequest(model: options.model ?? teacher.model, messages: [APIMessage(role: "user", content: prompt)],
                                     temperature: options.temperature, maxTokens: options.maxTokens,
                                     seed: Int(truncatingIfNeeded: rng.next() >> 1))
    }

    /// Asks for pairs in rounds until `options.count` unique ones (or `maxRequests` requests); the output is the
    /// first `count` unique pairs in request order, so it does not depend on timing or parallelism.
    public func run(seeds: [QAPair]) async throws -> CollectionResult {
        guard options.count > 0 else { throw GeneratorError.badOption("count must be at least 1") }
        guard seeds.count >= options.seedsPerRequest, options.seedsPerRequest > 0 else {
            throw GeneratorError.tooFewSeeds(what: "NQ seed pairs", have: seeds.count, need: max(1, options.seedsPerRequest))
        }
        try TemplateFill.check(options.template, named: options.templateName,
                               needs: options.template.contains("{question_1}") ? ["question_1", "answer_1"] : ["examples"])
        var state = State(seen: Set(seeds.map(\.key)))
        var report = CollectionReport(generator: "nq-synthetic")
        var progress = CollectionProgress(stage: "nq-synthetic", done: 0, total: 0, cached: 0, failed: 0)
        let maxRequests = options.maxRequests ?? max(20, 2 * options.count)
        let checkpoint = Checkpointer(settings)
        var indexer = SampleIndexer()
        try await checkpoint.guarding({ state.records }) {
            while state.records.count < options.count && state.issued < maxRequests {
                let needed = options.count - state.records.count
                let size = min(maxRequests - state.issued, max(1, min(256, (needed + 2) / 3)))
                let first = state.issued
                let planned = (first..<(first + size)).map { i -> (ChatCompletionRequest, Int) in
                    let request = self.request(i, seeds: seeds)
                    return (request, indexer.next(for: request))
                }
                state.issued += size
                progress.total = state.issued
                var replies = [TeacherReply?](repeating: nil, count: size)
                try await askAll(teacher, planned, settings: settings, report: &report, progress: &progress) { replies[$0] = $1 }
                for (k, reply) in replies.enumerated() {
                    guard let reply else { continue }
                    absorb(reply, requestIndex: first + k, sampleIndex: planned[k].1, state: &state, report: &report)
                }
                try checkpoint.tick { state.records }
            }
        }
        if state.records.count > options.count { state.records.removeLast(state.records.count - options.count) }
        if state.records.count < options.count {
            report.notes.append("stopped after \(state.issued) requests with \(state.records.count) of \(options.count) pairs (raise maxRequests to go on)")
        }
        return try checkpoint.finish(state.records, report: report)
    }

    struct State {
        var seen: Set<String>
        var records: [ConversationRecord] = []
        var issued = 0
    }

    /// Parses one answer into records, in order, dropping malformed pairs and duplicates (of seeds or earlier pairs).
    func absorb(_ reply: TeacherReply, requestIndex: Int, sampleIndex: Int, state: inout State, report: inout CollectionReport) {
        guard case .answered(let text, let key, _, _) = reply else { return }
        let (pairs, malformed) = NQSynthetic.parse(text)
        report.malformedDropped += malformed
        for pair in pairs {
            guard state.records.count < options.count else { return }
            guard state.seen.insert(pair.key).inserted else {
                report.duplicatesDropped += 1
                continue
            }
            let meta = RecordMeta(generator: "nq-synthetic", teacher: teacher.model, template: options.templateName,
                                  temperature: options.temperature, seed: options.seed, source: options.seedSource,
                                  requestHash: key, sampleIndex: sampleIndex, extra: ["request_index": .int(requestIndex)])
            state.records.append(ConversationRecord(messages: [ChatMessage(role: "user", content: pair.question),
                                                               ChatMessage(role: "assistant", content: pair.answer)],
                                                    meta: meta))
        }
    }
}
