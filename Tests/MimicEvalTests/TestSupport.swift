// Paths for the evaluation tests: the repository root, the committed samples and golden files, the fetched model.
import Foundation
@testable import MimicEval
import Testing

enum EvalPaths {
    /// The repository root (three folders above this file).
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let resources = Bundle.module.url(forResource: "Resources", withExtension: nil)!.path
    static let samples = resources + "/samples"
    static let tasks = root + "/tasks"

    /// MIMIC_REQUIRE_ASSETS=1 turns a missing asset from a skip into a failure.
    static var required: Bool { ProcessInfo.processInfo.environment["MIMIC_REQUIRE_ASSETS"] == "1" }

    static var cache: String { ProcessInfo.processInfo.environment["MIMIC_CACHE"] ?? root + "/.cache" }

    /// The fetched SmolLM2 GGUF, nil when absent (a failure under MIMIC_REQUIRE_ASSETS=1).
    static var smollm2: String? {
        let path = cache + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
        if FileManager.default.fileExists(atPath: path) { return path }
        if required { Issue.record("\(path) is missing; run scripts/fetch-assets.sh") }
        return nil
    }

    /// A fresh temporary folder.
    static func temporary() throws -> String {
        let dir = NSTemporaryDirectory() + "mimic-eval-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Writes `text` to `dir/name` and returns the path.
    @discardableResult
    static func write(_ text: String, _ dir: String, _ name: String) throws -> String {
        let path = dir + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Options over the samples: the first `limit` documents, `batch` requests a call, a short bootstrap.
    static func options(limit: Int? = nil, batch: Int = 8, bootstrap: Int = 50) -> EvalOptions {
        var o = EvalOptions()
        o.dataDirectory = samples
        o.limit = limit
        o.batchSize = batch
        o.bootstrapIterations = bootstrap
        return o
    }

    /// A shipped task by name.
    static func task(_ name: String) throws -> EvalTask { try EvalTask.resolve(name, directories: [tasks]) }
}
