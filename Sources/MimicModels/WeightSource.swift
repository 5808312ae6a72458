// WeightSource: where a model's named tensors come from (a GGUF file, or safetensors in an HF folder).
import MimicTensor

/// A set of named tensors a model family reads its parameters from.
public protocol WeightSource {
    /// The file or folder, for error messages.
    var path: String { get }
    /// Whether a tensor exists.
    func has(_ name: String) -> Bool
    /// A 2-D weight of shape [rows, cols] (HF order: out, in), kept in its stored type.
    func matrix(_ name: String, shape: [Int]) throws -> WeightMatrix
    /// A tensor of `count` elements converted to FP32 (norm weights, biases).
    func floats(_ name: String, count: Int) throws -> Tensor
}

extension GGUFFile: WeightSource {
    /// Whether the file has a tensor of this name.
    public func has(_ name: String) -> Bool { tensor(name) != nil }
}
