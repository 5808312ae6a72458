// The OpenAI wire types decode what servers send and the request hash is stable.
import Foundation
import MimicCore
import Testing
@testable import MimicTeacher

@Suite struct WireTests {
    @Test func sha256MatchesPublishedVectors() {
        #expect(SHA256.hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(Data(repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func requestKeyIgnoresStreamingButNotSampleIndex() {
        var a = ChatCompletionRequest(model: "m", messages: [APIMessage(role: "user", content: "hi")], temperature: 1)
        let k0 = RequestKey.chat(endpoint: "http://x/v1/chat/completions", request: a, sampleIndex: 0)
        a.stream = true
        #expect(RequestKey.chat(endpoint: "http://x/v1/chat/completions", request: a, sampleIndex: 0) == k0)
        #expect(RequestKey.chat(endpoint: "http://x/v1/chat/completions", request: a, sampleIndex: 1) != k0)
        #expect(RequestKey.chat(endpoint: "http://y/v1/chat/completions", request: a, sampleIndex: 0) != k0)
        a.temperature = 0.5
        #expect(RequestKey.chat(endpoint: "http://x/v1/chat/completions", request: a, sampleIndex: 0) != k0)
    }

    @Test func decodesServerShapes() throws {
        let json = #"{"model":"m","messages":[{"role":"system","content":null},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}],"stop":"\n","max_tokens":5}"#
        let r = try JSONDecoder().decode(ChatCompletionRequest.self, from: Data(json.utf8))
        #expect(r.messages.map(\.content) == ["", "ab"])
        #expect(r.stop?.values == ["\n"])
        #expect(r.maxTokens == 5)
        let p = try JSONDecoder().decode(CompletionRequest.self, from: Data(#"{"model":"m","prompt":["x","y"],"logprobs":1,"echo":true}"#.utf8))
        #expect(p.prompt.texts == ["x", "y"])
        #expect(p.echo == true)
    }
}
