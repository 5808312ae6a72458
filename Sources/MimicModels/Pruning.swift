// Pruning: keep some decoder layers of a model and write the result as a Hugging Face checkpoint, with the
// layer count updated, the kept layers renumbered from 0, and the model's tokenizer and chat template.
import Foundation

/// Which decoder layers to keep.
public enum LayerSelection: Sendable, Equatable {
    /// Layers 0, 2, 4, …
    case everyOther
    /// Layers 0..<k.
    case first(Int)
    /// The listed layers, in increasing order without repeats.
    case list([Int])

    /// The kept layer indices of a model with `count` layers.
    ///
    /// Throws `CheckpointError.badLayerSelection` for an empty selection, a `first` outside 1...count, or a
    /// list with an index out of range, a repeat, or indices out of order.
    public func layers(outOf count: Int) throws -> [Int] {
        switch self {
        case .everyOther:
            return Array(stride(from: 0, to: count, by: 2))
        case .first(let k):
            guard (1...max(count, 1)).contains(k) else {
                throw CheckpointError.badLayerSelection("--first \(k) must be between 1 and the model's \(count) layers")
            }
            return Array(0..<k)
        case .list(let list):
            guard !list.isEmpty else { throw CheckpointError.badLayerSelection("the layer list is empty; name at least one layer") }
            if let bad = list.first(where: { !(0..<count).contains($0) }) {
                throw CheckpointError.badLayerSelection("layer \(bad) does not exist; the model has \(count) layers (0 to \(count - 1))")
            }
            guard zip(list, list.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw CheckpointError.badLayerSelection("list layers in increasing order without repeats (got \(list.map(String.init).joined(separator: ",")))")
            }
            return list
        }
    }
}

/// Dropping decoder layers from a model.
public enum Pruning {
    /// What a prune wrote.
    public struct Summary: Sendable, Equatable {
        /// The checkpoint folder.
        public let folder: String
        /// The original indices of the kept layers; layer k of the checkpoint is layer `kept[k]` of the model.
        public let kept: [Int]
        /// The model's layer count before pruning.
        public let originalLayerCount: Int
        /// Parameters in the checkpoint.
        public let parameterCount: Int
    }

    /// Writes `model` with only the layers `keep` selects as a Hugging Face checkpoint in `folder` (replacing a
    /// checkpoint there atomically): `num_hidden_layers` / `n_layer` updated, layers renumbered from 0, weights in
    /// dense FP32, the tokenizer and chat template (a GGUF's `tokenizer.chat_template` or the folder's
    /// tokenizer_config.json) written beside them.
    ///
    /// Throws `CheckpointError` for a bad selection, an output that exists and is not a checkpoint, an output that
    /// is the model itself, or a model Mimic cannot write.
    @discardableResult
    public static func prune(model: OpenedModel, keep: LayerSelection, to folder: String) throws -> Summary {
        let total = try HFCheckpoint.layerCount(of: model)
        let kept = try keep.layers(outOf: total)
        let parameters = try HFCheckpoint.write(model: model, to: folder, layers: kept)
        return Summary(folder: folder, kept: kept, originalLayerCount: total, parameterCount: parameters)
    }
}
