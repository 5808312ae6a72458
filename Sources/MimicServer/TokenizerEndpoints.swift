// vLLM's tokenizer routes (`POST /tokenize`, `POST /detokenize`, `GET /tokenizer_info`), which clients use to count
// and split text with the served model's own tokenizer: lm-evaluation-harness's `tokenizer_backend=remote` needs
// nothing else (no transformers, no copy of the tokenizer files), so its context lengths are the server's.
import Foundation
import Hummingbird

/// `POST /tokenize`: text to token ids, special tokens written in the text parsed (as Hugging Face tokenizers do).
struct TokenizeBody: Decodable, Sendable {
    var model: String?
    var prompt: String
    /// Add the tokenizer's BOS where it adds one by default (vLLM's default: true).
    var addSpecialTokens: Bool?

    enum CodingKeys: String, CodingKey { case model, prompt, addSpecialTokens = "add_special_tokens" }
}

struct TokenizeResponse: Encodable, Sendable {
    var count: Int
    var maxModelLen: Int
    var tokens: [Int]

    enum CodingKeys: String, CodingKey { case count, tokens, maxModelLen = "max_model_len" }
}

/// `POST /detokenize`: token ids to text (special tokens kept as their text).
struct DetokenizeBody: Decodable, Sendable {
    var model: String?
    var tokens: [Int]
}

/// `GET /tokenizer_info`: the special tokens and chat template a client needs to work as the server does.
struct TokenizerInfo: Encodable, Sendable {
    var tokenizerClass = "BPETokenizer"
    var eosToken: String?
    var bosToken: String?
    var padToken: String?
    var chatTemplate: String?
    var addBOSToken: Bool
    var modelMaxLength: Int

    enum CodingKeys: String, CodingKey {
        case tokenizerClass = "tokenizer_class", eosToken = "eos_token", bosToken = "bos_token", padToken = "pad_token"
        case chatTemplate = "chat_template", addBOSToken = "add_bos_token", modelMaxLength = "model_max_length"
    }
}

extension ServedModel {
    func tokenize(_ body: TokenizeBody) throws -> TokenizeResponse {
        try check(model: body.model)
        let ids = tokenizer.encode(body.prompt, addBOS: (body.addSpecialTokens ?? true) && tokenizer.addsBOS, parseSpecial: true)
        return TokenizeResponse(count: ids.count, maxModelLen: model.contextLength, tokens: ids)
    }

    func detokenize(_ body: DetokenizeBody) throws -> [String: String] {
        try check(model: body.model)
        if let bad = body.tokens.first(where: { !(0..<tokenizer.vocabularySize).contains($0) }) {
            throw APIError.badRequest("Token id \(bad) is outside the vocabulary (0..<\(tokenizer.vocabularySize)).", param: "tokens")
        }
        return ["prompt": tokenizer.decode(body.tokens, skipSpecial: false)]
    }

    var tokenizerInfo: TokenizerInfo {
        TokenizerInfo(eosToken: tokenizer.eosTokenID.map(tokenText), bosToken: tokenizer.bosTokenID.map(tokenText),
                      chatTemplate: tokenizer.chatTemplate, addBOSToken: tokenizer.addsBOS, modelMaxLength: model.contextLength)
    }
}
