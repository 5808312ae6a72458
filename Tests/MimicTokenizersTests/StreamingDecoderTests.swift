// StreamingDecoder: id-by-id decoding never emits part of a character and reproduces the text exactly.
import MimicCore
import Testing
@testable import MimicTokenizers

@Suite("Streaming decoder")
struct StreamingDecoderTests {
    static let text = "Hi 👋🏽! 我们今天去公园。👨‍👩‍👧 日本語 🇯🇵 done ½"

    @Test("streaming emoji and CJK id by id reproduces the text, one whole character at a time",
          arguments: ["gpt2", "llama3", "smollm"])
    func stream(style: String) throws {
        let tokenizer = try Fixtures.trained(style)
        let ids = tokenizer.encode(Self.text, addBOS: false, parseSpecial: true)
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        var output = ""
        var heldBack = 0
        for id in ids {
            let piece = decoder.append(id)
            #expect(!piece.unicodeScalars.contains("\u{FFFD}"), "partial character emitted after id \(id)")
            if decoder.pendingByteCount > 0 { heldBack += 1 }
            output += piece
        }
        output += decoder.flush()
        #expect(Array(output.utf8) == Array(Self.text.utf8))
        #expect(heldBack > 0, "the tiny vocabulary splits these characters over several byte tokens")
    }

    @Test("an unfinished character is held, then flushed as U+FFFD; impossible bytes come out at once")
    func partial() throws {
        let tokenizer = try Fixtures.trained("smollm")
        let byte: (UInt8) throws -> Int = { try #require(tokenizer.tokenID(ByteLevel.encode([$0]))) }
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        #expect(decoder.append(try byte(0xF0)) == "")
        #expect(decoder.append(try byte(0x9F)) == "")
        #expect(decoder.pendingByteCount == 2)
        #expect(decoder.flush() == "\u{FFFD}")
        #expect(decoder.append(try byte(0xFF)) == "\u{FFFD}")
        #expect(decoder.append(try byte(0xE0)) == "")
        #expect(decoder.append(try byte(0x41)) == "\u{FFFD}A")  // E0 cannot be followed by 41
    }

    @Test("skipSpecial drops special tokens from the stream")
    func skipSpecial() throws {
        let tokenizer = try Fixtures.trained("smollm")
        let ids = tokenizer.encode("<|im_start|>hi<|im_end|>", addBOS: false, parseSpecial: true)
        var keep = StreamingDecoder(tokenizer: tokenizer)
        var skip = StreamingDecoder(tokenizer: tokenizer, skipSpecial: true)
        #expect(ids.map { keep.append($0) }.joined() == "<|im_start|>hi<|im_end|>")
        #expect(ids.map { skip.append($0) }.joined() == "hi")
    }
}
