// A `ChatClient` for any OpenAI-compatible server (OpenAI, vLLM, SGLang, Ollama, `mimic serve`) over
// AsyncHTTPClient: JSON requests, server-sent-event streaming, HTTP errors mapped to `TeacherError`, key redacted.
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Talks to `{baseURL}/chat/completions`, `/completions` and `/models` of one `TeacherEndpoint`.
///
/// The client owns an `HTTPClient` (unless one is passed in) and must be shut down with `shutdown()` when no
/// longer needed; a debug build traps if an owned `HTTPClient` is released without that.
/// No error text ever holds the API key: every message passes through `TeacherEndpoint.redact`.
public final class OpenAIClient: ChatClient {
    /// The server and key this client talks to.
    public let endpoint: TeacherEndpoint
    /// Seconds a non-streaming request may take in all, and a stream may stay silent between two reads.
    public let timeout: Double
    /// The most bytes of one answer that are read; a larger answer fails as `.malformedResponse`.
    public let maxResponseBytes: Int

    private let http: HTTPClient
    private let ownsHTTP: Bool

    /// Opens a client for `endpoint`.
    /// - Parameters:
    ///   - timeout: seconds per request (whole answer), and the longest silence within a stream.
    ///   - maxConnections: HTTP/1 connections kept to the host; at least the traffic policy's `maxConcurrent`.
    ///   - maxResponseBytes: cap on one answer's body (default 64 MB), so a hostile server cannot exhaust memory.
    ///   - httpClient: an `HTTPClient` the caller owns and shuts down (e.g. `HTTPClient.shared`); when nil the
    ///     client makes its own, and `shutdown()` must be called.
    /// - Throws: `TeacherError.configuration` when the base URL is not http(s) or the time-out is not positive.
    public init(endpoint: TeacherEndpoint, timeout: Double = 600, maxConnections: Int = 64,
                maxResponseBytes: Int = 64 << 20, httpClient: HTTPClient? = nil) throws {
        let lower = endpoint.baseURL.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), URL(string: endpoint.baseURL) != nil else {
            throw TeacherError.configuration(
                "teacher base URL '\(endpoint.redact(endpoint.baseURL))' is not an http(s) URL "
                    + "(set --base-url or MIMIC_TEACHER_BASE_URL, e.g. https://api.openai.com/v1)")
        }
        guard timeout > 0, timeout.isFinite else {
            throw TeacherError.configuration("teacher time-out must be a positive number of seconds, got \(timeout)")
        }
        self.endpoint = endpoint
        self.timeout = timeout
        self.maxResponseBytes = max(1024, maxResponseBytes)
        if let httpClient {
            http = httpClient
            ownsHTTP = false
        } else {
            var configuration = HTTPClient.Configuration(
                timeout: .init(connect: .nanoseconds(Self.nanos(min(timeout, 30))), read: .nanoseconds(Self.nanos(timeout))))
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(1, maxConnections)
            // A refused connection fails at once; ThrottledClient decides about retrying, with back-off.
            configuration.connectionPool.retryConnectionEstablishment = false
            http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            ownsHTTP = true
        }
    }

    /// Closes the connections of an owned `HTTPClient`; call once, when done (a no-op for a borrowed one).
    public func shutdown() async throws {
        guard ownsHTTP else { return }
        try await http.shutdown()
    }

    // MARK: ChatClient

    /// `POST /chat/completions` (the request is sent with `stream` cleared).
    public func chat(_ request: ChatCompletionRequest) async throws -> ChatCompletionResponse {
        var request = request
        request.stream = nil
        request.streamOptions = nil
        return try await call(.POST, "/chat/completions", body: try encode(request, path: "/chat/completions"))
    }

    /// `POST /completions` (the request is sent with `stream` cleared).
    public func complete(_ request: CompletionRequest) async throws -> CompletionResponse {
        var request = request
        request.stream = nil
        return try await call(.POST, "/completions", body: try encode(request, path: "/completions"))
    }

    /// `GET /models`: the models the server offers.
    public func listModels() async throws -> ModelList {
        try await call(.GET, "/models", body: nil)
    }

    /// `POST /chat/completions` with `stream: true` and `stream_options.include_usage`; yields each event's chunk.
    /// A stream that ends before `data: [DONE]` (or inside an event) fails with `.malformedResponse("stream cut …")`.
    public func streamChat(_ request: ChatCompletionRequest) -> AsyncThrowingStream<ChatCompletionChunk, Error> {
        var request = request
        request.stream = true
        request.streamOptions = StreamOptions(includeUsage: true)
        let wire = request
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await self.runStream(wire) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: Requests

    private func call<T: Decodable>(_ method: HTTPMethod, _ path: String, body: Data?) async throws -> T {
        let label = "\(method.rawValue) \(path)"
        do {
            let response = try await http.execute(makeRequest(method, path, body: body, streaming: false),
                                                  timeout: .nanoseconds(Self.nanos(timeout)))
            try await Self.checkStatus(response, label: label)
            let buffer = try await response.body.collect(upTo: maxResponseBytes)
            return try Self.decode(T.self, from: Data(buffer.readableBytesView), label: label)
        } catch {
            throw mapError(error, label: label)
        }
    }

    private func runStream(_ request: ChatCompletionRequest,
                           emit: (ChatCompletionChunk) -> Void) async throws {
        let label = "POST /chat/completions (stream)"
        do {
            let body = try encode(request, path: "/chat/completions")
            // No overall deadline: a long answer may stream for minutes; the read time-out bounds each silence.
            let response = try await http.execute(makeRequest(.POST, "/chat/completions", body: body, streaming: true),
                                                  deadline: .distantFuture)
            try await Self.checkStatus(response, label: label)
            if let type = response.headers.first(name: "Content-Type"), type.lowercased().contains("application/json") {
                // A server that ignores `stream: true` answers with one JSON object: pass it on as chunks.
                let buffer = try await response.body.collect(upTo: maxResponseBytes)
                let whole = try Self.decode(ChatCompletionResponse.self, from: Data(buffer.readableBytesView), label: label)
                Self.chunks(of: whole).forEach(emit)
                return
            }
            var parser = ServerSentEvents()
            var received = 0
            for try await buffer in response.body {
                received += buffer.readableBytes
                guard received <= maxResponseBytes else {
                    throw TeacherError.malformedResponse("\(label): stream exceeds \(maxResponseBytes >> 20) MB")
                }
                for data in parser.feed(buffer.readableBytesView) {
                    if data == "[DONE]" { return }
                    emit(try decodeChunk(data, label: label))
                }
            }
            parser.finish()
            throw TeacherError.malformedResponse(
                "stream cut before 'data: [DONE]' (\(label))" + (parser.hadPartialEvent ? ", inside an event" : ""))
        } catch {
            throw mapError(error, label: label)
        }
    }

    private func makeRequest(_ method: HTTPMethod, _ path: String, body: Data?, streaming: Bool) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: endpoint.url(path))
        request.method = method
        request.headers.add(name: "Accept", value: streaming ? "text/event-stream" : "application/json")
        request.headers.add(name: "User-Agent", value: "mimic")
        if let key = endpoint.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    private func encode<T: Encodable>(_ value: T, path: String) throws -> Data {
        do {
            return try JSONEncoder().encode(value)
        } catch {
            throw TeacherError.configuration("could not encode the request for \(path): \(error.localizedDescription)")
        }
    }

    // MARK: Answers and errors

    /// Throws `.http` for a non-2xx answer, with the OpenAI error message (or the body's start) and `Retry-After`.
    /// Every HTTP client of the stack checks its answers with it (a toxicity API too), so their errors read alike.
    public static func checkStatus(_ response: HTTPClientResponse, label: String) async throws {
        let status = Int(response.status.code)
        guard !(200..<300).contains(status) else { return }
        let retryAfter = response.headers.first(name: "Retry-After").flatMap { Self.parseRetryAfter($0) }
        let body = (try? await response.body.collect(upTo: 1 << 20)).map { Data($0.readableBytesView) } ?? Data()
        var message: String
        if let api = try? JSONDecoder().decode(APIErrorBody.self, from: body) {
            message = api.error.message
        } else {
            message = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if message.isEmpty { message = response.status.reasonPhrase }
        }
        throw TeacherError.http(status: status, message: "\(label): " + Self.truncate(message, to: 300),
                                retryAfter: retryAfter)
    }

    /// Decodes an answer's JSON; JSON that is not a `T` throws `.malformedResponse` naming the bad field and the
    /// answer's start (retryable: a cut or garbled answer may come whole next time).
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, label: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw TeacherError.malformedResponse(
                "\(label) answered JSON that is not a \(T.self) (\(Self.describe(error))); it begins: "
                    + Self.truncate(String(decoding: data.prefix(400), as: UTF8.self), to: 120))
        }
    }

    private func decodeChunk(_ data: String, label: String) throws -> ChatCompletionChunk {
        let bytes = Data(data.utf8)
        if let chunk = try? JSONDecoder().decode(ChatCompletionChunk.self, from: bytes) { return chunk }
        if let api = try? JSONDecoder().decode(APIErrorBody.self, from: bytes) {
            throw TeacherError.malformedResponse("\(label): the stream carried an error: "
                                                 + Self.truncate(api.error.message, to: 300))
        }
        return try Self.decode(ChatCompletionChunk.self, from: bytes, label: label)
    }

    /// Maps any failure to a `TeacherError` (or `CancellationError`), with the key redacted from its text.
    private func mapError(_ error: Error, label: String) -> Error {
        Self.mapError(error, label: label, endpoint: endpoint, timeout: timeout, maxResponseBytes: maxResponseBytes)
    }

    /// Maps any failure of a request to `endpoint` to a `TeacherError` (or `CancellationError`): HTTP client
    /// time-outs to `.timeout(timeout)`, resets to `.transport`, an answer over `maxResponseBytes` to
    /// `.malformedResponse`; the endpoint's key is redacted from every text.
    public static func mapError(_ error: Error, label: String, endpoint: TeacherEndpoint, timeout: Double,
                                maxResponseBytes: Int) -> Error {
        if error is CancellationError || Task.isCancelled { return CancellationError() }
        let mapped: TeacherError
        switch error {
        case let teacher as TeacherError:
            mapped = teacher
        case let client as HTTPClientError:
            switch client {
            case .deadlineExceeded, .readTimeout, .connectTimeout, .writeTimeout:
                mapped = .timeout(seconds: timeout)
            case .remoteConnectionClosed:
                mapped = .transport("\(label): the server closed the connection before a whole answer")
            default:
                mapped = .transport("\(label) to \(endpoint.baseURL): \(client)")
            }
        case is NIOTooManyBytesError:
            mapped = .malformedResponse("\(label): answer exceeds \(maxResponseBytes >> 20) MB")
        default:
            mapped = .transport("\(label) to \(endpoint.baseURL): \(error)")
        }
        return redacted(mapped, by: endpoint)
    }

    private static func redacted(_ error: TeacherError, by endpoint: TeacherEndpoint) -> TeacherError {
        switch error {
        case .http(let status, let message, let retryAfter):
            return .http(status: status, message: endpoint.redact(message), retryAfter: retryAfter)
        case .transport(let what): return .transport(endpoint.redact(what))
        case .malformedResponse(let what): return .malformedResponse(endpoint.redact(what))
        case .configuration(let what): return .configuration(endpoint.redact(what))
        case .retriesExhausted(let attempts, let last): return .retriesExhausted(attempts: attempts,
                                                                                   last: endpoint.redact(last))
        case .timeout, .budgetExhausted: return error
        }
    }

    // MARK: Helpers

    /// A whole answer as the chunks a stream would have carried: one per choice, then the usage.
    static func chunks(of answer: ChatCompletionResponse) -> [ChatCompletionChunk] {
        answer.choices.map {
            ChatCompletionChunk(id: answer.id, created: answer.created, model: answer.model, choices: [
                .init(index: $0.index, delta: .init(role: $0.message.role, content: $0.message.content),
                      finishReason: $0.finishReason)])
        } + [ChatCompletionChunk(id: answer.id, created: answer.created, model: answer.model, choices: [],
                                 usage: answer.usage)]
    }

    /// `Retry-After` as delay-seconds (`"2"`, `"1.5"`) or an HTTP-date; seconds from now, never negative.
    public static func parseRetryAfter(_ value: String, now: Date = Date()) -> Double? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(text), seconds.isFinite { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return max(0, date.timeIntervalSince(now)) }
        }
        return nil
    }

    static func truncate(_ text: String, to limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }

    static func describe(_ error: Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case .keyNotFound(let key, let context):
            return "missing '\(path(context.codingPath + [key]))'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return context.codingPath.isEmpty ? context.debugDescription
                : "bad '\(path(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    static func nanos(_ seconds: Double) -> Int64 { Int64(min(seconds, 1e9) * 1e9) }
}

/// An incremental parser of `text/event-stream`: bytes in (split anywhere), the `data` of each whole event out.
/// Lines end with LF, CRLF or CR; `:` lines are comments; fields other than `data` are ignored.
struct ServerSentEvents {
    private var line: [UInt8] = []
    private var data: [String] = []
    private var lastWasCR = false

    /// Whether `finish()` found a line or an event that had not been ended.
    private(set) var hadPartialEvent = false

    /// Feeds bytes; returns the data of every event that a blank line completed.
    mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [String] where Bytes.Element == UInt8 {
        var events: [String] = []
        for byte in bytes {
            if lastWasCR {
                lastWasCR = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                lastWasCR = byte == UInt8(ascii: "\r")
                if let event = endLine() { events.append(event) }
            } else {
                line.append(byte)
            }
        }
        return events
    }

    /// Ends the stream: an unfinished event is not dispatched (the spec drops it); notes that there was one.
    mutating func finish() {
        hadPartialEvent = !line.isEmpty || !data.isEmpty
        line.removeAll()
        data.removeAll()
    }

    private mutating func endLine() -> String? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            guard !data.isEmpty else { return nil }
            defer { data.removeAll() }
            return data.joined(separator: "\n")
        }
        if line.first == UInt8(ascii: ":") { return nil }
        let text = String(decoding: line, as: UTF8.self)
        let field: Substring, value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            let rest = text[text.index(after: colon)...]
            value = rest.first == " " ? rest.dropFirst() : rest
        } else {
            field = text[...]
            value = ""
        }
        if field == "data" { data.append(String(value)) }
        return nil
    }
}
