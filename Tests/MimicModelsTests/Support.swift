// Test support: fixture paths and golden-file loading (the real model: MimicTestSupport.FetchedAsset).
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
}

/// Largest absolute difference between two sequences.
func maxAbsDiff<A: Collection, B: Collection>(_ a: A, _ b: B) -> Double where A.Element == Float, B.Element == Double {
    zip(a, b).reduce(0) { max($0, abs(Double($1.0) - $1.1)) }
}
