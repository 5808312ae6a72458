// Errors of model loading and running: each names the file (and tensor, key or position) and says what to do.
import Foundation
import MimicTensor

/// A problem with a model file or a model call, with a one-line description that names where it is.
public enum ModelError: LocalizedError, Equatable {
    /// The path does not exist.
    case fileNotFound(String)
    /// The file cannot be opened or mapped (path, reason).
    case unreadable(String, String)
    /// The file ends at `offset` while reading `what`.
    case truncated(file: String, offset: Int, what: String)
    /// The file does not start with "GGUF".
    case badMagic(file: String, found: String)
    /// A GGUF version other than 2 or 3.
    case unsupportedVersion(file: String, version: Int)
    /// A field (metadata key, tensor, config value) holds a bad value.
    case invalid(file: String, field: String, problem: String)
    /// A tensor in a type Mimic cannot read.
    case unknownTensorType(file: String, tensor: String, type: String)
    /// A tensor's data range ends at byte `end`, past the end of the file.
    case tensorOutOfBounds(file: String, tensor: String, end: Int, fileSize: Int)
    /// A tensor the model needs is not in the file.
    case missingTensor(file: String, tensor: String)
    /// A required metadata key is absent.
    case missingKey(file: String, key: String)
    /// A tensor's shape differs from the one the configuration implies.
    case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    /// A model family Mimic does not implement.
    case unsupportedArchitecture(file: String, architecture: String)
    /// The sequence needs more positions than the cache or context holds.
    case contextOverflow(needed: Int, capacity: Int)
    /// A token id outside 0..<vocabulary.
    case tokenOutOfRange(token: Int, vocabulary: Int)
    /// A name that is neither a path nor a built-in model.
    case unknownModel(String)

    /// A message naming the file (and tensor, key or position), and what to do.
    public var errorDescription: String? {
        switch self {
        case .fileNotFound(let f):
            "\(f): no such file or folder. Give a GGUF file, a Hugging Face model folder, or a built-in name (smollm2-135m-instruct)."
        case .unreadable(let f, let why): "\(f): cannot be read (\(why))."
        case .truncated(let f, let off, let what):
            "\(f): file ends at byte \(off) while reading \(what); the file is truncated or corrupt. Download it again."
        case .badMagic(let f, let found): "\(f): not a GGUF file (magic \(found), expected GGUF)."
        case .unsupportedVersion(let f, let v): "\(f): GGUF version \(v) is not supported (versions 2 and 3 are)."
        case .invalid(let f, let field, let problem): "\(f): \(field): \(problem)."
        case .unknownTensorType(let f, let t, let type):
            "\(f): tensor '\(t)' has type \(type), which Mimic cannot read (\(GGMLType.allCases.map(\.description).joined(separator: ", ")) are supported). Convert the model to one of them."
        case .tensorOutOfBounds(let f, let t, let end, let size):
            "\(f): tensor '\(t)' ends at byte \(end), past the end of the file (\(size) bytes); the file is truncated or corrupt."
        case .missingTensor(let f, let t): "\(f): the model has no tensor '\(t)'."
        case .missingKey(let f, let k): "\(f): missing metadata key '\(k)'."
        case .shapeMismatch(let f, let t, let e, let found):
            "\(f): tensor '\(t)' has shape \(found), expected \(e) from the model's configuration."
        case .unsupportedArchitecture(let f, let a):
            "\(f): architecture '\(a)' is not supported (llama and gpt2 families are)."
        case .contextOverflow(let needed, let cap):
            "the sequence needs \(needed) positions but the context holds \(cap); shorten the input or raise --ctx."
        case .tokenOutOfRange(let t, let v): "token id \(t) is outside the vocabulary (0..<\(v))."
        case .unknownModel(let name):
            "'\(name)' is neither a file, a model folder, nor a built-in model name (smollm2-135m-instruct). Run scripts/fetch-assets.sh to fetch the built-in model."
        }
    }
}
