// Self-instruct: grow a pool of instructions from seed tasks (numbered-list prompts with k in-context tasks),
// rejecting any new one whose ROUGE-L F against an existing one exceeds 0.7, then have the teacher answer each.
import Foundation
import MimicCore
import MimicTeacher
import MimicTokenizers
import MimicMetrics

/// Options of `SelfInstructGenerator`.
public struct SelfInstructOptions: Sendable, Hashable {
    /// New instructions wanted (each becomes a record once answered).
    public var count: Int
    /// Tasks shown in each generation prompt (Self-Instruct: 8).
    public var inContextTasks: Int
    /// Of those, how many are drawn from the generated instructions once there are some (Self-Instruct: 2).
    public var generatedInContext: Int
    /// An instruction is rejected if its ROUGE-L F against any existing one exceeds this (0.7).
    public var similarityThreshold: Double
    /// Instructions with fewer words, or more, count as malformed.
    public var minWords: Int, maxWords: Int
    /// Temperature of the instruction-generation requests.
    public var temperature: Double
    /// Length limit of the generation requests; nil leaves it to the server.
    public var maxTokens: Int?
    /// Temperature of the answering requests; nil leaves it to the server.
    public var answerTemperature: Double?
    /// Length limit of the answers; nil leaves it to the server.
    public var answerMaxTokens: Int?
    /// The model name sent; nil sends the teacher's `model`.
    public var model: String?
    /// The run's seed: generation request i draws its tasks from `SplitMix64(seed: seed, stream: i)`.
    public var seed: UInt64
    /// The generation prompt: `{tasks}` (a numbered list) and `{next}` (the number the teacher continues with).
    public var template: String
    /// The template's name for provenance.
    public var templateName: String
    /// The seed file's name for provenance.
    public var seedSource: String
    /// Stop generating after this many requests; nil: `max(20, count)`.
    public var maxRequests: Int?

    /// Creates options with Self-Instruct's settings and the built-in template.
    public init(count: Int, inContextTasks: Int = 8, generatedInContext: Int = 2, similarityThreshold: Double = 0.7,
                minWords: Int = 3, maxWords: Int = 150, temperature: Double = 0.7, maxTokens: Int? = 1024,
                answerTemperature: Double? = nil, answerMaxTokens: Int? = nil, model: String? = nil, seed: UInt64 = 0,
                template: String = SelfInstruct.defaultTemplate, templateName: String = "self-instruct/default",
                seedSource: String = "built-in", maxRequests: Int? = nil) {
        self.count = count
        self.inContextTasks = inContextTasks
        self.generatedInContext = generatedInContext
        self.similarityThreshold = similarityThreshold
        self.minWords = minWords
        self.maxWords = maxWords
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.answerTemperature = answerTemperature
        self.answerMaxTokens = answerMaxTokens
        self.model = model
        self.seed = seed
        self.template = template
        self.templateName = templateName
        self.seedSource = seedSource
        self.maxRequests = maxRequests
    }
}

/// The Self-Instruct template, parsing and seed files.
public enum SelfInstruct {
    /// The built-in generation prompt (the project's own words).
    public static let defaultTemplate = """
        Come up with new instructions that a person might give an AI assistant. Make them varied: questions, \
        writing, rewriting, planning, coding, classification, explanation and advice. Each one must be a single \
        self-contained instruction that can be answered in text. Continue the numbered list below with new \
        instructions, one per number, and write nothing else.

        {tasks}
        {next}.
        """

    /// The numbered instructions of an answer. The prompt ends with `{next}.`, so text before the first number
    /// is the instruction numbered `next`; an unnumbered line continues the instruction above it.
    public static func parse(_ text: String) -> [String] {
        var items: [String] = []
        var current: String?
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if let body = numberedBody(line) {
                if let c = current { items.append(c) }
                current = body
            } else if !line.isEmpty {
                current = current.map { $0 + " " + line } ?? line
            }
        }
        if let c = current { items.append(c) }
        return items.map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }.filter { !$0.isEmpty }
    }

    /// `"12. text"` or `"12) text"` → `"text"`; nil for a line that is not numbered.
    static func numberedBody(_ line: String) -> String? {
        let digits = line.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty else { return nil }
        let rest = line.dropFirst(digits.count)
        guard let mark = rest.first, mark == "." || mark == ")" else { return nil }
        return rest.dropFirst().trimmingCharacters(in: .whitespaces)
    }

    /// Seed tasks from a file: JSONL with an `instruction` field (Self-Instruct's and Alpaca's seed files), or
    /// plain text, one task per non-blank line.
    public static func loadSeeds(_ url: URL) throws -> [String] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw RecordFileError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        let text = String(decoding: data, as: UTF8.self)
        var tasks: [String] = []
        let isJSONL = text.drop(while: { $0.isWhitespace }).first == "{"
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { continue }
            if isJSONL {
                let object = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any]
                guard let instruction = object?["instruction"] as? String, !instruction.isEmpty else {
                    throw RecordFileError.malformedLine(file: url.path, line: index + 1, problem: "expected {\"instruction\": …}")
                }
                tasks.append(instruction)
            } else {
                tasks.append(trimmed)
            }
        }
        guard !tasks.isEmpty else { throw RecordFileError.badFormat(file: url.path, problem: "no seed tasks found") }
        return tasks
    }

    /// The built-in seed tasks.
    public static var defaultSeeds: [String] {
        DefaultSeeds.selfInstructText.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

/// `mimic collect self-instruct`: `options.count` new instructions, each answered by the teacher; records are
/// (user: instruction, assistant: answer) in the order the instructions were accepted.
public struct SelfInstructGenerator: Sendable {
    /// Who answers.
    public let teacher: any Teacher
    /// What is asked.
    public let options: SelfInstructOptions
    /// Parallelism, output and progress.
    public let settings: CollectionSettings

    /// Creates the generator.
    public init(teacher: any Teacher, options: SelfInstructOptions, settings: CollectionSettings = CollectionSettings()) {
        self.teacher = teacher
        self.options = options
        self.settings = settings
    }

    /// An accepted instruction and the generation request it came from.
    public struct Instruction: Sendable, Hashable {
        /// The instruction text.
        public var text: String
        /// The generation request's hash.
        public var requestHash: String
        /// The generation request's index.
        public var requestIndex: Int
    }

    /// Generation request `index`, drawn from `seeds` and the instructions accepted before its round.
    func request(_ index: Int, seeds: [String], generated: [Instruction]) -> ChatCompletionRequest {
        var rng = SplitMix64(seed: options.seed, stream: UInt64(index))
        let fromGenerated = min(options.generatedInContext, generated.count, options.inContextTasks)
        var tasks = rng.sampleIndices(seeds.count, count: options.inContextTasks - fromGenerated).map { seeds[$0] }
        tasks += rng.sampleIndices(generated.count, count: fromGenerated).map { generated[$0].text }
        let list = tasks.enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: "\n")
        let prompt = TemplateFill.fill(options.template, ["tasks": list, "next": String(tasks.count + 1)])
        return ChatCompletionRequest(model: options.model ?? teacher.model, messages: [APIMessage(role: "user", content: prompt)],
                                     temperature: options.temperature, maxTokens: options.maxTokens)
    }

    /// Generates instructions, then answers them. Throws only what the teacher throws, after writing the
    /// answered records finished so far (nothing is written while instructions are still being generated).
    public func run(seeds: [String]) async throws -> CollectionResult {
        guard options.count > 0 else { throw GeneratorError.badOption("count must be at least 1") }
        guard seeds.count >= max(1, options.inContextTasks - options.generatedInContext) else {
            throw GeneratorError.tooFewSeeds(what: "self-instruct seed tasks", have: seeds.count,
                                             need: max(1, options.inContextTasks - options.generatedInContext))
        }
        try TemplateFill.check(options.template, named: options.templateName, needs: ["tasks"])
        var report = CollectionReport(generator: "self-instruct")
        let instructions = try await generate(seeds: seeds, report: &report)
        let records = try await answer(instructions, report: &report)
        report.records = records.count
        return CollectionResult(records: records, report: report)
    }

    /// The instruction pool grown in rounds; each round's requests see the pool as it was when the round began,
    /// and answers are filtered in request order, so the result does not depend on timing.
    public func generate(seeds: [String], report: inout CollectionReport) async throws -> [Instruction] {
        var index = RougeLIndex()
        var seen = Set<String>()
        for seed in seeds {
            index.add(seed)
            seen.insert(QAText.normal(seed))
        }
        var accepted: [Instruction] = []
        var issued = 0
        let maxRequests = options.maxRequests ?? max(20, options.count)
        var indexer = SampleIndexer()
        var progress = CollectionProgress(stage: "self-instruct/instructions", done: 0, total: 0, cached: 0, failed: 0)
        while accepted.count < options.count && issued < maxRequests {
            let size = min(maxRequests - issued, max(1, min(64, (options.count - accepted.count + 4) / 5)))
            let first = issued
            let planned = (first..<(first + size)).map { i -> (ChatCompletionRequest, Int) in
                let request = self.request(i, seeds: seeds, generated: accepted)
                return (request, indexer.next(for: request))
            }
            issued += size
            progress.total = issued
            var replies = [TeacherReply?](repeating: nil, count: size)
            try await askAll(teacher, planned, settings: settings, report: &report, progress: &progress) { replies[$0] = $1 }
            for (k, reply) in replies.enumerated() {
                guard case .answered(let text, let key, _, _)? = reply else { continue }
                for candidate in SelfInstruct.parse(text) where accepted.count < options.count {
                    let words = candidate.split(whereSeparator: \.isWhitespace).count
                    if words < options.minWords || words > options.maxWords {
                        report.malformedDropped += 1
                    } else if !seen.insert(QAText.normal(candidate)).inserted {
                        report.duplicatesDropped += 1
                    } else if index.maxScore(candidate, stopAbove: options.similarityThreshold) > options.similarityThreshold {
                        report.similarDropped += 1
                    } else {
                        index.add(candidate)
                        accepted.append(Instruction(text: candidate, requestHash: key, requestIndex: first + k))
                    }
                }
            }
        }
        if accepted.count < options.count {
            report.notes.append("stopped after \(issued) requests with \(accepted.count) of \(options.count) instructions (raise maxRequests to go on)")
        }
        return accepted
    }

    /// Answers each instruction (one request each), keeping their order; failed answers are counted, not written.
    public func answer(_ instructions: [Instruction], report: inout CollectionReport) async throws -> [ConversationRecord] {
        var indexer = SampleIndexer()
        let planned = instructions.map { instruction -> (ChatCompletionRequest, Int) in
            let request = ChatCompletionRequest(
                model: options.model ?? teacher.model, messages: [APIMessage(role: "user", content: instruction.text)],
                temperature: options.answerTemperature, maxTokens: options.answerMaxTokens)
            return (request, indexer.next(for: request))
        }
        var slots = [ConversationRecord?](repeating: nil, count: planned.count)
        var progress = CollectionProgress(stage: "self-instruct/answers", done: 0, total: planned.count, cached: 0, failed: 0)
        let checkpoint = Checkpointer(settings)
        let snapshot = { slots.compactMap { $0 } }
        try await checkpoint.guarding(snapshot) {
            try await askAll(teacher, planned, settings: settings, report: &report, progress: &progress) { k, reply in
                if case .answered(let text, let key, _, _) = reply {
                    let instruction = instructions[k]
                    let meta = RecordMeta(
                        generator: "self-instruct", teacher: teacher.model, template: options.templateName,
                        temperature: options.answerTemperature, seed: options.seed, source: options.seedSource,
                        requestHash: key, sampleIndex: planned[k].1,
                        extra: ["instruction_request_hash": .string(instruction.requestHash),
                                "instruction_request_index": .int(instruction.requestIndex),
                                "instruction_temperature": .double(options.temperature)])
                    slots[k] = ConversationRecord(messages: [ChatMessage(role: "user", content: instruction.text),
                                                             ChatMessage(role: "assistant", content: text)], meta: meta)
                }
                try checkpoint.tick(snapshot)
            }
        }
        let records = snapshot()
        try checkpoint.write(records)
        return records
    }
}
