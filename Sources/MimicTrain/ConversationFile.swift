// ConversationFile: training's view of conversation JSON Lines. Lines are read by MimicCore's one line reader and
// decoded as the one `ConversationRecord`; a record training cannot use is a bad line naming its field.
import Foundation
import MimicCore
import MimicTokenizers

/// Where a conversation came from: a file and a 1-based line number.
public struct SourceLine: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// The file's path as given (or a name such as `<memory>`).
    public var file: String
    /// The line, counting from 1.
    public var line: Int

    /// Creates a location.
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    /// `file:line`.
    public var description: String { "\(file):\(line)" }
}

/// One conversation from a JSON Lines file.
public struct Conversation: Sendable, Equatable {
    /// The turns, in order; roles are "system", "user" or "assistant" and no content is empty.
    public var messages: [ChatMessage]
    /// One flag per message: whether its text is trained on. Assistant messages are, unless the line gives them
    /// `"weight": 0` (OpenAI's fine-tuning format); system and user messages never are.
    public var trainedTurns: [Bool]
    /// The line's `meta` object (provenance: teacher, template, seed, …) as compact JSON with sorted keys; nil if absent.
    public var metaJSON: String?
    /// Where the conversation was read.
    public var source: SourceLine
    /// The record as read (every message's unknown fields and the line's other keys included); nil when the
    /// conversation was made in memory.
    public var record: ConversationRecord?

    /// A conversation whose assistant messages are all trained on.
    public init(messages: [ChatMessage], source: SourceLine, metaJSON: String? = nil) {
        self.init(messages: messages, trainedTurns: messages.map { $0.role == "assistant" }, source: source, metaJSON: metaJSON)
    }

    /// A conversation with explicit per-message training flags (`trainedTurns.count == messages.count`).
    public init(messages: [ChatMessage], trainedTurns: [Bool], source: SourceLine, metaJSON: String? = nil) {
        precondition(trainedTurns.count == messages.count, "one training flag per message")
        self.messages = messages
        self.trainedTurns = trainedTurns
        self.metaJSON = metaJSON
        self.source = source
    }
}

/// What a pass over a conversation file found.
public struct ConversationFileReport: Sendable, Equatable {
    /// The file read.
    public var file: String
    /// Lines read, blank ones included.
    public var lines = 0
    /// Good conversations handed on.
    public var conversations = 0
    /// Empty or whitespace-only lines (ignored, not errors).
    public var blankLines = 0
    /// Bad lines skipped (with policy `.skip`).
    public var skipped = 0
    /// The first `reportLimit` bad lines, each naming its line and field.
    public var problems: [ConversationFileError] = []

    /// How many problems are kept in `problems` (all are counted in `skipped`).
    public static let reportLimit = 1000

    /// An empty report for `file`.
    public init(file: String) { self.file = file }
}

/// A conversation file in the JSON Lines format of OpenAI fine-tuning files and TRL: one object per line,
/// `{"messages":[{"role":"user","content":"…"},{"role":"assistant","content":"…"}],"meta":{…}}`.
///
/// The file is read in chunks (`LineStream`), so its size is not bounded by memory. Blank lines are ignored. A bad
/// line (invalid JSON, no `messages`, an unknown role, empty content, …) is counted and reported with its line
/// number under policy `.skip`, or thrown as a `ConversationFileError` under `.fail`. Other keys are kept in each
/// conversation's `record`; an assistant message may carry `"weight": 0` or `1` (0: not trained on).
public struct ConversationFile: Sendable {
    /// The file.
    public let url: URL
    /// What to do with bad lines.
    public var policy: BadInputPolicy

    /// Roles a message may have.
    public static let roles: Set<String> = ["system", "user", "assistant"]

    /// A reader of the JSONL file at `url`.
    public init(url: URL, policy: BadInputPolicy = .skip) {
        self.url = url
        self.policy = policy
    }

    /// Streams the good conversations to `body`, in file order, and returns what was found.
    /// Throws `ConversationFileError` (unreadable file; a bad line under `.fail`) or whatever `body` throws.
    public func forEach(_ body: (Conversation) throws -> Void) throws -> ConversationFileReport {
        let name = url.path
        var report = ConversationFileReport(file: name)
        do {
            try LineStream.forEachLine(of: url) { number, bytes in
                try Self.handle(line: bytes, source: SourceLine(file: name, line: number), policy: policy, report: &report, body)
            }
        } catch RecordFileError.unreadable(_, let reason) {
            throw ConversationFileError.unreadable(file: name, reason: reason)
        }
        return report
    }

    /// Reads every good conversation into memory, with the report.
    public func readAll() throws -> (conversations: [Conversation], report: ConversationFileReport) {
        var conversations: [Conversation] = []
        let report = try forEach { conversations.append($0) }
        return (conversations, report)
    }

    /// Parses JSON Lines held in memory (`name` stands for the file in reports), with the same rules as a file.
    public static func parse(jsonl text: String, name: String = "<memory>", policy: BadInputPolicy = .skip) throws
        -> (conversations: [Conversation], report: ConversationFileReport)
    {
        var conversations: [Conversation] = []
        var report = ConversationFileReport(file: name)
        var lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }  // the final newline ends a line, it does not open one
        for (index, var line) in lines.enumerated() {
            let number = index + 1
            if number == 1 && line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            try handle(line: ArraySlice(line), source: SourceLine(file: name, line: number), policy: policy, report: &report) {
                conversations.append($0)
            }
        }
        return (conversations, report)
    }

    /// Parses one line into a conversation, or throws `ConversationFileError.badLine` naming the field: the line is
    /// decoded as a `ConversationRecord` (what every other stage reads), then checked for training.
    public static func parse(line: some Collection<UInt8>, source: SourceLine) throws -> Conversation {
        let record: ConversationRecord
        do {
            record = try JSONDecoder().decode(ConversationRecord.self, from: Data(line))
        } catch let error as DecodingError {
            throw badLine(error, line: line, source: source)
        }
        return try conversation(record, source: source)
    }

    /// The training view of `record`, or `ConversationFileError.badLine` naming the field training cannot use:
    /// no messages, a role other than system, user or assistant, empty content, or a `weight` that is not 0 or 1 on
    /// an assistant message.
    public static func conversation(_ record: ConversationRecord, source: SourceLine) throws -> Conversation {
        func bad(_ field: String, _ problem: ConversationFileError.Problem) -> ConversationFileError {
            .badLine(source, field: field, problem: problem)
        }
        guard !record.messages.isEmpty else { throw bad("messages", .noMessages) }
        var trained: [Bool] = []
        for (index, message) in record.messages.enumerated() {
            let field = "messages[\(index)]"
            guard roles.contains(message.role) else { throw bad(field + ".role", .unknownRole(message.role)) }
            guard !message.content.allSatisfy(\.isWhitespace) else { throw bad(field + ".content", .emptyContent) }
            var isTrained = message.role == "assistant"
            if message.extra["weight"] != nil {
                guard message.role == "assistant", let weight = message.weight, weight == 0 || weight == 1
                else { throw bad(field + ".weight", .invalidWeight) }
                isTrained = weight == 1
            }
            trained.append(isTrained)
        }
        var metaJSON: String?
        if record.meta != RecordMeta() {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            metaJSON = (try? encoder.encode(record.meta)).map { String(decoding: $0, as: UTF8.self) }
        }
        var conversation = Conversation(messages: record.messages, trainedTurns: trained, source: source, metaJSON: metaJSON)
        conversation.record = record
        return conversation
    }

    // MARK: Internals

    /// The bad-line error for a line that does not decode as a record, naming the field at fault.
    static func badLine(_ error: DecodingError, line: some Collection<UInt8>, source: SourceLine) -> ConversationFileError {
        func bad(_ path: [CodingKey], _ problem: ConversationFileError.Problem) -> ConversationFileError {
            .badLine(source, field: path.isEmpty ? "(line)" : JSONLines.path(path), problem: problem)
        }
        func expected(_ path: [CodingKey]) -> String {
            switch path.last?.stringValue {
            case "messages": return "an array of messages"
            case "meta": return "an object"
            case "role", "content": return "a string"
            default: return path.last?.intValue != nil ? "an object" : "another type"
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            return bad(context.codingPath + [key], .missing)
        case .valueNotFound(_, let context):
            return bad(context.codingPath, .missing)
        case .typeMismatch(_, let context):
            return context.codingPath.isEmpty ? bad([], .notAnObject) : bad(context.codingPath, .wrongType(expected: expected(context.codingPath)))
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return bad([], .invalidJSON(excerpt: String(decoding: line.prefix(60), as: UTF8.self)))
        case .dataCorrupted(let context):
            return bad(context.codingPath, .wrongType(expected: expected(context.codingPath)))
        @unknown default:
            return bad([], .invalidJSON(excerpt: String(decoding: line.prefix(60), as: UTF8.self)))
        }
    }

    /// Parses one line and applies the policy; blank lines are counted and passed over.
    private static func handle(
        line: ArraySlice<UInt8>, source: SourceLine, policy: BadInputPolicy, report: inout ConversationFileReport,
        _ body: (Conversation) throws -> Void
    ) throws {
        report.lines += 1
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
            report.blankLines += 1
            return
        }
        let conversation: Conversation
        do {
            conversation = try parse(line: line, source: source)
        } catch let error as ConversationFileError {
            if policy == .fail { throw error }
            report.skipped += 1
            if report.problems.count < ConversationFileReport.reportLimit { report.problems.append(error) }
            return
        }
        report.conversations += 1
        try body(conversation)
    }
}

/// Why a conversation file, or one of its lines, cannot be used.
public enum ConversationFileError: LocalizedError, Equatable, Sendable {
    /// The file cannot be opened or read.
    case unreadable(file: String, reason: String)
    /// A line is not a conversation; `field` names the part at fault (`messages[2].role`), `(line)` the whole line.
    case badLine(SourceLine, field: String, problem: Problem)

    /// What is wrong with a line.
    public enum Problem: Equatable, Sendable {
        /// The line is not JSON (the excerpt is its start).
        case invalidJSON(excerpt: String)
        /// The line is JSON but not an object.
        case notAnObject
        /// The field is missing.
        case missing
        /// The field has the wrong JSON type.
        case wrongType(expected: String)
        /// `messages` is an empty array.
        case noMessages
        /// A role other than system, user or assistant.
        case unknownRole(String)
        /// A message whose content is empty or only whitespace.
        case emptyContent
        /// `weight` is not 0 or 1, or is on a message that is not the assistant's.
        case invalidWeight
    }

    /// Where the problem is, when it is a line.
    public var source: SourceLine? {
        if case .badLine(let source, _, _) = self { return source }
        return nil
    }

    /// A one-line description naming the file, line and field, with a hint.
    public var errorDescription: String? {
        switch self {
        case .unreadable(let file, let reason):
            return "\(file): cannot be read (\(reason)). Check the path; conversations are JSON Lines, one object per line."
        case .badLine(let source, let field, let problem):
            if field == "meta", case .wrongType = problem {
                return "\(source): meta: must be an object of provenance ({\"teacher\":\"…\",\"seed\":1}) or absent."
            }
            return "\(source): \(field): \(Self.explain(problem))"
        }
    }

    private static func explain(_ problem: Problem) -> String {
        let shape = #"each line must be {"messages":[{"role":"user","content":"…"},{"role":"assistant","content":"…"}]}"#
        switch problem {
        case .invalidJSON(let excerpt):
            return "not valid JSON (\"\(excerpt)\"); \(shape), on one line."
        case .notAnObject: return "the line is JSON but not an object; \(shape)."
        case .missing: return "missing; \(shape)."
        case .wrongType(let expected): return "must be \(expected); \(shape)."
        case .noMessages: return "the conversation has no messages; drop the line or add turns."
        case .unknownRole(let role):
            return "unknown role \"\(role)\"; use system, user or assistant (convert tool or function turns first)."
        case .emptyContent: return "the content is empty; drop the line or remove the empty turn."
        case .invalidWeight: return "weight must be 0 or 1, and only on assistant messages (0: not trained on)."
        }
    }
}
