// Test support for the checkpoint tests: fixture paths and scratch folders.
import Foundation

enum Fixtures {
    /// The test bundle's Resources folder.
    static var resources: String { Bundle.module.bundlePath + "/Resources" }

    /// A fixture path under Resources/.
    static func path(_ relative: String) -> String { resources + "/" + relative }

    /// The tokenizer corpus every tokenizer golden covers.
    static func corpus() throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path("tokenizers/tokenizer_corpus.json")))
        return try JSONDecoder().decode([String].self, from: data)
    }
}

/// A fresh, empty scratch folder, removed when the value goes away.
final class ScratchFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-ckpt-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A path inside the folder.
    func file(_ name: String) -> String { path + "/" + name }
}
