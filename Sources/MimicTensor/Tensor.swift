// Tensor: an owned, 64-byte-aligned FP32 buffer with a shape (row-major, last dimension fastest).

/// A dense FP32 tensor on the CPU. Reference semantics: copies share storage.
public final class Tensor: @unchecked Sendable {
    /// Dimensions, outermost first, e.g. `[T, C]`.
    public let shape: [Int]
    /// Number of elements, the product of `shape`.
    public let count: Int
    /// The elements, row-major.
    public let data: UnsafeMutablePointer<Float>

    /// A zero-filled tensor.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        count = shape.reduce(1, *)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        data = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        data.initialize(repeating: 0, count: max(count, 1))
    }

    /// A tensor holding `values` (their count must match the shape).
    public convenience init(shape: [Int], values: [Float]) {
        self.init(zeros: shape)
        precondition(values.count == count, "\(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit { data.deallocate() }

    /// A new tensor with the same shape and elements (its own storage).
    public func copy() -> Tensor {
        let t = Tensor(zeros: shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// The elements as an array.
    public var array: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// Element access by flat index.
    @inlinable public subscript(i: Int) -> Float {
        get { data[i] }
        set { data[i] = newValue }
    }

    /// A pointer to row `r` of a tensor viewed as (rows, shape.last).
    public func row(_ r: Int) -> UnsafeMutablePointer<Float> { data + r * (shape.last ?? 1) }
}

/// A growable scratch buffer reused across calls so hot loops do not allocate.
public final class Scratch: @unchecked Sendable {
    private var buffer: UnsafeMutablePointer<Float>
    private var capacity: Int

    /// An empty buffer; it grows on first use.
    public init() {
        capacity = 0
        buffer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64).bindMemory(to: Float.self, capacity: 16)
    }

    deinit { buffer.deallocate() }

    /// A buffer of at least `count` floats; its contents are undefined and valid until the next call.
    public func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            buffer.deallocate()
            capacity = count
            buffer = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: count)
        }
        return buffer
    }
}
