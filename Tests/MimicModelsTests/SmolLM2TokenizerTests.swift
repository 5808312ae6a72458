// SmolLM2's tokenizer read from the GGUF's keys against llama.cpp's tokenizer (the faithful reference for the
// smollm pre-tokenizer) on the committed multilingual corpus; golden: scripts/reference/tokenizer_smollm2.py.
import Foundation
import MimicCore
import MimicModels
import MimicTestSupport
import MimicTokenizers
import Testing

@Suite(.requires(.smolLM2)) struct SmolLM2TokenizerTests {
    @Test func idsMatchLlamaCppWithAndWithoutSpecialParsing() throws {
        let path = try FetchedAsset.smolLM2.require()
        let tokenizer = try GGUFFile(path: path).tokenizer()
        let golden = try Fixtures.json("smollm2_tokens.json")
        let cases = golden["cases"] as! [[String: Any]]
        #expect(cases.count >= 50)
        for c in cases {
            let text = c["text"] as! String
            #expect(tokenizer.encode(text, addBOS: false, parseSpecial: true) == c["ids"] as! [Int], "\(text.debugDescription)")
            #expect(tokenizer.encode(text, addBOS: false, parseSpecial: false) == c["ids_no_special"] as! [Int],
                    "\(text.debugDescription) (no special parsing)")
            #expect(tokenizer.decode(tokenizer.encode(text)) == text)
        }
    }

    @Test func streamedGenerationDecodesWholeCharacters() throws {
        let path = try FetchedAsset.smolLM2.require()
        let tokenizer = try GGUFFile(path: path).tokenizer()
        let text = "Grüße 🌍👩‍👩‍👧 東京 ½ done"
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        var pieces: [String] = []
        for id in tokenizer.encode(text) { pieces.append(decoder.append(id)) }
        pieces.append(decoder.flush())
        #expect(pieces.joined() == text)
        #expect(pieces.allSatisfy { !$0.unicodeScalars.contains("\u{FFFD}") })
    }
}
