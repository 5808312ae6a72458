// Loading a BPETokenizer from GGUF tokenizer keys or a tiktoken rank file, and the vocabulary builder they share.
import Foundation
import MimicCore

extension BPETokenizer {
    /// Builds a tokenizer from a GGUF file's tokenizer keys (the GGUF reader lives in MimicModels).
    ///
    /// - Parameters:
    ///   - tokens: `tokenizer.ggml.tokens`, index = id; normal tokens in GPT-2 byte-level spelling.
    ///   - merges: `tokenizer.ggml.merges`, `"left right"`, highest priority first.
    ///   - tokenTypes: `tokenizer.ggml.token_type` (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused,
    ///     6 byte); empty means all normal. Control and unknown tokens are special (matched only with
    ///     `parseSpecial`); user-defined tokens are always matched; both decode to their text as written.
    ///   - preTokenizer: `tokenizer.ggml.pre`, llama.cpp's name ("gpt-2"/"gpt2", "smollm", "llama-bpe", "default", …).
    ///   - bosID, eosID, addBOS: `tokenizer.ggml.bos_token_id`, `eos_token_id`, `add_bos_token`.
    ///   - chatTemplate: `tokenizer.chat_template`, kept for `ChatTemplate.recognize(jinja:)`.
    public convenience init(
        tokens: [String], merges: [String], tokenTypes: [Int], preTokenizer: String,
        bosID: Int?, eosID: Int?, addBOS: Bool, chatTemplate: String? = nil
    ) throws {
        let source = "GGUF tokenizer"
        let kind = try PreTokenizer(llamaCppName: preTokenizer)
        guard tokenTypes.isEmpty || tokenTypes.count == tokens.count else {
            throw TokenizerError.invalidVocabulary(
                source: source,
                reason: "tokenizer.ggml.token_type has \(tokenTypes.count) entries for \(tokens.count) tokens")
        }
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(tokens.count)
        var added: [AddedToken] = []
        for (id, text) in tokens.enumerated() {
            vocab[text] = id
            let type = tokenTypes.isEmpty ? 1 : tokenTypes[id]
            if type == 2 || type == 3 || type == 4 {
                added.append(AddedToken(content: text, id: id, special: type != 4))
            }
        }
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(merges.count)
        for (index, merge) in merges.enumerated() {
            guard let space = merge.firstIndex(of: " ") else {
                throw TokenizerError.invalidVocabulary(
                    source: source, reason: "tokenizer.ggml.merges[\(index)] \"\(merge)\" is not \"left right\"")
            }
            pairs.append((String(merge[..<space]), String(merge[merge.index(after: space)...])))
        }
        var parts = try Parts.make(
            vocab: vocab, merges: pairs, added: added, pipeline: PreTokenizerPipeline(steps: kind.steps), source: source)
        parts.ignoreMerges = PreTokenizer.llamaCppIgnoresMerges(preTokenizer)
        for (key, id) in [("bos_token_id", bosID), ("eos_token_id", eosID)] {
            if let id, !(0..<tokens.count).contains(id) {
                throw TokenizerError.invalidVocabulary(
                    source: source, reason: "tokenizer.ggml.\(key) \(id) is outside 0..<\(tokens.count)")
            }
        }
        parts.bos = bosID
        parts.eos = eosID
        parts.addsBOS = addBOS
        parts.chatTemplate = chatTemplate
        self.init(parts: parts)
    }

    /// Reads a tiktoken rank file (`BASE64-TOKEN RANK` per line, e.g. GPT-2's `gpt2.tiktoken`).
    ///
    /// The rank is both the id and the merge priority: two adjacent parts merge when their concatenation is a
    /// token, lowest rank first; a word that is itself a token is taken whole, as tiktoken does.
    /// `specialTokens` are added by the caller (GPT-2: `["<|endoftext|>": 50256]`).
    public convenience init(tiktokenRanks: URL, specialTokens: [String: Int], pattern: PreTokenizer) throws {
        let file = tiktokenRanks.path
        let text: String
        do {
            text = try String(contentsOf: tiktokenRanks, encoding: .utf8)
        } catch {
            throw TokenizerError.unreadable(file: file, reason: error.localizedDescription)
        }
        var ranks: [[UInt8]: Int] = [:]
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.isEmpty { continue }
            let fields = line.split(separator: " ")
            guard fields.count == 2, let data = Data(base64Encoded: String(fields[0])), !data.isEmpty,
                let rank = Int(fields[1]), rank >= 0
            else { throw TokenizerError.invalidRankLine(file: file, line: lineNumber, text: String(line)) }
            ranks[[UInt8](data)] = rank
        }
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(ranks.count)
        for (bytes, rank) in ranks { vocab[ByteLevel.encode(bytes)] = rank }
        let added = specialTokens.map { AddedToken(content: $0.key, id: $0.value, special: true) }
        var parts = try Parts.make(
            vocab: vocab, merges: [], added: added, pipeline: PreTokenizerPipeline(steps: pattern.steps), source: file)
        for (bytes, rank) in ranks where bytes.count > 1 {
            for cut in 1..<bytes.count {
                if let left = ranks[Array(bytes[..<cut])], let right = ranks[Array(bytes[cut...])] {
                    parts.merges.add(left: left, right: right, merged: rank, rank: rank)
                }
            }
        }
        parts.ignoreMerges = true
        parts.eos = specialTokens["<|endoftext|>"]
        self.init(parts: parts)
    }
}

extension BPETokenizer.Parts {
    /// Id of a token written as in the vocabulary or as an added token's text.
    func id(of token: String) -> Int? { added.first { $0.content == token }?.id ?? vocab[token] }

    /// Tables from a byte-level vocabulary, ranked merges (index = rank) and added tokens.
    static func make(
        vocab: [String: Int], merges: [(String, String)], added: [AddedToken], pipeline: PreTokenizerPipeline,
        source: String
    ) throws -> Self {
        let ids = Array(vocab.values) + added.map(\.id)
        let maxID = ids.max() ?? -1
        if let bad = ids.first(where: { $0 < 0 || $0 >= 1 << 22 }) {
            throw TokenizerError.invalidVocabulary(source: source, reason: "token id \(bad) is outside 0..<4194304")
        }
        var tokenBytes = [[UInt8]](repeating: [], count: maxID + 1)
        var tokenStrings = [String](repeating: "", count: maxID + 1)
        for (token, id) in vocab {
            tokenStrings[id] = token
            tokenBytes[id] = ByteLevel.decode(token) ?? Array(token.utf8)
        }
        for token in added {
            tokenStrings[token.id] = token.content
            tokenBytes[token.id] = Array(token.content.utf8)
        }
        var table = MergeTable()
        for (rank, (left, right)) in merges.enumerated() {
            guard let leftID = vocab[left], let rightID = vocab[right], let merged = vocab[left + right] else {
                throw TokenizerError.invalidVocabulary(
                    source: source,
                    reason: "merge \(rank) \"\(left) \(right)\" uses a token that is not in the vocabulary")
            }
            table.add(left: leftID, right: rightID, merged: merged, rank: rank)
        }
        return Self(
            tokenBytes: tokenBytes, tokenStrings: tokenStrings, vocab: vocab, added: added, merges: table,
            pipeline: pipeline)
    }
}
