// The one conversation record of every stage (collect, `mimic data`, train): messages with their unknown fields
// (`weight`, `name`, `tool_calls`, …), provenance (`meta`) and any other top-level key, all kept on a round trip.
import Foundation

/// A JSON object key of any name, for records that keep the keys they do not know.
public struct AnyCodingKey: CodingKey, Hashable, Sendable {
    public var stringValue: String
    public var intValue: Int? { nil }
    /// The key `name`.
    public init(_ name: String) { stringValue = name }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }

    /// Decodes every key of `container` not in `known` as a `JSONValue`.
    public static func extras(_ container: KeyedDecodingContainer<AnyCodingKey>, except known: Set<String>) throws
        -> [String: JSONValue]
    {
        var extra: [String: JSONValue] = [:]
        for key in container.allKeys where !known.contains(key.stringValue) {
            extra[key.stringValue] = try container.decode(JSONValue.self, forKey: key)
        }
        return extra
    }
}

/// One turn of a conversation. Keys other than `role` and `content` (OpenAI's `weight`, `name`, `tool_calls`, …)
/// are kept in `extra` and written back unchanged.
public struct ChatMessage: Codable, Sendable, Equatable, Hashable {
    /// "system", "user" or "assistant" (other roles are rendered as each template describes).
    public var role: String
    /// The text of the turn.
    public var content: String
    /// Every other key of the message, as read.
    public var extra: [String: JSONValue]

    /// Creates a message.
    public init(role: String, content: String, extra: [String: JSONValue] = [:]) {
        self.role = role
        self.content = content
        self.extra = extra
    }

    /// The message's `weight` (OpenAI's fine-tuning format: 0 means not trained on), if it has a numeric one.
    public var weight: Double? {
        switch extra["weight"] {
        case .int(let i)?: return Double(i)
        case .double(let d)?: return d
        default: return nil
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        role = try c.decode(String.self, forKey: AnyCodingKey("role"))
        content = try c.decode(String.self, forKey: AnyCodingKey("content"))
        extra = try AnyCodingKey.extras(c, except: ["role", "content"])
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        try c.encode(role, forKey: AnyCodingKey("role"))
        try c.encode(content, forKey: AnyCodingKey("content"))
        for (key, value) in extra where key != "role" && key != "content" { try c.encode(value, forKey: AnyCodingKey(key)) }
    }
}

/// Provenance of one record: who answered, with what prompt and settings, from which input.
///
/// Written as `meta` with the same keys and types in every file, whatever made it, so that files of several
/// generators and importers load together as one table (Hugging Face `datasets`, pandas, Arrow): every field is a
/// string, empty when unknown (`"temperature": "0.7"`, `"seed": "42"`), and everything else (a generator's own
/// provenance, keys read from a file) is one JSON object written as the string `details`. Reading accepts numbers
/// too, and other keys beside `details`, as older files and hand-written ones have them; those land in `extra`.
public struct RecordMeta: Codable, Sendable, Hashable {
    /// The generator that made the record: "replay", "nq-synthetic", "tldr-synthetic", "self-instruct".
    public var generator: String?
    /// The teacher's model name.
    public var teacher: String?
    /// The prompt template's name (a built-in name such as "nq-synthetic/default", or the template file's path).
    public var template: String?
    /// The sampling temperature sent.
    public var temperature: Double?
    /// The run's seed.
    public var seed: UInt64?
    /// The input the record came from (`file:line`, `file#id`, or a seed file's name).
    public var source: String?
    /// The hash (cache key) of the teacher request whose answer the record holds (the last one, for several).
    public var requestHash: String?
    /// The sample index sent with that request (distinct for repeated identical requests).
    public var sampleIndex: Int?
    /// Any other keys (written inside `details`).
    public var extra: [String: JSONValue]

    /// Creates provenance; every field is optional.
    public init(generator: String? = nil, teacher: String? = nil, template: String? = nil, temperature: Double? = nil,
                seed: UInt64? = nil, source: String? = nil, requestHash: String? = nil, sampleIndex: Int? = nil,
                extra: [String: JSONValue] = [:]) {
        self.generator = generator
        self.teacher = teacher
        self.template = template
        self.temperature = temperature
        self.seed = seed
        self.source = source
        self.requestHash = requestHash
        self.sampleIndex = sampleIndex
        self.extra = extra
    }

    typealias Key = AnyCodingKey

    static let known: Set<String> = ["generator", "teacher", "template", "temperature", "seed", "source",
                                     "request_hash", "sample_index", "details"]

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        /// A field as text: a string ("" is absent) or a number as written.
        func text(_ name: String) throws -> String? {
            switch try c.decodeIfPresent(JSONValue.self, forKey: Key(name)) {
            case nil, .null?: return nil
            case .string(let s)?: return s.isEmpty ? nil : s
            case .int(let i)?: return String(i)
            case .double(let d)?: return String(d)
            default:
                throw DecodingError.typeMismatch(String.self, .init(codingPath: c.codingPath + [Key(name)],
                                                                    debugDescription: "meta.\(name) must be a string or a number"))
            }
        }
        func number<T: LosslessStringConvertible>(_ name: String, _ type: T.Type) throws -> T? {
            guard let t = try text(name) else { return nil }
            guard let value = T(t) else {
                throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [Key(name)],
                                                        debugDescription: "meta.\(name) is '\(t)', not a number"))
            }
            return value
        }
        generator = try text("generator")
        teacher = try text("teacher")
        template = try text("template")
        temperature = try number("temperature", Double.self)
        // A seed above Int64's range reads as a number only as UInt64 (JSONValue would make it a rounded double).
        seed = try (try? c.decodeIfPresent(UInt64.self, forKey: Key("seed"))) ?? number("seed", UInt64.self)
        source = try text("source")
        requestHash = try text("request_hash")
        sampleIndex = try number("sample_index", Int.self)
        extra = try Key.extras(c, except: Self.known)
        if let details = try text("details") {
            guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(details.utf8)) else {
                throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [Key("details")],
                                                        debugDescription: "meta.details must be a JSON object written as a string"))
            }
            extra.merge(object) { beside, _ in beside }
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(generator ?? "", forKey: Key("generator"))
        try c.encode(teacher ?? "", forKey: Key("teacher"))
        try c.encode(template ?? "", forKey: Key("template"))
        try c.encode(temperature.map { String($0) } ?? "", forKey: Key("temperature"))
        try c.encode(seed.map { String($0) } ?? "", forKey: Key("seed"))
        try c.encode(source ?? "", forKey: Key("source"))
        try c.encode(requestHash ?? "", forKey: Key("request_hash"))
        try c.encode(sampleIndex.map { String($0) } ?? "", forKey: Key("sample_index"))
        var details = ""
        let kept = extra.filter { !Self.known.contains($0.key) }
        if !kept.isEmpty {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            details = String(decoding: try encoder.encode(JSONValue.object(kept)), as: UTF8.self)
        }
        try c.encode(details, forKey: Key("details"))
    }
}

/// One conversation of an imitation set: the turns, their provenance, and any other top-level key of its line.
/// The same type is read and written by `mimic collect`, every `mimic data` step and `mimic train`.
public struct ConversationRecord: Codable, Sendable, Hashable {
    /// The turns, in order ("system", "user", "assistant"), each with its own unknown fields.
    public var messages: [ChatMessage]
    /// Provenance (`meta`); absent or null reads as empty (and is written with every key empty).
    public var meta: RecordMeta
    /// Every other top-level key of the line, as read.
    public var extra: [String: JSONValue]

    /// Creates a record.
    public init(messages: [ChatMessage], meta: RecordMeta = RecordMeta(), extra: [String: JSONValue] = [:]) {
        self.messages = messages
        self.meta = meta
        self.extra = extra
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        messages = try c.decode([ChatMessage].self, forKey: AnyCodingKey("messages"))
        meta = try c.decodeIfPresent(RecordMeta.self, forKey: AnyCodingKey("meta")) ?? RecordMeta()
        extra = try AnyCodingKey.extras(c, except: ["messages", "meta"])
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        try c.encode(messages, forKey: AnyCodingKey("messages"))
        try c.encode(meta, forKey: AnyCodingKey("meta"))
        for (key, value) in extra where key != "messages" && key != "meta" { try c.encode(value, forKey: AnyCodingKey(key)) }
    }
}
