// The `mimic` binary as a user runs it: bad input gives one line on stderr naming the problem and a
// non-zero exit; the commands work end to end on the built-in model when it is fetched.
import Foundation
import MimicModels
import MimicTestSupport
import Testing

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the `mimic` binary built beside the test bundle.
func mimic(_ args: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> RunResult {
    let p = Process()
    p.executableURL = try MimicBinary.url()
    p.arguments = args
    if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
    try inp.fileHandleForWriting.close()
    let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return RunResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

@Suite struct CLITests {
    /// MIMIC_SIMD_LEVEL caps the kernels' level for a whole run (what `--verbose` names is what runs), and a value
    /// that is not a level is ignored.
    @Test func theSIMDLevelCanBeCappedFromTheEnvironment() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-cli-simd-\(getpid()).gguf").path
        try Data(TinyChatModel.gguf()).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        func kernels(_ level: String?) throws -> String {
            let r = try mimic(["bench", path, "-p", "12", "-n", "2", "-r", "1", "--verbose"],
                              environment: level.map { ["MIMIC_SIMD_LEVEL": $0] } ?? [:])
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.split(separator: "\n").first { $0.hasPrefix("kernels:") }.map(String.init) ?? r.stdout
        }
        let best = try kernels(nil)
        #expect(try kernels("0") == "kernels: portable C")
        #expect(try kernels("9") == best && kernels("x") == best)
        if !best.hasSuffix("portable C") { #expect(try kernels("1") == "kernels: AVX2+FMA+F16C") }
    }

    @Test func badModelFileIsOneLineAndNonZeroExit() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-cli-bad.gguf").path
        try Data("GGUGnotamodel".utf8).write(to: URL(fileURLWithPath: path))
        for command in ["inspect", "generate", "tokenize"] {
            var args = [command, path]
            if command != "inspect" { args += ["-p", "hi"] }
            let r = try mimic(args)
            #expect(r.status != 0)
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(r.stderr)")
            #expect(r.stderr.contains(path) && r.stderr.contains("not a GGUF file"))
            #expect(r.stdout.isEmpty)
        }
    }

    /// Every file of Tests/MimicModelsTests/Resources/bad, given to `mimic inspect`: one line naming it, exit 1.
    @Test func everyBadFixtureIsOneLineNamingTheFile() throws {
        let bad = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("MimicModelsTests/Resources/bad").path
        let files = try FileManager.default.contentsOfDirectory(atPath: bad).filter { $0.hasSuffix(".gguf") }
        #expect(files.count >= 5)
        for f in files {
            let r = try mimic(["inspect", bad + "/" + f])
            #expect(r.status == 1 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(f), "\(f): \(r.stderr)")
        }
        // A Hugging Face folder: lying safetensors, and a tokenizer.json of an unsupported model type.
        let tiny = URL(fileURLWithPath: bad).deletingLastPathComponent().appendingPathComponent("tiny-llama").path
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-cli-folder-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: tiny + "/config.json", toPath: dir + "/config.json")
        try FileManager.default.copyItem(atPath: bad + "/lying-header.safetensors", toPath: dir + "/model.safetensors")
        let lying = try mimic(["inspect", dir])
        #expect(lying.status == 1 && lying.stderr.contains("model.safetensors") && lying.stderr.contains("past the end"))
        try FileManager.default.removeItem(atPath: dir + "/model.safetensors")
        try FileManager.default.copyItem(atPath: tiny + "/model.safetensors", toPath: dir + "/model.safetensors")
        try FileManager.default.copyItem(atPath: bad + "/unigram/tokenizer.json", toPath: dir + "/tokenizer.json")
        let unigram = try mimic(["inspect", dir])
        #expect(unigram.status == 1 && unigram.stderr.split(separator: "\n").count == 1)
        #expect(unigram.stderr.contains("tokenizer.json") && unigram.stderr.contains("Unigram"), "\(unigram.stderr)")
    }

    @Test func unknownModelNameSaysWhatToDo() throws {
        let r = try mimic(["inspect", "no-such-model"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("no-such-model") && r.stderr.contains("built-in"))
    }

    @Test func badFlagValueIsRejected() throws {
        let r = try mimic(["generate", "-p", "hi", "--top-p", "2"])
        #expect(r.status != 0)
        // Named by its config key, as every command with a config names it (the flag is --top-p).
        #expect(r.stderr.contains("top_p") && r.stderr.contains("(0, 1]"), "\(r.stderr)")
    }

    /// The speed benches take `--config FILE` too: eval-bench's ROUGE scores from a file equal its flags', and a bad
    /// value is one line naming the key.
    @Test func benchesTakeAConfigFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-cli-bench-config-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "{\"target\": \"the cat sat on the mat\", \"prediction\": \"the cat sat\"}\n{\"target\": \"a b c\", \"prediction\": \"a c\"}\n"
            .write(toFile: dir + "/pairs.jsonl", atomically: true, encoding: .utf8)
        let byFlags = try mimic(["eval-bench", "rouge", "--pairs", dir + "/pairs.jsonl", "--out", dir + "/a.jsonl"])
        try "what: rouge\npairs: \(dir)/pairs.jsonl\nout: \(dir)/b.jsonl\n".write(toFile: dir + "/rouge.yaml", atomically: true, encoding: .utf8)
        let byFile = try mimic(["eval-bench", "--config", dir + "/rouge.yaml"])
        #expect(byFlags.status == 0 && byFile.status == 0 && byFile.stdout.contains("\"pairs\": 2"), "\(byFile.stderr)")
        let a = FileManager.default.contents(atPath: dir + "/a.jsonl"), b = FileManager.default.contents(atPath: dir + "/b.jsonl")
        #expect(a != nil && a == b)
        try "batch: 0\n".write(toFile: dir + "/train.yaml", atomically: true, encoding: .utf8)
        let bad = try mimic(["train-bench", "--config", dir + "/train.yaml"])
        #expect(bad.status != 0 && bad.stderr.contains("batch") && bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
        let missing = try mimic(["eval-bench", "humaneval"])
        #expect(missing.status != 0 && missing.stderr.contains("problems"), "\(missing.stderr)")
        // teacher-bench against its in-process echo server, from a file: three phases of the file's size.
        try "requests: 50\nin_flight: 4\n".write(toFile: dir + "/teacher.yaml", atomically: true, encoding: .utf8)
        let teacher = try mimic(["teacher-bench", "--config", dir + "/teacher.yaml", "--json"])
        let phases = try JSONSerialization.jsonObject(with: Data(teacher.stdout.utf8)) as? [[String: Any]]
        #expect(teacher.status == 0 && phases?.count == 3 && phases?.allSatisfy { $0["requests"] as? Int == 50 } == true, "\(teacher.stderr)")
    }

    /// The model tools take `--config FILE` with their config's keys: a file gives the same output as the flags, a
    /// flag overrides the file, the environment sits between them, and an unknown key or a bad value is one line
    /// naming it.
    @Test(.requires(.smolLM2)) func modelToolsTakeAConfigFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-cli-config-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func write(_ name: String, _ text: String) throws -> String {
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
            return dir + "/" + name
        }
        let flags = ["-p", "Write a sentence about the sea.", "-n", "12", "--temperature", "0.9", "--seed", "5"]
        let byFlags = try mimic(["generate"] + flags)
        let generate = try write("generate.yaml", "prompt: Write a sentence about the sea.\nmax_tokens: 12\ntemperature: 0.9\nseed: 5\n")
        let byFile = try mimic(["generate", "--config", generate])
        #expect(byFlags.status == 0 && byFile.status == 0, "\(byFile.stderr)")
        #expect(byFile.stdout == byFlags.stdout && !byFile.stdout.isEmpty)
        // A flag over the file: another seed, other text; the same as giving that seed by flags alone.
        let overridden = try mimic(["generate", "--config", generate, "--seed", "6"])
        let seed6 = try mimic(["generate"] + flags.dropLast() + ["6"])
        #expect(overridden.stdout == seed6.stdout)
        #expect(overridden.stdout != byFile.stdout)
        let tokenize = try write("tokenize.yaml", "prompt: \"<|im_start|>user\"\n")
        let ids = try mimic(["tokenize", "--config", tokenize, "--ids"])
        #expect(ids.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[1, 4093]")
        let text = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("MimicModelsTests/Resources/perplexity.txt").path
        let perplexity = try write("perplexity.yaml", "file: \(text)\nctx: 256\n")
        let ppl = try mimic(["perplexity", "--config", perplexity]), pplByFlags = try mimic(["perplexity", text, "--ctx", "256"])
        #expect(ppl.status == 0 && ppl.stdout == pplByFlags.stdout, "\(ppl.stderr)")
        let bench = try write("bench.yaml", "prompt: 8\ngenerate: 4\nrepetitions: 1\n")
        let b = try mimic(["bench", "--config", bench, "--json"])
        #expect(b.status == 0 && b.stdout.contains("\"pp8\"") && b.stdout.contains("\"tg4\""), "\(b.stdout) \(b.stderr)")
        // Errors: an unknown key with its line, a bad value, each one line and a non-zero exit.
        let unknown = try mimic(["generate", "--config", try write("typo.yaml", "prompt: hi\nmax_tokenz: 3\n")])
        #expect(unknown.status != 0 && unknown.stderr.contains("typo.yaml:2") && unknown.stderr.contains("max_tokenz"), "\(unknown.stderr)")
        let zero = try mimic(["bench", "--config", try write("zero.yaml", "repetitions: 0\n")])
        #expect(zero.status != 0 && zero.stderr.contains("repetitions") && zero.stderr.split(separator: "\n").count == 1, "\(zero.stderr)")
    }

    @Test(.requires(.smolLM2)) func generateAnswersOnTheBuiltInModel() throws {
        let r = try mimic(["generate", "-p", "What is the capital of France?", "-n", "24"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Paris"))
    }

    @Test(.requires(.smolLM2)) func samplingIsReproducibleFromTheSeed() throws {
        let args = ["generate", "-p", "Write a sentence about the sea.", "-n", "16", "--temperature", "0.9", "--top-p", "0.95"]
        let a = try mimic(args + ["--seed", "7"]), b = try mimic(args + ["--seed", "7"]), c = try mimic(args + ["--seed", "8"])
        #expect(a.status == 0 && a.stdout == b.stdout)
        #expect(a.stdout != c.stdout)
    }

    @Test(.requires(.smolLM2)) func chatKeepsTheConversation() throws {
        let r = try mimic(["chat", "-n", "24"], stdin: "What is the capital of France?\nAnd of Italy?\n/exit\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Paris") && r.stdout.contains("Rome"))
    }

    /// `mimic perplexity [MODEL] FILE`: with or without the model, the llama-perplexity figure (40.1771 at ctx 256 on
    /// the F32 copy with an F32 KV cache; Tests/MimicModelsTests/Resources/smollm2_perplexity.json).
    @Test(.requires(.smolLM2)) func perplexityWithAndWithoutTheModelArgument() throws {
        let text = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("MimicModelsTests/Resources/perplexity.txt").path
        for args in [[text], ["smollm2-135m-instruct", text]] {
            let r = try mimic(["perplexity"] + args + ["--ctx", "256"])
            #expect(r.status == 0, "\(r.stderr)")
            let value = r.stdout.split(separator: "=").last.flatMap { Double($0.split(separator: " ").first ?? "") }
            #expect(value.map { abs($0 / 40.1771 - 1) < 0.005 } == true, "\(r.stdout)")
        }
    }

    @Test(.requires(.smolLM2)) func tokenizeAndInspect() throws {
        let t = try mimic(["tokenize", "-p", "<|im_start|>user", "--ids"])
        #expect(t.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[1, 4093]")
        let i = try mimic(["inspect"])
        #expect(i.stdout.contains("Q4_1") && i.stdout.contains("chatml") && i.stdout.contains("30 layers"))
    }
}

/// `mimic prune` then `mimic train` on the built-in model, killed with SIGKILL after its first checkpoint and run
/// again: the resumed run's log equals an uninterrupted run's, and `mimic generate` runs the result.
@Suite(.requires(.smolLM2), .serialized) struct TrainCLITests {
    static let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/tiny-conversations.jsonl").path

    func scratch(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-train-cli-\(getpid())/\(name)").path
        try? FileManager.default.removeItem(atPath: dir)
        return dir
    }

    func trainArgs(student: String, out: String) -> [String] {
        ["train", "--model", student, "--data", Self.data, "--out", out, "--batch-size", "2", "--block-size", "64",
         "--max-steps", "4", "--checkpoint-every", "1", "--eval-every", "2", "--lr", "1e-3", "--seed", "3"]
    }

    func losses(_ out: String) throws -> [Double] {
        try String(contentsOfFile: out + "/log.jsonl", encoding: .utf8).split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any])["loss"] as! Double
        }
    }

    @Test func pruneTrainKillResumeGenerate() throws {
        let student = scratch("student")
        let p = try mimic(["prune", "smollm2-135m-instruct", "--out", student, "--first", "1"])
        #expect(p.status == 0, "\(p.stderr)")

        let straight = scratch("straight")
        let s = try mimic(trainArgs(student: student, out: straight))
        #expect(s.status == 0, "\(s.stderr)")
        let reference = try losses(straight)
        #expect(reference.count == 4)

        // Start a run, kill -9 it once a checkpoint exists, then run the same command again.
        let killed = scratch("killed")
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let proc = Process()
        proc.executableURL = [dir.appendingPathComponent("mimic"), dir.deletingLastPathComponent().appendingPathComponent("mimic")]
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
        proc.arguments = trainArgs(student: student, out: killed)
        proc.standardError = FileHandle.nullDevice
        proc.standardOutput = FileHandle.nullDevice
        try proc.run()
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: killed + "/model/trainer_state.json") && Date() < deadline && proc.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(proc.processIdentifier, SIGKILL)
        proc.waitUntilExit()
        #expect(proc.terminationReason == .uncaughtSignal, "the run was killed, not finished")
        #expect(try losses(killed).count < 4, "it was interrupted before its last step")
        let resumed = try mimic(trainArgs(student: student, out: killed))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try losses(killed) == reference)

        let g = try mimic(["generate", killed + "/model", "-p", "What color is a red cat?", "-n", "8"])
        #expect(g.status == 0, "\(g.stderr)")
        #expect(FileManager.default.fileExists(atPath: killed + "/model/tokenizer.json"))
    }

    @Test func badTrainingInputIsOneLine() throws {
        let r = try mimic(["train", "--data", "/no/such.jsonl", "--out", scratch("bad")])
        #expect(r.status != 0 && r.stderr.contains("/no/such.jsonl"))
    }
}
