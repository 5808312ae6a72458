// The engine scheduler: one thread owns the model; requests queue, each choice gets its own KV cache and sampler,
// and every step advances all running sequences together in batched decode passes. Sequences join and leave
// between steps; new prompts run in pieces of `prefillChunk` tokens between the steps (continuous batching).
import Foundation
import MimicCore
import MimicModels
import MimicTensor
import MimicTokenizers

/// A submitted request: its events, and a way to stop it.
struct EngineRequest: Sendable {
    let events: AsyncStream<(Int, EngineEvent)>
    let sink: RequestSink

    /// Stops the request's unfinished jobs at their next step.
    func cancel() { sink.cancel() }
}

/// Runs generation jobs on a dedicated thread, decoding up to `parallel` sequences together.
final class Engine: @unchecked Sendable {
    let model: any LanguageModel
    let tokenizer: any Tokenizer
    /// Most sequences running at once.
    let parallel: Int
    /// Prompt tokens run between two decode steps while sequences are decoding (0: whole prompts).
    let prefillChunk: Int
    /// Most sequences in one batched decode pass (the decode kernels' limit).
    let maxBatch = WeightMatrix.decodeBatchLimit
    private let condition = NSCondition()
    private var queue: [EngineSlot] = []
    private var stopping = false
    private var exited = false
    /// Most sequences waiting; `submit` refuses more.
    let maxQueued: Int
    /// Sequences running (set by the engine thread under the lock).
    private var running = 0

    init(model: any LanguageModel, tokenizer: any Tokenizer, parallel: Int, prefillChunk: Int, maxQueued: Int = 256) {
        self.model = model
        self.tokenizer = tokenizer
        self.parallel = parallel
        self.prefillChunk = prefillChunk
        self.maxQueued = maxQueued
        let thread = Thread { [self] in loop() }
        thread.name = "mimic-engine"
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Sequences queued or running now.
    var busy: Int { condition.withLock { queue.count + running } }

    /// Queues one sequence per job; the request's stream yields (job index, event) and ends after every job's last
    /// event. Cancelling the request, or dropping its stream early (a client that went away), stops its jobs.
    /// Throws a 429 when the queue holds `maxQueued` sequences already.
    func submit(_ jobs: [GenerationJob]) throws -> EngineRequest {
        let (stream, continuation) = AsyncStream.makeStream(of: (Int, EngineEvent).self)
        let sink = RequestSink(choices: jobs.count, continuation: continuation)
        let request = EngineRequest(events: stream, sink: sink)
        guard !jobs.isEmpty else {
            continuation.finish()
            return request
        }
        continuation.onTermination = { _ in sink.cancel() }
        let slots = jobs.enumerated().map { EngineSlot(job: $1, choice: $0, sink: sink, tokenizer: tokenizer) }
        guard slots.count <= maxQueued else {
            continuation.finish()
            throw APIError.badRequest("The request has \(slots.count) sequences (prompts × n); this server queues at most \(maxQueued).",
                                      param: "n")
        }
        condition.lock()
        let refused = stopping
        let full = !refused && queue.count + slots.count > maxQueued
        if !refused && !full {
            queue.append(contentsOf: slots)
            condition.signal()
        }
        condition.unlock()
        if full {
            continuation.finish()
            throw APIError(.tooManyRequests, "The server is busy: \(maxQueued) sequences are already waiting. Retry later.",
                           type: "server_error", code: "server_busy")
        }
        if refused { slots.forEach { $0.fail("The server is shutting down.") } }
        return request
    }

    /// Stops the thread after failing every queued and running job; returns once it has exited.
    func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !exited { condition.wait() }
        condition.unlock()
    }

    private func loop() {
        var active: [EngineSlot] = [], prefilling: [EngineSlot] = []
        while true {
            condition.lock()
            while queue.isEmpty && active.isEmpty && prefilling.isEmpty && !stopping { condition.wait() }
            if stopping {
                let rest = queue + prefilling + active
                queue = []
                condition.unlock()
                rest.forEach { $0.fail("The server is shutting down.") }
                condition.lock()
                exited = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let admitted = Array(queue.prefix(parallel - active.count - prefilling.count))
            queue.removeFirst(admitted.count)
            prefilling += admitted
            running = active.count + prefilling.count
            condition.unlock()
            // Prompts first come first served, in pieces, until `prefillChunk` tokens have run (at least one piece;
            // every waiting prompt whole when nothing is decoding): a running stream waits about one piece.
            var spent = 0
            while let slot = prefilling.first, prefillChunk == 0 || spent < prefillChunk || active.isEmpty {
                spent += slot.prefill(model, chunk: prefillChunk)
                if slot.isDone || slot.isPrefilled {
                    prefilling.removeFirst()
                    if !slot.isDone { active.append(slot) }
                }
            }
            step(active)
            active.removeAll { $0.isDone }
            condition.withLock { running = active.count + prefilling.count }
        }
    }

    /// One decode step for every running sequence, in batches of at most `maxBatch`.
    private func step(_ active: [EngineSlot]) {
        let running = active.filter { !$0.isDone }
        var start = 0
        while start < running.count {
            let batch = Array(running[start..<min(start + maxBatch, running.count)])
            start += batch.count
            let caches = batch.compactMap(\.cache)
            guard caches.count == batch.count else {
                batch.forEach { $0.fail("internal error: a running sequence has no cache") }
                continue
            }
            do {
                let logits = try model.decodeStep(batch.map(\.nextToken), caches: caches)
                for (b, slot) in batch.enumerated() { slot.accept(logits.row(b), vocab: model.vocabularySize) }
            } catch {
                batch.forEach { $0.fail("The model failed while decoding: \(error.localizedDescription)") }
            }
        }
    }
}
