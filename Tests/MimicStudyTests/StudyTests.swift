// A small study run end to end as the library runs it for `mimic run`: a scripted teacher and judge on a loopback
// server, the tiny chat model as the student (trained for two steps per data amount), a one-task benchmark, the
// judge and the style metrics. A second run does nothing; editing the task reruns only its stages; bad manifests
// are one line each naming the key and line, before anything runs.
import Foundation
import Hummingbird
import MimicCore
import MimicRate
import MimicStages
import MimicStudy
import MimicTeacher
import MimicTestSupport
import Testing

/// A scripted OpenAI endpoint: as `judge` it prefers the longer answer; as `teacher` it answers with a list and a
/// summary paragraph built from the question.
final class ScriptedModels: @unchecked Sendable {
    private let lock = NSLock()
    private var served = 0
    var answered: Int { lock.withLock { served } }

    static func between(_ text: String, _ start: String, _ end: String) -> String? {
        guard let a = text.range(of: start), let b = text.range(of: end, range: a.upperBound..<text.endIndex) else { return nil }
        return String(text[a.upperBound..<b.lowerBound])
    }

    static func reply(model: String, prompt: String) -> String {
        if model == "judge" {
            let first = between(prompt, "[The first answer]", "[End of the first answer]") ?? ""
            let second = between(prompt, "[The second answer]", "[End of the second answer]") ?? ""
            return first.count >= second.count ? "The first is fuller. [[A]]" : "The second is fuller. [[B]]"
        }
        let words = prompt.split(separator: " ").prefix(6).joined(separator: " ")
        return "Here is what matters:\n- \(words)\n- the details\n\nOverall, \(words.lowercased())."
    }

    func serve<T: Sendable>(_ body: @escaping @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/v1/chat/completions") { request, _ -> Response in
            let bytes = try await request.body.collect(upTo: 1 << 20)
            let chat = try JSONDecoder().decode(ChatCompletionRequest.self, from: Data(bytes.readableBytesView))
            let reply = Self.reply(model: chat.model, prompt: chat.messages.last?.content ?? "")
            let answer = ChatCompletionResponse(
                id: "scripted", created: 0, model: chat.model,
                choices: [.init(index: 0, message: APIMessage(role: "assistant", content: reply), finishReason: "stop")],
                usage: Usage(promptTokens: 50, completionTokens: 20))
            self.lock.withLock { self.served += 1 }
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(answer))))
        }
        return try await withLoopbackServer(router, label: "scripted-models") { port in try await body("http://127.0.0.1:\(port)/v1") }
    }
}

/// A study folder with its inputs: prompts to imitate, evaluation prompts, the tiny student and a probe task.
struct MiniStudy {
    let dir: String

    /// With `hostile`, one evaluation prompt carries markup and a script, which the teacher repeats in its answers.
    init(hostile: Bool = false) throws {
        dir = try Scratch.folder("mimic-study").path
        func jsonl(_ rows: [[String: Any]], _ name: String) throws {
            let lines = try rows.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
            try (lines.joined(separator: "\n") + "\n").write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        }
        let topics = ["rivers", "bread", "stars", "trains", "music", "chess", "tides", "bees", "glass", "maps", "salt", "kites"]
        try jsonl(topics.map { ["messages": [["role": "user", "content": "Tell me about \($0) in a few words."]]] }, "prompts.jsonl")
        let owls = hostile ? "<script>document.title='pwned'</script> & <b>owls</b>" : "owls"
        try jsonl([owls, "snow", "clay", "wind"].map { ["messages": [["role": "user", "content": "What should I know about \($0)?"]]] },
                  "eval.jsonl")
        try jsonl([["question": "Is ice cold?", "answer": "yes"], ["question": "Is fire cold?", "answer": "no"]], "probe.jsonl")
        try FileManager.default.createDirectory(atPath: dir + "/tasks", withIntermediateDirectories: true)
        try probeTask(maxTokens: 3)
        try Data(TinyChatModel.gguf()).write(to: URL(fileURLWithPath: dir + "/tiny.gguf"))
    }

    func probeTask(maxTokens: Int) throws {
        try """
        task: probe
        version: 1
        dataset: {format: jsonl, path: probe.jsonl}
        output_type: generate_until
        chat_template: true
        doc_to_text: "{{question}}"
        doc_to_target: "{{answer}}"
        generation: {max_tokens: \(maxTokens), temperature: 0.0}
        metric_list: [{metric: exact_match}]
        """.write(toFile: dir + "/tasks/probe.yaml", atomically: true, encoding: .utf8)
    }

    func manifest(url: String, extra: String = "") throws -> String {
        let path = dir + "/study.yaml"
        try """
        name: mini
        out: study
        seed: 3
        teacher: openai:teacher@\(url)
        client: {concurrency: 4}
        data:
          - name: broad
            collect: {generator: replay, prompts: prompts.jsonl, max_tokens: 64}
            curate:
              - dedup: {}
        amounts: [60, 120]
        students:
          - name: tiny
            model: tiny.gguf
        train:
          block_size: 64
          held_out_fraction: 0
          train: {epochs: 1, batch_size: 1, micro_batch: 1, max_steps: 2, warmup_steps: 1}
        eval:
          prompts: eval.jsonl
          answer_tokens: 12
          tasks: [probe]
          tasks_dir: tasks
          data: {probe: probe.jsonl}
        judge:
          judge: openai:judge@\(url)
          resamples: 50
        style:
          bootstrap: 50
        \(extra)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func run(_ path: String) async throws -> (StudyRunSummary, StudyPlan) {
        let plan = try StudyPlan(StudyFile(path: path))
        return (try await StudyRunner.run(plan, log: { _ in }), plan)
    }
}

/// `mimic run MANIFEST` as a subprocess; with `killAt`, SIGKILL as soon as stderr says that stage is running.
/// Returns the exit status and stderr.
func mimicRun(_ manifest: String, killAt: String? = nil) async throws -> (status: Int32, stderr: String) {
    let process = Process()
    process.executableURL = try MimicBinary.url()
    process.arguments = ["run", manifest]
    let err = Pipe()
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    return await withCheckedContinuation { done in
        DispatchQueue.global().async {
            var text = ""
            while true {
                let chunk = err.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
                if let killAt, text.contains("] \(killAt): running") { kill(process.processIdentifier, SIGKILL) }
            }
            process.waitUntilExit()
            done.resume(returning: (process.terminationStatus, text))
        }
    }
}

@Suite(.serialized) struct StudyTests {
    @Test func aSmallStudyRunsEndToEndAndARerunDoesNothing() async throws {
        let study = try MiniStudy()
        let models = ScriptedModels()
        try await models.serve { url in
            let path = try study.manifest(url: url)
            let (first, plan) = try await study.run(path)
            #expect(first.succeeded, "\(first.outcomes.filter { $0.outcome != .ran })")
            #expect(first.outcomes.allSatisfy { $0.outcome == .ran })
            let ids = Set(plan.stages.map(\.id))
            for id in ["collect/broad", "curate/broad/1-dedup", "subset/broad/60", "subset/broad/120", "train/tiny/broad/60",
                       "train/tiny/broad/120", "answers/teacher", "answers/teacher-2", "answers/base/tiny", "eval/teacher/probe",
                       "eval/tiny/broad/120/probe", "judge/tiny/broad/60", "style/teacher-2", "style/tiny/broad/120", "diversity/broad"] {
                #expect(ids.contains(id), "missing stage \(id)")
            }
            #expect(!ids.contains("judge/teacher") && !ids.contains("judge/teacher-2") && !ids.contains("eval/teacher-2/probe"))

            let bytes = try Data(contentsOf: URL(fileURLWithPath: first.results))
            let results = try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
            let rows = try #require(results["models"] as? [[String: Any]])
            let byID = Dictionary(uniqueKeysWithValues: rows.compactMap { row in ((row["model"] as? [String: Any])?["id"] as? String).map { ($0, row) } })
            #expect(Set(byID.keys) == ["teacher", "teacher-2", "base/tiny", "tiny/broad/60", "tiny/broad/120"])
            // The curated queries' diversity, as `mimic data diversity` computes it on the same file.
            let kinds = try JSONDecoder().decode(StudyResults.self, from: bytes).data
            var direct = DataDiversityConfig()
            direct.file = try #require(plan.stage("curate/broad/1-dedup")).output
            let expected = try DataStages.diversity(direct)
            #expect(kinds.map(\.kind) == ["broad"] && expected.queries > 0)
            #expect(kinds.first?.diversity == DataDiversityFigures(expected))
            let small = try #require(byID["tiny/broad/60"]), large = try #require(byID["tiny/broad/120"])
            let smallTokens = try #require(small["tokens"] as? Int), largeTokens = try #require(large["tokens"] as? Int)
            #expect(smallTokens > 0 && smallTokens <= 60 && largeTokens > smallTokens && largeTokens <= 120)
            for id in ["teacher", "base/tiny", "tiny/broad/60", "tiny/broad/120"] {
                let bench = try #require((byID[id]?["benchmarks"] as? [String: Any])?["probe"] as? [String: Any], "\(id) has no probe")
                #expect(bench["exact_match,none"] != nil, "\(id): \(bench.keys)")
            }
            for id in ["base/tiny", "tiny/broad/60", "tiny/broad/120"] {
                let judge = try #require(byID[id]?["judge"] as? [String: Any], "\(id) was not judged")
                #expect(judge["items"] as? Int == 4)
                #expect((judge["win_rate"] as? Double).map { (0...100).contains($0) } == true)
            }
            // The teacher's second sample imitates the teacher's style exactly: every list and summary matched.
            let teacherStyle = try #require(byID["teacher-2"]?["style"] as? [String: Any])
            #expect((teacherStyle["list_match"] as? [String: Any])?["value"] as? Double == 100)
            #expect((teacherStyle["summary_match"] as? [String: Any])?["value"] as? Double == 100)

            // The same command again: every stage cached, nothing sent, the same results byte for byte.
            let sent = models.answered
            let (second, _) = try await study.run(path)
            #expect(second.outcomes.allSatisfy { $0.outcome == .cached })
            #expect(models.answered == sent)
            #expect(try Data(contentsOf: URL(fileURLWithPath: second.results)) == bytes)
            #expect(StudyStore.plan(plan).allSatisfy { $0.cached })

            // Editing the task reruns its stages and nothing else.
            #expect(StudyStore.stale(plan).isEmpty)
            try study.probeTask(maxTokens: 4)
            let (third, edited) = try await study.run(path)
            let reran = Set(third.outcomes.filter { $0.outcome == .ran }.map(\.id))
            #expect(reran == ["eval/teacher/probe", "eval/base/tiny/probe", "eval/tiny/broad/60/probe", "eval/tiny/broad/120/probe"])
            #expect(third.outcomes.filter { $0.outcome == .cached }.count == third.outcomes.count - 4)

            // The four eval folders of the old task are stale; --gc removes exactly them, and everything else stays cached.
            let old = plan.stages.filter { reran.contains($0.id) }.map(\.folder)
            #expect(Set(StudyStore.stale(edited)) == Set(old) && old.count == 4)
            let stray = edited.folder + "/stages/eval/not-a-stage"
            try FileManager.default.createDirectory(atPath: stray, withIntermediateDirectories: true)
            let removed = try StudyStore.collectGarbage(edited)
            #expect(Set(removed.map(\.folder)) == Set(old) && removed.allSatisfy { $0.bytes > 0 })
            #expect(old.allSatisfy { !FileManager.default.fileExists(atPath: $0) } && FileManager.default.fileExists(atPath: stray))
            #expect(StudyStore.stale(edited).isEmpty && StudyStore.plan(edited).allSatisfy { $0.cached })
        }
    }

    @Test func manifestErrorsAreOneLineNamingTheKeyAndLine() throws {
        let study = try MiniStudy()
        let url = "http://127.0.0.1:9/v1"
        func error(_ extra: String = "", edit: (String) -> String = { $0 }) throws -> String {
            let path = try study.manifest(url: url, extra: extra)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try edit(text).write(toFile: path, atomically: true, encoding: .utf8)
            do {
                _ = try StudyPlan(StudyFile(path: path))
                return "no error"
            } catch {
                return (error as? LocalizedError)?.errorDescription ?? "\(error)"
            }
        }
        let unknownTop = try error("colour: blue")
        #expect(unknownTop.contains("colour: unknown key") && unknownTop.contains("study.yaml:30"), "\(unknownTop)")
        let unknownCollect = try error { $0.replacingOccurrences(of: "max_tokens: 64", with: "max_tokenz: 64") }
        #expect(unknownCollect.contains("data[0].collect.max_tokenz: unknown key") && unknownCollect.contains("study.yaml:8"), "\(unknownCollect)")
        let wrongType = try error { $0.replacingOccurrences(of: "amounts: [60, 120]", with: "amounts: many") }
        #expect(wrongType.contains("amounts") && wrongType.contains("study.yaml:11"), "\(wrongType)")
        let noModel = try error { $0.replacingOccurrences(of: "model: tiny.gguf", with: "model: missing/tiny.gguf") }
        #expect(noModel.contains("students[0].model") && noModel.contains("no such file") && noModel.contains("study.yaml:14"), "\(noModel)")
        // A name that is neither beside the manifest nor a built-in model (this passed the check before).
        let unknownName = try error { $0.replacingOccurrences(of: "model: tiny.gguf", with: "model: llama-7b") }
        #expect(unknownName.contains("students[0].model") && unknownName.contains("'llama-7b' is neither a file") && unknownName.contains("study.yaml:14"),
                "\(unknownName)")
        let noPrompts = try error { $0.replacingOccurrences(of: "prompts: eval.jsonl", with: "prompts: gone.jsonl") }
        #expect(noPrompts.contains("eval.prompts") && noPrompts.contains("study.yaml:20"), "\(noPrompts)")
        let reserved = try error { $0.replacingOccurrences(of: "generator: replay,", with: "generator: replay, out: x.jsonl,") }
        #expect(reserved.contains("data[0].collect.out: is set by the study"), "\(reserved)")
        let badTrain = try error { $0.replacingOccurrences(of: "block_size: 64", with: "block_size: 2") }
        #expect(badTrain.contains("train.block_size") && badTrain.contains("study.yaml:16"), "\(badTrain)")
        let badTask = try error { $0.replacingOccurrences(of: "tasks: [probe]", with: "tasks: [probe, nosuch]") }
        #expect(badTask.contains("eval.tasks") && badTask.contains("nosuch"), "\(badTask)")
        let badStep = try error { $0.replacingOccurrences(of: "- dedup: {}", with: "- shuffle: {}") }
        #expect(badStep.contains("data[0].curate[0].shuffle: is not a curation step") && badStep.contains("study.yaml:10"), "\(badStep)")
        let badLimit = try error { $0.replacingOccurrences(of: "tasks: [probe]", with: "tasks: [probe]\n  task_limits: {probe: 1, other: 2}") }
        #expect(badLimit.contains("eval.task_limits.other: is not one of the tasks") && badLimit.contains("study.yaml:23"), "\(badLimit)")
        let badRating = try error("rating: {raters_per_item: 0}")
        #expect(badRating.contains("rating.raters_per_item") && badRating.contains("study.yaml:30"), "\(badRating)")
        let unknownRated = try error("rating: {models: [tiny/broad/60, nobody]}")
        #expect(unknownRated.contains("rating.models[1]: 'nobody' is not a model of this study") && unknownRated.contains("tiny/broad/120"),
                "\(unknownRated)")
        let badDiversity = try error { $0.replacingOccurrences(of: "- dedup: {}", with: "- dedup: {}\n    diversity: {limit: 0}") }
        #expect(badDiversity.contains("data[0].diversity.limit: is 0") && badDiversity.contains("study.yaml:11"), "\(badDiversity)")
        let oddDiversity = try error { $0.replacingOccurrences(of: "- dedup: {}", with: "- dedup: {}\n    diversity: often") }
        #expect(oddDiversity.contains("data[0].diversity: is not true, false or a mapping") && oddDiversity.contains("study.yaml:11"), "\(oddDiversity)")
        // `diversity: false` plans no diversity stage.
        let off = try study.manifest(url: url)
        try String(contentsOfFile: off, encoding: .utf8).replacingOccurrences(of: "- dedup: {}", with: "- dedup: {}\n    diversity: false")
            .write(toFile: off, atomically: true, encoding: .utf8)
        #expect(try StudyPlan(StudyFile(path: off)).stage("diversity/broad") == nil)
        #expect(try StudyPlan(StudyFile(path: try study.manifest(url: url))).stage("diversity/broad") != nil)
        for message in [unknownTop, unknownCollect, wrongType, noModel, unknownName, noPrompts, reserved, badTrain, badTask, badStep, badLimit,
                        badRating, unknownRated, badDiversity, oddDiversity] {
            #expect(!message.contains("\n"), "one line: \(message)")
        }
        #expect(!FileManager.default.fileExists(atPath: study.dir + "/study"), "nothing ran")
    }

    @Test func aRatingStudyIsMadeFromTheAnswersAndServedLikeAnyOther() async throws {
        let study = try MiniStudy()
        let models = ScriptedModels()
        try await models.serve { url in
            let path = try study.manifest(url: url, extra: "rating: {raters_per_item: 2, attention: 0, models: [base/tiny, tiny/broad/120]}")
            let (first, plan) = try await study.run(path)
            #expect(first.succeeded, "\(first.outcomes.filter { $0.outcome != .ran })")
            let stage = try #require(plan.stages.first { $0.id == "rating" })
            #expect(Set(stage.inputs) == ["answers/base/tiny", "answers/tiny/broad/120", "answers/teacher"])
            // Each rated model's answers to the 4 prompts against the teacher's: 8 items, 2 ratings each, no checks.
            let snapshot = try await RatingStudy.snapshot(stage.output)
            #expect(snapshot.items.count == 8 && snapshot.items.allSatisfy { $0.check == nil })
            #expect(snapshot.settings.ratersPerItem == 2 && snapshot.settings.seed == 3)
            let teacher = plan.stages.first { $0.id == "answers/teacher" }!.output
            #expect(Set(snapshot.items.map(\.systemB)) == [teacher])
            #expect(Set(snapshot.items.map(\.systemA)) == Set(["answers/base/tiny", "answers/tiny/broad/120"].map { id in
                plan.stages.first { $0.id == id }!.output }))
            // The admin token sits beside the study, for its owner only, and opens the admin page.
            let tokenFile = URL(fileURLWithPath: stage.output).deletingLastPathComponent().appendingPathComponent("admin-token.txt").path
            let token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(RatingToken.hash(token) == snapshot.settings.adminTokenHash)
            let mode = try FileManager.default.attributesOfItem(atPath: tokenFile)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o600)
            #expect(first.outcomes.count == plan.stages.count)
            // Killed after the study was made but before the stage finished: the same command makes it again.
            try FileManager.default.removeItem(atPath: stage.folder + "/done.json")
            let (resumed, _) = try await study.run(path)
            #expect(resumed.outcomes.filter { $0.outcome == .ran }.map(\.id) == ["rating"])
            #expect(try await RatingStudy.snapshot(stage.output).items.count == 8)
            let before = try String(contentsOfFile: first.report, encoding: .utf8)
            #expect(before.contains("No human ratings yet") && !before.contains("people-table"))

            // Two raters prefer the base model's answers to the teacher's and the teacher's to tiny/broad/120's.
            let baseAnswers = plan.stages.first { $0.id == "answers/base/tiny" }!.output
            let store = try RatingStudy.open(stage.output)
            for token in try await RatingStudy.invite(store, count: 2) {
                let rater = try #require(try await store.rater(tokenHash: RatingToken.hash(token)))
                try await store.start(rater: rater.id, now: 0)
                while let turn = try await store.next(rater: rater.id, now: 1) {
                    let modelBetter = turn.item.systemA == baseAnswers
                    let shown: ShownChoice = modelBetter == turn.assignment.swapped ? .second : .first
                    guard case .accepted = try await store.vote(rater: rater.id, assignment: turn.assignment.publicID, shown: shown,
                                                                comment: nil, now: 2) else { Issue.record("a vote was refused"); break }
                }
            }
            await store.close()

            // A rerun keeps the study and its votes, and the results and report now carry people's preference.
            let (second, _) = try await study.run(path)
            #expect(second.outcomes.allSatisfy { $0.outcome == .cached })
            #expect(try await RatingStudy.snapshot(stage.output).votes.count == 16)
            let results = try JSONDecoder().decode(StudyResults.self, from: Data(contentsOf: URL(fileURLWithPath: second.results)))
            let people = Dictionary(uniqueKeysWithValues: results.models.compactMap { m in m.people.map { (m.model.id, $0) } })
            #expect(Set(people.keys) == ["base/tiny", "tiny/broad/120"])
            #expect(people["base/tiny"]?.items == 4 && people["base/tiny"]?.aBetter == 100 && people["base/tiny"]?.meanPreference == 1)
            #expect(people["tiny/broad/120"]?.bBetter == 100 && people["tiny/broad/120"]?.meanPreference == 0)
            let after = try String(contentsOfFile: second.report, encoding: .utf8)
            #expect(after.contains("id=\"people-table\"") && after.contains(HTML.escape("People's preference against the teacher by imitation data")))
        }
    }

    @Test func killedAtThreePointsTheSameCommandFinishesWithTheSameResults() async throws {
        let models = ScriptedModels()
        try await models.serve { url in
            let whole = try MiniStudy()
            let (uninterrupted, _) = try await whole.run(try whole.manifest(url: url))
            #expect(uninterrupted.succeeded)
            let reference = try Data(contentsOf: URL(fileURLWithPath: uninterrupted.results))

            let study = try MiniStudy()
            let path = try study.manifest(url: url)
            var finishedBefore: [Set<String>] = []
            for point in ["collect/broad", "train/tiny/broad/60", "judge/tiny/broad/60"] {
                let killed = try await mimicRun(path, killAt: point)
                #expect(killed.status != 0, "killed at \(point)")
                #expect(killed.stderr.contains("] \(point): running"), "\(killed.stderr)")
                let plan = try StudyPlan(StudyFile(path: path))
                finishedBefore.append(Set(StudyStore.plan(plan).filter(\.cached).map(\.id)))
            }
            #expect(finishedBefore[2].contains("train/tiny/broad/60") && !finishedBefore[2].contains("judge/tiny/broad/60"))
            let last = try await mimicRun(path)
            #expect(last.status == 0, "\(last.stderr)")
            for id in finishedBefore[2] { #expect(last.stderr.contains("] \(id): cached"), "\(id) was redone") }
            let results = try Data(contentsOf: URL(fileURLWithPath: study.dir + "/study/results.json"))
            #expect(results == reference, "results differ after kills")
        }
    }

    @Test func aFailedTrainerStopsOnlyItsDependentsAndAStandInTrainerGetsTRLData() async throws {
        let study = try MiniStudy()
        let models = ScriptedModels()
        // The stand-in trainer: checks every line is TRL's conversational format, counts them, and "trains" by copying
        // the student's checkpoint to where it was told to leave one.
        try """
        import json, os, shutil, sys
        data, model, out = sys.argv[1:4]
        rows = [json.loads(line) for line in open(data)]
        for row in rows:
            assert set(row) == {"messages"}, row
            assert all(set(m) == {"role", "content"} for m in row["messages"]), row
            assert row["messages"][-1]["role"] == "assistant", row
        shutil.copytree(model, out, dirs_exist_ok=True)
        json.dump({"conversations": len(rows)}, open(os.path.join(out, "received.json"), "w"))
        """.write(toFile: study.dir + "/trainer.py", atomically: true, encoding: .utf8)
        try await models.serve { url in
            func manifest(_ command: String) throws -> String {
                let path = try study.manifest(url: url)
                let text = try String(contentsOfFile: path, encoding: .utf8)
                    .replacingOccurrences(of: "    model: tiny.gguf", with: "    prune: {model: tiny.gguf, first: 1}")
                    .replacingOccurrences(of: "train:\n  block_size: 64", with: "train:\n  backend: command\n  command: \"\(command)\"\n  block_size: 64")
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                return path
            }
            let (failing, plan) = try await study.run(try manifest("exit 3"))
            #expect(!failing.succeeded)
            let outcome = Dictionary(uniqueKeysWithValues: failing.outcomes.map { ($0.id, $0.outcome) })
            #expect(outcome["train/tiny/broad/60"] == .failed && outcome["train/tiny/broad/120"] == .failed)
            for id in ["answers/tiny/broad/60", "eval/tiny/broad/60/probe", "judge/tiny/broad/60", "style/tiny/broad/120"] {
                #expect(outcome[id] == .blocked, "\(id): \(String(describing: outcome[id]))")
            }
            for id in ["prune/tiny", "answers/base/tiny", "eval/base/tiny/probe", "judge/base/tiny", "eval/teacher/probe", "style/teacher-2"] {
                #expect(outcome[id] == .ran, "\(id): \(String(describing: outcome[id]))")
            }
            let train = try #require(plan.stage("train/tiny/broad/60"))
            let error = try String(contentsOfFile: train.folder + "/error.txt", encoding: .utf8)
            #expect(error.contains("exited with status 3"), "\(error)")

            let (fixed, _) = try await study.run(try manifest("python3 \(study.dir)/trainer.py {data} {model} {out}"))
            #expect(fixed.succeeded, "\(fixed.outcomes.filter { $0.outcome == .failed })")
            let ran = Set(fixed.outcomes.filter { $0.outcome == .ran }.map(\.id))
            #expect(ran.contains("train/tiny/broad/60") && ran.contains("eval/tiny/broad/60/probe") && !ran.contains("eval/base/tiny/probe"))
            let rerun = try StudyPlan(StudyFile(path: try manifest("python3 \(study.dir)/trainer.py {data} {model} {out}")))
            let trained = try #require(rerun.stage("train/tiny/broad/120"))
            let received = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trained.output + "/received.json"))) as? [String: Any]
            let subset = try #require(rerun.stage("subset/broad/120"))
            let records = try String(contentsOfFile: subset.output, encoding: .utf8).split(separator: "\n").count
            #expect(received?["conversations"] as? Int == records && records > 0)
            let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixed.results))) as? [String: Any]
            let row = (results?["models"] as? [[String: Any]])?.first { ($0["model"] as? [String: Any])?["id"] as? String == "tiny/broad/120" }
            #expect((row?["benchmarks"] as? [String: Any])?["probe"] != nil, "the trainer's checkpoint was evaluated")
        }
    }

    @Test(.requires(.browser)) func theReportInAHeadlessBrowserShowsEveryResultAndEscapesModelText() async throws {
        let python = try FetchedAsset.browser.require()
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver"] where !FileManager.default.isExecutableFile(atPath: tool) {
            Issue.record("\(tool) is missing: apt-get install chromium chromium-driver (scripts/setup.sh)")
            return
        }
        let study = try MiniStudy(hostile: true)
        let models = ScriptedModels()
        let (summary, _) = try await models.serve { url in try await study.run(try study.manifest(url: url)) }
        #expect(summary.succeeded)
        let report = study.dir + "/study/report"
        let shots = study.dir + "/screenshots"
        try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
        let browser = try await ChildProcess.run(python, [URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/check_report.py",
                                                          report, shots])
        try #require(browser.status == 0, "\(browser.stderr)")
        let seen = try #require(try JSONSerialization.jsonObject(with: browser.stdout) as? [String: Any])
        print("report screenshots: \(shots)")

        // Loads with no console errors and no request leaving the folder.
        #expect((seen["console"] as? [String])?.isEmpty == true, "\(seen["console"] ?? "")")
        let requests = try #require(seen["requests"] as? [String])
        #expect(!requests.isEmpty && requests.allSatisfy { $0.hasPrefix("file://" + report + "/") }, "\(requests)")
        for shot in try #require(seen["screenshots"] as? [String]) {
            let size = try FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int ?? 0
            #expect(size > 10_000, "\(shot) is \(size) bytes")
        }

        // Every plot has its points; the preference plot's points are the judged win rates.
        let results = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary.results))) as? [String: Any])
        let rows = try #require(results["models"] as? [[String: Any]])
        func row(_ id: String) -> [String: Any]? { rows.first { ($0["model"] as? [String: Any])?["id"] as? String == id } }
        let plots = try #require(seen["plots"] as? [[String: Any]])
        #expect(plots.count == 6, "\(plots.map { $0["title"] ?? "" })")   // preference ×2, probe ×2, two training curves
        for plot in plots {
            #expect((plot["points"] as? [Any])?.isEmpty == false, "\(plot["title"] ?? "") has no points")
            #expect(plot["visible"] as? Bool == true)
            #expect((plot["ticks"] as? [String])?.count ?? 0 >= 4, "\(plot["title"] ?? "") has too few ticks")
        }
        let preference = try #require(plots.first { ($0["title"] as? String)?.contains("by imitation data") == true && ($0["title"] as? String)?.contains("win rate") == true })
        let drawn = Set(((preference["points"] as? [[String: Any]]) ?? []).compactMap { $0["y"] as? Double })
        let judged = Set(["tiny/broad/60", "tiny/broad/120"].compactMap { (row($0)?["judge"] as? [String: Any])?["win_rate"] as? Double })
        #expect(!judged.isEmpty && drawn == judged, "drawn \(drawn), results \(judged)")
        let references = (preference["references"] as? [[String: Any]]) ?? []
        #expect(references.contains { $0["name"] as? String == "teacher (parity)" && $0["y"] as? Double == 50 })

        // Numbers in the tables equal the results file's.
        let cells = try #require(seen["cells"] as? [[String: Any]])
        var checked = 0
        let kinds = try #require(results["data"] as? [[String: Any]])
        var diversityCells = 0
        for cell in cells where cell["table"] as? String == "diversity-table" {
            let kind = kinds.first { $0["kind"] as? String == cell["kind"] as? String }
            let expected = (kind?["diversity"] as? [String: Any])?[cell["key"] as? String ?? ""] as? Double
            #expect(expected != nil && expected == cell["value"] as? Double, "\(cell)")
            diversityCells += 1
        }
        #expect(diversityCells == 2 && kinds.count == 1, "\(kinds)")
        for cell in cells {
            guard let model = cell["model"] as? String, let value = cell["value"] as? Double, let r = row(model) else { continue }
            var expected: Double?
            switch cell["table"] as? String {
            case "table1-table":
                let metric = ((r["benchmarks"] as? [String: Any])?[cell["task"] as? String ?? ""] as? [String: Any])?[cell["metric"] as? String ?? ""]
                expected = (metric as? [String: Any])?["value"] as? Double
            case "judge-table": expected = (r["judge"] as? [String: Any])?[cell["key"] as? String ?? ""] as? Double
            case "table2-table": expected = ((r["style"] as? [String: Any])?[cell["key"] as? String ?? ""] as? [String: Any])?["value"] as? Double
            default: continue
            }
            #expect(expected == value, "\(cell)")
            checked += 1
        }
        #expect(checked >= 12, "only \(checked) cells checked")

        // Model text is shown as text: the script is not run, the markup is not bold.
        let pages = try #require(seen["answer_pages"] as? [[String: Any]])
        #expect(pages.count == 4)
        #expect(seen["title"] as? String == "Study mini" && pages.allSatisfy { ($0["title"] as? String)?.hasPrefix("Prompt") == true })
        let hostile = try #require(pages.first { (($0["texts"] as? [String]) ?? []).contains { $0.contains("<script>document.title='pwned'</script>") } })
        #expect(hostile["scripts"] as? Int == 0 && hostile["bold_in_answers"] as? Int == 0)
        #expect((hostile["headings"] as? [String])?.count == 5)   // teacher, its second sample, base, two students
    }
}
