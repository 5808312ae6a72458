// Shared helpers of the rating tests: the three stores (memory, SQLite, PostgreSQL on a server started for the tests),
// small studies, and a scripted rater that talks to the app over loopback HTTP as a browser would.
import AsyncHTTPClient
import Foundation
import MimicCore
import MimicTestSupport
import NIOCore
import NIOHTTP1
import Testing
@testable import MimicRate

enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, sqlite, postgres
    var testDescription: String { rawValue }
}

/// The PostgreSQL server of the tests: MIMIC_TEST_POSTGRES, else one started by scripts/postgres_test_server.sh; nil
/// (and a visible message) when none can be had. With MIMIC_REQUIRE_POSTGRES=1 (CI) a missing server fails the test.
enum PostgresForTests {
    static let url: String? = {
        if let url = ProcessInfo.processInfo.environment["MIMIC_TEST_POSTGRES"], !url.isEmpty { return url }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("scripts/postgres_test_server.sh").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch { return nil }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let problem = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            print("note: no PostgreSQL server for the tests (\(problem.split(separator: "\n").last ?? ""))")
            return nil
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    /// The URL, or nil after saying why the PostgreSQL case is skipped (a failure where it is required).
    static func available() -> String? {
        if let url { return url }
        if ProcessInfo.processInfo.environment["MIMIC_REQUIRE_POSTGRES"] == "1" {
            Issue.record("MIMIC_REQUIRE_POSTGRES=1 but no PostgreSQL server could be started (scripts/postgres_test_server.sh)")
        } else {
            print("SKIPPED: the PostgreSQL case (no server could be started: apt-get install postgresql)")
        }
        return nil
    }
}

/// A store of `kind` for one test, and how to remove it.
struct TestStore {
    /// Runs `body` with a new store of `kind` and removes the store after (skipped for PostgreSQL without a server).
    static func with(_ kind: StoreKind, _ body: (RatingStore) async throws -> Void) async throws {
        guard let t = try await make(kind) else { return }
        do {
            try await body(t.store)
        } catch {
            await t.cleanup()
            throw error
        }
        await t.cleanup()
    }

    let store: RatingStore
    let cleanup: @Sendable () async -> Void

    /// Nil when `kind` is PostgreSQL and there is no server (skipped, said so).
    static func make(_ kind: StoreKind) async throws -> TestStore? {
        switch kind {
        case .memory:
            return TestStore(store: MemoryRatingStore(), cleanup: {})
        case .sqlite:
            let dir = try Scratch.folder("mimic-rate")
            let store = try SQLiteRatingStore(path: dir.path + "/ratings.sqlite")
            return TestStore(store: store, cleanup: {
                await store.close()
                Scratch.remove(dir)
            })
        case .postgres:
            guard let url = PostgresForTests.available() else { return nil }
            let location = try PostgresLocation(url: url, schema: "mimic_test_" + RatingToken.make().prefix(12))
            let store = PostgresRatingStore(location)
            return TestStore(store: store, cleanup: {
                await store.close()
                let dropper = PostgresRatingStore(location)
                try? await dropper.drop()
                await dropper.close()
            })
        }
    }
}

/// Settings for tests.
func testSettings(raters: Int = 3, timeout: Double = 100, attentionEvery: Int = 0, itemsPerRater: Int? = nil,
                  prolific: Bool = false) -> RatingSettings {
    RatingSettings(seed: 7, ratersPerItem: raters, instructions: "Read this.\n\nThen rate.", timeoutSeconds: timeout, fastSeconds: 1,
                   itemsPerRater: itemsPerRater, attentionEvery: attentionEvery, completionCode: "DONE-123", prolific: prolific,
                   adminTokenHash: RatingToken.hash("admin"), secret: "test-secret")
}

/// `count` items and `checks` attention checks after them.
func testItems(_ count: Int, checks: Int = 0) -> [RatingItem] {
    (1...count).map { k in
        RatingItem(number: k, id: "q\(k)", prompt: "Prompt \(k)?", answerA: "A answers \(k).", answerB: "B answers \(k).",
                   systemA: "student.jsonl", systemB: "teacher.jsonl")
    } + (0..<checks).map { k in
        RatingItem(number: count + k + 1, id: "attention-\(k + 1)", prompt: "Prompt \(k)?", answerA: "A whole answer here.",
                   answerB: "A whole …", systemA: "attention:intact", systemB: "attention:truncated", check: .truncated)
    }
}

/// Adds `count` raters; their ids.
func addRaters(_ store: RatingStore, _ count: Int, now: Double = 0) async throws -> [Int] {
    var ids: [Int] = []
    for k in 0..<count { ids.append(try await store.rater(tokenHash: RatingToken.hash("rater-\(k)"), orCreateWith: nil, now: now).id) }
    return ids
}

/// A rater driving the app over HTTP as a browser does: GET the page, POST the forms it holds, follow redirects.
struct HTTPRater {
    let client: HTTPClient
    let base: String
    let token: String

    struct Page {
        var status: Int
        var body: String
        var csrf: String? { Self.value(body, "csrf") }
        var assignment: String? { Self.value(body, "assignment") }
        var isItem: Bool { assignment != nil }
        var isInstructions: Bool { body.contains("action=\"/r/") && body.contains("/start\"") }
        var isComplete: Bool { body.contains("id=\"completion-code\"") }

        static func value(_ body: String, _ name: String) -> String? {
            guard let r = body.range(of: "name=\"\(name)\" value=\"") else { return nil }
            return String(body[r.upperBound...].prefix { $0 != "\"" })
        }
    }

    func get(_ path: String) async throws -> Page {
        let response = try await client.execute(HTTPClientRequest(url: base + path), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 22)
        return Page(status: Int(response.status.code), body: String(buffer: body))
    }

    /// POSTs a form; the status (303 after a stored vote) and the body.
    func post(_ path: String, _ fields: [(String, String)]) async throws -> Page {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let allowed = CharacterSet.alphanumerics
        let body = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(30))
        let text = try await response.body.collect(upTo: 1 << 22)
        return Page(status: Int(response.status.code), body: String(buffer: text))
    }

    /// Reads the instructions and begins.
    func begin() async throws {
        let page = try await get("/r/\(token)")
        if page.isInstructions {
            let ack = try await post("/r/\(token)/start", [("csrf", page.csrf ?? "")])
            try #require(ack.status == 303, "start: \(ack.status)")
        }
    }

    /// Rates until the completion page (or `limit` votes); calls `acknowledged` with each assignment whose vote got
    /// its 303. Returns the votes made.
    @discardableResult
    func rateAll(limit: Int = .max, choose: @Sendable (Int) -> Int = { $0 % 3 + 1 },
                 acknowledged: @Sendable (String) async -> Void = { _ in }) async throws -> Int {
        var votes = 0
        while votes < limit {
            let page = try await get("/r/\(token)")
            if page.isComplete { break }
            guard let assignment = page.assignment, let csrf = page.csrf else {
                throw RatingStoreError("unexpected page \(page.status): \(page.body.prefix(300))")
            }
            let ack = try await post("/r/\(token)/vote", [("csrf", csrf), ("assignment", assignment), ("choice", String(choose(votes)))])
            guard ack.status == 303 else { throw RatingStoreError("vote answered \(ack.status): \(ack.body.prefix(300))") }
            await acknowledged(assignment)
            votes += 1
        }
        return votes
    }
}

/// An HTTP client that does not follow redirects (the tests read the 303 that acknowledges a vote).
func rawClient() -> HTTPClient {
    var config = HTTPClient.Configuration()
    config.redirectConfiguration = .disallow
    config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
    return HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
}

/// Every real item's votes: each must come from different raters, and (for a finished study) number exactly `n`.
func checkRatings(_ s: RatingSnapshot, exactly n: Int, items: Int) {
    let votes = s.votes.filter { v in s.items.first { $0.number == v.item }?.check == nil }
    let byItem = Dictionary(grouping: votes, by: \.item)
    #expect(byItem.count == items, "\(byItem.count) of \(items) items rated")
    for (item, vs) in byItem {
        #expect(vs.count == n, "item \(item) has \(vs.count) ratings")
        #expect(Set(vs.map(\.rater)).count == vs.count, "item \(item) rated twice by one rater")
    }
    let pairs = s.assignments.map { [$0.rater, $0.item] }
    #expect(Set(pairs).count == pairs.count, "an item was assigned to one rater twice")
}
