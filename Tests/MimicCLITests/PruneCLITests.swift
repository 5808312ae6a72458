// `mimic prune` as a user runs it: a tiny GGUF pruned into a checkpoint that loads; bad selections and
// outputs give one line on stderr and a non-zero exit.
import Foundation
import MimicModels
import MimicTestSupport
import Testing

@Suite struct PruneCLITests {
    /// The tiny Llama GGUF fixture of MimicModelsTests (2 layers).
    static let tinyLlama = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("MimicModelsTests/Resources/tiny-llama-q8_0.gguf").path

    static func scratch() throws -> String {
        try Scratch.folder("mimic-prune").path
    }

    @Test func prunesATinyModelIntoACheckpoint() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try mimic(["prune", Self.tinyLlama, "--out", dir + "/p", "--layers", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("1 of 2 layers (1)"))
        #expect(try OpenedModel(dir + "/p").model.summary.hasPrefix("llama: 1 layers"))
        // The resolved config is written beside the checkpoint, and --config with it makes the same checkpoint.
        let written = dir + "/p/prune_config.json"
        let same = try mimic(["prune", "--config", written, "--out", dir + "/q"])
        #expect(same.status == 0 && same.stdout.contains("1 of 2 layers (1)"), "\(same.stderr)")
        let weights = try FileManager.default.contentsOfDirectory(atPath: dir + "/p").filter { $0.hasSuffix(".safetensors") }
        #expect(!weights.isEmpty)
        for w in weights { #expect(FileManager.default.contents(atPath: dir + "/p/" + w) == FileManager.default.contents(atPath: dir + "/q/" + w)) }
        let again = try mimic(["prune", Self.tinyLlama, "--out", dir + "/p", "--every-other"])
        #expect(again.status == 0, "an existing checkpoint is replaced: \(again.stderr)")
    }

    @Test func badInputIsOneLineAndNonZeroExit() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir + "/file.txt"))
        let cases: [([String], String)] = [
            (["--layers", "0,7"], "layer 7 does not exist"),
            (["--layers", ""], "the layer list is empty"),
            (["--layers", "0,x"], "'x' in --layers"),
            (["--first", "0"], "--first 0"),
            ([], "exactly one of"),
            (["--every-other", "--first", "1"], "exactly one of"),
        ]
        for (args, message) in cases {
            let r = try mimic(["prune", Self.tinyLlama, "--out", dir + "/p"] + args)
            #expect(r.status != 0 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        let r = try mimic(["prune", Self.tinyLlama, "--out", dir, "--every-other"])
        #expect(r.status != 0 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("not a Hugging Face checkpoint"),
                "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/p"))
    }
}
