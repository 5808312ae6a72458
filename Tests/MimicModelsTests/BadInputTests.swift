// Bad model files end in one clear ModelError naming the file and the problem, never a crash.
import Foundation
import MimicCore
import MimicModels
import MimicTensor
import MimicTestSupport
import Testing

@Suite struct BadInputTests {
    @Test func tinyBuiltGGUFLoadsAndRuns() throws {
        let path = try Scratch.file(GGUFBuilder.tinyLlama().build(), name: "tiny.gguf", prefix: "mimic-models").path
        let opened = try OpenedModel(path)
        let logits = try opened.model.forward([1, 2, 3], cache: opened.model.makeCache(capacity: nil), logits: .last)
        #expect(logits.array.allSatisfy { $0.isFinite })
        #expect(opened.tokenizer?.vocabularySize == 64)
    }

    @Test func wrongMagic() throws {
        var bytes = GGUFBuilder.tinyLlama().build()
        bytes[3] = UInt8(ascii: "G")
        let path = try Scratch.file(bytes, name: "magic.gguf", prefix: "mimic-models").path
        let error = #expect(throws: ModelError.self) { try GGUFFile(path: path) }
        #expect(error == ModelError.badMagic(file: path, found: "'GGUG'"))
        let message = error?.errorDescription ?? ""   // the message of the error actually thrown: one line, file first
        #expect(message.hasPrefix(path) && !message.contains("\n"))
    }

    @Test func everyTruncationIsAnErrorNamingTheFile() throws {
        let bytes = GGUFBuilder.tinyLlama().build()
        let folder = try ScratchFolder("mimic-models-cut")
        for cut in Array(stride(from: 0, to: 1200, by: 7)) + [bytes.count - 1] {
            let path = folder.file("cut.gguf")
            try Data(bytes[..<cut]).write(to: URL(fileURLWithPath: path))
            do {
                _ = try OpenedModel(path)
                Issue.record("a file cut at \(cut) of \(bytes.count) bytes loaded")
            } catch let error as ModelError {
                #expect(error.errorDescription!.hasPrefix(path), "\(error)")
            }
        }
    }

    @Test func tensorOffsetPastTheEnd() throws {
        var b = GGUFBuilder.tinyLlama()
        b.tensors[b.tensors.count - 1].data.removeLast(64)  // the last tensor's data runs past the end of the file
        var bytes = b.build()
        bytes.removeLast(64)
        let path = try Scratch.file(bytes, name: "offset.gguf", prefix: "mimic-models").path
        #expect {
            try GGUFFile(path: path)
        } throws: { error in
            guard case .tensorOutOfBounds(let file, let tensor, _, _) = error as? ModelError else { return false }
            return file == path && tensor == "blk.0.ffn_down.weight"
        }
    }

    @Test func unknownQuantizationTypeIsNamed() throws {
        var b = GGUFBuilder.tinyLlama()
        b.tensors[4].type = 16  // IQ2_XXS
        let path = try Scratch.file(b.build(), name: "iq.gguf", prefix: "mimic-models").path
        #expect(throws: ModelError.unknownTensorType(file: path, tensor: "blk.0.attn_q.weight", type: "IQ2_XXS")) {
            try GGUFFile(path: path)
        }
    }

    /// A hostile or broken file: one tensor's type or shape changed, its data left as it was. Read as the new type it
    /// would be garbage (a generation that printed nothing and exited 0); its size no longer meets the next tensor.
    @Test func aTensorWhoseTypeOrShapeNoLongerFitsItsDataIsRefused() throws {
        for (label, edit) in [("F32 to F16", { (b: inout GGUFBuilder) in b.tensors[4].type = 1 }),
                              ("F32 to Q8_0", { (b: inout GGUFBuilder) in b.tensors[4].type = 8 }),
                              ("a larger shape", { (b: inout GGUFBuilder) in b.tensors[4].dims = [32, 40] })] {
            var b = GGUFBuilder.tinyLlama()
            edit(&b)
            let path = try Scratch.file(b.build(), name: "retyped.gguf", prefix: "mimic-models").path
            let error = #expect(throws: ModelError.self, "\(label)") { try GGUFFile(path: path) }
            let message = error?.errorDescription ?? ""
            #expect(message.hasPrefix(path) && message.contains("blk.0.attn_q.weight") && message.contains("does not match its data"),
                    "\(label): \(message)")
        }
        // The file as built loads.
        _ = try GGUFFile(path: try Scratch.file(GGUFBuilder.tinyLlama().build(), name: "fine.gguf", prefix: "mimic-models").path)
    }

    @Test func missingTensorAndBadConfigAreNamed() throws {
        var b = GGUFBuilder.tinyLlama()
        b.tensors.removeAll { $0.name == "blk.0.ffn_up.weight" }
        let path = try Scratch.file(b.build(), name: "missing.gguf", prefix: "mimic-models").path
        #expect(throws: ModelError.missingTensor(file: path, tensor: "blk.0.ffn_up.weight")) { try OpenedModel(path) }

        var c = GGUFBuilder.tinyLlama()
        c.kv[c.kv.firstIndex { $0.0 == "llama.attention.head_count" }!].1 = .u32(0)
        let zero = try Scratch.file(c.build(), name: "zero-heads.gguf", prefix: "mimic-models").path
        #expect(throws: ModelError.self) { try OpenedModel(zero) }
    }

    /// Hugging Face folders with a bad config: zero heads, and untied embeddings without lm_head.weight.
    @Test func badConfigFoldersAreNamed() throws {
        let tiny = Fixtures.resources + "/tiny-llama"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-bad-config-\(getpid())").path
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: tiny + "/model.safetensors", toPath: dir + "/model.safetensors")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tiny + "/config.json"))) as! [String: Any]
        config["num_attention_heads"] = 0
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/config.json"))
        #expect(throws: ModelError.invalid(file: dir + "/config.json", field: "num_attention_heads", problem: "must be at least 1")) {
            try HFModelFolder.loadModel(folder: dir)
        }
        config["num_attention_heads"] = 4
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: dir + "/config.json"))
        let model = try HFModelFolder.loadModel(folder: dir)
        #expect(throws: ModelError.self) {  // a cache made for another shape
            try model.forward([1], cache: KVCache(layers: 1, width: 8, capacity: 4), logits: .last)
        }
        // Untied, but lm_head.weight missing (tiny-llama3-rope is tied, so it has none): an error, not a silent tie.
        let tied = Fixtures.resources + "/tiny-llama3-rope"
        try FileManager.default.removeItem(atPath: dir + "/model.safetensors")
        try FileManager.default.copyItem(atPath: tied + "/model.safetensors", toPath: dir + "/model.safetensors")
        var untied = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tied + "/config.json"))) as! [String: Any]
        untied["tie_word_embeddings"] = false
        try JSONSerialization.data(withJSONObject: untied).write(to: URL(fileURLWithPath: dir + "/config.json"))
        #expect(throws: ModelError.missingTensor(file: dir, tensor: "lm_head.weight")) { try HFModelFolder.loadModel(folder: dir) }
    }

    /// Random corruptions of a small GGUF: every one either loads and runs or throws a ModelError.
    @Test func randomCorruptionsNeverCrash() throws {
        let bytes = GGUFBuilder.tinyLlama().build()
        let headerEnd = 1400  // metadata and tensor infos; corrupting weights only changes numbers
        var rng = SeededGenerator(seed: 99)
        var loaded = 0, rejected = 0
        let folder = try ScratchFolder("mimic-models-fuzz")
        for trial in 0..<1500 {
            var mutated = bytes
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let at = Int(rng.next() % UInt64(headerEnd))
                switch rng.next() % 3 {
                case 0: mutated[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: mutated[at] ^= 1 << UInt8(rng.next() % 8)
                default: mutated[at] = [0x00, 0xFF, 0x7F, 0x80][Int(rng.next() % 4)]
                }
            }
            if trial % 5 == 0 { mutated.removeLast(Int(rng.next() % UInt64(mutated.count))) }
            let path = folder.file("fuzz.gguf")
            try Data(mutated).write(to: URL(fileURLWithPath: path))
            do {
                let opened = try OpenedModel(path)
                let m = opened.model
                _ = try m.forward([0, 1], cache: m.makeCache(capacity: 8), logits: .last)
                if let tok = opened.tokenizer { _ = tok.decode(tok.encode("AB0 C1")) }
                loaded += 1
            } catch is ModelError {
                rejected += 1
            }
        }
        #expect(loaded + rejected == 1500)
        #expect(rejected > 100 && loaded > 10, "loaded \(loaded), rejected \(rejected)")
    }
}
