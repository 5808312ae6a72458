// The price table: family matching of dated model names, local and unknown models, and price files that are
// read, written back, and refused with the file and model named when malformed.
import Foundation
import Testing
@testable import MimicTeacher

@Suite struct PriceTableTests {
    @Test func datedNamesMatchTheirLongestFamily() {
        let table = PriceTable.default
        #expect(table.match("gpt-4o-mini-2024-07-18") == .priced(entry: "gpt-4o-mini", ModelPrice(input: 0.15, output: 0.60)))
        #expect(table.match("gpt-4o-2024-08-06") == .priced(entry: "gpt-4o", ModelPrice(input: 2.50, output: 10)))
        #expect(table.match("gpt-4.1-mini") == .priced(entry: "gpt-4.1-mini", ModelPrice(input: 0.40, output: 1.60)))
        #expect(table.match("gpt-4-turbo-2024-04-09") == .priced(entry: "gpt-4-turbo", ModelPrice(input: 10, output: 30)))
        #expect(table.match("gpt-4oX") == .unknown)
        #expect(table.match("llama-3-8b") == .unknown)
        #expect(table.match("local:smollm2-135m-instruct") == .local)
    }

    @Test func costIsPerMillionTokensWithDiscount() {
        let table = PriceTable.default
        #expect(abs(table.cost(model: "gpt-4o-mini", promptTokens: 1_000_000, completionTokens: 0) - 0.15) < 1e-12)
        let c = table.cost(model: "gpt-4o-mini-2024-07-18", promptTokens: 2000, completionTokens: 1000)
        #expect(abs(c - (2000 * 0.15 + 1000 * 0.60) / 1e6) < 1e-15)
        #expect(abs(table.cost(model: "gpt-4o", promptTokens: 2000, completionTokens: 1000, discount: 0.5)
                    - (2000 * 2.5 + 1000 * 10) / 1e6 / 2) < 1e-15)
        #expect(table.cost(model: "unknown-model", promptTokens: 5000, completionTokens: 5000) == 0)
        #expect(table.cost(model: "local:x", promptTokens: 5000, completionTokens: 5000) == 0)
    }

    @Test func fileEntriesOverrideAndExtendTheDefaults() throws {
        let path = temporaryPath("prices.json")
        try #"{"_note": "mine", "gpt-4o-mini": {"input": 1, "output": 2}, "my-model": {"input": 3.5, "output": 7}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let table = try PriceTable.load(from: path)
        #expect(table.match("gpt-4o-mini-2024-07-18").price == ModelPrice(input: 1, output: 2))
        #expect(table.match("my-model-v2").price == ModelPrice(input: 3.5, output: 7))
        #expect(table.match("gpt-4o").price == ModelPrice(input: 2.5, output: 10))
        #expect(table.prices["_note"] == nil)
    }

    @Test func writtenDefaultsReadBackEqual() throws {
        let path = temporaryPath("defaults.json")
        try PriceTable.writeDefault(to: path)
        #expect(try PriceTable.load(from: path, overDefaults: false) == PriceTable.default)
    }

    @Test(arguments: [
        (#"{"gpt-x": {"input": 1}"#, "not valid JSON"),
        (#"[1, 2]"#, "top level"),
        (#"{"gpt-x": {"input": 1}}"#, #"model "gpt-x": missing "output""#),
        (#"{"gpt-x": {"input": true, "output": 1}}"#, #"model "gpt-x": "input" must be a non-negative number"#),
        (#"{"gpt-x": {"input": -1, "output": 1}}"#, #"model "gpt-x": "input" must be a non-negative number"#),
        (#"{"gpt-x": {"input": "0.1", "output": 1}}"#, #""input" must be a non-negative number"#),
        (#"{"gpt-x": {"input": 1, "ouptut": 1}}"#, #"unknown field "ouptut""#),
        (#"{"gpt-x": 0.5}"#, #"model "gpt-x": must be an object"#),
    ])
    func malformedFilesNameTheFileAndModel(text: String, expected: String) throws {
        let path = temporaryPath("bad.json")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: PriceTableError.self) { try PriceTable.load(from: path) }
        let message = error?.localizedDescription ?? ""
        #expect(message.contains(path), "\(message)")
        #expect(message.contains(expected), "\(message)")
    }

    @Test func missingFileIsNamed() {
        let error = #expect(throws: PriceTableError.self) { try PriceTable.load(from: "/nonexistent/prices.json") }
        #expect(error?.localizedDescription.contains("/nonexistent/prices.json") == true)
    }
}

/// A fresh path in a fresh temporary folder.
func temporaryPath(_ name: String) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mimic-teacher-tests-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent(name).path
}
