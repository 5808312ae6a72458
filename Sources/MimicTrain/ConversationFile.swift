// ConversationFile: a streaming reader of conversation JSON Lines (`{"messages":[…],"meta":{…}}`) that reports bad lines by number.
import Foundation
import MimicTokenizers

/// What to do with a bad input line or an example that cannot be trained on.
public enum BadInputPolicy: String, Sendable, Codable, CaseIterable {
    /// Count it, keep its report, and go on.
    case skip
    /// Throw at the first one.
    case fail
}

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
/// The file is read in chunks, so its size is not bounded by memory. Blank lines are ignored. A bad line
/// (invalid JSON, no `messages`, an unknown role, empty content, …) is counted and reported with its line number
/// under policy `.skip`, or thrown as a `ConversationFileError` under `.fail`. Other top-level keys are ignored;
/// an assistant message may carry `"weight": 0` or `1` (0: not trained on).
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
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw ConversationFileError.unreadable(file: name, reason: Self.reason(error))
        }
        defer { try? handle.close() }
        var lines = LineReader(handle: handle, file: name)
        var report = ConversationFileReport(file: name)
        while let (number, bytes) = try lines.next() {
            try Self.handle(line: bytes, source: SourceLine(file: name, line: number), policy: policy, report: &report, body)
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
            if number == 1 && line.starts(with: LineReader.byteOrderMark) { line = line.dropFirst(3) }
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            try handle(line: Array(line), source: SourceLine(file: name, line: number), policy: policy, report: &report) {
                conversations.append($0)
            }
        }
        return (conversations, report)
    }

    /// Parses one line into a conversation, or throws `ConversationFileError.badLine` naming the field.
    public static func parse(line: some Collection<UInt8>, source: SourceLine) throws -> Conversation {
        func bad(_ field: String, _ problem: ConversationFileError.Problem) -> ConversationFileError {
            .badLine(source, field: field, problem: problem)
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(line), options: [])
        } catch {
            let excerpt = String(decoding: line.prefix(60), as: UTF8.self)
            throw bad("(line)", .invalidJSON(excerpt: excerpt))
        }
        guard let root = object as? [String: Any] else { throw bad("(line)", .notAnObject) }
        guard let rawMessages = root["messages"] else { throw bad("messages", .missing) }
        guard let list = rawMessages as? [Any] else { throw bad("messages", .wrongType(expected: "an array of messages")) }
        guard !list.isEmpty else { throw bad("messages", .noMessages) }
        var messages: [ChatMessage] = []
        var trained: [Bool] = []
        for (index, item) in list.enumerated() {
            let field = "messages[\(index)]"
            let (message, isTrained) = try parseMessage(item, field: field, bad: bad)
            messages.append(message)
            trained.append(isTrained)
        }
        var metaJSON: String?
        if let meta = root["meta"], !(meta is NSNull) {
            let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
            guard meta is [String: Any], let data = try? JSONSerialization.data(withJSONObject: meta, options: options)
            else { throw bad("meta", .wrongType(expected: "an object")) }
            metaJSON = String(decoding: data, as: UTF8.self)
        }
        return Conversation(messages: messages, trainedTurns: trained, source: source, metaJSON: metaJSON)
    }

    // MARK: Internals

    private static func parseMessage(
        _ item: Any, field: String, bad: (String, ConversationFileError.Problem) -> ConversationFileError
    ) throws -> (ChatMessage, Bool) {
        guard let message = item as? [String: Any] else { throw bad(field, .wrongType(expected: "an object")) }
        guard let rawRole = message["role"] else { throw bad(field + ".role", .missing) }
        guard let role = rawRole as? String else { throw bad(field + ".role", .wrongType(expected: "a string")) }
        guard roles.contains(role) else { throw bad(field + ".role", .unknownRole(role)) }
        guard let rawContent = message["content"], !(rawContent is NSNull) else { throw bad(field + ".content", .missing) }
        guard let content = rawContent as? String else { throw bad(field + ".content", .wrongType(expected: "a string")) }
        guard !content.allSatisfy(\.isWhitespace) else { throw bad(field + ".content", .emptyContent) }
        var isTrained = role == "assistant"
        if let weight = message["weight"] {
            guard role == "assistant", let number = weight as? NSNumber,
                  number.doubleValue == 0 || number.doubleValue == 1
            else { throw bad(field + ".weight", .invalidWeight) }
            isTrained = number.doubleValue == 1
        }
        return (ChatMessage(role: role, content: content), isTrained)
    }

    /// Parses one line and applies the policy; blank lines are counted and passed over.
    private static func handle(
        line: [UInt8], source: SourceLine, policy: BadInputPolicy, report: inout ConversationFileReport,
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

    static func reason(_ error: Error) -> String {
        let text = (error as NSError).localizedFailureReason ?? error.localizedDescription
        return text.hasSuffix(".") ? String(text.dropLast()) : text
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

/// Reads a file in chunks and hands out its lines (without the newline, a trailing CR or a leading BOM), numbered from 1.
struct LineReader {
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]
    private let handle: FileHandle
    private let file: String
    private let chunkSize: Int
    private var buffer: [UInt8] = []
    private var start = 0
    /// Where the search for the next newline resumes (bytes before it, from `start`, hold none).
    private var scanned = 0
    private var atEnd = false
    private var number = 0

    init(handle: FileHandle, file: String, chunkSize: Int = 1 << 20) {
        self.handle = handle
        self.file = file
        self.chunkSize = chunkSize
    }

    /// The next line and its number, or nil at the end of the file.
    mutating func next() throws -> (Int, [UInt8])? {
        while true {
            if let newline = buffer[max(start, scanned)...].firstIndex(of: UInt8(ascii: "\n")) {
                return emit(upTo: newline, consumed: newline + 1)
            }
            scanned = buffer.count
            if atEnd {
                guard start < buffer.count else { return nil }
                return emit(upTo: buffer.count, consumed: buffer.count)
            }
            try fill()
        }
    }

    private mutating func emit(upTo end: Int, consumed: Int) -> (Int, [UInt8]) {
        number += 1
        var line = buffer[start..<end]
        if number == 1 && line.starts(with: Self.byteOrderMark) { line = line.dropFirst(3) }
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        start = consumed
        return (number, Array(line))
    }

    private mutating func fill() throws {
        if start > 0 {
            buffer.removeSubrange(0..<start)
            scanned -= start
            start = 0
        }
        let chunk: Data?
        do {
            chunk = try handle.read(upToCount: chunkSize)
        } catch {
            throw ConversationFileError.unreadable(file: file, reason: ConversationFile.reason(error))
        }
        guard let chunk, !chunk.isEmpty else {
            atEnd = true
            return
        }
        buffer.append(contentsOf: chunk)
    }
}
