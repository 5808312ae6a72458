// SafeTensorsWriter: named FP32 tensors written as one safetensors file, exactly as the format specifies
// (8-byte little-endian header length, JSON header padded with spaces to a multiple of 8, tensors contiguous
// in sorted name order), atomically: a temporary file in the same folder renamed over the target.
import Foundation
import MimicCore
import MimicTensor

/// FP32 values with a shape (row-major, last dimension fastest), to be written to a safetensors file.
public struct TensorValues: @unchecked Sendable {
    /// Dimensions, outermost first; `[]` is a scalar.
    public let shape: [Int]
    private let storage: Storage

    private enum Storage {
        case array([Float])
        case buffer(UnsafeBufferPointer<Float>, owner: AnyObject?)
    }

    /// Values held in an array.
    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        storage = .array(values)
    }

    /// Values the caller keeps alive and unchanged until the write returns; `owner`, if given, is retained.
    public init(shape: [Int], buffer: UnsafeBufferPointer<Float>, owner: AnyObject? = nil) {
        self.shape = shape
        storage = .buffer(buffer, owner: owner)
    }

    /// The values of a tensor (retained, not copied).
    public init(_ tensor: Tensor) {
        self.init(shape: tensor.shape, buffer: UnsafeBufferPointer(start: tensor.data, count: tensor.count), owner: tensor)
    }

    /// Number of values held.
    public var count: Int {
        switch storage {
        case .array(let a): a.count
        case .buffer(let b, _): b.count
        }
    }

    /// Calls `body` with the values.
    public func withValues<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        switch storage {
        case .array(let a): return try a.withUnsafeBufferPointer(body)
        case .buffer(let b, let owner): return try withExtendedLifetime(owner) { try body(b) }
        }
    }
}

/// Writes safetensors files of FP32 tensors.
public enum SafeTensorsWriter {
    /// Writes `tensors` to `path` (dtype F32, `__metadata__` `{"format": "pt"}` plus `metadata`), atomically.
    ///
    /// Throws `CheckpointError.badTensor` for an empty or reserved name, a negative dimension, or values whose
    /// count is not the product of the shape; `CheckpointError.cannotWrite` when the file cannot be written.
    public static func write(_ tensors: [String: TensorValues], to path: String, metadata: [String: String] = [:]) throws {
        let sorted = tensors.sorted { $0.key < $1.key }
        let header = try header(for: sorted, metadata: metadata)
        try AtomicFile.write(to: path) { handle in
            try handle.write(contentsOf: header)
            for (_, tensor) in sorted where tensor.count > 0 {
                try tensor.withValues { values in
                    // safetensors stores little-endian values, which is the byte order of every platform Mimic runs on.
                    let raw = UnsafeMutableRawPointer(mutating: values.baseAddress!)
                    try handle.write(contentsOf: Data(bytesNoCopy: raw, count: values.count * 4, deallocator: .none))
                }
            }
        }
    }

    /// The bytes before the tensor data: the header length (UInt64 little-endian) and the JSON header, padded
    /// with spaces so that the data starts at a multiple of 8. `tensors` must be in the order they are written.
    static func header(for tensors: [(key: String, value: TensorValues)], metadata: [String: String]) throws -> Data {
        var meta = metadata
        meta["format"] = meta["format"] ?? "pt"
        var json = "{\"__metadata__\":{"
        json += meta.sorted { $0.key < $1.key }.map { jsonString($0.key) + ":" + jsonString($0.value) }.joined(separator: ",")
        json += "}"
        var offset = 0
        for (name, tensor) in tensors {
            guard !name.isEmpty, name != "__metadata__" else {
                throw CheckpointError.badTensor(name: name, problem: "the name is empty or reserved")
            }
            var elements = 1
            for d in tensor.shape {
                let (p, overflow) = elements.multipliedReportingOverflow(by: d)
                guard d >= 0, !overflow else { throw CheckpointError.badTensor(name: name, problem: "shape \(tensor.shape)") }
                elements = p
            }
            guard elements == tensor.count else {
                throw CheckpointError.badTensor(name: name, problem: "\(tensor.count) values for shape \(tensor.shape)")
            }
            let end = offset + elements * 4
            json += "," + jsonString(name) + ":{\"dtype\":\"F32\",\"shape\":["
                + tensor.shape.map(String.init).joined(separator: ",") + "],\"data_offsets\":[\(offset),\(end)]}"
            offset = end
        }
        json += "}"
        var bytes = Array(json.utf8)
        bytes += [UInt8](repeating: 0x20, count: (8 - bytes.count % 8) % 8)
        var out = Data(capacity: 8 + bytes.count)
        withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: bytes)
        return out
    }

    /// `s` as a JSON string literal.
    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", Int(scalar.value))
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
