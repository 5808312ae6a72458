// Conversation records (`{"messages":[…],"meta":{…}}`) with provenance, their JSON Lines reader (bad lines
// reported by file:line) and the atomic writer every generator uses.
import Foundation
import MimicTokenizers
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

/// What to do with a line that is not a valid record.
public enum MalformedLinePolicy: String, Sendable, Codable, CaseIterable {
    /// Throw `RecordFileError.malformedLine` at the first one.
    case fail
    /// Skip it, count it and keep its description in the report.
    case skipAndReport
}

/// A failure reading or writing a record or prompt file, naming the file (and line) and what to do.
public enum RecordFileError: Error, LocalizedError, Sendable, Hashable {
    /// The file cannot be opened or read.
    case unreadable(file: String, reason: String)
    /// Line `line` of `file` is not a valid record; `problem` says why.
    case malformedLine(file: String, line: Int, problem: String)
    /// The file cannot be written.
    case unwritable(file: String, reason: String)
    /// The file's content does not have the shape the chosen format expects.
    case badFormat(file: String, problem: String)

    public var errorDescription: String? {
        switch self {
        case .unreadable(let file, let reason):
            return "cannot read \(file): \(reason) (check the path and permissions)"
        case .malformedLine(let file, let line, let problem):
            return "\(file):\(line): \(problem) (fix the line, or skip bad lines instead of failing)"
        case .unwritable(let file, let reason):
            return "cannot write \(file): \(reason) (check that the folder exists and is writable)"
        case .badFormat(let file, let problem):
            return "\(file): \(problem)"
        }
    }
}

/// What a pass over a JSON Lines file found.
public struct LineReadReport: Sendable, Hashable {
    /// Lines read (blank ones included).
    public var lines = 0
    /// Good items handed on.
    public var items = 0
    /// Malformed lines skipped.
    public var malformed = 0
    /// The first `problemLimit` malformed lines, as `file:line: problem`.
    public var problems: [String] = []
    /// How many problems are kept in `problems`.
    public static let problemLimit = 100

    /// An empty report.
    public init() {}

    mutating func note(_ error: RecordFileError) {
        malformed += 1
        if problems.count < Self.problemLimit { problems.append(error.localizedDescription) }
    }
}

/// Reading and writing conversation JSON Lines files.
public enum ConversationJSONL {
    /// Streams the records of `url` to `body` in file order. Blank lines are ignored; a malformed line throws
    /// `RecordFileError.malformedLine` (policy `.fail`) or is counted in the report (`.skipAndReport`).
    public static func forEach(_ url: URL, policy: MalformedLinePolicy = .fail,
                               _ body: (ConversationRecord, Int) throws -> Void) throws -> LineReadReport {
        var report = LineReadReport()
        let decoder = JSONDecoder()
        try LineStream.forEachLine(of: url) { number, bytes in
            report.lines = number
            guard bytes.contains(where: { !Self.isSpace($0) }) else { return }
            let record: ConversationRecord
            do {
                record = try decoder.decode(ConversationRecord.self, from: Data(bytes))
            } catch {
                let failure = RecordFileError.malformedLine(file: url.path, line: number, problem: Self.describe(error))
                if policy == .fail { throw failure }
                report.note(failure)
                return
            }
            report.items += 1
            try body(record, number)
        }
        return report
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
        try AtomicWrite.write(data, to: url)
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "bad value at \(path(context.codingPath))"
        case DecodingError.keyNotFound(let key, let context):
            return "missing field \(path(context.codingPath + [key]))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \(path(context.codingPath)): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }
}

/// Atomic file replacement: write a temporary file in the same folder, flush it, rename it over the target.
public enum AtomicWrite {
    /// Removes temporary files that an earlier write to `url` left when its process was killed mid-write.
    public static func removeStaleTemporaries(for url: URL) {
        let folder = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent).tmp-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where name.hasPrefix(prefix) {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    /// Replaces `url`'s content with `data` atomically.
    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        let temp = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)")
        do {
            try data.write(to: temp)
            let handle = try FileHandle(forWritingTo: temp)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw RecordFileError.unwritable(file: url.path, reason: error.localizedDescription)
        }
        guard rename(temp.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw RecordFileError.unwritable(file: url.path, reason: reason)
        }
    }
}

/// Reads a file line by line in chunks (memory bounded by the longest line), numbering lines from 1 and
/// dropping a UTF-8 byte-order mark and `\r` line ends.
enum LineStream {
    static func forEachLine(of url: URL, chunkSize: Int = 1 << 20, _ body: (Int, ArraySlice<UInt8>) throws -> Void) throws {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw RecordFileError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        defer { try? handle.close() }
        var buffer: [UInt8] = []
        var number = 0
        var atEnd = false
        while !atEnd {
            let chunk: Data?
            do {
                chunk = try handle.read(upToCount: chunkSize)
            } catch {
                throw RecordFileError.unreadable(file: url.path, reason: error.localizedDescription)
            }
            if let chunk, !chunk.isEmpty { buffer.append(contentsOf: chunk) } else { atEnd = true }
            var start = 0
            while let newline = buffer[start...].firstIndex(of: 0x0A) {
                number += 1
                try body(number, clean(buffer[start..<newline], first: number == 1))
                start = newline + 1
            }
            if atEnd && start < buffer.count {
                number += 1
                try body(number, clean(buffer[start...], first: number == 1))
                start = buffer.count
            }
            buffer.removeFirst(start)
        }
    }

    static func clean(_ line: ArraySlice<UInt8>, first: Bool) -> ArraySlice<UInt8> {
        var line = line
        if first && line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
        if line.last == 0x0D { line = line.dropLast() }
        return line
    }
}
