// Loopback fake teachers for the client tests: a Hummingbird app that answers correctly, and a raw-socket
// HTTP/1.1 server that can misbehave in ways a framework will not (drop the connection, cut a stream).
import Foundation
import Hummingbird
import MimicTeacher
import MimicTestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counters shared between a fake server's handlers and the test.
final class ServerLog: @unchecked Sendable {
    private let lock = NSLock()
    private var hits: [String: Int] = [:]
    private var inFlight = 0
    private(set) var maxInFlight = 0
    private(set) var authorizations: [String] = []

    /// Counts a request for `tag`; returns how many there have been for it, this one included.
    @discardableResult func hit(_ tag: String, authorization: String? = nil) -> Int {
        lock.lock(); defer { lock.unlock() }
        hits[tag, default: 0] += 1
        if let authorization { authorizations.append(authorization) }
        return hits[tag] ?? 0
    }
    func count(_ tag: String) -> Int { lock.lock(); defer { lock.unlock() }; return hits[tag] ?? 0 }
    func enter() { lock.lock(); inFlight += 1; maxInFlight = max(maxInFlight, inFlight); lock.unlock() }
    func leave() { lock.lock(); inFlight -= 1; lock.unlock() }
}

/// The answer the fakes give to a chat: the last user message, reversed word by word, prefixed "echo:".
func fakeAnswer(_ prompt: String) -> String {
    "echo: " + prompt.split(separator: " ").reversed().joined(separator: " ")
}

func jsonData<T: Encodable>(_ value: T) -> Data { (try? JSONEncoder().encode(value)) ?? Data() }

/// A chat answer in wire JSON.
func chatAnswerJSON(model: String, text: String) -> Data {
    jsonData(ChatCompletionResponse(
        id: "chatcmpl-1", created: 1, model: model,
        choices: [.init(index: 0, message: APIMessage(role: "assistant", content: text), finishReason: "stop")],
        usage: Usage(promptTokens: 3, completionTokens: text.split(separator: " ").count)))
}

/// The SSE body of a streamed answer: one event per word, a comment, CRLF line ends, usage, `[DONE]`.
func sseEvents(model: String, text: String, done: Bool = true) -> [String] {
    var events = [": keep-alive comment\r\n\r\n"]
    let words = text.split(separator: " ", omittingEmptySubsequences: false)
    for (i, word) in words.enumerated() {
        let piece = i == 0 ? String(word) : " " + word
        let chunk = ChatCompletionChunk(id: "c", created: 1, model: model,
                                        choices: [.init(index: 0, delta: .init(content: piece), finishReason: nil)])
        events.append("data: " + String(decoding: jsonData(chunk), as: UTF8.self) + "\r\n\r\n")
    }
    let last = ChatCompletionChunk(id: "c", created: 1, model: model,
                                   choices: [.init(index: 0, delta: .init(), finishReason: "stop")])
    events.append("data: " + String(decoding: jsonData(last), as: UTF8.self) + "\n\n")
    let usage = ChatCompletionChunk(id: "c", created: 1, model: model, choices: [],
                                    usage: Usage(promptTokens: 3, completionTokens: words.count))
    events.append("data: " + String(decoding: jsonData(usage), as: UTF8.self) + "\n\n")
    if done { events.append("data: [DONE]\n\n") }
    return events
}

// MARK: Raw socket server

/// One request as the raw server read it.
struct RawRequest: Sendable {
    var method: String
    var path: String
    var headers: [String: String]  // lower-cased names
    var body: Data

    /// The last message's content of a chat request body, or "" when there is none.
    var prompt: String {
        (try? JSONDecoder().decode(ChatCompletionRequest.self, from: body))?.messages.last?.content ?? ""
    }
    var wantsStream: Bool {
        (try? JSONDecoder().decode(ChatCompletionRequest.self, from: body))?.stream ?? false
    }
}

/// What the raw server does with a request.
enum RawAction: Sendable {
    /// Waits `delay` seconds, writes the pieces (pausing `gap` between them), then closes the connection.
    case send([Data], delay: Double = 0, gap: Double = 0)
    /// Closes the connection without a byte of answer.
    case drop

    /// A whole response with `Connection: close`; `body` nil means a close-delimited body (for streams).
    static func response(status: Int, headers: [(String, String)] = [], body: Data, closeDelimited: Bool = false,
                         delay: Double = 0) -> RawAction {
        var head = "HTTP/1.1 \(status) X\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !closeDelimited { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return .send([Data(head.utf8) + body], delay: delay)
    }

    /// A JSON answer.
    static func json(_ status: Int, _ body: Data, headers: [(String, String)] = [], delay: Double = 0) -> RawAction {
        response(status: status, headers: [("Content-Type", "application/json")] + headers, body: body, delay: delay)
    }

    /// An event stream, each piece written separately after `gap` seconds, body ended by closing.
    static func stream(_ pieces: [String], gap: Double = 0) -> RawAction {
        let head = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/event-stream\r\n\r\n"
        return .send([Data(head.utf8)] + pieces.map { Data($0.utf8) }, gap: gap)
    }
}

/// A blocking-socket HTTP/1.1 server on 127.0.0.1 (a thread per connection); one request per connection.
final class RawHTTPServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32
    private let handler: @Sendable (RawRequest) -> RawAction

    init(_ handler: @escaping @Sendable (RawRequest) -> RawAction) throws {
        self.handler = handler
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw TeacherError.transport("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && listen(fd, 128) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { close(fd); throw TeacherError.transport("bind/listen failed") }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Stops accepting; connections being answered finish on their own.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 { return }
            let handler = self.handler
            Thread { Self.serve(connection, handler) }.start()
        }
    }

    private static func serve(_ fd: Int32, _ handler: (RawRequest) -> RawAction) {
        defer { close(fd) }
        guard let request = readRequest(fd) else { return }
        switch handler(request) {
        case .drop:
            return
        case .send(let pieces, let delay, let gap):
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            for (i, piece) in pieces.enumerated() {
                if i > 0 && gap > 0 { Thread.sleep(forTimeInterval: gap) }
                let sent = piece.withUnsafeBytes { raw -> Int in
                    #if canImport(Glibc)
                    return send(fd, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL))
                    #else
                    return send(fd, raw.baseAddress, raw.count, 0)
                    #endif
                }
                if sent < 0 { return }
            }
        }
    }

    private static func readRequest(_ fd: Int32) -> RawRequest? {
        var data = Data()
        let capacity = 65536
        var buffer = [UInt8](repeating: 0, count: capacity)
        let separator = Data("\r\n\r\n".utf8)
        var headEnd: Range<Data.Index>?
        var contentLength = 0
        while true {
            if headEnd == nil, let range = data.range(of: separator) {
                headEnd = range
                let head = String(decoding: data[..<range.lowerBound], as: UTF8.self)
                for line in head.split(separator: "\r\n").dropFirst() {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    if parts.count == 2, parts[0].lowercased() == "content-length" {
                        contentLength = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
                    }
                }
            }
            if let end = headEnd, data.count - end.upperBound >= contentLength { break }
            let n = recv(fd, &buffer, capacity, 0)
            if n <= 0 { return nil }
            data.append(contentsOf: buffer[0..<n])
        }
        guard let end = headEnd else { return nil }
        let lines = String(decoding: data[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n")
        let start = lines.first?.split(separator: " ") ?? []
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return RawRequest(method: start.count > 0 ? String(start[0]) : "", path: start.count > 1 ? String(start[1]) : "",
                          headers: headers, body: Data(data[end.upperBound...].prefix(contentLength)))
    }
}
