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

    /// Runs the prompt and draws the first token. The slot is done afterwards if it only scored the prompt,
    /// the first token ended it, or it failed. Echo scoring runs all but the last prompt token in one pass, as
    /// `LanguageModel.loglikelihood` does (so the two agree to rounding), then the last token when generating.
    func prefill(_ model: any LanguageModel) {
        if sink.isCancelled { return finish(.failed("cancelled")) }
        do {
            let cache = model.makeCache(capacity: job.prompt.count + job.maxTokens)
            self.cache = cache
            let V = model.vocabularySize
            var pending = job.prompt[...]
            if job.promptLogprobs {
                var scored: [TokenLogprob?] = [nil]
                if job.prompt.count > 1 {
                    let logits = try model.forward(Array(job.prompt.dropLast()), cache: cache, logits: .all)
                    for i in 1..<job.prompt.count {
                        scored.append(logprobs(logits.row(i - 1), vocab: V, token: job.prompt[i], top: job.topLogprobs ?? 0))
                    }
                    pending = job.prompt.suffix(1)
                }
                sink.send(choice, .prompt(scored))
            }
            if job.maxTokens == 0 { return finish(.finished(rest: "", reason: .length, stopToken: nil)) }
            let logits = try model.forward(Array(pending), cache: cache, logits: .last)
            accept(logits.data, vocab: V)
        } catch {
            finish(.failed("The model failed on the prompt: \(error.localizedDescription)"))
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
