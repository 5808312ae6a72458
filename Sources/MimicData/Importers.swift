// Importers of public chat and instruction datasets into conversation JSONL: ShareGPT JSON, HC3 JSONL, Alpaca
// JSON, OpenAI/TRL messages JSONL and plain prompt lists; streamed, malformed records skipped by position.
import Foundation
import MimicCore
import MimicTokenizers

/// The dataset layouts `Importer` reads.
public enum ImportFormat: String, ConfigChoice {
    /// A JSON array of `{"id":…,"conversations":[{"from":"human"|"gpt"|"system",…,"value":…}]}`; every turn is kept.
    case sharegpt
    /// JSONL of `{"question":…,"human_answers":[…],"chatgpt_answers":[…]}` (Hello-SimpleAI/HC3).
    case hc3
    /// A JSON array of `{"instruction":…,"input":…,"output":…}` (Stanford Alpaca): user = instruction, plus
    /// "\n\n" and the input when it is not empty; assistant = output.
    case alpaca
    /// JSONL of `{"messages":[{"role":…,"content":…}],"meta":{…}}` (OpenAI fine-tuning, TRL); `meta` is kept.
    case messages
    /// One prompt per non-blank line, each a user-only conversation.
    case prompts
    /// JSONL with the prompt in a field (`ImportOptions.field`, or the first of `PromptSource.defaultFields`).
    case promptsJSONL = "prompts-jsonl"
}

/// Settings of an import.
public struct ImportOptions: Sendable, Hashable {
    /// Which ChatGPT answers of an HC3 question become conversations.
    public enum HC3Answers: String, ConfigChoice {
        /// One conversation per answer (the default: HC3 has one answer per question almost everywhere).
        case all
        /// Only the first answer.
        case first
    }

    /// What to do with a conversation whose first turn after any system message is the assistant's (ShareGPT has
    /// many: a user turn lost in the dump). Strict chat templates (Llama 2, Mistral) refuse them.
    public enum LeadingAssistant: String, ConfigChoice {
        /// Keep it as it is (counted in the report).
        case keep
        /// Remove the assistant turns before the first user turn (a conversation left without one is dropped).
        case trim
        /// Drop the conversation.
        case drop
    }

    /// Convert HTML in message text to Markdown (`HTMLToMarkdown`), for ShareGPT dumps of web pages.
    public var htmlToMarkdown = false
    /// Conversations that begin with the assistant.
    public var leadingAssistant: LeadingAssistant = .keep
    /// Stop after this many records.
    public var limit: Int?
    /// The text field of `.promptsJSONL`.
    public var field: String?
    /// HC3 answers to keep.
    public var hc3Answers: HC3Answers = .all

    /// Creates settings.
    public init(htmlToMarkdown: Bool = false, limit: Int? = nil, field: String? = nil, hc3Answers: HC3Answers = .all,
                leadingAssistant: LeadingAssistant = .keep) {
        self.leadingAssistant = leadingAssistant
        self.htmlToMarkdown = htmlToMarkdown
        self.limit = limit
        self.field = field
        self.hc3Answers = hc3Answers
    }
}

/// What an import read, wrote and skipped.
public struct ImportReport: Codable, Sendable, Hashable {
    /// Items read (lines or array elements, blank lines excluded).
    public var items = 0
    /// Records produced.
    public var records = 0
    /// Malformed items skipped.
    public var malformed = 0
    /// The first malformed items, each with its position (`file:line: …` or `file: element N (byte B): …`).
    public var problems: [String] = []
    /// The file ends inside an item; every whole item before it was imported.
    public var truncated = false
    /// Where a truncated file stopped.
    public var stoppedAt: String?
    /// The import stopped at `ImportOptions.limit`.
    public var limited = false
    /// Conversations whose first turn after any system message is the assistant's (kept, trimmed or dropped as
    /// `ImportOptions.leadingAssistant` says).
    public var leadingAssistant = 0
    /// Conversations dropped for it (by `drop`, or by `trim` when no user turn was left).
    public var leadingAssistantDropped = 0

    /// An empty report.
    public init() {}

    mutating func note(_ problem: String) {
        malformed += 1
        if problems.count < LineReadReport.problemLimit { problems.append(problem) }
    }
}

/// Reads datasets of every `ImportFormat` as `ConversationRecord`s, in file order and constant memory.
/// `meta.source` names the file and the record's position (`file#N` for the N-th array element, `file:L` for
/// line L); `meta.generator` is "import-FORMAT".
public enum Importer {
    struct Stop: Error {}
    struct Bad: Error { let problem: String }

    /// Streams the records of `url` to `body`. A malformed item is skipped and reported with its position; a
    /// cut-off JSON array is not an error (the report says where it stopped). Throws only when the file cannot
    /// be read or does not have the format's overall shape (a JSON array for ShareGPT and Alpaca).
    public static func forEach(_ url: URL, format: ImportFormat, options: ImportOptions = ImportOptions(),
                               _ body: (ConversationRecord) throws -> Void) throws -> ImportReport {
        var report = ImportReport()
        var written = 0, limited = false, leading = 0, leadingDropped = 0  // kept apart from `report`, which the readers hold inout
        let generator = "import-\(format.rawValue)"
        func emit(_ messages: [ChatMessage], source: String, extra: [String: JSONValue] = [:], meta: RecordMeta? = nil,
                  fields: [String: JSONValue] = [:]) throws {
            if let limit = options.limit, written >= limit {
                limited = true
                throw Stop()
            }
            var meta = meta ?? RecordMeta()
            if let old = meta.source { meta.extra["origin"] = .string(old) }
            meta.source = source
            meta.generator = meta.generator ?? generator
            for (k, v) in extra { meta.extra[k] = v }
            var converted = messages
            let firstTurn = converted.firstIndex { $0.role != "system" }
            if let first = firstTurn, converted[first].role == "assistant" {
                leading += 1
                switch options.leadingAssistant {
                case .keep: break
                case .drop:
                    leadingDropped += 1
                    return
                case .trim:
                    guard let user = converted[first...].firstIndex(where: { $0.role == "user" }) else {
                        leadingDropped += 1
                        return
                    }
                    converted.removeSubrange(first..<user)
                }
            }
            if options.htmlToMarkdown {
                for i in converted.indices { converted[i].content = HTMLToMarkdown.convert(converted[i].content) }
            }
            written += 1
            try body(ConversationRecord(messages: converted, meta: meta, extra: fields))
        }
        do {
            switch format {
            case .sharegpt, .alpaca:
                try readArray(url, format: format, report: &report, emit: emit)
            case .hc3, .messages, .promptsJSONL:
                try readLines(url, format: format, options: options, report: &report, emit: emit)
            case .prompts:
                try LineStream.forEachLine(of: url) { number, bytes in
                    let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
                    guard !text.isEmpty else { return }
                    report.items += 1
                    try emit([ChatMessage(role: "user", content: text)], source: "\(url.path):\(number)")
                }
            }
        } catch is Stop {}
        report.records = written
        report.limited = limited
        report.leadingAssistant = leading
        report.leadingAssistantDropped = leadingDropped
        return report
    }

    /// Imports `input` into the conversation JSONL file `output`, written atomically.
    public static func importFile(_ input: URL, format: ImportFormat, to output: URL,
                                  options: ImportOptions = ImportOptions()) throws -> ImportReport {
        let writer = try JSONLinesWriter(url: output)
        let report = try forEach(input, format: format, options: options) { try writer.write($0) }
        try writer.finish()
        return report
    }

    /// Messages, source, meta extras, meta read from the line, and the line's other top-level fields.
    typealias Emit = ([ChatMessage], String, [String: JSONValue], RecordMeta?, [String: JSONValue]) throws -> Void

    static func readArray(_ url: URL, format: ImportFormat, report: inout ImportReport, emit: Emit) throws {
        var index = 0
        let end = try JSONArrayStream.forEachElement(of: url) { bytes, offset in
            index += 1
            report.items += 1
            do {
                guard let root = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
                    throw Bad(problem: "not a JSON object")
                }
                var extra: [String: JSONValue] = [:]
                if let id = root["id"] as? String { extra["id"] = .string(id) }
                let messages = format == .sharegpt ? try shareGPT(root) : try alpaca(root)
                try emit(messages, "\(url.path)#\(index)", extra, nil, [:])
            } catch let bad as Bad {
                report.note("\(url.path): element \(index) (byte \(offset)): \(bad.problem)")
            }
        }
        if case .truncated(let offset) = end {
            report.truncated = true
            report.stoppedAt = "byte \(offset), after \(index) whole elements (the file is cut off inside element \(index + 1))"
        }
    }

    static func shareGPT(_ root: [String: Any]) throws -> [ChatMessage] {
        guard let list = (root["conversations"] ?? root["messages"]) as? [Any] else { throw Bad(problem: "missing field conversations") }
        let messages: [ChatMessage]
        do {
            messages = try PromptSource.messageList(list)
        } catch PromptSource.PromptLineError.bad(let problem) {
            throw Bad(problem: problem.replacingOccurrences(of: "messages[", with: "conversations["))
        }
        guard messages.contains(where: { $0.role == "user" }) else { throw Bad(problem: "no human turn") }
        return messages
    }

    static func alpaca(_ root: [String: Any]) throws -> [ChatMessage] {
        guard let instruction = root["instruction"] as? String,
              !instruction.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw Bad(problem: "missing or empty field instruction")
        }
        guard let output = root["output"] as? String else { throw Bad(problem: "missing field output (a string)") }
        if let input = root["input"], !(input is String) && !(input is NSNull) { throw Bad(problem: "field input is not a string") }
        let input = (root["input"] as? String) ?? ""
        let user = input.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? instruction : instruction + "\n\n" + input
        return [ChatMessage(role: "user", content: user), ChatMessage(role: "assistant", content: output)]
    }

    static func readLines(_ url: URL, format: ImportFormat, options: ImportOptions,
                          report: inout ImportReport, emit: Emit) throws {
        try LineStream.forEachLine(of: url) { number, bytes in
            guard bytes.contains(where: { !JSONLines.isSpace($0) }) else { return }
            report.items += 1
            let source = "\(url.path):\(number)"
            do {
                guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) else { throw Bad(problem: "not valid JSON") }
                guard let root = object as? [String: Any] else { throw Bad(problem: "not a JSON object") }
                switch format {
                case .hc3:
                    for (answer, messages) in try hc3(root, options.hc3Answers) {
                        var extra: [String: JSONValue] = ["hc3_answer": .int(answer)]
                        if let id = root["id"] as? String { extra["id"] = .string(id) }
                        if let id = root["id"] as? Int { extra["id"] = .int(id) }
                        if let from = root["source"] as? String { extra["hc3_source"] = .string(from) }
                        try emit(messages, source, extra, nil, [:])
                    }
                case .messages:
                    let (messages, meta, fields) = try messagesLine(root)
                    try emit(messages, source, [:], meta, fields)
                default:
                    let text: String
                    do {
                        text = try PromptSource.textField(root, field: options.field)
                    } catch PromptSource.PromptLineError.bad(let problem) {
                        throw Bad(problem: problem)
                    }
                    try emit([ChatMessage(role: "user", content: text)], source, [:], nil, [:])
                }
            } catch let bad as Bad {
                report.note("\(source): \(bad.problem)")
            }
        }
    }

    static func hc3(_ root: [String: Any], _ which: ImportOptions.HC3Answers) throws -> [(Int, [ChatMessage])] {
        guard let question = root["question"] as? String,
              !question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw Bad(problem: "missing or empty field question")
        }
        guard let answers = root["chatgpt_answers"] as? [Any] else { throw Bad(problem: "missing field chatgpt_answers (a list)") }
        let texts = answers.compactMap { $0 as? String }.filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        guard texts.count == answers.count else { throw Bad(problem: "chatgpt_answers holds a value that is not a non-empty string") }
        guard !texts.isEmpty else { throw Bad(problem: "chatgpt_answers is empty") }
        let chosen = which == .first ? Array(texts.prefix(1)) : texts
        return chosen.enumerated().map { i, answer in
            (i, [ChatMessage(role: "user", content: question), ChatMessage(role: "assistant", content: answer)])
        }
    }

    /// A messages line's turns, its `meta`, and its other top-level fields (kept on the record).
    static func messagesLine(_ root: [String: Any]) throws -> ([ChatMessage], RecordMeta?, [String: JSONValue]) {
        guard let list = (root["messages"] ?? root["conversations"]) as? [Any] else {
            throw Bad(problem: "missing field messages (an array of turns)")
        }
        let messages: [ChatMessage]
        do {
            messages = try PromptSource.messageList(list)
        } catch PromptSource.PromptLineError.bad(let problem) {
            throw Bad(problem: problem)
        }
        guard messages.contains(where: { $0.role == "user" }) else { throw Bad(problem: "messages has no user turn") }
        var meta: RecordMeta?
        if let object = root["meta"] {
            guard let data = try? JSONSerialization.data(withJSONObject: object),
                  let decoded = try? JSONDecoder().decode(RecordMeta.self, from: data) else {
                throw Bad(problem: "field meta is not a valid meta object")
            }
            meta = decoded
        }
        var fields: [String: JSONValue] = [:]
        for (key, value) in root where !["messages", "conversations", "meta"].contains(key) {
            guard let json = try? JSONValue(jsonObject: value) else { throw Bad(problem: "field \(key) is not JSON") }
            fields[key] = json
        }
        return (messages, meta, fields)
    }
}
