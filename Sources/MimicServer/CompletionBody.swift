// The body of `POST /v1/completions` as this server reads it: like MimicTeacher's CompletionRequest, but the
// prompt may also be token ids (one list or a batch, as lm-evaluation-harness sends) and stream_options is read.
import Foundation
import MimicTeacher

/// A completions prompt: texts, or token-id lists.
enum CompletionPrompt: Decodable, Sendable {
    case texts([String])
    case tokens([[Int]])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let one = try? c.decode(String.self) {
            self = .texts([one])
        } else if let many = try? c.decode([String].self) {
            self = .texts(many)
        } else if let ids = try? c.decode([Int].self) {
            self = .tokens([ids])
        } else if let batch = try? c.decode([[Int]].self) {
            self = .tokens(batch)
        } else {
            throw DecodingError.typeMismatch(String.self, DecodingError.Context(
                codingPath: c.codingPath,
                debugDescription: "prompt must be a string, a list of strings, a list of token ids or a list of such lists"))
        }
    }

    /// Number of prompts.
    var count: Int {
        switch self {
        case .texts(let t): return t.count
        case .tokens(let t): return t.count
        }
    }
}

/// `POST /v1/completions` as decoded here (`model` optional, as for chat: `ChatBody`).
struct CompletionBody: Decodable, Sendable {
    var model: String?
    var prompt: CompletionPrompt
    var maxTokens: Int?
    var temperature: Double?
    var topP: Double?
    var n: Int?
    var stop: StopSequences?
    var seed: Int?
    var stream: Bool?
    var streamOptions: StreamOptions?
    var logprobs: Int?
    var echo: Bool?
    var unsupported: UnsupportedFields

    enum CodingKeys: String, CodingKey {
        case model, prompt, temperature, n, stop, seed, stream, logprobs, echo
        case maxTokens = "max_tokens", topP = "top_p", streamOptions = "stream_options"
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        prompt = try c.decode(CompletionPrompt.self, forKey: .prompt)
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens)
        temperature = try c.decodeIfPresent(Double.self, forKey: .temperature)
        topP = try c.decodeIfPresent(Double.self, forKey: .topP)
        n = try c.decodeIfPresent(Int.self, forKey: .n)
        stop = try c.decodeIfPresent(StopSequences.self, forKey: .stop)
        seed = try c.decodeIfPresent(Int.self, forKey: .seed)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream)
        streamOptions = try c.decodeIfPresent(StreamOptions.self, forKey: .streamOptions)
        logprobs = try c.decodeIfPresent(Int.self, forKey: .logprobs)
        echo = try c.decodeIfPresent(Bool.self, forKey: .echo)
        unsupported = try UnsupportedFields(from: decoder)
    }
}
