// The `mimic` binary as a user runs it: bad input gives one line on stderr naming the problem and a
// non-zero exit; the commands work end to end on the built-in model when it is fetched.
import Foundation
import MimicModels
import Testing

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the `mimic` binary built beside the test bundle.
func mimic(_ args: [String], stdin: String? = nil) throws -> RunResult {
    let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [dir.appendingPathComponent("mimic"), dir.deletingLastPathComponent().appendingPathComponent("mimic")]
    let binary = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) })
    let p = Process()
    p.executableURL = binary
    p.arguments = args
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

let hasSmolLM2 = (try? ModelCache.resolve("smollm2-135m-instruct")) != nil
    || ProcessInfo.processInfo.environment["MIMIC_REQUIRE_ASSETS"] == "1"

@Suite struct CLITests {
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
        #expect(r.stderr.contains("--top-p"))
    }

    @Test(.enabled(if: hasSmolLM2)) func generateAnswersOnTheBuiltInModel() throws {
        let r = try mimic(["generate", "-p", "What is the capital of France?", "-n", "24"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Paris"))
    }

    @Test(.enabled(if: hasSmolLM2)) func samplingIsReproducibleFromTheSeed() throws {
        let args = ["generate", "-p", "Write a sentence about the sea.", "-n", "16", "--temperature", "0.9", "--top-p", "0.95"]
        let a = try mimic(args + ["--seed", "7"]), b = try mimic(args + ["--seed", "7"]), c = try mimic(args + ["--seed", "8"])
        #expect(a.status == 0 && a.stdout == b.stdout)
        #expect(a.stdout != c.stdout)
    }

    @Test(.enabled(if: hasSmolLM2)) func chatKeepsTheConversation() throws {
        let r = try mimic(["chat", "-n", "24"], stdin: "What is the capital of France?\nAnd of Italy?\n/exit\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("Paris") && r.stdout.contains("Rome"))
    }

    @Test(.enabled(if: hasSmolLM2)) func tokenizeAndInspect() throws {
        let t = try mimic(["tokenize", "-p", "<|im_start|>user", "--ids"])
        #expect(t.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[1, 4093]")
        let i = try mimic(["inspect"])
        #expect(i.stdout.contains("Q4_1") && i.stdout.contains("chatml") && i.stdout.contains("30 layers"))
    }
}
