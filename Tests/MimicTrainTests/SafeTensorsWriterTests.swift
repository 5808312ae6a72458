// SafeTensorsWriter: files that SafeTensorsFile / SafeTensorsSource read back exactly, laid out as the
// safetensors format says, written atomically.
import Foundation
import MimicModels
import MimicTensor
import MimicTestSupport
import Testing

@Suite struct SafeTensorsWriterTests {
    static func sample() -> (tensors: [String: TensorValues], values: [String: [Float]]) {
        let weight: [Float] = [1, -2.5, 3e-8, .greatestFiniteMagnitude, -0, 6]
        let bias = Tensor(shape: [3], values: [0.25, 0.5, 0.75])
        let values = ["b.weight": weight, "a.bias": bias.array, "scalar": [42], "empty": []]
        let tensors: [String: TensorValues] = [
            "b.weight": TensorValues(shape: [2, 3], values: weight), "a.bias": TensorValues(bias),
            "scalar": TensorValues(shape: [], values: [42]), "empty": TensorValues(shape: [0, 4], values: []),
        ]
        return (tensors, values)
    }

    @Test func roundTripsThroughSafeTensorsFileAndSource() throws {
        let folder = try ScratchFolder("mimic-ckpt")
        let (tensors, values) = Self.sample()
        try SafeTensorsWriter.write(tensors, to: folder.file("model.safetensors"))
        let file = try SafeTensorsFile(path: folder.file("model.safetensors"))
        #expect(file.metadata == ["format": "pt"])
        #expect(Set(file.tensors.keys) == Set(values.keys))
        let raw = try Data(contentsOf: URL(fileURLWithPath: folder.file("model.safetensors")))
        let headerLength = raw.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(headerLength % 8 == 0 && raw[8] == UInt8(ascii: "{"))
        // Data follows the header at once, contiguous, in sorted name order.
        var offset = 8 + headerLength
        for name in values.keys.sorted() {
            let info = try #require(file.tensors[name])
            #expect(info.dtype == "F32" && info.offset == offset && info.shape == tensors[name]!.shape, "\(name)")
            offset += info.byteCount
        }
        #expect(offset == raw.count)
        let source = try SafeTensorsSource(folder: folder.path)
        for (name, expected) in values where !expected.isEmpty {
            #expect(try source.floats(name, count: expected.count).array == expected, "\(name)")
        }
    }

    @Test func headerIsPaddedWithSpaces() throws {
        let folder = try ScratchFolder("mimic-ckpt")
        for name in ["x", "xy", "xyz", "a.b.c.d", "näme \"quoted\""] {
            let path = folder.file("\(name.count).safetensors")
            try SafeTensorsWriter.write([name: TensorValues(shape: [1], values: [1])], to: path)
            let raw = try Data(contentsOf: URL(fileURLWithPath: path))
            let length = raw.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            let header = String(decoding: raw[8..<(8 + length)], as: UTF8.self)
            let padding = header.reversed().prefix { $0 == " " }.count
            #expect(length % 8 == 0 && padding < 8 && header.dropLast(padding).hasSuffix("}"), "\(name)")
            #expect(try SafeTensorsFile(path: path).tensors[name]?.shape == [1])
        }
    }

    @Test func replacesAnExistingFileAndLeavesNoTemporaryFiles() throws {
        let folder = try ScratchFolder("mimic-ckpt")
        let path = folder.file("model.safetensors")
        try SafeTensorsWriter.write(["a": TensorValues(shape: [2], values: [1, 2])], to: path)
        try SafeTensorsWriter.write(["b": TensorValues(shape: [1], values: [3])], to: path)
        #expect(try SafeTensorsFile(path: path).tensors.keys.sorted() == ["b"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["model.safetensors"])
    }

    @Test func malformedTensorsAreTypedErrorsAndWriteNothing() throws {
        let folder = try ScratchFolder("mimic-ckpt")
        let path = folder.file("model.safetensors")
        #expect(throws: CheckpointError.badTensor(name: "w", problem: "5 values for shape [2, 3]")) {
            try SafeTensorsWriter.write(["w": TensorValues(shape: [2, 3], values: [1, 2, 3, 4, 5])], to: path)
        }
        #expect(throws: CheckpointError.self) {
            try SafeTensorsWriter.write(["__metadata__": TensorValues(shape: [1], values: [1])], to: path)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
