// `mimic collect` as a user runs it against a loopback fake teacher: killed with SIGKILL mid-run and run again,
// the output holds every prompt exactly once and the ledger's totals equal an uninterrupted run's; Ctrl-C stops
// cleanly with whole records only; a budget stops before it is exceeded.
import Foundation
import Hummingbird
import MimicTeacher
import MimicTestSupport
import Testing

/// A fake OpenAI teacher on 127.0.0.1: answers "answer to: PROMPT" after `delay`, counting what it answered.
final class FakeTeacher: @unchecked Sendable {
    private let lock = NSLock()
    private var served = 0
    var answered: Int { lock.withLock { served } }

    func router(delay: Duration) -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/v1/chat/completions") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let chat = try JSONDecoder().decode(ChatCompletionRequest.self, from: Data(body.readableBytesView))
            try await Task.sleep(for: delay)
            let prompt = chat.messages.last?.content ?? ""
            let answer = ChatCompletionResponse(
                id: "fake", created: 0, model: chat.model,
                choices: [.init(index: 0, message: APIMessage(role: "assistant", content: "answer to: " + prompt),
                                finishReason: "stop")],
                usage: Usage(promptTokens: 8 + prompt.utf8.count / 4, completionTokens: 500))
            self.lock.withLock { self.served += 1 }
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(answer))))
        }
        return router
    }

    /// Runs the fake for the duration of `body`, which gets the base URL.
    func serve<T: Sendable>(delay: Duration, _ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        try await withLoopbackServer(router(delay: delay), label: "fake-teacher") { port in
            try await body("http://127.0.0.1:\(port)/v1")
        }
    }
}

/// `mimic(args)` off the cooperative pool, so a server in this process keeps running while the binary does.
func mimicAsync(_ args: [String]) async throws -> RunResult {
    try await withCheckedThrowingContinuation { done in
        DispatchQueue.global().async { done.resume(with: Result { try mimic(args) }) }
    }
}

/// Starts the `mimic` binary without waiting for it.
func startMimic(_ args: [String]) throws -> Process {
    let p = Process()
    p.executableURL = try MimicBinary.url()
    p.arguments = args
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    return p
}

@Suite(.serialized) struct CollectCLITests {
    let prompts = (0..<120).map { "question number \($0): what is \($0) plus \($0)?" }

    func scratch() throws -> String {
        let dir = try Scratch.folder("mimic-collect").path
        try prompts.joined(separator: "\n").write(toFile: dir + "/prompts.txt", atomically: true, encoding: .utf8)
        return dir
    }

    func args(_ dir: String, url: String, out: String, cache: String, extra: [String] = []) -> [String] {
        ["collect", "replay", "--teacher", "openai:gpt-4o-mini@" + url, "--prompts", dir + "/prompts.txt",
         "--out", out, "--cache", cache, "--run", "r", "--concurrency", "4", "--checkpoint", "0.2"] + extra
    }

    /// The user prompts of an output file, in order, with its assistant answers checked against the fake's rule.
    func prompts(in path: String) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let messages = try #require(object["messages"] as? [[String: String]])
            #expect(messages.count == 2 && messages[1]["content"] == "answer to: " + (messages[0]["content"] ?? ""))
            return messages[0]["content"] ?? ""
        }
    }

    /// Whether `saved` holds prompts of the input, each at most once, in input order (what a stopped run writes:
    /// the records finished so far).
    func isInOrderOnce(_ saved: [String]) -> Bool {
        let position = Dictionary(uniqueKeysWithValues: prompts.enumerated().map { ($1, $0) })
        let indices = saved.compactMap { position[$0] }
        return indices.count == saved.count && zip(indices, indices.dropFirst()).allSatisfy { $0 < $1 }
    }

    func waitForAnswers(_ cache: String, atLeast n: Int, while process: Process) async throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline && process.isRunning {
            if FileManager.default.fileExists(atPath: cache),
               let store = try? RequestStore(path: cache), let totals = try? store.totals(run: "r"), totals.requests >= n {
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func killedMidRunThenRerunHoldsEveryPromptOnceAndTheSameLedger() async throws {
        let dir = try scratch()
        let fake = FakeTeacher()
        try await fake.serve(delay: .milliseconds(25)) { url in
            // The uninterrupted reference run.
            let reference = try await mimicAsync(self.args(dir, url: url, out: dir + "/ref.jsonl", cache: dir + "/ref.sqlite"))
            #expect(reference.status == 0, "\(reference.stderr)")
            #expect(try self.prompts(in: dir + "/ref.jsonl") == self.prompts)

            // kill -9 once about a third of the answers are in, then the same command again.
            let victim = try startMimic(self.args(dir, url: url, out: dir + "/out.jsonl", cache: dir + "/out.sqlite"))
            try await self.waitForAnswers(dir + "/out.sqlite", atLeast: 40, while: victim)
            kill(victim.processIdentifier, SIGKILL)
            victim.waitUntilExit()
            #expect(victim.terminationReason == .uncaughtSignal, "the run was killed, not finished")
            let partial = try RequestStore(path: dir + "/out.sqlite").totals(run: "r").requests
            #expect(partial >= 40 && partial < self.prompts.count, "killed mid-run: \(partial) answers stored")
            try await Task.sleep(for: .milliseconds(200))  // the killed run's requests in flight finish at the fake
            let before = fake.answered
            let resumed = try await mimicAsync(self.args(dir, url: url, out: dir + "/out.jsonl", cache: dir + "/out.sqlite"))
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(fake.answered - before == self.prompts.count - partial, "the rerun sends only what is missing")
            #expect(try self.prompts(in: dir + "/out.jsonl") == self.prompts)

            let ledger = try RequestStore(path: dir + "/out.sqlite").totals(run: "r")
            let expected = try RequestStore(path: dir + "/ref.sqlite").totals(run: "r")
            #expect(ledger.requests == expected.requests && ledger.promptTokens == expected.promptTokens
                    && ledger.completionTokens == expected.completionTokens)
            #expect(abs(ledger.costUSD - expected.costUSD) < 1e-12 && expected.costUSD > 0)
        }
    }

    @Test func ctrlCStopsWithWholeRecordsAndTheRerunFinishes() async throws {
        let dir = try scratch()
        let fake = FakeTeacher()
        try await fake.serve(delay: .milliseconds(25)) { url in
            let out = dir + "/out.jsonl", cache = dir + "/out.sqlite"
            let run = try startMimic(self.args(dir, url: url, out: out, cache: cache))
            try await self.waitForAnswers(cache, atLeast: 30, while: run)
            kill(run.processIdentifier, SIGINT)
            run.waitUntilExit()
            #expect(run.terminationReason == .exit && run.terminationStatus == 130)
            let saved = try self.prompts(in: out)  // every line whole
            #expect(!saved.isEmpty && self.isInOrderOnce(saved))
            let rerun = try await mimicAsync(self.args(dir, url: url, out: out, cache: cache))
            #expect(rerun.status == 0, "\(rerun.stderr)")
            #expect(try self.prompts(in: out) == self.prompts)
            #expect(!FileManager.default.fileExists(atPath: out + ".tmp"))
        }
    }

    @Test func theWrittenConfigReproducesTheRun() async throws {
        let dir = try scratch()
        let fake = FakeTeacher()
        try await fake.serve(delay: .milliseconds(1)) { url in
            let first = try await mimicAsync(self.args(dir, url: url, out: dir + "/a.jsonl", cache: dir + "/a.sqlite",
                                                       extra: ["--seed", "5", "--max-tokens", "64", "--limit", "30"]))
            #expect(first.status == 0, "\(first.stderr)")
            let summary = dir + "/a.collect.json"
            let text = try String(contentsOfFile: summary, encoding: .utf8)
            #expect(text.contains("\"max_tokens\" : 64") && text.contains("\"limit\" : 30") && text.contains("\"seed\" : 5"))
            // The same run from its written config, into another output and another cache: every request is sent
            // again and the records are the same, byte for byte.
            let before = fake.answered
            let again = try await mimicAsync(["collect", "replay", "--config", summary, "--out", dir + "/b.jsonl",
                                              "--cache", dir + "/b.sqlite"])
            #expect(again.status == 0, "\(again.stderr)")
            #expect(fake.answered - before == 30)
            #expect(try String(contentsOfFile: dir + "/b.jsonl", encoding: .utf8) == String(contentsOfFile: dir + "/a.jsonl", encoding: .utf8))
        }
    }

    @Test func longPromptsAreLeftOutBeforeTheLimit() async throws {
        let dir = try scratch()
        // Every third prompt made long (40 words); the prompts are 8 words each otherwise.
        let mixed = prompts.enumerated().map { $0.offset % 3 == 0 ? $0.element + String(repeating: " more", count: 32) : $0.element }
        try mixed.joined(separator: "\n").write(toFile: dir + "/prompts.txt", atomically: true, encoding: .utf8)
        let fake = FakeTeacher()
        try await fake.serve(delay: .milliseconds(1)) { url in
            let r = try await mimicAsync(self.args(dir, url: url, out: dir + "/a.jsonl", cache: dir + "/a.sqlite",
                                                   extra: ["--max-prompt-words", "20", "--limit", "10"]))
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("40 prompts over 20 words left out"), "\(r.stderr)")
            let text = try String(contentsOfFile: dir + "/a.jsonl", encoding: .utf8)
            let kept = text.split(separator: "\n")
            #expect(kept.count == 10 && !text.contains(" more more"))
            #expect(kept.first?.contains("question number 1:") == true)   // prompt 0 was long
        }
    }

    @Test func aBadConfigKeyOrChoiceIsOneLineNamingIt() throws {
        let dir = try scratch()
        let bad = dir + "/bad.yaml"
        try "prompts: \(dir)/prompts.txt\nout: \(dir)/o.jsonl\nmax_token: 5\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let r = try mimic(["collect", "replay", "--config", bad])
        #expect(r.status != 0 && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.contains(bad + ":3") && r.stderr.contains("max_token: unknown key") && r.stderr.contains("max_tokens"), "\(r.stderr)")
        try "prompts: x\nout: o.jsonl\nturns: every-turn\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let choice = try mimic(["collect", "replay", "--config", bad])
        #expect(choice.status != 0 && choice.stderr.split(separator: "\n").count == 1, "\(choice.stderr)")
        #expect(choice.stderr.contains("turns: 'every-turn' is not one of: first-turn, turn-by-turn"), "\(choice.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/o.jsonl"))
    }

    @Test func budgetStopsBeforeItIsExceeded() async throws {
        let dir = try scratch()
        let fake = FakeTeacher()
        try await fake.serve(delay: .milliseconds(1)) { url in
            // Each answer bills ~18 prompt and 500 completion tokens of gpt-4o-mini (about $0.0003); the teacher
            // reserves its worst case (a generous prompt estimate + 600 completion tokens) before sending.
            let out = dir + "/out.jsonl", cache = dir + "/out.sqlite"
            let result = try await mimicAsync(self.args(dir, url: url, out: out, cache: cache,
                                                        extra: ["--budget", "0.01", "--max-tokens", "600"]))
            #expect(result.status != 0 && result.stderr.contains("budget"), "\(result.stderr)")
            let spent = try RequestStore(path: cache).totals(run: "r").costUSD
            #expect(spent <= 0.01 && spent > 0.005, "spent \(spent)")
            let saved = try self.prompts(in: out)
            #expect(self.isInOrderOnce(saved) && saved.count < self.prompts.count)
        }
    }

    @Test(.requires(.smolLM2)) func localTeacherNeedsNoKeyAndRerunsFromTheCache() async throws {
        let dir = try scratch()
        let out = dir + "/local.jsonl", cache = dir + "/local.sqlite"
        try ["What is the capital of France?", "Name a primary colour."].joined(separator: "\n")
            .write(toFile: dir + "/two.txt", atomically: true, encoding: .utf8)
        let args = ["collect", "replay", "--teacher", "local:smollm2-135m-instruct", "--prompts", dir + "/two.txt",
                    "--out", out, "--cache", cache, "--max-tokens", "12", "--temperature", "0"]
        let first = try await mimicAsync(args)
        #expect(first.status == 0, "\(first.stderr)")
        let firstText = try String(contentsOfFile: out, encoding: .utf8)
        #expect(firstText.split(separator: "\n").count == 2 && firstText.contains("local:smollm2-135m-instruct"))
        #expect(first.stderr.contains("2 sent"), "\(first.stderr)")
        let again = try await mimicAsync(args)
        #expect(again.status == 0 && again.stderr.contains("2 from the cache, 0 sent"), "\(again.stderr)")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == firstText)
        let ledger = try await mimicAsync(["ledger", "--cache", cache, "--as-model", "gpt-4o-mini", "--json"])
        #expect(ledger.status == 0 && ledger.stdout.contains("local:smollm2-135m-instruct"), "\(ledger.stderr)")
    }
}
