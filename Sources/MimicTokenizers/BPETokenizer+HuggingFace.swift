// Loading a BPETokenizer from a Hugging Face tokenizer.json (+ tokenizer_config.json).
import Foundation
import MimicCore

extension BPETokenizer {
    /// Reads a Hugging Face `tokenizer.json` and, optionally, its `tokenizer_config.json`.
    ///
    /// Supported: `model.type` "BPE" (byte-level: `ignore_merges` honoured, no `byte_fallback`, no subword
    /// prefixes); `added_tokens` with their `special`, `lstrip`, `rstrip`, `single_word` flags; normalizer null or
    /// NFC; pre-tokenizer ByteLevel (GPT-2 regex when `use_regex`), or a Sequence of Split (the GPT-2 or Llama-3
    /// regex, Isolated) / Digits / ByteLevel; decoder ByteLevel. BOS comes from a TemplateProcessing
    /// post-processor that starts with a special token; the config's `bos_token`, `eos_token` and `add_bos_token`
    /// override. The chat template is the config's `chat_template` (or a `chat_template.jinja` beside it).
    /// Without a config, EOS is the first of `<|endoftext|>`, `</s>`, `<|end_of_text|>` present.
    ///
    /// Throws `TokenizerError` naming the file and field for anything else.
    public convenience init(tokenizerJSON: URL, config: URL? = nil) throws {
        let file = tokenizerJSON.path
        let root = try Self.readJSONObject(tokenizerJSON)
        var parts = try Self.parseTokenizerJSON(root, file: file)
        if let config {
            try Self.applyConfig(try Self.readJSONObject(config), file: config.path, to: &parts)
            if parts.chatTemplate == nil {
                let jinja = config.deletingLastPathComponent().appendingPathComponent("chat_template.jinja")
                parts.chatTemplate = try? String(contentsOf: jinja, encoding: .utf8)
            }
        }
        self.init(parts: parts)
    }

    static func readJSONObject(_ url: URL) throws -> [String: Any] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw TokenizerError.malformedJSON(file: url.path, reason: error.localizedDescription)
        }
        guard let dictionary = object as? [String: Any] else {
            throw TokenizerError.malformedJSON(file: url.path, reason: "the top level is not an object")
        }
        return dictionary
    }

    static func parseTokenizerJSON(_ root: [String: Any], file: String) throws -> Parts {
        guard let model = root["model"] as? [String: Any] else {
            throw TokenizerError.missingField(file: file, field: "model")
        }
        let type = model["type"] as? String ?? (model["merges"] != nil ? "BPE" : "unknown")
        guard type == "BPE" else { throw TokenizerError.unsupportedModel(file: file, type: type) }
        for field in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[field] as? String, !value.isEmpty {
                throw TokenizerError.invalidField(
                    file: file, field: "model.\(field)", reason: "is \"\(value)\"; byte-level BPE uses none")
            }
        }
        if model["byte_fallback"] as? Bool == true {
            throw TokenizerError.invalidField(
                file: file, field: "model.byte_fallback",
                reason: "is true (a SentencePiece-style BPE); Mimic reads byte-level BPE only")
        }
        guard let rawVocab = model["vocab"] as? [String: Any] else {
            throw TokenizerError.missingField(file: file, field: "model.vocab")
        }
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(rawVocab.count)
        for (token, value) in rawVocab {
            guard let id = value as? Int else {
                throw TokenizerError.invalidField(file: file, field: "model.vocab[\"\(token)\"]", reason: "is not an integer id")
            }
            vocab[token] = id
        }
        let merges = try parseMerges(model["merges"], file: file)
        let added = try parseAddedTokens(root["added_tokens"], file: file)
        let pipeline = try parsePreTokenizer(root["pre_tokenizer"], file: file)
        try checkDecoder(root["decoder"], file: file)
        var parts = try Parts.make(vocab: vocab, merges: merges, added: added, pipeline: pipeline, source: file)
        parts.ignoreMerges = model["ignore_merges"] as? Bool ?? false
        parts.nfc = try parseNormalizer(root["normalizer"], file: file)
        if let bos = templateBOS(root["post_processor"]), let id = parts.id(of: bos) {
            parts.bos = id
            parts.addsBOS = true
        }
        parts.eos = ["<|endoftext|>", "</s>", "<|end_of_text|>"].lazy.compactMap { parts.id(of: $0) }.first
        return parts
    }

    private static func parseMerges(_ value: Any?, file: String) throws -> [(String, String)] {
        guard let list = value as? [Any] else { throw TokenizerError.missingField(file: file, field: "model.merges") }
        var merges: [(String, String)] = []
        merges.reserveCapacity(list.count)
        for (index, entry) in list.enumerated() {
            if let text = entry as? String, let space = text.firstIndex(of: " ") {
                merges.append((String(text[..<space]), String(text[text.index(after: space)...])))
            } else if let pair = entry as? [String], pair.count == 2 {
                merges.append((pair[0], pair[1]))
            } else {
                throw TokenizerError.invalidField(
                    file: file, field: "model.merges[\(index)]", reason: "is neither \"a b\" nor [\"a\", \"b\"]")
            }
        }
        return merges
    }

    private static func parseAddedTokens(_ value: Any?, file: String) throws -> [AddedToken] {
        guard let list = value as? [[String: Any]] else { return [] }
        return try list.enumerated().map { index, entry in
            guard let id = entry["id"] as? Int, let content = entry["content"] as? String else {
                throw TokenizerError.invalidField(
                    file: file, field: "added_tokens[\(index)]", reason: "needs an integer \"id\" and a string \"content\"")
            }
            return AddedToken(
                content: content, id: id, special: entry["special"] as? Bool ?? false,
                lstrip: entry["lstrip"] as? Bool ?? false, rstrip: entry["rstrip"] as? Bool ?? false,
                singleWord: entry["single_word"] as? Bool ?? false)
        }
    }

    /// NFC (true), nothing (false), or an error for other normalizers.
    private static func parseNormalizer(_ value: Any?, file: String) throws -> Bool {
        guard let normalizer = value as? [String: Any] else { return false }
        let type = normalizer["type"] as? String ?? "?"
        if type == "NFC" { return true }
        if type == "Sequence", let list = normalizer["normalizers"] as? [Any], list.isEmpty { return false }
        throw TokenizerError.unsupportedComponent(file: file, field: "normalizer", type: type)
    }

    private static func parsePreTokenizer(_ value: Any?, file: String) throws -> PreTokenizerPipeline {
        guard let pre = value as? [String: Any] else {
            throw TokenizerError.unsupportedComponent(file: file, field: "pre_tokenizer", type: "null")
        }
        let list: [[String: Any]]
        if pre["type"] as? String == "Sequence" {
            list = pre["pretokenizers"] as? [[String: Any]] ?? []
        } else {
            list = [pre]
        }
        var pipeline = PreTokenizerPipeline(steps: [])
        var sawByteLevel = false
        for (index, item) in list.enumerated() {
            let field = list.count == 1 && pre["type"] as? String != "Sequence"
                ? "pre_tokenizer" : "pre_tokenizer.pretokenizers[\(index)]"
            let type = item["type"] as? String ?? "?"
            switch type {
            case "ByteLevel":
                sawByteLevel = true
                if item["add_prefix_space"] as? Bool == true {
                    guard index == 0 else {
                        throw TokenizerError.invalidField(
                            file: file, field: "\(field).add_prefix_space",
                            reason: "is true after another pre-tokenizer; only a leading ByteLevel may add a prefix space")
                    }
                    pipeline.addPrefixSpace = true
                }
                if item["use_regex"] as? Bool ?? true { pipeline.steps.append(.gpt2) }
            case "Digits":
                pipeline.steps.append(.isolateNumbers(individually: item["individual_digits"] as? Bool ?? false))
            case "Split":
                pipeline.steps.append(try parseSplit(item, field: field, file: file))
            default:
                throw TokenizerError.unsupportedComponent(file: file, field: field, type: type)
            }
        }
        guard sawByteLevel else {
            throw TokenizerError.unsupportedComponent(
                file: file, field: "pre_tokenizer", type: (pre["type"] as? String ?? "?") + " without ByteLevel")
        }
        return pipeline
    }

    private static func parseSplit(_ item: [String: Any], field: String, file: String) throws -> PreTokenizerStep {
        let behavior = item["behavior"] as? String ?? "?"
        guard behavior == "Isolated", item["invert"] as? Bool != true else {
            throw TokenizerError.invalidField(
                file: file, field: "\(field).behavior", reason: "is \"\(behavior)\"; only Isolated, not inverted, is supported")
        }
        let pattern = item["pattern"] as? [String: Any]
        guard let regex = pattern?["Regex"] as? String else {
            throw TokenizerError.invalidField(file: file, field: "\(field).pattern", reason: "is not a {\"Regex\": …} pattern")
        }
        guard let step = PreTokenizerStep.fromRegex(regex) else {
            throw TokenizerError.invalidField(
                file: file, field: "\(field).pattern.Regex",
                reason: "is \"\(regex.prefix(80))\", which Mimic does not implement (it knows the GPT-2 and Llama-3 regexes)")
        }
        return step
    }

    private static func checkDecoder(_ value: Any?, file: String) throws {
        guard let decoder = value as? [String: Any] else {
            throw TokenizerError.unsupportedComponent(file: file, field: "decoder", type: "null")
        }
        let type = decoder["type"] as? String ?? "?"
        guard type == "ByteLevel" else { throw TokenizerError.unsupportedComponent(file: file, field: "decoder", type: type) }
    }

    /// The special token a TemplateProcessing post-processor puts first (`<|begin_of_text|> $A`), if any.
    private static func templateBOS(_ value: Any?) -> String? {
        guard let processor = value as? [String: Any] else { return nil }
        switch processor["type"] as? String {
        case "TemplateProcessing":
            guard let single = processor["single"] as? [[String: Any]], let first = single.first,
                let special = first["SpecialToken"] as? [String: Any]
            else { return nil }
            return special["id"] as? String
        case "Sequence":
            let list = processor["processors"] as? [Any] ?? []
            return list.lazy.compactMap { templateBOS($0) }.first
        default:
            return nil
        }
    }

    /// Applies tokenizer_config.json: bos/eos strings, add_bos_token, chat_template.
    static func applyConfig(_ config: [String: Any], file: String, to parts: inout Parts) throws {
        func tokenString(_ key: String) -> String? {
            if let text = config[key] as? String { return text }
            return (config[key] as? [String: Any])?["content"] as? String
        }
        for (key, isBOS) in [("bos_token", true), ("eos_token", false)] {
            guard let text = tokenString(key) else { continue }
            guard let id = parts.id(of: text) else {
                throw TokenizerError.invalidField(file: file, field: key, reason: "names \"\(text)\", which is not in the vocabulary")
            }
            if isBOS { parts.bos = id } else { parts.eos = id }
        }
        if let add = config["add_bos_token"] as? Bool { parts.addsBOS = add }
        if let template = config["chat_template"] as? String {
            parts.chatTemplate = template
        } else if let list = config["chat_template"] as? [[String: Any]] {
            let named = list.first { $0["name"] as? String == "default" } ?? list.first
            parts.chatTemplate = named?["template"] as? String
        }
    }
}
