// What a run's training blocks were made from: the data file's SHA-256 and the block settings. Saved in each
// checkpoint's trainer_state.json, so that resuming with other data or settings is refused instead of silently
// mixing two runs.
import Foundation
import MimicCore

/// The training data and block settings of a run.
public struct TrainingDataFingerprint: Codable, Sendable, Equatable {
    /// SHA-256 of the data file's bytes, in hex.
    public var dataSHA256: String
    /// The data file's path when the fingerprint was taken (reported, not compared: a moved file is the same data).
    public var dataPath: String
    /// Tokens per block.
    public var blockSize: Int
    /// Whether examples were packed.
    public var packing: Bool
    /// The held-out fraction.
    public var heldOutFraction: Double
    /// The token budget of the training set (nil: all).
    public var maxTokens: Int?
    /// The chat template override (nil: the model's).
    public var template: String?
    /// The seed of the split, packing and batch order.
    public var seed: UInt64

    /// The fingerprint of `config`'s data file and block settings; throws if the file cannot be read.
    public init(_ config: TrainConfig) throws {
        dataSHA256 = try SHA256.hex(file: config.data)
        dataPath = config.data
        blockSize = config.blockSize
        packing = config.packing
        heldOutFraction = config.heldOutFraction
        maxTokens = config.maxTokens
        template = config.template
        seed = config.train.seed
    }

    /// What differs between `saved` (a checkpoint's) and this one, one phrase each; empty when they agree.
    public func differences(from saved: TrainingDataFingerprint) -> [String] {
        func pair(_ name: String, _ then: Any?, _ now: Any?) -> String {
            "\(name) \(then.map { "\($0)" } ?? "none") in the checkpoint, \(now.map { "\($0)" } ?? "none") now"
        }
        var out: [String] = []
        if saved.dataSHA256 != dataSHA256 {
            out.append("the data file changed (\(saved.dataPath), sha256 \(saved.dataSHA256.prefix(12))… in the checkpoint; "
                       + "\(dataPath), sha256 \(dataSHA256.prefix(12))… now)")
        }
        if saved.blockSize != blockSize { out.append(pair("block size", saved.blockSize, blockSize)) }
        if saved.packing != packing { out.append(pair("packing", saved.packing, packing)) }
        if saved.heldOutFraction != heldOutFraction { out.append(pair("held-out fraction", saved.heldOutFraction, heldOutFraction)) }
        if saved.maxTokens != maxTokens { out.append(pair("max tokens", saved.maxTokens, maxTokens)) }
        if saved.template != template { out.append(pair("template", saved.template, template)) }
        if saved.seed != seed { out.append(pair("seed", saved.seed, seed)) }
        return out
    }

    /// Checks that a checkpoint in `folder` (whose state holds `saved`) was made from this data and these settings;
    /// a checkpoint of an older version without a fingerprint resumes with a warning sent to `log`.
    public func checkResume(saved: TrainingDataFingerprint?, folder: String, log: (String) -> Void) throws {
        guard let saved else {
            log("warning: \(folder) does not record its training data and block settings (an older checkpoint); "
                + "resuming without checking that they are the same")
            return
        }
        let differences = differences(from: saved)
        guard differences.isEmpty else { throw TrainResumeError.settingsChanged(folder: folder, differences: differences) }
    }
}

/// A checkpoint that cannot be resumed with the settings given.
public enum TrainResumeError: LocalizedError, Equatable {
    /// The checkpoint in `folder` was made from other data or block settings; `differences` names each.
    case settingsChanged(folder: String, differences: [String])

    /// A message naming what differs and how to start fresh.
    public var errorDescription: String? {
        switch self {
        case .settingsChanged(let folder, let differences):
            "\(folder) was trained with other data or block settings: \(differences.joined(separator: "; ")). "
                + "Resume with the settings it was made with, or start fresh: use another --out, or delete \(folder)."
        }
    }
}
