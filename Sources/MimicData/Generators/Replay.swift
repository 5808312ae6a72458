// Replay: send the user turns of existing conversations (a prompt file, ShareGPT) to the teacher and record its
// answers, either the first turn only or turn by turn with the teacher's own earlier answers as history.
import Foundation
import MimicCore
import MimicTeacher
import MimicTokenizers

/// How much of a multi-turn conversation is replayed.
public enum ReplayMode: String, ConfigChoice {
    /// Only the first user turn (with the system prompt, if any).
    case firstTurn = "first-turn"
    /// Every user turn in order; the history sent is the teacher's own earlier answers, not the file's.
    case turnByTurn = "turn-by-turn"
}

/// Options of `ReplayGenerator`.
public struct ReplayOptions: Sendable, Hashable {
    /// First turn only, or turn by turn.
    public var mode: ReplayMode
    /// The model name sent; nil sends the teacher's `model`.
    public var model: String?
    /// Sampling temperature; nil leaves it to the server.
    public var temperature: Double?
    /// Answer length limit; nil leaves it to the server.
    public var maxTokens: Int?
    /// The run's seed (recorded in `meta`; replay itself draws nothing at random).
    public var seed: UInt64
    /// Whether a system prompt at the start of a conversation is sent (and kept in the record).
    public var keepSystemPrompt: Bool
    /// Which answer to each prompt is asked for: 0 the first; 1 a second one, cached apart from the first (the
    /// paper's "ChatGPT #2"), and so on.
    public var sample = 0

    /// Creates options.
    public init(mode: ReplayMode = .firstTurn, model: String? = nil, temperature: Double? = nil, maxTokens: Int? = nil,
                seed: UInt64 = 0, keepSystemPrompt: Bool = true) {
        self.mode = mode
        self.model = model
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.seed = seed
        self.keepSystemPrompt = keepSystemPrompt
    }
}

/// `mimic collect replay`: one record per input conversation, in input order.
public struct ReplayGenerator: Sendable {
    /// Who answers.
    public let teacher: any Teacher
    /// What is sent.
    public let options: ReplayOptions
    /// Parallelism, output and progress.
    public let settings: CollectionSettings

    /// Creates a replay generator.
    public init(teacher: any Teacher, options: ReplayOptions = ReplayOptions(), settings: CollectionSettings = CollectionSettings()) {
        self.teacher = teacher
        self.options = options
        self.settings = settings
    }

    /// One conversation's plan: the turns to send and the sample index its requests use.
    struct Plan: Sendable {
        var prompt: PromptConversation
        var system: String?
        var turns: [String]
        var sampleIndex: Int
    }

    enum Outcome: Sendable {
        case record(ConversationRecord, [TeacherReply])
        case failed([TeacherReply])
    }

    /// Replays `prompts`; records come back (and are written to `settings.output`) in the prompts' order.
    /// Throws only what the teacher throws (budget, cancellation), after writing the records finished so far.
    public func run(_ prompts: [PromptConversation]) async throws -> CollectionResult {
        var report = CollectionReport(generator: "replay")
        let plans = plan(prompts, report: &report)
        var slots = [ConversationRecord?](repeating: nil, count: plans.count)
        let total = plans.reduce(0) { $0 + $1.turns.count }
        var progress = CollectionProgress(stage: "replay", done: 0, total: total, cached: 0, failed: 0)
        let checkpoint = Checkpointer(settings)
        let snapshot = { slots.compactMap { $0 } }
        try await checkpoint.guarding(snapshot) {
            try await runBounded(count: plans.count, maxInFlight: settings.maxInFlight, { index in
                try await self.replay(plans[index])
            }, onResult: { index, outcome in
                let replies: [TeacherReply]
                switch outcome {
                case .record(let record, let r): slots[index] = record; replies = r
                case .failed(let r): replies = r
                }
                for reply in replies { reply.count(in: &report, progress: &progress) }
                settings.progress?(progress)
                try checkpoint.tick(snapshot)
            })
        }
        return try checkpoint.finish(snapshot(), report: report)
    }

    func plan(_ prompts: [PromptConversation], report: inout CollectionReport) -> [Plan] {
        var indexer = SampleIndexer()
        var plans: [Plan] = []
        for prompt in prompts {
            var turns = prompt.userTurns
            if let empty = turns.firstIndex(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
                turns.removeSubrange(empty...)
            }
            guard !turns.isEmpty else {
                report.skip("no non-empty user turn")
                continue
            }
            if options.mode == .firstTurn { turns = [turns[0]] }
            let system = options.keepSystemPrompt ? prompt.systemPrompt : nil
            // Identical conversations (same system prompt and user turns) get distinct sample indices.
            let identity = (system.map { [APIMessage(role: "system", content: $0)] } ?? [])
                + turns.map { APIMessage(role: "user", content: $0) }
            let sampleIndex = indexer.next(for: ChatCompletionRequest(model: "", messages: identity))
            plans.append(Plan(prompt: prompt, system: system, turns: turns, sampleIndex: sampleIndex + options.sample))
        }
        return plans
    }

    /// The sampling seed sent with a request: from the run's seed, the prompt's id, the sample and the turn, so a
    /// local teacher (which draws a random seed when none is sent) answers the same way on every run, and a second
    /// sample differs from the first.
    static func requestSeed(_ seed: UInt64, prompt: String, sample: Int, turn: Int) -> Int {
        let id = UInt64(SHA256.hex(Data(prompt.utf8)).prefix(16), radix: 16) ?? 0
        var rng = SplitMix64(seed: seed ^ id, stream: UInt64(sample) << 20 | UInt64(turn))
        return Int(truncatingIfNeeded: rng.next() >> 1)
    }

    /// Sends one conversation's turns in order; the first failure ends it (no record).
    func replay(_ plan: Plan) async throws -> Outcome {
        // The prompt's own system and user messages are recorded as read (their `name`, `weight`, … kept).
        let systemMessage = plan.prompt.messages.first.flatMap { $0.role == "system" ? $0 : nil }
        var history: [ChatMessage] = plan.system.map { [systemMessage ?? ChatMessage(role: "system", content: $0)] } ?? []
        let userMessages = plan.prompt.messages.filter { $0.role == "user" }
        var replies: [TeacherReply] = []
        for (index, turn) in plan.turns.enumerated() {
            let asked = index < userMessages.count && userMessages[index].content == turn ? userMessages[index] : nil
            history.append(asked ?? ChatMessage(role: "user", content: turn))
            let request = ChatCompletionRequest(
                model: options.model ?? teacher.model, messages: history.map { APIMessage(role: $0.role, content: $0.content) },
                temperature: options.temperature, maxTokens: options.maxTokens,
                seed: Self.requestSeed(options.seed, prompt: plan.prompt.id, sample: plan.sampleIndex, turn: index))
            let reply = try await TeacherReply.ask(teacher, request, sampleIndex: plan.sampleIndex)
            replies.append(reply)
            guard case .answered(let text, _, _, _) = reply else { return .failed(replies) }
            history.append(ChatMessage(role: "assistant", content: text))
        }
        var extra: [String: JSONValue] = ["prompt_id": .string(plan.prompt.id)]
        if replies.count > 1 { extra["request_hashes"] = .array(replies.map { .string($0.key) }) }
        let meta = RecordMeta(generator: "replay", teacher: teacher.model, template: "replay/\(options.mode.rawValue)",
                              temperature: options.temperature, seed: options.seed, source: plan.prompt.source,
                              requestHash: replies.last?.key, sampleIndex: plan.sampleIndex, extra: extra)
        return .record(ConversationRecord(messages: history, meta: meta), replies)
    }
}
