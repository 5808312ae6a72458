// Dequantization of every GGUF block type, bit-exact against gguf-py (itself checked bit-exact against
// ggml's to_float). Golden: scripts/reference/gguf_fixtures.py -> Resources/dequant_golden.json.
import Foundation
import MimicTensor
import Testing

@Suite struct DequantizeTests {
    static func golden() throws -> [[String: Any]] {
        let url = URL(fileURLWithPath: Bundle.module.bundlePath + "/Resources/dequant_golden.json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return json["types"] as! [[String: Any]]
    }

    @Test func everyTypeIsBitExactAgainstGGUFPy() throws {
        let types = try Self.golden()
        // F32 needs no dequantization; every other type must be covered.
        #expect(Set(types.map { $0["name"] as! String }) == Set(GGMLType.allCases.filter { $0 != .f32 }.map(\.description)))
        for entry in types {
            let type = try #require(GGMLType(rawValue: entry["id"] as! Int))
            #expect(type.blockElements == entry["block_elements"] as! Int && type.blockBytes == entry["block_bytes"] as! Int)
            let raw = try #require(Data(base64Encoded: entry["raw_b64"] as! String))
            let expected = try #require(Data(base64Encoded: entry["values_f32_b64"] as! String))
            let n = expected.count / 4
            var out = [Float](repeating: .nan, count: n)
            raw.withUnsafeBytes { dequantize(type, $0.baseAddress!, into: &out, count: n) }
            let want: [UInt32] = expected.withUnsafeBytes { p in (0..<n).map { p.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self) } }
            let mismatches = (0..<n).filter { out[$0].bitPattern != want[$0] && !(out[$0].isNaN && Float(bitPattern: want[$0]).isNaN) }
            #expect(mismatches.isEmpty, "\(type): \(mismatches.count) of \(n) values differ, first at \(mismatches.first ?? -1)")
        }
    }
}
