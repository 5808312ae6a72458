// `mimic judge` as a library call: each system's answers against the baseline's, matched by prompt, judged in both
// orders (or one seeded order) through the one client stack (cache, ledger, budget), written as judgments JSONL
// and summarised (`PairwiseSummary`) in OUT.judge.json.
import Foundation
import MimicCore
import MimicData
import MimicMetrics
import MimicTeacher

/// What `mimic judge` is configured by.
public struct JudgeConfig: StageConfig, Hashable {
    /// Which orders each item is judged in.
    public enum Orders: String, ConfigChoice {
        /// A first and B first: the position bias shows and cancels.
        case both
        /// One order per item, drawn from the seed.
        case one
    }

    /// The systems judged (conversation JSONL of their answers), each against `b`.
    public var a: [String] = []
    /// The baseline's answers (the teacher's, say).
    public var b = ""
    /// The judge: `local:MODEL` (served by Mimic) or `openai:MODEL[@URL]`.
    public var judge = ModelRef.local("smollm2-135m-instruct")
    /// The judge prompt (judges/pairwise.yaml, judges/scores.yaml, or the user's own).
    public var prompt = "judges/pairwise.yaml"
    public var orders = Orders.both
    /// The judgments JSONL to write (`OUT.judge.json` beside it holds the config and the summaries).
    public var out = ""
    /// Seeds the one-order draws and the bootstrap.
    public var seed: UInt64 = 0
    /// The judge's reply limit, in tokens.
    public var maxTokens = 512
    /// Bootstrap resamples for the win rate's interval.
    public var resamples = 1000
    /// How requests are sent, cached, billed and limited (the run defaults to the output file's name).
    public var client = ClientConfig()

    /// The defaults.
    public init() {}

    /// The ledger's run: `client.run`, else the output file's name.
    public var runName: String { client.run ?? URL(fileURLWithPath: out).deletingPathExtension().lastPathComponent }

    public func validate() throws {
        try ConfigError.require(!a.isEmpty, "a", "names no answers file", hint: "--a FILE (repeat for more systems)")
        for (i, path) in a.enumerated() { try DataStages.checkInput(path, field: "a[\(i)]") }
        try DataStages.checkInput(b, field: "b")
        try DataStages.checkOutput(out)
        try ConfigError.require(maxTokens >= 1, "max_tokens", "is \(maxTokens)", hint: "at least 1")
        try ConfigError.require(resamples >= 0, "resamples", "is \(resamples)", hint: "0 or more")
        try client.validate()
    }
}

/// One system's result against the baseline.
public struct JudgeSystemSummary: Codable, Sendable, Equatable {
    /// The system's answers file.
    public var system: String
    /// What was matched with the baseline, and what was not.
    public var matching: AnswerMatchReport
    /// The figures.
    public var summary: PairwiseSummary
}

/// What a judge run did; written as `OUT.judge.json`.
public struct JudgeRunSummary: Codable, Sendable, Equatable {
    /// The resolved config.
    public var config: JudgeConfig
    /// The judge model sent, and the prompt's SHA-256.
    public var judgeModel: String
    public var promptHash: String
    /// One per system.
    public var systems: [JudgeSystemSummary]
    /// Requests sent now, answered from the cache, and failed; dollars spent by this run in all.
    public var sent: Int
    public var cached: Int
    public var failed: Int
    public var runSpentUSD: Double
}

/// The judge stage.
public enum JudgeStage {
    /// One judgment to make: an item of a system, in one order.
    struct Job: Sendable {
        var system: Int
        var pair: AnswerPair
        var id: String
        var order: Judgment.Order
    }

    /// Judges every system of `config.a` against `config.b`; writes the judgments and `OUT.judge.json`.
    public static func run(_ config: JudgeConfig, progress: ProgressReporter = .silent) async throws -> JudgeRunSummary {
        try config.validate()
        let prompt = try JudgePrompt.load(config.prompt)
        try ConfigError.require(prompt.kind != .rubric, "prompt", "\(config.prompt) is a rubric (one answer)",
                                hint: "a pairwise judge needs a verdict or scores prompt")
        let baseline = try AnswerFile.read(config.b, name: config.b)
        let matchings = try config.a.map { path in
            let matching = AnswerMatcher.match(baseline: baseline, candidate: try AnswerFile.read(path, name: path))
            try matching.requireMatches()
            return matching
        }
        let jobs = plan(matchings, orders: config.orders, seed: config.seed)
        let stack = try await ClientStack.open(config.judge, config: config.client, run: config.runName)
        var judgments = [Judgment?](repeating: nil, count: jobs.count)
        do {
            var done = 0
            try await runBounded(count: jobs.count, maxInFlight: max(1, config.client.concurrency), { k in
                try await judge(jobs[k], prompt: prompt, config: config, stack: stack)
            }, onResult: { k, judgment in
                judgments[k] = judgment
                done += 1
                progress.update("judge", done: done, total: jobs.count, unit: "judgments")
            })
        } catch {
            await stack.close()
            throw error
        }
        progress.finish()
        let stats = await stack.teacher.stats
        await stack.close()
        let all = judgments.compactMap { $0 }
        try JSONLinesWriter.write(all, to: URL(fileURLWithPath: config.out))
        let systems = matchings.enumerated().map { s, matching in
            JudgeSystemSummary(system: config.a[s], matching: matching.report,
                               summary: PairwiseSummary(zip(jobs, all).filter { $0.0.system == s }.map(\.1),
                                                        seed: config.seed, resamples: config.resamples))
        }
        let summary = JudgeRunSummary(config: config, judgeModel: stack.model, promptHash: prompt.hash, systems: systems,
                                      sent: stats.sent, cached: stats.cached, failed: stats.failed, runSpentUSD: stats.runSpentUSD)
        try ConfigResolver.write(summary, to: config.out + ".judge.json")
        return summary
    }

    /// The judgments to make, system by system in the baseline's order: both orders, or one drawn per item.
    static func plan(_ matchings: [AnswerMatching], orders: JudgeConfig.Orders, seed: UInt64) -> [Job] {
        matchings.enumerated().flatMap { s, matching in
            matching.pairs.enumerated().flatMap { i, pair -> [Job] in
                let id = pair.baseline.id ?? String(SHA256.hex(Data((pair.baseline.prompt ?? "").utf8)).prefix(16))
                var rng = SplitMix64(seed: seed, stream: UInt64(s) << 32 | UInt64(i))
                let chosen: [Judgment.Order] = orders == .both ? [.ab, .ba] : [rng.below(2) == 0 ? .ab : .ba]
                return chosen.map { Job(system: s, pair: pair, id: id, order: $0) }
            }
        }
    }

    /// What the judge said to one question: the reading, its text, the request's key.
    struct Asked {
        var reading: JudgePrompt.Reading
        var text: String?
        var key: String
    }

    /// Asks the judge `messages` at temperature 0 and reads the reply; an unreadable one is asked once more (the
    /// next sample: another cache key). A failed request reads as `.unreadable` with the reason.
    static func ask(_ messages: [ChatMessage], prompt: JudgePrompt, stack: ClientStack, maxTokens: Int) async throws -> Asked {
        let choice = prompt.kind == .choice   // one token, read from its alternatives' probabilities
        let request = ChatCompletionRequest(model: stack.model, messages: messages.map { APIMessage(role: $0.role, content: $0.content) },
                                            temperature: 0, maxTokens: choice ? 1 : maxTokens, logprobs: choice ? true : nil,
                                            topLogprobs: choice ? JudgePrompt.choiceAlternatives : nil)
        var asked = Asked(reading: .unreadable("not asked"), text: nil, key: "")
        for attempt in 0..<2 {
            switch try await stack.teacher.chat(request, sampleIndex: attempt) {
            case .failed(let key, let reason):
                return Asked(reading: .unreadable("the request failed: " + reason), text: nil, key: key)
            case .answered(let response, let key, _):
                if choice {
                    let (reading, text) = prompt.read(logprobs: response.choices.first?.logprobs)
                    asked = Asked(reading: reading, text: text, key: key)
                    if case .unreadable = reading { continue }
                    return asked
                }
                let text = response.choices.first?.message.content ?? ""
                asked = Asked(reading: prompt.read(text), text: text, key: key)
                if case .unreadable = asked.reading { continue }
                return asked
            }
        }
        return asked
    }

    /// One judgment: the answers shown in the job's order, the reply mapped back to the systems.
    static func judge(_ job: Job, prompt: JudgePrompt, config: JudgeConfig, stack: ClientStack) async throws -> Judgment {
        let a = job.pair.candidateAnswer, b = job.pair.baselineAnswer
        let question = job.pair.baseline.prompt ?? ""
        let asked = try await ask(prompt.messages(question: question, answers: job.order == .ab ? [a, b] : [b, a]),
                                  prompt: prompt, stack: stack, maxTokens: config.maxTokens)
        var judgment = Judgment(id: job.id, order: job.order, verdict: .error, aWords: StyleText.wordCount(a), bWords: StyleText.wordCount(b))
        judgment.a = config.a[job.system]
        judgment.b = config.b
        judgment.prompt = question
        judgment.judge = stack.model
        judgment.template = prompt.hash
        judgment.requestKey = asked.key
        judgment.judgeText = asked.text
        if case .unreadable(let why) = asked.reading { judgment.problem = why }
        apply(asked.reading, order: job.order, to: &judgment)
        return judgment
    }

    /// A rubric judge's yes/no label of each (question, answer), in order; nil where the reply could not be read
    /// (twice) or the request failed. Requests go through `stack` (cache, ledger, budget), `concurrency` at once.
    public static func labels(_ items: [(question: String, answer: String)], prompt: JudgePrompt, stack: ClientStack,
                              maxTokens: Int, concurrency: Int, progress: ProgressReporter = .silent) async throws -> [Bool?] {
        guard prompt.kind == .rubric else {
            throw ConfigError(field: "judge_prompt", problem: "\(prompt.path) is a \(prompt.kind.rawValue) prompt", hint: "a label needs a rubric prompt")
        }
        var labels = [Bool?](repeating: nil, count: items.count)
        var done = 0
        try await runBounded(count: items.count, maxInFlight: max(1, concurrency), { k in
            try await ask(prompt.messages(question: items[k].question, answers: [items[k].answer]), prompt: prompt, stack: stack,
                          maxTokens: maxTokens).reading
        }, onResult: { k, reading in
            labels[k] = reading == .yes ? true : reading == .no ? false : nil
            done += 1
            progress.update("labels", done: done, total: items.count, unit: "answers")
        })
        progress.finish()
        return labels
    }

    /// Sets the verdict (and scores) of `judgment` from a reading about the answers as shown in `order`.
    static func apply(_ reading: JudgePrompt.Reading, order: Judgment.Order, to judgment: inout Judgment) {
        let firstIsA = order == .ab
        func set(_ scores: (Double, Double)?) {
            guard let (s1, s2) = scores else { return }
            (judgment.aScore, judgment.bScore) = firstIsA ? (s1, s2) : (s2, s1)
        }
        switch reading {
        case .first(let scores): judgment.verdict = firstIsA ? .a : .b; set(scores)
        case .second(let scores): judgment.verdict = firstIsA ? .b : .a; set(scores)
        case .tie(let scores): judgment.verdict = .tie; set(scores)
        case .yes, .no, .unreadable: judgment.verdict = .error
        }
    }

    /// The summary of a judgments file (made by `mimic judge` or anywhere else in its schema); a malformed line is a
    /// `RecordFileError` naming its line.
    public static func summarize(_ path: String, seed: UInt64 = 0, resamples: Int = 1000) throws -> PairwiseSummary {
        try DataStages.checkInput(path, field: "judgments")
        let judgments = try JSONLines.decodeAll(Judgment.self, in: URL(fileURLWithPath: path))
        return PairwiseSummary(judgments, seed: seed, resamples: resamples)
    }
}

/// What `mimic judge summarize` is configured by.
public struct JudgeSummarizeConfig: StageConfig, Hashable {
    /// The judgments JSONL.
    public var judgments = ""
    /// Seeds the bootstrap.
    public var seed: UInt64 = 0
    /// Bootstrap resamples.
    public var resamples = 1000

    /// The defaults.
    public init() {}

    public func validate() throws {
        try DataStages.checkInput(judgments, field: "judgments")
        try ConfigError.require(resamples >= 0, "resamples", "is \(resamples)", hint: "0 or more")
    }
}

extension JudgeStage {
    /// The summary of `config.judgments` alone.
    public static func summarize(_ config: JudgeSummarizeConfig) throws -> PairwiseSummary {
        try config.validate()
        return try summarize(config.judgments, seed: config.seed, resamples: config.resamples)
    }
}
