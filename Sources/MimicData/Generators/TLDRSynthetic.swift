// TLDR-synthetic (the paper's Table 5 procedure): summarise each post with two random (document, summary)
// examples in the prompt, falling back to one when two do not fit in the teacher's context.
import Foundation
import MimicCore
import MimicTeacher
import MimicTokenizers

/// A (document, summary) example pair.
public struct SummaryExample: Sendable, Hashable, Codable {
    /// The document (a post).
    public var document: String
    /// Its summary.
    public var summary: String

    /// Creates an example.
    public init(document: String, summary: String) { (self.document, self.summary) = (document, summary) }
}

/// Options of `TLDRSyntheticGenerator`.
public struct TLDRSyntheticOptions: Sendable {
    /// Examples in each prompt (the paper: 2); fewer are used when they do not fit.
    public var examplesPerPrompt: Int
    /// The teacher's context length in tokens.
    public var contextLength: Int
    /// Tokens kept free for the summary in the fit check, and sent as `max_tokens`.
    public var maxTokens: Int
    /// Counts the tokens of a prompt; the default is characters / 4, rounded up.
    public var tokenCount: @Sendable (String) -> Int
    /// Sampling temperature; nil leaves it to the server.
    public var temperature: Double?
    /// The model name sent; nil sends the teacher's `model`.
    public var model: String?
    /// The run's seed: post i draws its examples from `SplitMix64(seed: seed, stream: i)`.
    public var seed: UInt64
    /// The teacher prompt: `{examples}` and `{document}`.
    public var template: String
    /// One example inside `{examples}`: `{document}` and `{summary}`; examples are separated by a blank line.
    public var exampleTemplate: String
    /// The user turn of the record: `{document}`.
    public var studentTemplate: String
    /// The template's name for provenance.
    public var templateName: String

    /// Creates options with the paper's procedure and the built-in templates.
    public init(contextLength: Int = 4096, examplesPerPrompt: Int = 2, maxTokens: Int = 256,
                tokenCount: @escaping @Sendable (String) -> Int = { ($0.count + 3) / 4 },
                temperature: Double? = nil, model: String? = nil, seed: UInt64 = 0,
                template: String = TLDRSynthetic.defaultTemplate,
                exampleTemplate: String = TLDRSynthetic.defaultExampleTemplate,
                studentTemplate: String = TLDRSynthetic.defaultStudentTemplate,
                templateName: String = "tldr-synthetic/default") {
        self.contextLength = contextLength
        self.examplesPerPrompt = examplesPerPrompt
        self.maxTokens = maxTokens
        self.tokenCount = tokenCount
        self.temperature = temperature
        self.model = model
        self.seed = seed
        self.template = template
        self.exampleTemplate = exampleTemplate
        self.studentTemplate = studentTemplate
        self.templateName = templateName
    }
}

/// The TLDR-synthetic templates and example files.
public enum TLDRSynthetic {
    /// The built-in prompt, in the shape of the paper's Table 5 (the project's own words).
    public static let defaultTemplate = """
        Please write a short summary of a document. Here are documents with the kind of summary I want:

        {examples}

        Now summarize this document in the same style as those examples.
        Document: {document}
        Summary:
        """

    /// One example of the built-in prompt.
    public static let defaultExampleTemplate = "Document: {document}\nSummary: {summary}"

    /// The user turn the student is trained on.
    public static let defaultStudentTemplate = "Summarize the following document.\n\nDocument: {document}"

    /// The built-in example pairs (`DefaultSeeds.tldrJSONL` parsed).
    public static var defaultExamples: [SummaryExample] {
        (try? examples(jsonl: DefaultSeeds.tldrJSONL, file: "built-in")) ?? []
    }

    /// Example pairs from a JSONL file: a `summary` field and the document in `document`, `post`, `content` or `text`.
    public static func loadExamples(_ url: URL) throws -> [SummaryExample] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw RecordFileError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        let examples = try examples(jsonl: String(decoding: data, as: UTF8.self), file: url.path)
        guard !examples.isEmpty else { throw RecordFileError.badFormat(file: url.path, problem: "no examples found") }
        return examples
    }

    static func examples(jsonl: String, file: String) throws -> [SummaryExample] {
        var out: [SummaryExample] = []
        for (index, line) in jsonl.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            let document = ["document", "post", "content", "text"].lazy.compactMap { object?[$0] as? String }.first
            guard let document, let summary = object?["summary"] as? String, !document.isEmpty, !summary.isEmpty else {
                throw RecordFileError.malformedLine(file: file, line: index + 1,
                                                    problem: "expected {\"document\" (or post/content/text): …, \"summary\": …}")
            }
            out.append(SummaryExample(document: document, summary: summary))
        }
        return out
    }
}

/// `mimic collect tldr-synthetic`: one record per post (user: the post under the student template, assistant:
/// the teacher's summary), in the posts' order.
public struct TLDRSyntheticGenerator: Sendable {
    /// Who answers.
    public let teacher: any Teacher
    /// What is asked.
    public let options: TLDRSyntheticOptions
    /// Parallelism, output and progress.
    public let settings: CollectionSettings

    /// Creates the generator.
    public init(teacher: any Teacher, options: TLDRSyntheticOptions = TLDRSyntheticOptions(),
                settings: CollectionSettings = CollectionSettings()) {
        self.teacher = teacher
        self.options = options
        self.settings = settings
    }

    /// The prompt for post `index`, with as many of its drawn examples (from `examplesPerPrompt` down to 1) as fit:
    /// prompt tokens + `maxTokens` ≤ `contextLength`. Nil if even one example does not fit.
    public func prompt(_ index: Int, post: String, examples: [SummaryExample]) -> (text: String, examplesUsed: Int)? {
        var rng = SplitMix64(seed: options.seed, stream: UInt64(index))
        let chosen = rng.sampleIndices(examples.count, count: options.examplesPerPrompt).map { examples[$0] }
        for used in stride(from: chosen.count, through: 1, by: -1) {
            let shown = chosen.prefix(used).map {
                TemplateFill.fill(options.exampleTemplate, ["document": $0.document, "summary": $0.summary])
            }
            let text = TemplateFill.fill(options.template, ["examples": shown.joined(separator: "\n\n"), "document": post])
            if options.tokenCount(text) + options.maxTokens <= options.contextLength { return (text, used) }
        }
        return nil
    }

    /// Summarises `posts` (their first user turn), in order. Posts that do not fit even with one example are
    /// skipped and counted. Throws only what the teacher throws, after writing the records finished so far.
    public func run(posts: [PromptConversation], examples: [SummaryExample]) async throws -> CollectionResult {
        guard options.examplesPerPrompt >= 1, examples.count >= options.examplesPerPrompt else {
            throw GeneratorError.tooFewSeeds(what: "TLDR example pairs", have: examples.count, need: max(1, options.examplesPerPrompt))
        }
        try TemplateFill.check(options.template, named: options.templateName, needs: ["examples", "document"])
        try TemplateFill.check(options.studentTemplate, named: "student template", needs: ["document"])
        var report = CollectionReport(generator: "tldr-synthetic")
        var indexer = SampleIndexer()
        var jobs: [(post: PromptConversation, request: ChatCompletionRequest, sampleIndex: Int, examples: Int)] = []
        for (index, post) in posts.enumerated() {
            guard let text = post.userTurns.first, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                report.skip("empty post")
                continue
            }
            guard let built = self.prompt(index, post: text, examples: examples) else {
                report.skip("does not fit in the context even with one example")
                continue
            }
            let (prompt, used) = built
            let request = ChatCompletionRequest(model: options.model ?? teacher.model, messages: [APIMessage(role: "user", content: prompt)],
                                                temperature: options.temperature, maxTokens: options.maxTokens)
            jobs.append((post, request, indexer.next(for: request), used))
        }
        var slots = [ConversationRecord?](repeating: nil, count: jobs.count)
        var progress = CollectionProgress(stage: "tldr-synthetic", done: 0, total: jobs.count, cached: 0, failed: 0)
        let checkpoint = Checkpointer(settings)
        let snapshot = { slots.compactMap { $0 } }
        let planned = jobs.map { ($0.request, $0.sampleIndex) }
        var emptySummaries = 0
        try await checkpoint.guarding(snapshot) {
            try await askAll(teacher, planned, settings: settings, report: &report, progress: &progress) { k, reply in
                if case .answered(let summary, _, _, _) = reply, summary.allSatisfy(\.isWhitespace) {
                    emptySummaries += 1  // an empty summary is not a record
                } else if case .answered(let summary, let key, _, _) = reply {
                    slots[k] = record(jobs[k].post, summary: summary, key: key, sampleIndex: jobs[k].sampleIndex,
                                      examplesUsed: jobs[k].examples)
                }
                try checkpoint.tick(snapshot)
            }
        }
        report.malformedDropped += emptySummaries
        return try checkpoint.finish(snapshot(), report: report)
    }

    func record(_ post: PromptConversation, summary: String, key: String, sampleIndex: Int, examplesUsed: Int) -> ConversationRecord {
        let user = TemplateFill.fill(options.studentTemplate, ["document": post.userTurns.first ?? ""])
        let meta = RecordMeta(generator: "tldr-synthetic", teacher: teacher.model, template: options.templateName,
                              temperature: options.temperature, seed: options.seed, source: post.source,
                              requestHash: key, sampleIndex: sampleIndex, extra: ["examples_used": .int(examplesUsed)])
        return ConversationRecord(messages: [ChatMessage(role: "user", content: user),
                                             ChatMessage(role: "assistant", content: summary.trimmingCharacters(in: .whitespacesAndNewlines))],
                                  meta: meta)
    }
}
