// `mimic style` as a library call: the paper's Table 2 style figures of a candidate's answers (and of a second
// teacher sample, the upper bound) against the teacher's, matched item by item; a typed `StageConfig` in, a
// `StyleReport` out (also written to `out`, loadable again by --config).
import Foundation
import MimicCore
import MimicData
import MimicMetrics
import MimicTeacher

/// What `mimic style` is configured by.
public struct StyleConfig: StageConfig, Hashable {
    /// The answers to score (conversation JSONL).
    public var candidate = ""
    /// The reference answers, the teacher's (conversation JSONL).
    public var reference = ""
    /// A second sample of the teacher's answers (the paper's "ChatGPT #2"), scored as a candidate against the reference.
    public var reference2: String?
    /// Seed of the bootstrap.
    public var seed: UInt64 = 1234
    /// Bootstrap resamples for each figure's 95% interval (0: no intervals).
    public var bootstrap = 1000
    /// Where to write the results (JSON), if anywhere.
    public var out: String?
    /// The judge that labels each answer's tone for `authoritative_tone` (nil: that figure is left out).
    public var judge: ModelRef?
    /// The rubric it is asked with.
    public var judgePrompt = "judges/authoritative.yaml"
    /// The judge's reply limit, in tokens.
    public var judgeMaxTokens = 256
    /// How the judge's requests are sent, cached, billed and limited (the run defaults to `style`).
    public var client = ClientConfig()

    /// The defaults.
    public init() {}

    public func validate() throws {
        try DataStages.checkInput(candidate, field: "candidate")
        try DataStages.checkInput(reference, field: "reference")
        if let reference2 { try DataStages.checkInput(reference2, field: "reference2") }
        try ConfigError.require(bootstrap >= 0, "bootstrap", "is \(bootstrap)", hint: "0 or more resamples")
        if let out { try ConfigError.require(!out.isEmpty, "out", "is empty", hint: "name the results JSON to write, or leave it out") }
        try ConfigError.require(judgeMaxTokens >= 1, "judge_max_tokens", "is \(judgeMaxTokens)", hint: "at least 1")
        try client.validate()
    }
}

/// One system's style figures against the reference, and how its items were matched.
public struct StyleResult: Codable, Sendable, Equatable {
    /// The figures (Table 2's rows), each with its count of items and interval.
    public var figures: StyleFigures
    /// Which items were compared, and which were not and why.
    public var matching: AnswerMatchReport
}

/// What `mimic style` found; written to `out` (with the resolved config, so `--config` reruns it).
public struct StyleReport: Codable, Sendable, Equatable {
    /// The resolved config.
    public var config: StyleConfig
    /// The candidate's figures.
    public var candidate: StyleResult
    /// The second teacher sample's figures, when one was given.
    public var reference2: StyleResult?
    /// What is not in the figures, and why (`authoritative_tone` needs a judge).
    public var notes: [String]
}

/// The style stage.
public enum StyleStage {
    /// Why `authoritative_tone` is missing from the figures.
    public static let judgeNote = "authoritative_tone: needs --judge (an LLM judge labels each answer; not computed, so not reported)"

    /// Reads the files (a malformed line is an error naming it), matches the candidate's items, and those of
    /// `reference2`, to the reference's (`AnswerMatcher`; no match at all is an error naming the file), computes
    /// the figures of each over its pairs in the reference's order (`StyleMetrics.figures`, seeded by `config.seed`),
    /// with `config.judge` labels each system's answers for `authoritative_tone` (`JudgeStage.labels`, through the
    /// one client stack), and writes the report to `config.out` when set.
    public static func run(_ config: StyleConfig, progress: ProgressReporter = .silent) async throws -> StyleReport {
        try config.validate()
        let reference = try AnswerFile.read(config.reference, name: "reference")
        var systems = [try AnswerFile.read(config.candidate, name: "candidate")]
        if let reference2 = config.reference2 { systems.append(try AnswerFile.read(reference2, name: "reference2")) }
        let matchings = AnswerMatcher.match(baseline: reference, candidates: systems)
        var results = try matchings.map { matching in
            try matching.requireMatches()
            let pairs = matching.pairs.map { (candidate: $0.candidateAnswer, reference: $0.baselineAnswer) }
            return StyleResult(figures: try StyleMetrics.figures(pairs, resamples: config.bootstrap, seed: config.seed),
                               matching: matching.report)
        }
        var notes = [judgeNote]
        if let judge = config.judge {
            notes = []
            let prompt = try JudgePrompt.load(config.judgePrompt)
            let stack = try await ClientStack.open(judge, config: config.client, run: config.client.run ?? "style")
            do {
                for (s, matching) in matchings.enumerated() {
                    let items = matching.pairs.map { (question: $0.baseline.prompt ?? "", answer: $0.candidateAnswer) }
                    let labels = try await JudgeStage.labels(items, prompt: prompt, stack: stack, maxTokens: config.judgeMaxTokens,
                                                             concurrency: config.client.concurrency, progress: progress)
                    results[s].figures.authoritativeTone = try StyleMetrics.authoritativeTone(labels, resamples: config.bootstrap,
                                                                                              seed: config.seed)
                    let unread = labels.filter { $0 == nil }.count
                    if unread > 0 {
                        notes.append("authoritative_tone (\(systems[s].name)): \(unread) of \(labels.count) answers got no readable label and are left out")
                    }
                }
            } catch {
                await stack.close()
                throw error
            }
            await stack.close()
        }
        let report = StyleReport(config: config, candidate: results[0], reference2: results.count > 1 ? results[1] : nil, notes: notes)
        if let out = config.out { try ConfigResolver.write(report, to: out) }
        return report
    }
}
