// One running sequence in the engine: its own KV cache, sampler, stop-string stream and output, fed one logits
// row at a time; and the per-request sink its events go to.
import Foundation
import MimicCore
import MimicModels
import MimicTensor
import MimicTokenizers

/// Where the events of one request's choices go; cancelled when the client goes away.
final class RequestSink: @unchecked Sendable {
    private let lock = NSLock()
    private let continuation: AsyncStream<(Int, EngineEvent)>.Continuation
    private var remaining: Int
    private var cancelledFlag = false
    private var endActions: [@Sendable () -> Void] = []

    init(choices: Int, continuation: AsyncStream<(Int, EngineEvent)>.Continuation) {
        remaining = choices
        self.continuation = continuation
    }

    var isCancelled: Bool { lock.withLock { cancelledFlag } }

    func cancel() { lock.withLock { cancelledFlag = true } }

    func send(_ choice: Int, _ event: EngineEvent) { continuation.yield((choice, event)) }

    /// Runs `action` once every choice has ended (at once if they have).
    func onEnd(_ action: @escaping @Sendable () -> Void) {
        let now = lock.withLock { () -> Bool in
            guard remaining > 0 else { return true }
            endActions.append(action)
            return false
        }
        if now { action() }
    }

    /// Sends the last event of a choice; the stream ends after the last choice's.
    func end(_ choice: Int, _ event: EngineEvent) {
        continuation.yield((choice, event))
        let actions = lock.withLock { () -> [@Sendable () -> Void]? in
            remaining -= 1
            guard remaining == 0 else { return nil }
            defer { endActions = [] }
            return endActions
        }
        if let actions {
            // The actions first: once the stream ends, the request may answer its client at once, and what it set
            // up (the watch on its connection) must be gone by then.
            actions.forEach { $0() }
            continuation.finish()
        }
    }
}

/// The state of one sequence; touched only by the engine thread.
final class EngineSlot {
    let job: GenerationJob
    let choice: Int
    let sink: RequestSink
    private(set) var cache: KVCache?
    private var sampler: Sampler
    private var history: [Int]
    private var stream: StopStringStream
    private var generated = 0
    /// The token to feed at the next decode step.
    private(set) var nextToken = 0
    private(set) var isDone = false

    init(job: GenerationJob, choice: Int, sink: RequestSink, tokenizer: any Tokenizer) {
        self.job = job
        self.choice = choice
        self.sink = sink
        sampler = Sampler(job.sampling)
        history = job.prompt
        stream = StopStringStream(stops: job.stopStrings, decoder: StreamingDecoder(tokenizer: tokenizer))
    }

    /// Prompt tokens in the cache so far.
    private(set) var prefilled = 0
    /// Whether the whole prompt has run (the first token is drawn with its last piece).
    var isPrefilled: Bool { prefilled == job.prompt.count }

    /// Runs the next piece of the prompt: its next `chunk` tokens (0: the rest), so a prompt is cut in the same places
    /// whatever else is running; after the last piece, draws the first token. Returns the prompt tokens it ran. The
    /// slot is done afterwards if it only scored the prompt, the first token ended it, or it failed. Echo scoring runs
    /// all but the last prompt token in one pass whatever `chunk` is, as `LanguageModel.loglikelihood` does (so the
    /// two agree to rounding), then the last token when generating.
    func prefill(_ model: any LanguageModel, chunk: Int) -> Int {
        let before = prefilled
        if sink.isCancelled {
            finish(.failed("cancelled"))
            return 0
        }
        do {
            let V = model.vocabularySize
            let cache: KVCache
            if let existing = self.cache {
                cache = existing
            } else {
                cache = model.makeCache(capacity: job.prompt.count + job.maxTokens)
                self.cache = cache
                if job.promptLogprobs {
                    var scored: [TokenLogprob?] = [nil]
                    if job.prompt.count > 1 {
                        let logits = try model.forward(Array(job.prompt.dropLast()), cache: cache, logits: .all)
                        for i in 1..<job.prompt.count {
                            scored.append(logprobs(logits.row(i - 1), vocab: V, token: job.prompt[i], top: job.topLogprobs ?? 0))
                        }
                        prefilled = job.prompt.count - 1
                    }
                    sink.send(choice, .prompt(scored))
                }
                if job.maxTokens == 0 {
                    finish(.finished(rest: "", reason: .length, stopToken: nil))
                    return prefilled - before
                }
            }
            let start = prefilled
            let end = chunk > 0 ? min(job.prompt.count, start + chunk) : job.prompt.count
            let last = end == job.prompt.count
            let logits = try model.forward(Array(job.prompt[start..<end]), cache: cache, logits: last ? .last : .none)
            prefilled = end
            if last { accept(logits.data, vocab: V) }
            return prefilled - before
        } catch {
            finish(.failed("The model failed on the prompt: \(error.localizedDescription)"))
            return prefilled - before
        }
    }

    /// Draws the next token from its logits and reports it; ends the slot at a stop token, stop string or limit.
    func accept(_ row: UnsafePointer<Float>, vocab: Int) {
        if sink.isCancelled { return finish(.failed("cancelled")) }
        let token = sampler.sample(row, count: vocab, history: history)
        let logprob = job.topLogprobs.map { logprobs(row, vocab: vocab, token: token, top: $0) }
        if job.stopTokens.contains(token) {
            return finish(.finished(rest: stream.finish(), reason: .stop, stopToken: StopToken(id: token, logprob: logprob)))
        }
        generated += 1
        history.append(token)
        let (piece, hitStop) = stream.append(token)
        sink.send(choice, .token(id: token, text: piece, logprob: logprob))
        if hitStop { return finish(.finished(rest: "", reason: .stop, stopToken: nil)) }
        if generated >= job.maxTokens { return finish(.finished(rest: stream.finish(), reason: .length, stopToken: nil)) }
        nextToken = token
    }

    /// Ends the slot with a model error.
    func fail(_ message: String) { finish(.failed(message)) }

    private func finish(_ event: EngineEvent) {
        guard !isDone else { return }
        isDone = true
        cache = nil
        sink.end(choice, event)
    }
}
