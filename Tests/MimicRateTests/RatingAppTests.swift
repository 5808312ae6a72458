// The rating app over loopback HTTP, as raters use it: ten raters at once on SQLite and on PostgreSQL finish a
// 40-item study with exactly three ratings per item from three different raters; `mimic rate serve` killed with
// SIGKILL mid-study loses no acknowledged vote and assigns nothing twice once restarted, on both; the CLI's bad input gets one
// line and a non-zero exit.
import AsyncHTTPClient
import Foundation
import MimicCore
import MimicTestSupport
import Testing
@testable import MimicRate

/// Answer files of `count` prompts for two systems, in a scratch folder.
struct AnswerFiles {
    let dir: URL
    let a: String
    let b: String

    init(count: Int, names: (String, String) = ("student.jsonl", "teacher.jsonl"), hostile: String? = nil) throws {
        dir = try Scratch.folder("mimic-rate")
        a = dir.path + "/" + names.0
        b = dir.path + "/" + names.1
        func line(_ k: Int, _ answer: String) -> String {
            let record: [String: Any] = ["messages": [["role": "user", "content": "Question \(k): what is \(k) + \(k)?"],
                                                      ["role": "assistant", "content": answer]], "meta": ["id": "q\(k)"]]
            return String(decoding: try! JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
        }
        try (1...count).map { line($0, $0 == 1 && hostile != nil ? hostile! : "It is \(2 * $0).") }.joined(separator: "\n")
            .write(toFile: a, atomically: true, encoding: .utf8)
        try (1...count).map { line($0, "The answer is \(2 * $0): adding \($0) to itself doubles it.") }.joined(separator: "\n")
            .write(toFile: b, atomically: true, encoding: .utf8)
    }
}

/// Assignments whose votes were acknowledged.
actor Acknowledged {
    var ids: [String] = []
    func add(_ id: String) { ids.append(id) }
}

@Suite(.serialized) struct RatingAppTests {
    @Test(arguments: [StoreKind.sqlite, .postgres]) func tenRatersAtOnceGiveEveryItemExactlyThreeRatings(_ kind: StoreKind) async throws {
        try await TestStore.with(kind) { store in
            try await store.create(settings: testSettings(raters: 3, timeout: 600), items: testItems(40))
            let tokens = try await RatingStudy.invite(store, count: 10)
            let server = try await RatingServer.start(store: store)
            let client = rawClient()
            do {
                let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                    for token in tokens {
                        group.addTask {
                            let rater = HTTPRater(client: client, base: server.baseURL, token: token)
                            try await rater.begin()
                            return try await rater.rateAll()
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(counts.reduce(0, +) == 120)
                let snapshot = try await store.snapshot()
                checkRatings(snapshot, exactly: 3, items: 40)
                #expect(snapshot.votes.count == 120)
                // Every rater now gets the completion page with the code.
                let done = try await HTTPRater(client: client, base: server.baseURL, token: tokens[0]).get("/r/\(tokens[0])")
                #expect(done.isComplete && done.body.contains("DONE-123"))
            } catch {
                try? await client.shutdown()
                await server.stop()
                throw error
            }
            try await client.shutdown()
            await server.stop()
        }
    }

    /// Starts `mimic rate serve STUDY --port 0` (with `password` as PGPASSWORD); the process and its base URL.
    func serve(_ study: String, password: String? = nil) throws -> (Process, String) {
        let process = Process()
        process.executableURL = try MimicBinary.url()
        process.arguments = ["rate", "serve", study, "--port", "0"]
        if let password { process.environment = ProcessInfo.processInfo.environment.merging(["PGPASSWORD": password]) { $1 } }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self)
        guard let r = text.range(of: "http://[^ ]+", options: .regularExpression) else {
            process.terminate()
            throw RatingStoreError("mimic rate serve printed: \(text)")
        }
        return (process, String(text[r]))
    }

    @Test(arguments: [StoreKind.sqlite, .postgres]) func theServerKilledMidStudyLosesNoAcknowledgedVote(_ kind: StoreKind) async throws {
        let files = try AnswerFiles(count: 40)
        defer { Scratch.remove(files.dir) }
        var config = RatingCreateConfig()
        config.a = [files.a]
        config.b = files.b
        config.out = files.dir.path + "/study"
        config.attention = 0
        config.seed = 5
        var password: String?
        if kind == .postgres {
            guard let url = PostgresForTests.available() else { return }
            config.postgres = url
            // The study folder keeps no password; this process and the servers it starts read it from PGPASSWORD.
            password = try PostgresLocation(url: url, schema: "unused").password
            if let password { setenv("PGPASSWORD", password, 1) }
        }
        _ = try await RatingStudy.create(config)
        let links = try await RatingStudy.invite(folder: config.out, count: 10, baseURL: "http://unused")
        let tokens = links.map { String($0.split(separator: "/").last!) }
        let acknowledged = Acknowledged()
        let client = rawClient()
        defer { try? client.syncShutdown() }

        // Ten raters until about 40 votes are acknowledged, then SIGKILL.
        let (first, base) = try serve(config.out, password: password)
        await withTaskGroup(of: Void.self) { group in
            for token in tokens {
                group.addTask {
                    let rater = HTTPRater(client: client, base: base, token: token)
                    _ = try? await rater.begin()
                    _ = try? await rater.rateAll(acknowledged: { await acknowledged.add($0) })
                }
            }
            group.addTask {
                while await acknowledged.ids.count < 40 { try? await Task.sleep(for: .milliseconds(5)) }
                kill(first.processIdentifier, SIGKILL)
            }
        }
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal)
        let beforeRestart = await acknowledged.ids
        #expect(beforeRestart.count >= 40 && beforeRestart.count < 120, "\(beforeRestart.count) votes before the kill")

        // Restarted: every acknowledged vote is there; the raters finish the study.
        let (second, base2) = try serve(config.out, password: password)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for token in tokens {
                group.addTask {
                    let rater = HTTPRater(client: client, base: base2, token: token)
                    try await rater.begin()
                    try await rater.rateAll(acknowledged: { await acknowledged.add($0) })
                }
            }
            try await group.waitForAll()
        }
        second.terminate()
        second.waitUntilExit()
        let snapshot = try await RatingStudy.snapshot(config.out)
        let done = Set(snapshot.assignments.filter { a in a.state == .done && snapshot.votes.contains { $0.assignment == a.id } }.map(\.publicID))
        let acked = await acknowledged.ids
        #expect(Set(acked).isSubset(of: done), "acknowledged votes missing: \(Set(acked).subtracting(done).count)")
        // Every vote is stored once; a vote in flight when the server died may be stored without its acknowledgment
        // having reached the rater (at most one per rater), which the rules allow: what must not happen is the reverse.
        #expect(snapshot.votes.count == 120, "\(snapshot.votes.count) votes stored")
        #expect(acked.count <= 120 && acked.count >= 120 - tokens.count, "\(acked.count) votes acknowledged")
        checkRatings(snapshot, exactly: 3, items: 40)
        if let store = try RatingStudy.open(config.out) as? PostgresRatingStore {
            try await store.drop()
            await store.close()
        }
    }

    @Test func theCommandsSayWhatIsWrongInOneLine() async throws {
        let files = try AnswerFiles(count: 3)
        defer { Scratch.remove(files.dir) }
        let cases: [([String], String)] = [
            (["rate", "create", "--a", files.dir.path + "/missing.jsonl", "--b", files.b, "--out", files.dir.path + "/s"], "a[0]: is "),
            (["rate", "create", "--a", files.a, "--b", files.b, "--out", files.dir.path + "/s", "--raters-per-item", "0"], "raters_per_item"),
            (["rate", "create", "--a", files.a, "--b", files.b, "--out", files.dir.path + "/s", "--postgres", "mysql://x"], "postgres://"),
            (["rate", "report", files.dir.path], "no rating study here"),
            (["rate", "serve", files.dir.path + "/nothing"], "no rating study here"),
            (["rate", "invite", files.dir.path, "--count", "2"], "no rating study here"),
        ]
        for (arguments, expected) in cases {
            let process = Process()
            process.executableURL = try MimicBinary.url()
            process.arguments = arguments
            let err = Pipe()
            process.standardError = err
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus != 0, "\(arguments)")
            #expect(text.contains(expected) && text.split(separator: "\n").count == 1, "\(arguments): \(text)")
        }
        #expect(!FileManager.default.fileExists(atPath: files.dir.path + "/s/study.json"))
    }

    /// invite, export and serve take `--config` with their configs' keys, as every command does.
    @Test func theStudyCommandsTakeAConfigFile() async throws {
        let files = try AnswerFiles(count: 3)
        defer { Scratch.remove(files.dir) }
        func run(_ arguments: [String]) async throws -> (Int32, String, String) {
            let r = try await ChildProcess.run(try MimicBinary.url().path, arguments)
            return (r.status, String(decoding: r.stdout, as: UTF8.self), r.stderr)
        }
        let study = files.dir.path + "/study"
        #expect(try await run(["rate", "create", "--a", files.a, "--b", files.b, "--out", study]).0 == 0)
        let invite = files.dir.path + "/invite.yaml", export = files.dir.path + "/export.yaml", bad = files.dir.path + "/bad.yaml"
        try "study: \(study)\ncount: 3\nbase_url: http://raters.example\n".write(toFile: invite, atomically: true, encoding: .utf8)
        try "study: \(study)\nout: \(files.dir.path)/votes\n".write(toFile: export, atomically: true, encoding: .utf8)
        try "study: \(study)\nport: 70000\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let links = try await run(["rate", "invite", "--config", invite])
        #expect(links.0 == 0 && links.1.split(separator: "\n").filter { $0.hasPrefix("http://raters.example/r/") }.count == 3, "\(links.2)")
        let exported = try await run(["rate", "export", "--config", export])
        #expect(exported.0 == 0 && FileManager.default.fileExists(atPath: files.dir.path + "/votes.csv"), "\(exported.2)")
        let refused = try await run(["rate", "serve", "--config", bad])
        #expect(refused.0 != 0 && refused.2.contains("port") && refused.2.split(separator: "\n").count == 1, "\(refused.2)")
    }
}
