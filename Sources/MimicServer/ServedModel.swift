// The model a server serves, with its tokenizer, chat format and end-of-turn tokens, and the checks that turn
// request fields into engine jobs (sampling, limits, context).
import Foundation
import MimicCore
import MimicModels
import MimicTeacher
import MimicTokenizers

/// A model ready to serve: its tokenizer, chat format (if any) and the tokens that end a turn.
struct ServedModel: Sendable {
    let name: String
    let model: any LanguageModel
    let tokenizer: BPETokenizer
    /// nil when the model has no recognisable chat template (chat completions then answer 400).
    let chatFormat: ChatFormat?
    /// EOS and the chat template's end-of-turn tokens.
    let stopTokens: Set<Int>
    let defaultMaxTokens: Int

    init(_ opened: OpenedModel, name: String, defaultMaxTokens: Int) throws {
        guard let tokenizer = opened.tokenizer else {
            throw ServerSetupError.model("\(opened.path) ships no tokenizer")
        }
        self.name = name
        model = opened.model
        self.tokenizer = tokenizer
        chatFormat = try? opened.chatFormat()
        var stops = Set((chatFormat?.template.stopStrings ?? []).compactMap { tokenizer.tokenID($0) })
        if let eos = tokenizer.eosTokenID { stops.insert(eos) }
        stopTokens = stops
        self.defaultMaxTokens = defaultMaxTokens
    }

    /// Throws 404 model_not_found unless `requested` is the served name; a request naming no model gets this one.
    func check(model requested: String?) throws {
        guard let requested, requested != name else { return }
        throw APIError.modelNotFound(requested, served: name)
    }

    /// Sampling from OpenAI fields: temperature (default 1) in [0, 2], top_p in (0, 1], the seed (random when absent)
    /// offset by the choice index so that n > 1 choices differ.
    func sampling(temperature: Double?, topP: Double?, seed: Int?, choice: Int) throws -> SamplingOptions {
        let t = temperature ?? 1, p = topP ?? 1
        guard t.isFinite, (0...2).contains(t) else { throw APIError.badRequest("temperature must be between 0 and 2.", param: "temperature") }
        guard p.isFinite, p > 0, p <= 1 else { throw APIError.badRequest("top_p must be in (0, 1].", param: "top_p") }
        let base = seed.map { UInt64(bitPattern: Int64($0)) } ?? UInt64.random(in: 0...UInt64.max)
        return SamplingOptions(temperature: t, topP: p, seed: base &+ UInt64(choice))
    }

    /// The number of tokens to generate after `promptCount` prompt tokens: `requested` (which must fit the context)
    /// or the default, bounded by the context left. `minimum` is 0 where scoring alone is allowed.
    func maxTokens(_ requested: Int?, promptCount: Int, minimum: Int) throws -> Int {
        let context = model.contextLength
        let room = context - promptCount
        guard room >= minimum, promptCount <= context else {
            throw APIError.badRequest("The prompt is \(promptCount) tokens; this model's context is \(context) tokens.",
                                      param: "messages", code: "context_length_exceeded")
        }
        guard let requested else { return max(minimum, min(defaultMaxTokens, room)) }
        guard requested >= minimum else { throw APIError.badRequest("max_tokens must be at least \(minimum).", param: "max_tokens") }
        guard requested <= room else {
            throw APIError.badRequest("The prompt (\(promptCount) tokens) plus max_tokens (\(requested)) exceeds this "
                                      + "model's context of \(context) tokens.", param: "max_tokens", code: "context_length_exceeded")
        }
        return requested
    }

    /// The choice count n (default 1) checked against 1...limit.
    func choices(_ n: Int?, limit: Int) throws -> Int {
        let n = n ?? 1
        guard (1...limit).contains(n) else { throw APIError.badRequest("n must be between 1 and \(limit).", param: "n") }
        return n
    }

    /// Stop strings from the request: at most 16 (OpenAI allows 4; evaluation harnesses send more), empty ones dropped.
    func stopStrings(_ stop: StopSequences?) throws -> [String] {
        let values = stop?.values ?? []
        guard values.count <= 16 else { throw APIError.badRequest("stop may hold at most 16 sequences.", param: "stop") }
        return values.filter { !$0.isEmpty }
    }

    /// Checks prompt token ids against the vocabulary.
    func checkTokens(_ ids: [Int]) throws {
        guard !ids.isEmpty else { throw APIError.badRequest("The prompt is empty.", param: "prompt") }
        if let bad = ids.first(where: { !(0..<model.vocabularySize).contains($0) }) {
            throw APIError.badRequest("Token id \(bad) is outside the vocabulary (0..<\(model.vocabularySize)).", param: "prompt")
        }
    }

    /// The text of one token (special tokens included).
    func tokenText(_ id: Int) -> String { tokenizer.decode([id], skipSpecial: false) }
}
