// Conversation records (`{"messages":[…],"meta":{…}}`) with provenance and their JSON Lines reading and writing
// (through MimicCore's JSONLines: bad lines reported by file:line, atomic writes).
import Foundation
import MimicCore
import MimicTokenizers

/// Provenance of one record: who answered, with what prompt and settings, from which input.
/// Written as `meta`; unknown keys read from a file are kept in `extra`.
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
    /// Any other keys.
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

    struct Key: CodingKey, Hashable {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static let known: Set<String> = ["generator", "teacher", "template", "temperature", "seed", "source",
                                     "request_hash", "sample_index"]

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        generator = try c.decodeIfPresent(String.self, forKey: Key("generator"))
        teacher = try c.decodeIfPresent(String.self, forKey: Key("teacher"))
        template = try c.decodeIfPresent(String.self, forKey: Key("template"))
        temperature = try c.decodeIfPresent(Double.self, forKey: Key("temperature"))
        seed = try c.decodeIfPresent(UInt64.self, forKey: Key("seed"))
        source = try c.decodeIfPresent(String.self, forKey: Key("source"))
        requestHash = try c.decodeIfPresent(String.self, forKey: Key("request_hash"))
        sampleIndex = try c.decodeIfPresent(Int.self, forKey: Key("sample_index"))
        extra = [:]
        for key in c.allKeys where !Self.known.contains(key.stringValue) {
            extra[key.stringValue] = try c.decode(JSONValue.self, forKey: key)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encodeIfPresent(generator, forKey: Key("generator"))
        try c.encodeIfPresent(teacher, forKey: Key("teacher"))
        try c.encodeIfPresent(template, forKey: Key("template"))
        try c.encodeIfPresent(temperature, forKey: Key("temperature"))
        try c.encodeIfPresent(seed, forKey: Key("seed"))
        try c.encodeIfPresent(source, forKey: Key("source"))
        try c.encodeIfPresent(requestHash, forKey: Key("request_hash"))
        try c.encodeIfPresent(sampleIndex, forKey: Key("sample_index"))
        for (key, value) in extra where !Self.known.contains(key) { try c.encode(value, forKey: Key(key)) }
    }
}

/// One conversation of an imitation set: the turns and their provenance.
public struct ConversationRecord: Codable, Sendable, Hashable {
    /// The turns, in order ("system", "user", "assistant").
    public var messages: [ChatMessage]
    /// Provenance.
    public var meta: RecordMeta

    /// Creates a record.
    public init(messages: [ChatMessage], meta: RecordMeta = RecordMeta()) {
        self.messages = messages
        self.meta = meta
    }

    enum CodingKeys: String, CodingKey { case messages, meta }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        messages = try c.decode([ChatMessage].self, forKey: .messages)
        meta = try c.decodeIfPresent(RecordMeta.self, forKey: .meta) ?? RecordMeta()
    }
}

/// Reading and writing conversation JSON Lines files.
public enum ConversationJSONL {
    /// Streams the records of `url` to `body` in file order. Blank lines are ignored; a malformed line throws
    /// `RecordFileError.malformedLine` (policy `.fail`) or is counted in the report (`.skipAndReport`).
    public static func forEach(_ url: URL, policy: MalformedLinePolicy = .fail,
                               _ body: (ConversationRecord, Int) throws -> Void) throws -> LineReadReport {
        try JSONLines.forEach(ConversationRecord.self, in: url, policy: policy, body)
    }

    /// Reads every record of `url` into memory, with the report.
    public static func read(_ url: URL, policy: MalformedLinePolicy = .fail) throws -> ([ConversationRecord], LineReadReport) {
        var records: [ConversationRecord] = []
        let report = try forEach(url, policy: policy) { record, _ in records.append(record) }
        return (records, report)
    }

    /// One record as a line of JSON (sorted keys, no trailing newline): the same record gives the same bytes.
    public static func encodeLine(_ record: ConversationRecord) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(record)
    }

    /// Writes `records` to `url` atomically: a temporary file beside it, then a rename, so `url` holds either
    /// its old content or all of the new, never part of it.
    public static func write(_ records: [ConversationRecord], to url: URL) throws {
        var data = Data()
        do {
            for record in records {
                data.append(try encodeLine(record))
                data.append(0x0A)
            }
        } catch {
            throw RecordFileError.unwritable(file: url.path, reason: "a record cannot be encoded: \(error)")
        }
        try AtomicFile.write(data, to: url)
    }
}
