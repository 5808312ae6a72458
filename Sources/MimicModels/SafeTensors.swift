// safetensors files (one, or shards listed by `model.safetensors.index.json`) as a WeightSource,
// memory-mapped, with the JSON header checked against the file before any tensor is used.
import Foundation
import MimicTensor

/// One tensor entry of a safetensors header.
public struct SafeTensorInfo: Sendable {
    /// Tensor name as stored.
    public let name: String
    /// safetensors dtype string ("F32", "F16", "BF16", "I64", …).
    public let dtype: String
    /// Dimensions, slowest first.
    public let shape: [Int]
    /// Byte offset from the start of the file.
    public let offset: Int
    /// Size of the tensor's data in bytes.
    public let byteCount: Int
    /// Number of elements (product of `shape`).
    public var elementCount: Int { shape.reduce(1, *) }
}

/// A parsed safetensors file.
public final class SafeTensorsFile: @unchecked Sendable {
    /// Path the file was opened from.
    public let path: String
    /// Header entries by tensor name.
    public let tensors: [String: SafeTensorInfo]
    /// The header's `__metadata__` strings (empty if absent).
    public let metadata: [String: String]
    let map: MappedFile

    static let dtypeSizes = ["F32": 4, "F16": 2, "BF16": 2, "F64": 8, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1]

    /// Maps the file and validates its JSON header: dtypes, shapes and that every data range lies in the file.
    /// Throws ModelError if the file is truncated or the header is malformed.
    public init(path: String) throws {
        let map = try MappedFile(path: path)
        guard map.size >= 8 else { throw ModelError.truncated(file: path, offset: map.size, what: "the header length") }
        let headerLength = UInt64(littleEndian: map.base.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(map.size - 8) else {
            throw ModelError.truncated(file: path, offset: map.size, what: "a \(headerLength)-byte JSON header")
        }
        let data = Data(bytes: map.base + 8, count: Int(headerLength))
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelError.invalid(file: path, field: "header", problem: "not a JSON object")
        }
        let dataStart = 8 + Int(headerLength)
        var tensors: [String: SafeTensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in json {
            if name == "__metadata__" {
                metadata = (value as? [String: String]) ?? [:]
                continue
            }
            guard let entry = value as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw ModelError.invalid(file: path, field: "tensor '\(name)'", problem: "needs dtype, shape and data_offsets") }
            guard let size = Self.dtypeSizes[dtype] else {
                throw ModelError.invalid(file: path, field: "tensor '\(name)'", problem: "unknown dtype \(dtype)")
            }
            var elements = 1
            for d in shape {
                let (p, o) = elements.multipliedReportingOverflow(by: d)
                guard d >= 0, !o, p < 1 << 40 else { throw ModelError.invalid(file: path, field: "tensor '\(name)'", problem: "shape \(shape)") }
                elements = p
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, end >= begin, end - begin == elements * size else {
                throw ModelError.invalid(file: path, field: "tensor '\(name)'",
                                         problem: "data_offsets \(offsets) do not hold \(shape) of \(dtype)")
            }
            guard end <= map.size - dataStart else {
                throw ModelError.tensorOutOfBounds(file: path, tensor: name, end: dataStart + end, fileSize: map.size)
            }
            tensors[name] = SafeTensorInfo(name: name, dtype: dtype, shape: shape, offset: dataStart + begin, byteCount: end - begin)
        }
        self.path = path
        self.tensors = tensors
        self.metadata = metadata
        self.map = map
    }
}

/// The weights of a Hugging Face model folder: `model.safetensors`, or shards named by the index.
public final class SafeTensorsSource: WeightSource, @unchecked Sendable {
    /// The folder, for error messages.
    public let path: String
    let files: [SafeTensorsFile]
    let location: [String: (file: SafeTensorsFile, info: SafeTensorInfo)]

    /// Opens `model.safetensors` in `folder`, or every shard named by `model.safetensors.index.json`;
    /// throws ModelError.fileNotFound if neither exists.
    public init(folder: String) throws {
        path = folder
        let fm = FileManager.default
        let single = folder + "/model.safetensors", index = folder + "/model.safetensors.index.json"
        var files: [SafeTensorsFile] = []
        if fm.fileExists(atPath: single) {
            files = [try SafeTensorsFile(path: single)]
        } else if fm.fileExists(atPath: index) {
            guard let data = fm.contents(atPath: index),
                  let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = json["weight_map"] as? [String: String] else {
                throw ModelError.invalid(file: index, field: "weight_map", problem: "missing or not an object of file names")
            }
            for name in Set(map.values).sorted() {
                guard !name.contains("/") else { throw ModelError.invalid(file: index, field: "weight_map", problem: "'\(name)' is not a file name") }
                files.append(try SafeTensorsFile(path: folder + "/" + name))
            }
        } else {
            throw ModelError.fileNotFound(single)
        }
        var location: [String: (SafeTensorsFile, SafeTensorInfo)] = [:]
        for f in files { for (name, info) in f.tensors { location[name] = (f, info) } }
        self.files = files
        self.location = location
    }

    /// A source over already opened files (`path` names them in errors).
    public init(files: [SafeTensorsFile], path: String) {
        self.path = path
        self.files = files
        var location: [String: (SafeTensorsFile, SafeTensorInfo)] = [:]
        for f in files { for (name, info) in f.tensors { location[name] = (f, info) } }
        self.location = location
    }

    /// Whether any of the files has a tensor of this name.
    public func has(_ name: String) -> Bool { location[name] != nil }

    /// Names of every tensor.
    public var names: [String] { location.keys.sorted() }

    /// The header entry of a tensor.
    public func tensorInfo(_ name: String) -> SafeTensorInfo? { location[name]?.info }

    private func entry(_ name: String) throws -> (file: SafeTensorsFile, info: SafeTensorInfo) {
        guard let e = location[name] else { throw ModelError.missingTensor(file: path, tensor: name) }
        return e
    }

    private func type(of e: (file: SafeTensorsFile, info: SafeTensorInfo)) throws -> GGMLType {
        switch e.info.dtype {
        case "F32": .f32
        case "F16": .f16
        case "BF16": .bf16
        default: throw ModelError.invalid(file: e.file.path, field: "tensor '\(e.info.name)'",
                                          problem: "dtype \(e.info.dtype) cannot be a weight (F32, F16, BF16 can)")
        }
    }

    /// A 2-D F32, F16 or BF16 weight of exactly `shape` [rows, cols], kept in its stored type (not copied).
    public func matrix(_ name: String, shape: [Int]) throws -> WeightMatrix {
        let e = try entry(name)
        guard e.info.shape == shape else { throw ModelError.shapeMismatch(file: e.file.path, tensor: name, expected: shape, found: e.info.shape) }
        return WeightMatrix(type: try type(of: e), rows: shape[0], cols: shape[1], bytes: e.file.map.base + e.info.offset, owner: e.file.map)
    }

    /// A tensor of `count` elements converted to FP32; throws if it is missing, another size or not F32/F16/BF16.
    public func floats(_ name: String, count: Int) throws -> Tensor {
        let e = try entry(name)
        guard e.info.elementCount == count else {
            throw ModelError.shapeMismatch(file: e.file.path, tensor: name, expected: [count], found: e.info.shape)
        }
        let out = Tensor(zeros: [count])
        dequantize(try type(of: e), e.file.map.base + e.info.offset, into: out.data, count: count)
        return out
    }
}
