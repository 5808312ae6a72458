// Writing a BPETokenizer as Hugging Face files: tokenizer.json, which `tokenizers` loads and which tokenizes
// as this tokenizer does, and tokenizer_config.json (BOS, EOS, chat template) for `transformers`.
import Foundation
import MimicCore

extension BPETokenizer {
    /// A Hugging Face `tokenizer.json` that tokenizes exactly as this tokenizer does.
    ///
    /// The model is BPE with the vocabulary in byte-level spelling (by id) and the merges in rank order;
    /// `added_tokens` keep their id, text, `special`, `lstrip`, `rstrip` and `single_word` flags (`normalized`
    /// false). The pre-tokenizer follows the tokenizer's passes: GPT-2 is `ByteLevel` (regex on), SmolLM2 is
    /// `Sequence[Digits, ByteLevel]`, Llama 3 is `Sequence[Split(Llama-3 regex, Isolated), ByteLevel(no regex)]`,
    /// and llama.cpp's `default` is a `Sequence` of `Split`s and `Digits` ending in `ByteLevel`. The decoder is
    /// `ByteLevel`; the post-processor is a `TemplateProcessing` that prepends BOS when `addsBOS`, else null.
    ///
    /// Throws `TokenizerError.cannotExport` for an `add_prefix_space` that precedes other passes, which
    /// tokenizer.json cannot say in a way that splits text identically.
    public func huggingFaceJSON() throws -> Data {
        let root: OrderedJSON = .object([
            ("version", .string("1.0")),
            ("truncation", .null),
            ("padding", .null),
            ("added_tokens", .array(addedTokens.map(Self.addedTokenJSON))),
            ("normalizer", nfc ? .object([("type", .string("NFC"))]) : .null),
            ("pre_tokenizer", try preTokenizerJSON()),
            ("post_processor", postProcessorJSON()),
            ("decoder", Self.byteLevelJSON(addPrefixSpace: true, useRegex: true)),
            ("model", modelJSON()),
        ])
        return root.data
    }

    /// A Hugging Face `tokenizer_config.json`: `bos_token`, `eos_token`, `add_bos_token`, `chat_template`
    /// (`chatTemplate`, else the one this tokenizer came with), `model_max_length` when given, and
    /// `tokenizer_class` "PreTrainedTokenizerFast" (`clean_up_tokenization_spaces` false, so that decoding
    /// returns the bytes of the tokens as Mimic's `decode` does; `model_input_names` input_ids and attention_mask).
    public func tokenizerConfigJSON(chatTemplate: String? = nil, modelMaxLength: Int? = nil) -> Data {
        func tokenText(_ id: Int?) -> OrderedJSON { id.flatMap(token).map(OrderedJSON.string) ?? .null }
        var members: [(String, OrderedJSON)] = [
            ("add_bos_token", .bool(addsBOS)),
            ("add_eos_token", .bool(false)),
            ("bos_token", tokenText(bosTokenID)),
            ("clean_up_tokenization_spaces", .bool(false)),
            ("eos_token", tokenText(eosTokenID)),
        ]
        if let modelMaxLength { members.append(("model_max_length", .int(modelMaxLength))) }
        // Without this, PreTrainedTokenizerFast also returns token_type_ids, which causal LMs' generate() rejects.
        members.append(("model_input_names", .inlineArray([.string("input_ids"), .string("attention_mask")])))
        members.append(("tokenizer_class", .string("PreTrainedTokenizerFast")))
        if let template = chatTemplate ?? self.chatTemplate { members.append(("chat_template", .string(template))) }
        return OrderedJSON.object(members).data
    }

    private static func addedTokenJSON(_ token: AddedToken) -> OrderedJSON {
        .object([
            ("id", .int(token.id)), ("content", .string(token.content)), ("single_word", .bool(token.singleWord)),
            ("lstrip", .bool(token.lstrip)), ("rstrip", .bool(token.rstrip)), ("normalized", .bool(false)),
            ("special", .bool(token.special)),
        ])
    }

    private static func byteLevelJSON(addPrefixSpace: Bool, useRegex: Bool) -> OrderedJSON {
        .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(addPrefixSpace)),
                 ("trim_offsets", .bool(true)), ("use_regex", .bool(useRegex))])
    }

    /// The pre-tokenizer: each pass as `Digits` or an Isolated `Split`, then `ByteLevel`, which takes over a
    /// final GPT-2 pass with its own regex.
    private func preTokenizerJSON() throws -> OrderedJSON {
        var steps = pipeline.steps
        let endsWithGPT2 = steps.last == .gpt2
        if endsWithGPT2 { steps.removeLast() }
        let byteLevel = Self.byteLevelJSON(addPrefixSpace: pipeline.addPrefixSpace, useRegex: endsWithGPT2)
        if steps.isEmpty { return byteLevel }
        guard !pipeline.addPrefixSpace else {
            throw TokenizerError.cannotExport(
                reason: "its pre-tokenizer adds a prefix space before splitting with other passes; tokenizer.json "
                    + "adds it only in a ByteLevel step, which must come last to split the same way")
        }
        let passes: [OrderedJSON] = steps.map { step in
            if case .isolateNumbers(let individually) = step {
                return .object([("type", .string("Digits")), ("individual_digits", .bool(individually))])
            }
            return .object([
                ("type", .string("Split")), ("pattern", .object([("Regex", .string(step.splitRegex))])),
                ("behavior", .string("Isolated")), ("invert", .bool(false)),
            ])
        }
        return .object([("type", .string("Sequence")), ("pretokenizers", .array(passes + [byteLevel]))])
    }

    /// A TemplateProcessing that puts BOS first when this tokenizer adds it, else null.
    private func postProcessorJSON() -> OrderedJSON {
        guard addsBOS, let bos = bosTokenID, let text = token(bos) else { return .null }
        func special(_ typeID: Int) -> OrderedJSON {
            .object([("SpecialToken", .object([("id", .string(text)), ("type_id", .int(typeID))]))])
        }
        func sequence(_ name: String, _ typeID: Int) -> OrderedJSON {
            .object([("Sequence", .object([("id", .string(name)), ("type_id", .int(typeID))]))])
        }
        return .object([
            ("type", .string("TemplateProcessing")),
            ("single", .array([special(0), sequence("A", 0)])),
            ("pair", .array([special(0), sequence("A", 0), special(1), sequence("B", 1)])),
            ("special_tokens", .object([(text, .object([
                ("id", .string(text)), ("ids", .inlineArray([.int(bos)])), ("tokens", .inlineArray([.string(text)])),
            ]))])),
        ])
    }

    /// The BPE model: vocabulary by id, merges by rank (`"left right"`, or pairs when a token holds a space).
    private func modelJSON() -> OrderedJSON {
        let entries = vocab.sorted { ($0.value, $0.key) < ($1.value, $1.key) }
        var spelling = [String?](repeating: nil, count: (entries.last?.value ?? -1) + 1)
        for (token, id) in entries where spelling[id] == nil { spelling[id] = token }
        let pairs: [(String, String)] = merges.entries.compactMap { merge in
            guard merge.left < spelling.count, merge.right < spelling.count,
                  let left = spelling[merge.left], let right = spelling[merge.right] else { return nil }
            return (left, right)
        }
        let spaced = pairs.contains { $0.0.contains(" ") || $0.1.contains(" ") }
        let mergeList: [OrderedJSON] = pairs.map {
            spaced ? .inlineArray([.string($0.0), .string($0.1)]) : .string($0.0 + " " + $0.1)
        }
        return .object([
            ("type", .string("BPE")), ("dropout", .null), ("unk_token", .null), ("continuing_subword_prefix", .null),
            ("end_of_word_suffix", .null), ("fuse_unk", .bool(false)), ("byte_fallback", .bool(false)),
            ("ignore_merges", .bool(ignoreMerges)),
            ("vocab", .object(entries.map { ($0.key, .int($0.value)) })),
            ("merges", .array(mergeList)),
        ])
    }
}
