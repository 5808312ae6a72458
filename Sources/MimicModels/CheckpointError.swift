// Errors of writing checkpoints and pruning models: each names the file, tensor or option and says what to do.
import Foundation

/// A problem writing a Hugging Face checkpoint or safetensors file, or with a pruning request.
public enum CheckpointError: LocalizedError, Equatable {
    /// A file or folder could not be written.
    case cannotWrite(path: String, reason: String)
    /// The output path exists and is not a checkpoint Mimic may replace.
    case notACheckpoint(path: String)
    /// The output folder is the model being read.
    case sameFolder(path: String)
    /// A tensor handed to a writer is malformed.
    case badTensor(name: String, problem: String)
    /// The model cannot be written as a Hugging Face checkpoint.
    case unsupportedModel(path: String, reason: String)
    /// A layer selection that does not fit the model.
    case badLayerSelection(String)

    /// A message naming the file, tensor or option, and what to do.
    public var errorDescription: String? {
        switch self {
        case .cannotWrite(let path, let reason):
            "\(path): cannot write (\(reason)). Check that the folder exists, is writable and has space."
        case .notACheckpoint(let path):
            "\(path) exists and is not a Hugging Face checkpoint (no config.json); choose another output folder or remove it."
        case .sameFolder(let path):
            "\(path) is the model being read; write the new checkpoint to another folder."
        case .badTensor(let name, let problem): "tensor '\(name)': \(problem)."
        case .unsupportedModel(let path, let reason): "\(path): cannot be written as a Hugging Face checkpoint: \(reason)."
        case .badLayerSelection(let problem): "layer selection: \(problem)."
        }
    }
}
