// GGUF (llama.cpp's model format, versions 2 and 3): header, typed metadata, tensor infos and aligned data,
// read from a memory map with every length and offset checked against the file's size.
import Foundation
import MimicTensor

/// A metadata value of a GGUF file.
public enum GGUFValue: Sendable, Equatable {
    case uint(UInt64), int(Int64), float(Double), bool(Bool), string(String), array([GGUFValue])

    /// The value as an Int, for unsigned or signed integers that fit; nil otherwise.
    public var intValue: Int? {
        switch self {
        case .uint(let v): v <= UInt64(Int.max) ? Int(v) : nil
        case .int(let v): Int(v)
        default: nil
        }
    }
    /// The value as a Double, for floats and integers; nil otherwise.
    public var doubleValue: Double? {
        switch self {
        case .float(let v): v
        case .uint, .int: intValue.map(Double.init)
        default: nil
        }
    }
    /// The string, if the value is one.
    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    /// The Bool, if the value is one.
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    /// The elements, if the value is an array.
    public var arrayValue: [GGUFValue]? { if case .array(let a) = self { a } else { nil } }
}

/// One tensor's description: name, dimensions in ggml order (fastest first), type and data range.
public struct GGUFTensorInfo: Sendable {
    /// Tensor name as stored (e.g. `blk.0.attn_q.weight`).
    public let name: String
    /// ggml order: `dims[0]` is the row length (columns), `dims[1]` the row count.
    public let dims: [Int]
    /// Element or block type of the data.
    public let type: GGMLType
    /// Byte offset from the start of the file.
    public let offset: Int
    /// Size of the tensor's data in bytes.
    public let byteCount: Int
    /// Number of elements (product of `dims`).
    public var elementCount: Int { dims.reduce(1, *) }
}

/// A parsed GGUF file; tensor data stays in the memory map.
public final class GGUFFile: @unchecked Sendable {
    /// Path the file was opened from.
    public let path: String
    /// GGUF format version (2 or 3).
    public let version: Int
    /// Metadata values by key.
    public let metadata: [String: GGUFValue]
    /// Metadata keys in file order.
    public let keys: [String]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// The memory map that holds the tensor data.
    public let map: MappedFile
    private let index: [String: Int]

    /// Opens and validates a GGUF file: magic, version, metadata, tensor infos and every tensor's byte range.
    public init(path: String) throws {
        let map = try MappedFile(path: path)
        var r = GGUFReader(map: map)
        let magic = try r.bytes(4, "the magic number")
        guard magic == Array("GGUF".utf8) else {
            let shown = magic.map { (0x20...0x7e).contains($0) ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined()
            throw ModelError.badMagic(file: path, found: "'\(shown)'")
        }
        let version = Int(try r.u32("the version"))
        guard version == 2 || version == 3 else { throw ModelError.unsupportedVersion(file: path, version: version) }
        let tensorCount = try r.count("the tensor count", minBytesEach: 24)
        let kvCount = try r.count("the metadata count", minBytesEach: 12)
        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        for i in 0..<kvCount {
            let key = try r.string("metadata key \(i)")
            let type = try r.u32("the type of '\(key)'")
            metadata[key] = try r.value(type: type, key: key, depth: 0)
            keys.append(key)
        }
        var infos: [RawTensorInfo] = []
        for i in 0..<tensorCount { infos.append(try r.tensorInfo(i)) }
        var alignment = 32
        if let a = metadata["general.alignment"] {
            guard let v = a.intValue, v > 0, v & (v - 1) == 0, v <= 1 << 20 else {
                throw ModelError.invalid(file: path, field: "general.alignment", problem: "must be a power of two")
            }
            alignment = v
        }
        let dataStart = (r.offset + alignment - 1) / alignment * alignment
        var tensors: [GGUFTensorInfo] = []
        var index: [String: Int] = [:]
        for raw in infos {
            let info = try raw.validated(file: path, dataStart: dataStart, alignment: alignment, fileSize: map.size)
            guard index[info.name] == nil else {
                throw ModelError.invalid(file: path, field: "tensor '\(info.name)'", problem: "appears twice")
            }
            index[info.name] = tensors.count
            tensors.append(info)
        }
        // Each tensor's bytes, as its type and shape give them, run up to the next tensor's start (padded to the
        // alignment), as ggml lays them out and checks: a tensor whose type or shape was changed without its data
        // overlaps the next one or leaves a gap, and would otherwise be read as garbage.
        let byStart = tensors.sorted { $0.offset < $1.offset }
        for (a, b) in zip(byStart, byStart.dropFirst()) {
            let end = a.offset + a.byteCount
            let padded = dataStart + (end - dataStart + alignment - 1) / alignment * alignment
            guard b.offset == padded else {
                throw ModelError.invalid(file: path, field: "tensor '\(a.name)'",
                                         problem: "as \(a.type) of shape \(a.dims) its data is \(a.byteCount) bytes, ending at \(end), but the "
                                             + "next tensor '\(b.name)' starts at \(b.offset): its type or shape does not match its data")
            }
        }
        self.path = path
        self.version = version
        self.metadata = metadata
        self.keys = keys
        self.tensors = tensors
        self.map = map
        self.index = index
    }

    /// The info of a tensor by name.
    public func tensor(_ name: String) -> GGUFTensorInfo? { index[name].map { tensors[$0] } }

    /// The raw bytes of a tensor.
    public func data(_ info: GGUFTensorInfo) -> UnsafeRawPointer { map.base + info.offset }

    /// A required tensor as a weight matrix (rows = dims[1], cols = dims[0]), checked against `shape` [rows, cols].
    public func matrix(_ name: String, shape: [Int]) throws -> WeightMatrix {
        guard let t = tensor(name) else { throw ModelError.missingTensor(file: path, tensor: name) }
        let found = t.dims.count == 1 ? [1, t.dims[0]] : [t.elementCount / t.dims[0], t.dims[0]]
        guard found == shape else { throw ModelError.shapeMismatch(file: path, tensor: name, expected: shape, found: found) }
        return WeightMatrix(type: t.type, rows: shape[0], cols: shape[1], bytes: data(t), owner: map)
    }

    /// A required tensor dequantized to FP32, checked to hold `count` elements.
    public func floats(_ name: String, count: Int) throws -> Tensor {
        guard let t = tensor(name) else { throw ModelError.missingTensor(file: path, tensor: name) }
        guard t.elementCount == count else {
            throw ModelError.shapeMismatch(file: path, tensor: name, expected: [count], found: t.dims.reversed())
        }
        let out = Tensor(zeros: [count])
        dequantize(t.type, data(t), into: out.data, count: count)
        return out
    }

    // Typed metadata access.
    /// A string metadata value, or nil if the key is absent or of another type.
    public func string(_ key: String) -> String? { metadata[key]?.stringValue }
    /// An integer metadata value, or nil if the key is absent or not an integer that fits in Int.
    public func int(_ key: String) -> Int? { metadata[key]?.intValue }
    /// A numeric metadata value as Double, or nil if the key is absent or not a number.
    public func double(_ key: String) -> Double? { metadata[key]?.doubleValue }
    /// A Bool metadata value, or nil if the key is absent or of another type.
    public func bool(_ key: String) -> Bool? { metadata[key]?.boolValue }
    /// The string elements of an array metadata value (non-strings skipped), or nil if it is not an array.
    public func strings(_ key: String) -> [String]? { metadata[key]?.arrayValue?.compactMap(\.stringValue) }
    /// The integer elements of an array metadata value (non-integers skipped), or nil if it is not an array.
    public func ints(_ key: String) -> [Int]? { metadata[key]?.arrayValue?.compactMap(\.intValue) }

    /// A required integer key.
    public func requireInt(_ key: String) throws -> Int {
        guard let v = int(key) else { throw ModelError.missingKey(file: path, key: key) }
        return v
    }
}

/// A tensor info as read, before its type and byte range are checked.
struct RawTensorInfo {
    let name: String
    let dims: [Int]
    let typeID: Int
    let offset: UInt64

    /// The info with a known type, a whole number of blocks per row, and data inside the file.
    func validated(file: String, dataStart: Int, alignment: Int, fileSize: Int) throws -> GGUFTensorInfo {
        guard let type = GGMLType(rawValue: typeID) else {
            throw ModelError.unknownTensorType(file: file, tensor: name, type: GGMLType.name(ofUnsupported: typeID))
        }
        var elements = 1
        for d in dims {
            let (p, o) = elements.multipliedReportingOverflow(by: d)
            guard !o, p < 1 << 40 else { throw ModelError.invalid(file: file, field: "tensor '\(name)'", problem: "too many elements") }
            elements = p
        }
        guard dims[0] % type.blockElements == 0, let bytes = type.byteCount(elements: elements) else {
            throw ModelError.invalid(file: file, field: "tensor '\(name)'",
                                     problem: "row length \(dims[0]) is not a multiple of the \(type) block size")
        }
        guard offset % UInt64(alignment) == 0, offset < UInt64(fileSize) else {
            throw ModelError.invalid(file: file, field: "tensor '\(name)'", problem: "offset \(offset) is misaligned or past the end")
        }
        let start = dataStart + Int(offset)
        guard start + bytes <= fileSize else {
            throw ModelError.tensorOutOfBounds(file: file, tensor: name, end: start + bytes, fileSize: fileSize)
        }
        return GGUFTensorInfo(name: name, dims: dims, type: type, offset: start, byteCount: bytes)
    }
}

/// A bounds-checked little-endian cursor over the mapped file.
struct GGUFReader {
    let map: MappedFile
    var offset = 0

    init(map: MappedFile) { self.map = map }

    private mutating func need(_ n: Int, _ what: String) throws {
        guard n >= 0, n <= map.size - offset else { throw ModelError.truncated(file: map.path, offset: map.size, what: what) }
    }

    mutating func bytes(_ n: Int, _ what: String) throws -> [UInt8] {
        try need(n, what)
        defer { offset += n }
        return Array(UnsafeRawBufferPointer(start: map.base + offset, count: n))
    }

    mutating func load<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        try need(MemoryLayout<T>.size, what)
        defer { offset += MemoryLayout<T>.size }
        return T(littleEndian: map.base.loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    mutating func u32(_ what: String) throws -> UInt32 { try load(UInt32.self, what) }
    mutating func u64(_ what: String) throws -> UInt64 { try load(UInt64.self, what) }

    /// A count that cannot exceed what the rest of the file could hold.
    mutating func count(_ what: String, minBytesEach: Int) throws -> Int {
        let n = try u64(what)
        guard n <= UInt64((map.size - offset) / max(minBytesEach, 1)) else {
            throw ModelError.truncated(file: map.path, offset: map.size, what: "\(what) (\(n) entries)")
        }
        return Int(n)
    }

    /// Name, dimensions, type and offset of tensor `i`.
    mutating func tensorInfo(_ i: Int) throws -> RawTensorInfo {
        let name = try string("tensor info \(i)")
        let nDims = Int(try u32("the rank of '\(name)'"))
        guard (1...4).contains(nDims) else {
            throw ModelError.invalid(file: map.path, field: "tensor '\(name)'", problem: "rank \(nDims) (1 to 4 expected)")
        }
        var dims: [Int] = []
        for _ in 0..<nDims {
            let d = try u64("a dimension of '\(name)'")
            guard d > 0, d < 1 << 40 else { throw ModelError.invalid(file: map.path, field: "tensor '\(name)'", problem: "dimension \(d)") }
            dims.append(Int(d))
        }
        let type = Int(try u32("the type of '\(name)'"))
        return RawTensorInfo(name: name, dims: dims, typeID: type, offset: try u64("the offset of '\(name)'"))
    }

    mutating func string(_ what: String) throws -> String {
        let n = try count(what, minBytesEach: 1)
        try need(n, what)
        defer { offset += n }
        let buf = UnsafeRawBufferPointer(start: map.base + offset, count: n)
        return String(decoding: buf, as: UTF8.self)
    }

    mutating func value(type: UInt32, key: String, depth: Int) throws -> GGUFValue {
        switch type {
        case 0: return .uint(UInt64(try load(UInt8.self, key)))
        case 1: return .int(Int64(try load(Int8.self, key)))
        case 2: return .uint(UInt64(try load(UInt16.self, key)))
        case 3: return .int(Int64(try load(Int16.self, key)))
        case 4: return .uint(UInt64(try load(UInt32.self, key)))
        case 5: return .int(Int64(try load(Int32.self, key)))
        case 6: return .float(Double(Float(bitPattern: try load(UInt32.self, key))))
        case 7: return .bool(try load(UInt8.self, key) != 0)
        case 8: return .string(try string(key))
        case 10: return .uint(try load(UInt64.self, key))
        case 11: return .int(try load(Int64.self, key))
        case 12: return .float(Double(bitPattern: try load(UInt64.self, key)))
        case 9:
            guard depth < 2 else { throw ModelError.invalid(file: map.path, field: key, problem: "arrays nested too deep") }
            let elementType = try u32(key)
            let sizes: [UInt32: Int] = [0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 8: 8, 9: 12, 10: 8, 11: 8, 12: 8]
            guard let size = sizes[elementType] else {
                throw ModelError.invalid(file: map.path, field: key, problem: "unknown array element type \(elementType)")
            }
            let n = try count(key, minBytesEach: size)
            guard n <= 1 << 22 else {
                throw ModelError.invalid(file: map.path, field: key, problem: "an array of \(n) values is over Mimic's limit of 4194304")
            }
            var items: [GGUFValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try value(type: elementType, key: key, depth: depth + 1)) }
            return .array(items)
        default:
            throw ModelError.invalid(file: map.path, field: key, problem: "unknown value type \(type)")
        }
    }
}
