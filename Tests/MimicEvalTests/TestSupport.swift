// Paths for the evaluation tests: the repository root, the committed samples and golden files, scratch folders.
import Foundation
@testable import MimicEval
import MimicTestSupport

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

    /// A fresh temporary folder.
    static func temporary() throws -> String {
        try Scratch.folder("mimic-eval").path
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
