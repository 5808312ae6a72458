// `mimic serve` under abuse, over raw sockets: slow headers, more connections than allowed, a body over the limit
// still being sent, bodies shorter than their length and malformed chunks, requests too large for the queue, and
// clients that leave (closing or resetting the connection) in the middle of a generation, streaming or not.
import Foundation
import MimicModels
import MimicServer
import MimicTeacher
import MimicTestSupport
import Testing

@Suite(.serialized) struct ServerAbuseTests {
    let partialHead = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"

    @Test func slowHeadersAreCutOffAtTheIdleTimeout() async throws {
        try await withServer(configure: { $0.idleTimeout = 1 }) { s in
            let slow = try (0..<20).map { _ in try RawConnection(port: s.server.port) }
            for c in slow { c.send(partialHead) }   // never the blank line that ends the head
            try await Task.sleep(nanoseconds: 2_500_000_000)
            for (i, c) in slow.enumerated() {
                #expect(c.read(for: 1).closed, "slow connection \(i) is still open after the idle timeout")
            }
            #expect(try await s.chat("still serving").choices.count == 1)
        }
    }

    @Test func connectionsPastTheLimitAreClosedAtOnce() async throws {
        try await withServer(configure: { $0.maxConnections = 4 }) { s in
            let held = try (0..<6).map { _ in try RawConnection(port: s.server.port) }
            try await Task.sleep(nanoseconds: 300_000_000)
            let closed = held.map { $0.read(for: 0.3).closed }
            #expect(closed.filter { $0 }.count == 2, "\(closed)")
            #expect(s.server.openConnections == 4)
            held.forEach { $0.close() }
            try await Task.sleep(nanoseconds: 300_000_000)
            #expect(s.server.openConnections == 0)
            #expect(try await s.chat("room again").choices.count == 1)
        }
    }

    @Test func aBodyOverTheLimitGets413AndTheConnectionIsClosed() async throws {
        try await withServer(maxBodyBytes: 1 << 20) { s in
            let c = try RawConnection(port: s.server.port)
            c.send(partialHead + "Content-Length: \(20 << 20)\r\n\r\n")
            c.send(Data(repeating: UInt8(ascii: "x"), count: 64 << 10))   // and then nothing more: a client still uploading
            let answer = c.read(for: 3)
            #expect(answer.text.hasPrefix("HTTP/1.1 413"), "\(answer.text.prefix(200))")
            #expect(answer.closed, "the connection stayed open after the 413")
        }
    }

    /// A client that writes its whole body before it reads, as most HTTP clients do, gets the 413: the server reads
    /// and drops the rest of the body instead of closing under it (which resets the connection, so the client's
    /// writes fail and it never reads the answer). A client that keeps the connection open after that is closed
    /// when it goes quiet.
    @Test func aClientStillUploadingAfterA413ReadsIt() async throws {
        try await withServer(maxBodyBytes: 1 << 20) { s in
            let c = try RawConnection(port: s.server.port)
            let size = 24 << 20
            #expect(c.send(partialHead + "Content-Length: \(size)\r\n\r\n"))
            try await Task.sleep(nanoseconds: 200_000_000)   // the 413 is sent before the body
            let chunk = Data(repeating: UInt8(ascii: "x"), count: 256 << 10)
            var sent = 0
            while sent < size, c.send(chunk) { sent += chunk.count }
            #expect(sent == size, "the upload failed after \(sent) of \(size) bytes")
            let answer = c.read(for: 5)
            #expect(answer.text.hasPrefix("HTTP/1.1 413"), "\(answer.text.prefix(200))")
            #expect(answer.closed, "the server did not close its side after the 413")
            let started = Date()
            while s.server.openConnections > 0, Date().timeIntervalSince(started) < 5 {
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            #expect(s.server.openConnections == 0, "the connection was still open \(Date().timeIntervalSince(started)) s after the upload")
            #expect(try await s.chat("still serving").choices.count == 1)
        }
    }

    @Test func aBodyThatTrickles408sAtTheBodyTimeoutAndIsClosed() async throws {
        try await withServer(configure: { $0.bodyTimeout = 1 }) { s in
            let c = try RawConnection(port: s.server.port)
            c.send(partialHead + "Content-Length: 1000\r\n\r\n{\"messages\": ")   // and the rest never comes
            let started = Date()
            let answer = c.read(for: 4)
            #expect(answer.text.hasPrefix("HTTP/1.1 408"), "\(answer.text.prefix(200))")
            #expect(answer.closed && Date().timeIntervalSince(started) < 3, "closed \(answer.closed) after \(Date().timeIntervalSince(started)) s")
        }
    }

    @Test func shortBodiesAndMalformedChunksGet400() async throws {
        try await withServer { s in
            let short = try RawConnection(port: s.server.port)
            short.send(partialHead + "Content-Length: 100\r\n\r\n{\"model\": ")
            short.shutdownWrite()
            let a = short.read(for: 3)
            #expect(a.text.hasPrefix("HTTP/1.1 400") || (a.text.isEmpty && a.closed), "\(a.text.prefix(300))")
            #expect(!a.text.hasPrefix("HTTP/1.1 5"), "\(a.text.prefix(300))")

            let chunked = try RawConnection(port: s.server.port)
            chunked.send(partialHead + "Transfer-Encoding: chunked\r\n\r\nZZZ\r\n{\"a\": 1}\r\n0\r\n\r\n")
            let b = chunked.read(for: 3)
            #expect(b.text.hasPrefix("HTTP/1.1 400"), "\(b.text.prefix(300))")
            // Neither error shows the parser's internal types.
            let bad = try await s.post("/v1/chat/completions", json: "{nope")
            #expect(bad.status == 400 && !bad.text.contains("NSCocoaErrorDomain") && !bad.text.contains("Error Domain"), "\(bad.text)")
            let wrong = try await s.post("/v1/chat/completions", json: #"{"messages": [{"role": "user", "content": "x"}], "n": "two"}"#)
            #expect(wrong.status == 400 && !wrong.text.contains("Expected to decode"), "\(wrong.text)")
            #expect(try await s.chat("after all that").choices.count == 1)
        }
    }

    @Test func requestsTooLargeForABudgetOrTheQueueAreRefused() async throws {
        try await withServer(parallel: 4, configure: { $0.maxRequestTokens = 100; $0.maxQueued = 2 }) { s in
            let big = try await s.post("/v1/completions", json: #"{"prompt": "hi", "n": 2, "max_tokens": 60}"#)
            #expect(big.status == 400 && big.error?.error.param == "max_tokens", "\(big.text)")
            // A request larger than the whole queue could never run: 400, not "retry later".
            let larger = try await s.post("/v1/completions", json: #"{"prompt": "hi", "n": 3, "max_tokens": 10}"#)
            #expect(larger.status == 400 && larger.error?.error.param == "n", "\(larger.text)")
            let fine = try await s.post("/v1/completions", json: #"{"prompt": "hi", "n": 2, "max_tokens": 10}"#)
            #expect(fine.status == 200, "\(fine.text)")
        }
    }

    /// One keep-alive connection serving many requests (an evaluation client) keeps nothing per finished request.
    @Test func aLongLivedConnectionKeepsNoStatePerRequest() async throws {
        try await withServer { s in
            for i in 0..<40 { _ = try await s.post("/v1/completions", json: #"{"prompt": "p\#(i)", "max_tokens": 2}"#) }
            #expect(s.server.watchedRequests == 0)
        }
    }
}

/// With the real model, generation is slow enough that work left behind shows.
@Suite(.requires(.smolLM2), .serialized) struct ServerDisconnectTests {
    let body = #"{"prompt": "Count from 1 to 1000: 1, 2, 3,", "max_tokens": 600, "temperature": 0"#

    /// Waits until the server has nothing queued or running; returns the seconds it took (nil: still busy at `limit`).
    func idle(_ s: TestServer, within limit: Double) async throws -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < limit {
            if s.server.busySequences == 0 { return Date().timeIntervalSince(start) }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return nil
    }

    func request(_ json: String) -> String {
        "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n\r\n" + json
    }

    @Test func clientsThatLeaveLeaveNoWorkBehind() async throws {
        let opened = try OpenedModel(FetchedAsset.smolLM2.require())
        try await withServer(opened, name: "smollm2-135m-instruct", parallel: 2) { s in
            // Non-streaming clients that close their connection (as curl -m does) after the work has started.
            let plain = try (0..<4).map { _ in try RawConnection(port: s.server.port) }
            for c in plain { c.send(request(body + "}")) }
            try await Task.sleep(nanoseconds: 500_000_000)
            #expect(s.server.busySequences > 0, "the requests should still be generating")
            plain.forEach { $0.close() }
            let a = try await idle(s, within: 5)
            #expect(a != nil && a! < 2, "generation went on after the clients left (\(a.map { "\($0) s" } ?? "still busy"))")

            // Streaming clients reset mid-stream.
            let streaming = try (0..<6).map { _ in try RawConnection(port: s.server.port) }
            for c in streaming { c.send(request(body + #", "stream": true}"#)) }
            try await Task.sleep(nanoseconds: 500_000_000)
            streaming.forEach { $0.reset() }
            let b = try await idle(s, within: 5)
            #expect(b != nil && b! < 2, "streams went on after their clients reset (\(b.map { "\($0) s" } ?? "still busy"))")
            #expect(try await s.chat("Say hi.", maxTokens: 4).choices.count == 1)
        }
    }

    @Test func aFullQueueAnswers429() async throws {
        let opened = try OpenedModel(FetchedAsset.smolLM2.require())
        try await withServer(opened, name: "smollm2-135m-instruct", parallel: 1, configure: { $0.maxQueued = 1 }) { s in
            let running = try RawConnection(port: s.server.port), waiting = try RawConnection(port: s.server.port)
            running.send(request(body + "}"))
            try await Task.sleep(nanoseconds: 300_000_000)
            waiting.send(request(body + "}"))
            try await Task.sleep(nanoseconds: 300_000_000)
            let refused = try await s.post("/v1/completions", json: #"{"prompt": "hi", "max_tokens": 2}"#)
            #expect(refused.status == 429 && refused.error?.error.code == "server_busy", "\(refused.text)")
            running.close()
            waiting.close()
            #expect(try await idle(s, within: 5) != nil)
        }
    }
}
