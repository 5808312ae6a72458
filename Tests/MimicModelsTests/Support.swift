// Test support: fixture paths, golden-file loading, the real model when it has been fetched.
import Foundation
import MimicModels
import MimicTensor

enum Fixtures {
    /// The test bundle's Resources folder.
    static var resources: String { Bundle.module.bundlePath + "/Resources" }

    static func json(_ relative: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: resources + "/" + relative))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// The SmolLM2 GGUF from the cache, or nil (tests then skip) unless MIMIC_REQUIRE_ASSETS=1, when it must exist.
    static func smolLM2Path() throws -> String? {
        if let p = try? ModelCache.resolve("smollm2-135m-instruct") { return p }
        if ProcessInfo.processInfo.environment["MIMIC_REQUIRE_ASSETS"] == "1" {
            throw ModelError.unknownModel("smollm2-135m-instruct (MIMIC_REQUIRE_ASSETS=1 but it is not fetched)")
        }
        return nil
    }

    static let hasSmolLM2 = (try? smolLM2Path()) != nil || ProcessInfo.processInfo.environment["MIMIC_REQUIRE_ASSETS"] == "1"
}

/// Largest absolute difference between two sequences.
func maxAbsDiff<A: Collection, B: Collection>(_ a: A, _ b: B) -> Double where A.Element == Float, B.Element == Double {
    zip(a, b).reduce(0) { max($0, abs(Double($1.0) - $1.1)) }
}
