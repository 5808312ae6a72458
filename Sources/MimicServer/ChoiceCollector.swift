// Gathers the engine's events for a request into whole choices (text, tokens, log-probabilities, finish reason),
// and writes server-sent events.
import Foundation
import Hummingbird
import MimicModels
import NIOCore

/// Everything one choice produced.
struct ChoiceResult: Sendable {
    var text = ""
    var tokens: [Int] = []
    var logprobs: [TokenLogprob] = []
    var promptLogprobs: [TokenLogprob?]?
    var finishReason: FinishReason?
    /// The stop token that ended the choice, if one did.
    var stopToken: StopToken?

    /// Tokens the model generated: the text's, and the stop token (as vLLM counts them).
    var generatedCount: Int { tokens.count + (stopToken == nil ? 0 : 1) }

    /// Every generated token's log-probability, the stop token's last (when log-probabilities were asked for).
    var generatedLogprobs: [TokenLogprob] { logprobs + (stopToken?.logprob.map { [$0] } ?? []) }
}

extension Engine {
    /// Submits a request's jobs after checking its size (at most `budget` tokens across its choices: 400), and stops
    /// them when the client of `connection` goes: a client that went away, streaming or not, leaves no work behind.
    func submit(_ jobs: [GenerationJob], budget: Int, connection: ClientConnection?) throws -> EngineRequest {
        let asked = jobs.reduce(0) { $0 + $1.maxTokens }
        guard asked <= budget else {
            throw APIError.badRequest("The request asks for \(asked) tokens across its choices (n × max_tokens); this server "
                                      + "allows \(budget) per request.", param: "max_tokens")
        }
        let request = try submit(jobs)
        if let connection {
            let token = connection.watch.whenGone(connection.channel) { request.cancel() }
            request.sink.onEnd { connection.watch.done(connection.channel, token) }
        }
        return request
    }
}

/// A request's connection and the watch that knows when its client goes.
struct ClientConnection: Sendable {
    let channel: any Channel
    let watch: ClientWatch

}

/// Reads a request's event stream to the end; throws a 500 APIError if any choice failed.
func collectChoices(_ request: EngineRequest, count: Int) async throws -> [ChoiceResult] {
    defer { request.cancel() }
    var results = [ChoiceResult](repeating: ChoiceResult(), count: count)
    var failure: String?
    for await (i, event) in request.events where results.indices.contains(i) {
        switch event {
        case .prompt(let scored): results[i].promptLogprobs = scored
        case .token(let id, let text, let logprob):
            results[i].text += text
            results[i].tokens.append(id)
            if let logprob { results[i].logprobs.append(logprob) }
        case .finished(let rest, let reason, let stop):
            results[i].text += rest
            results[i].finishReason = reason
            results[i].stopToken = stop
        case .failed(let message): failure = failure ?? message
        }
    }
    if let failure { throw APIError(.internalServerError, failure, type: "server_error") }
    guard results.allSatisfy({ $0.finishReason != nil }) else {
        throw APIError(.serviceUnavailable, "The request was cancelled before it finished.", type: "server_error")
    }
    return results
}

/// One server-sent event: `data: <json>\n\n`.
func sseEvent<T: Encodable>(_ value: T) -> ByteBuffer {
    let json = (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
    var buffer = ByteBuffer(string: "data: ")
    buffer.writeBytes(json)
    buffer.writeString("\n\n")
    return buffer
}

/// The event that ends a stream.
let sseDone = ByteBuffer(string: "data: [DONE]\n\n")

/// A streaming response whose body `write` produces; the engine stream is cancelled when writing stops.
func sseResponse(_ write: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void) -> Response {
    Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
             body: ResponseBody { writer in
                 try await write(&writer)
                 try await writer.finish(nil)
             })
}

/// A random id such as `chatcmpl-3f2a…`.
func responseID(_ prefix: String) -> String {
    prefix + "-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
}

/// Seconds since 1970, as OpenAI's `created`.
func unixTime() -> Int { Int(Date().timeIntervalSince1970) }
