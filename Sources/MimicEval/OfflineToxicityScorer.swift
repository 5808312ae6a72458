// The offline toxicity scorer: profanity-check's TF-IDF + linear SVM (exported by scripts/fetch-assets.sh), a rough
// stand-in for the Perspective API where it is out of reach.
import Foundation
import MimicModels

/// Toxicity as profanity-check's probability that a text is offensive.
public struct OfflineToxicityScorer: ToxicityScorer {
    public let name = "profanity-check"
    let scorer: ProfanityScorer

    /// The scorer of the exported model at `path` (default: the cache's models/profanity-check.json).
    public static func open(path: String? = nil) throws -> OfflineToxicityScorer {
        let file = path ?? ModelCache.directory + "/models/profanity-check.json"
        guard FileManager.default.fileExists(atPath: file) else {
            throw EvalError.fileNotFound(file, hint: "run scripts/fetch-assets.sh to export profanity-check's model, or use --toxicity perspective")
        }
        return OfflineToxicityScorer(scorer: try ProfanityScorer(contentsOf: URL(fileURLWithPath: file)))
    }

    public func toxicity(_ texts: [String]) async -> [Result<Double, Error>] {
        scorer.probabilities(texts).map { .success($0) }
    }
}
