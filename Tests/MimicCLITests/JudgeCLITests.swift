// `mimic judge` as a user runs it against a loopback fake judge with a scripted rule: a judge that always prefers
// the first position shows as consistency 0 and a 50 win rate; an unreadable reply is retried once and recorded as
// an error; killed with SIGKILL and rerun, only the missing judgments are sent and the ledger bills each once; a
// budget stops before it is passed; `mimic judge summarize` recomputes the figures from the judgments file.
import Foundation
import Hummingbird
import MimicTeacher
import MimicTestSupport
import Testing

/// A fake OpenAI judge on 127.0.0.1: reads the two answers out of Mimic's pairwise prompt and replies by `rule`.
final class FakeJudge: @unchecked Sendable {
    private let lock = NSLock()
    private var served = 0
    var answered: Int { lock.withLock { served } }
    let rule: @Sendable (_ first: String, _ second: String) -> String

    init(rule: @escaping @Sendable (_ first: String, _ second: String) -> String) { self.rule = rule }

    static func between(_ text: String, _ start: String, _ end: String) -> String {
        guard let a = text.range(of: start), let b = text.range(of: end, range: a.upperBound..<text.endIndex) else { return "" }
        return text[a.upperBound..<b.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func serve<T: Sendable>(delay: Duration, _ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/v1/chat/completions") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let chat = try JSONDecoder().decode(ChatCompletionRequest.self, from: Data(bytes.readableBytesView))
            try await Task.sleep(for: delay)
            let prompt = chat.messages.last?.content ?? ""
            // A pairwise prompt's two answers, or a rubric's one answer (then the second is empty).
            // Mimic's pairwise prompt, its one-letter choice prompt, or a rubric's one answer (then the second is empty).
            var first = Self.between(prompt, "[The first answer]", "[End of the first answer]")
            var second = Self.between(prompt, "[The second answer]", "[End of the second answer]")
            if first.isEmpty && second.isEmpty {
                first = Self.between(prompt, "[Answer A]", "[End of answer A]")
                second = Self.between(prompt, "[Answer B]", "[End of answer B]")
            }
            let reply = self.rule(first.isEmpty ? Self.between(prompt, "[Answer]", "[End of the answer]") : first, second)
            // Asked for log-probabilities (a choice prompt): one token, the verdict's letter likeliest.
            var logprobs: ChatLogprobs?
            if chat.logprobs == true {
                let letter = reply.contains("[[A]]") ? "A" : "B", other = letter == "A" ? "B" : "A"
                logprobs = ChatLogprobs(content: [.init(token: letter, logprob: log(0.6), topLogprobs: [
                    .init(token: letter, logprob: log(0.6)), .init(token: " " + other, logprob: log(0.3)), .init(token: "The", logprob: log(0.1))])])
            }
            let answer = ChatCompletionResponse(
                id: "fake", created: 0, model: chat.model,
                choices: [.init(index: 0, message: APIMessage(role: "assistant", content: logprobs == nil ? reply : String(reply.prefix(5))),
                                finishReason: "stop", logprobs: logprobs)],
                usage: Usage(promptTokens: 300, completionTokens: 100))
            self.lock.withLock { self.served += 1 }
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(answer))))
        }
        return try await withLoopbackServer(router, label: "fake-judge") { port in try await body("http://127.0.0.1:\(port)/v1") }
    }
}

@Suite(.serialized) struct JudgeCLITests {
    /// Answers of two systems to the same `count` prompts: A's long, B's short; A's file in another order.
    func scratch(count: Int) throws -> String {
        let dir = try Scratch.folder("mimic-judge").path
        func line(_ i: Int, _ answer: String) -> String {
            let record: [String: Any] = ["messages": [["role": "user", "content": "question \(i): what is \(i) squared?"],
                                                      ["role": "assistant", "content": answer]]]
            return String(decoding: try! JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
        }
        let a = (0..<count).reversed().map { line($0, "It is \($0 * $0), because \($0) times \($0) is \($0 * $0), as anyone can check.") }
        let b = (0..<count).map { line($0, "\($0 * $0)") }
        try (a.joined(separator: "\n") + "\n").write(toFile: dir + "/a.jsonl", atomically: true, encoding: .utf8)
        try (b.joined(separator: "\n") + "\n").write(toFile: dir + "/b.jsonl", atomically: true, encoding: .utf8)
        return dir
    }

    func args(_ dir: String, url: String, out: String = "j.jsonl", extra: [String] = []) -> [String] {
        ["judge", "--a", dir + "/a.jsonl", "--b", dir + "/b.jsonl", "--judge", "openai:gpt-4o-mini@" + url,
         "--out", dir + "/" + out, "--cache", dir + "/judge.sqlite", "--run", "r", "--concurrency", "4", "--json",
         "--prompt", judgesFolder() + "/pairwise.yaml"] + extra
    }

    func judgesFolder() -> String { FetchedAsset.packageRoot + "/judges" }

    func summary(_ stdout: String) throws -> [String: Any] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any])
        let systems = try #require(object["systems"] as? [[String: Any]])
        return try #require(systems.first?["summary"] as? [String: Any])
    }

    @Test func aJudgeThatAlwaysPrefersTheFirstPositionShowsIt() async throws {
        let dir = try scratch(count: 12)
        let fake = FakeJudge { _, _ in "Both are fine, but the first is better.\n[[A]]" }
        try await fake.serve(delay: .milliseconds(1)) { url in
            let r = try await mimicAsync(self.args(dir, url: url))
            #expect(r.status == 0, "\(r.stderr)")
            let s = try self.summary(r.stdout)
            #expect(s["position_consistency"] as? Double == 0 && s["win_rate"] as? Double == 50 && s["inconsistent"] as? Int == 12)
            #expect(s["first_position_win_rate"] as? Double == 100)
            let lines = try String(contentsOfFile: dir + "/j.jsonl", encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 24 && fake.answered == 24)
            for line in lines {
                let j = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                // [[A]] means the first shown: A when A was first ("ab"), B otherwise.
                #expect(j["verdict"] as? String == (j["order"] as? String == "ab" ? "a" : "b"))
                #expect((j["a_words"] as? Int ?? 0) > (j["b_words"] as? Int ?? 0) && (j["request_key"] as? String)?.isEmpty == false)
                #expect((j["judge_text"] as? String)?.hasSuffix("[[A]]") == true)
            }
            // The figures again from the judgments file alone.
            let again = try await mimicAsync(["judge", "summarize", dir + "/j.jsonl", "--json"])
            #expect(again.status == 0, "\(again.stderr)")
            let t = try #require(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
            #expect(t["win_rate"] as? Double == 50 && t["position_consistency"] as? Double == 0)
            // A rerun is answered from the cache: nothing is sent.
            let rerun = try await mimicAsync(self.args(dir, url: url, out: "j2.jsonl"))
            #expect(rerun.status == 0 && fake.answered == 24, "\(rerun.stderr)")
        }
    }

    @Test func aJudgeThatPrefersLongerAnswersAndOneThatRamblesAreReported() async throws {
        let dir = try scratch(count: 8)
        let longer = FakeJudge { first, second in first.count >= second.count ? "[[A]]" : "[[B]]" }
        try await longer.serve(delay: .milliseconds(1)) { url in
            let r = try await mimicAsync(self.args(dir, url: url))
            #expect(r.status == 0, "\(r.stderr)")
            let s = try self.summary(r.stdout)
            #expect(s["win_rate"] as? Double == 100 && s["longer_wins"] as? Double == 100 && s["position_consistency"] as? Double == 100)
        }
        // The same judge read from its first token's probabilities (judges/pairwise-logprobs.yaml): the same verdicts.
        try await longer.serve(delay: .milliseconds(1)) { url in
            var args = self.args(dir, url: url, out: "p.jsonl", extra: ["--run", "choice"])
            args[args.firstIndex(of: self.judgesFolder() + "/pairwise.yaml")!] = self.judgesFolder() + "/pairwise-logprobs.yaml"
            let r = try await mimicAsync(args)
            #expect(r.status == 0, "\(r.stderr)")
            let s = try self.summary(r.stdout)
            #expect(s["win_rate"] as? Double == 100 && s["longer_wins"] as? Double == 100 && s["errors"] as? Int == 0)
            #expect(try String(contentsOfFile: dir + "/p.jsonl", encoding: .utf8).contains("P(A) 0.6000"))
        }
        // Replies with no verdict, or with two: each judgment is asked twice, then recorded as an error.
        let rambling = FakeJudge { first, _ in first.count % 2 == 0 ? "I cannot decide." : "Maybe [[A]], maybe [[B]]." }
        try await rambling.serve(delay: .milliseconds(1)) { url in
            let r = try await mimicAsync(self.args(dir, url: url, out: "r.jsonl", extra: ["--run", "rambling"]))
            #expect(r.status == 0, "\(r.stderr)")
            let s = try self.summary(r.stdout)
            #expect(s["errors"] as? Int == 8 && s["items"] as? Int == 0 && s["win_rate"] == nil)
            #expect(rambling.answered == 32)
            let text = try String(contentsOfFile: dir + "/r.jsonl", encoding: .utf8)
            #expect(text.contains("more than one verdict tag") && text.contains("no verdict tag"))
        }
    }

    @Test func killedMidRunThenRerunSendsOnlyTheMissingAndBillsEachOnce() async throws {
        let dir = try scratch(count: 60)
        let fake = FakeJudge { first, second in first.count > second.count ? "[[A]]" : "[[B]]" }
        try await fake.serve(delay: .milliseconds(25)) { url in
            let victim = try startMimic(self.args(dir, url: url))
            let deadline = Date().addingTimeInterval(60)
            var stored = 0
            while Date() < deadline && victim.isRunning && stored < 40 {
                if let store = try? RequestStore(path: dir + "/judge.sqlite"), let totals = try? store.totals(run: "r") { stored = totals.requests }
                try await Task.sleep(for: .milliseconds(20))
            }
            kill(victim.processIdentifier, SIGKILL)
            victim.waitUntilExit()
            #expect(victim.terminationReason == .uncaughtSignal, "the run was killed, not finished")
            let partial = try RequestStore(path: dir + "/judge.sqlite").totals(run: "r").requests
            #expect(partial >= 40 && partial < 120, "killed mid-run: \(partial) judgments stored")
            try await Task.sleep(for: .milliseconds(200))
            let before = fake.answered
            let resumed = try await mimicAsync(self.args(dir, url: url))
            #expect(resumed.status == 0, "\(resumed.stderr)")
            #expect(fake.answered - before == 120 - partial, "the rerun sends only what is missing")
            let ledger = try RequestStore(path: dir + "/judge.sqlite").totals(run: "r")
            #expect(ledger.requests == 120 && ledger.promptTokens == 120 * 300)
            #expect(try String(contentsOfFile: dir + "/j.jsonl", encoding: .utf8).split(separator: "\n").count == 120)
        }
    }

    @Test func aBudgetStopsBeforeItIsPassed() async throws {
        let dir = try scratch(count: 60)
        let fake = FakeJudge { _, _ in "[[C]]" }
        try await fake.serve(delay: .milliseconds(1)) { url in
            let r = try await mimicAsync(self.args(dir, url: url, extra: ["--budget", "0.004", "--max-tokens", "100"]))
            #expect(r.status != 0 && r.stderr.contains("budget"), "\(r.stderr)")
            let spent = try RequestStore(path: dir + "/judge.sqlite").totals(run: "r").costUSD
            #expect(spent <= 0.004 && spent > 0.002, "spent \(spent)")
            #expect(fake.answered < 120 && !FileManager.default.fileExists(atPath: dir + "/j.jsonl"))
        }
    }

    @Test func badInputIsOneLineNamingIt() throws {
        let dir = try scratch(count: 3)
        let missing = try mimic(["judge", "--a", dir + "/none.jsonl", "--b", dir + "/b.jsonl", "--out", dir + "/o.jsonl"])
        #expect(missing.status != 0 && missing.stderr.contains("a[0]") && missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
        try "{\"id\": \"x\", \"order\": \"ab\", \"verdict\": \"maybe\", \"a_words\": 1, \"b_words\": 2}\n"
            .write(toFile: dir + "/bad.jsonl", atomically: true, encoding: .utf8)
        let bad = try mimic(["judge", "summarize", dir + "/bad.jsonl"])
        #expect(bad.status != 0 && bad.stderr.contains("bad.jsonl:1") && bad.stderr.contains("verdict"), "\(bad.stderr)")
    }

    @Test func styleWithAJudgeReportsAuthoritativeToneLeavingUnreadLabelsOut() async throws {
        let dir = try scratch(count: 10)
        // Yes for answers that say "because", no for the bare ones, and no readable label for the answer to 3.
        let fake = FakeJudge { answer, _ in
            answer == "9" ? "Hard to say." : (answer.contains("because") ? "Confident. [[YES]]" : "[[NO]]")
        }
        try await fake.serve(delay: .milliseconds(1)) { url in
            let style = ["style", "--reference", dir + "/b.jsonl", "--judge", "openai:gpt-4o-mini@" + url,
                         "--judge-prompt", self.judgesFolder() + "/authoritative.yaml", "--cache", dir + "/style.sqlite", "--json"]
            let a = try await mimicAsync(style + ["--candidate", dir + "/a.jsonl"])
            #expect(a.status == 0, "\(a.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as? [String: Any])
            let figures = try #require((object["candidate"] as? [String: Any])?["figures"] as? [String: Any])
            let tone = try #require(figures["authoritative_tone"] as? [String: Any])
            #expect(tone["value"] as? Double == 100 && tone["n"] as? Int == 10)
            // The teacher's bare answers scored as the candidate: no to each, except the unreadable one left out.
            let b = try await mimicAsync(style + ["--candidate", dir + "/b.jsonl"])
            let bObject = try #require(try JSONSerialization.jsonObject(with: Data(b.stdout.utf8)) as? [String: Any])
            let bTone = try #require(((bObject["candidate"] as? [String: Any])?["figures"] as? [String: Any])?["authoritative_tone"] as? [String: Any])
            #expect(bTone["value"] as? Double == 0 && bTone["n"] as? Int == 9)
            #expect((bObject["notes"] as? [String])?.contains { $0.contains("1 of 10 answers got no readable label") } == true)
            // 10 + 10 answers labelled, the unreadable one asked twice; nothing again on a rerun.
            #expect(fake.answered == 21)
            _ = try await mimicAsync(style + ["--candidate", dir + "/a.jsonl"])
            #expect(fake.answered == 21)
        }
        // Without a judge the figure is left out, with a note, never 0.
        let plain = try mimic(["style", "--candidate", dir + "/a.jsonl", "--reference", dir + "/b.jsonl", "--json"])
        #expect(plain.status == 0 && !plain.stdout.contains("\"authoritative_tone\" :") && plain.stdout.contains("needs --judge"), "\(plain.stdout)")
    }
}
