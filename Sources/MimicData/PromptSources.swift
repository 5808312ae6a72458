// Prompt readers for replay and the synthetic generators: JSONL with `messages`, JSONL with a text field,
// plain text (one prompt a line) and ShareGPT JSON, all streamed, a cut-off file read up to its last whole item.
import Foundation
import MimicCore
import MimicTokenizers

/// One input conversation (or single prompt) to send to a teacher.
public struct PromptConversation: Sendable, Hashable {
    /// The item's id: ShareGPT's `id`, a JSONL line's `id`, or "line N".
    public var id: String
    /// Where it came from, for provenance: `file:line` or `file#id`.
    public var source: String
    /// The turns as read (roles normalised to system / user / assistant).
    public var messages: [ChatMessage]

    /// Creates a prompt conversation.
    public init(id: String, source: String, messages: [ChatMessage]) {
        self.id = id
        self.source = source
        self.messages = messages
    }

    /// The user turns, in order.
    public var userTurns: [String] { messages.filter { $0.role == "user" }.map(\.content) }
    /// The system prompt, if the conversation opens with one.
    public var systemPrompt: String? { messages.first?.role == "system" ? messages.first?.content : nil }
}

/// The layout of a prompt file.
public enum PromptFormat: Sendable, Hashable {
    /// Decide from the extension and the first bytes: `.json` holding an array is ShareGPT; JSONL lines with
    /// `messages` are conversations, other JSONL lines use a text field; anything else is plain text.
    case auto
    /// JSONL, each line `{"messages":[{"role":…,"content":…}]}` (OpenAI / TRL).
    case messagesJSONL
    /// JSONL, each line an object whose text is in `field`; nil tries `prompt`, `instruction` (with a
    /// non-empty `input` appended), `question`, `post`, `content`, `text`, `document`.
    case fieldJSONL(String?)
    /// One prompt per non-blank line.
    case plainText
    /// A ShareGPT JSON array: `[{"id":…,"conversations":[{"from":"human"|"gpt"|…,"value":…}]}]`.
    case shareGPT
}

/// What reading a prompt file found.
public struct PromptReadReport: Sendable, Hashable {
    /// Items handed on.
    public var items = 0
    /// Malformed items skipped (and the first of them described in `problems`).
    public var malformed = 0
    /// Descriptions of the first malformed items.
    public var problems: [String] = []
    /// The file ends inside an item (a cut-off download); every whole item before it was read.
    public var truncated = false
    /// Where reading stopped when `truncated`: byte offset and what came before it.
    public var stoppedAt: String?

    /// An empty report.
    public init() {}

    mutating func note(_ problem: String) {
        malformed += 1
        if problems.count < LineReadReport.problemLimit { problems.append(problem) }
    }
}

/// Reads prompt files of every `PromptFormat`.
public enum PromptSource {
    /// Text fields tried, in order, by `.fieldJSONL(nil)`.
    public static let defaultFields = ["prompt", "instruction", "question", "post", "content", "text", "document"]

    /// Streams the prompts of `url` to `body`, in file order, and returns the report. A malformed item throws
    /// `RecordFileError.malformedLine` under `.fail` or is counted under `.skip`; a ShareGPT file that
    /// is cut off is not an error: the whole items are read and the report says where it stopped.
    public static func forEach(_ url: URL, format: PromptFormat = .auto, policy: BadInputPolicy = .fail,
                               _ body: (PromptConversation) throws -> Void) throws -> PromptReadReport {
        let resolved = try format == .auto ? detect(url) : format
        var report = PromptReadReport()
        func bad(_ line: Int, _ problem: String) throws {
            let failure = RecordFileError.malformedLine(file: url.path, line: line, problem: problem)
            if policy == .fail { throw failure }
            report.note(failure.localizedDescription)
        }
        switch resolved {
        case .shareGPT:
            try ShareGPTReader.read(url, policy: policy, report: &report, body)
            return report
        case .auto, .messagesJSONL, .fieldJSONL, .plainText:
            try LineStream.forEachLine(of: url) { number, bytes in
                guard bytes.contains(where: { !JSONLines.isSpace($0) }) else { return }
                let source = "\(url.path):\(number)"
                do {
                    guard let prompt = try parse(line: bytes, format: resolved, number: number, source: source) else { return }
                    report.items += 1
                    try body(prompt)
                } catch let PromptLineError.bad(problem) {
                    try bad(number, problem)
                }
            }
            return report
        }
    }

    /// Reads every prompt of `url` into memory, with the report.
    public static func read(_ url: URL, format: PromptFormat = .auto,
                            policy: BadInputPolicy = .fail) throws -> ([PromptConversation], PromptReadReport) {
        var prompts: [PromptConversation] = []
        let report = try forEach(url, format: format, policy: policy) { prompts.append($0) }
        return (prompts, report)
    }

    /// The format `.auto` picks for `url`.
    public static func detect(_ url: URL) throws -> PromptFormat {
        let handle = try LineStream.open(url)
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 1 << 16)) ?? Data())
        let first = head.first { !JSONLines.isSpace($0) && $0 != 0xEF && $0 != 0xBB && $0 != 0xBF }
        if first == UInt8(ascii: "[") { return .shareGPT }
        let ext = url.pathExtension.lowercased()
        guard first == UInt8(ascii: "{") || ext == "jsonl" else { return .plainText }
        let firstLine = head.split(separator: 0x0A).first { $0.contains { !JSONLines.isSpace($0) } } ?? []
        let object = try? JSONSerialization.jsonObject(with: Data(firstLine)) as? [String: Any]
        return object?["messages"] != nil || object?["conversations"] != nil ? .messagesJSONL : .fieldJSONL(nil)
    }

    enum PromptLineError: Error { case bad(String) }

    static func parse(line: ArraySlice<UInt8>, format: PromptFormat, number: Int,
                      source: String) throws -> PromptConversation? {
        if format == .plainText {
            let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            return PromptConversation(id: "line \(number)", source: source, messages: [ChatMessage(role: "user", content: text)])
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) else { throw PromptLineError.bad("not valid JSON") }
        guard let root = object as? [String: Any] else { throw PromptLineError.bad("not a JSON object") }
        let id = (root["id"] as? String) ?? (root["id"] as? Int).map(String.init) ?? "line \(number)"
        if case .fieldJSONL(let field) = format {
            let text = try textField(root, field: field)
            return PromptConversation(id: id, source: source, messages: [ChatMessage(role: "user", content: text)])
        }
        let turns = root["messages"] ?? root["conversations"]
        guard let list = turns as? [Any] else { throw PromptLineError.bad("missing field messages (an array of turns)") }
        let messages = try messageList(list)
        guard messages.contains(where: { $0.role == "user" }) else { throw PromptLineError.bad("messages has no user turn") }
        return PromptConversation(id: id, source: source, messages: messages)
    }

    static func textField(_ root: [String: Any], field: String?) throws -> String {
        let candidates = field.map { [$0] } ?? defaultFields
        for name in candidates {
            guard let text = root[name] as? String else { continue }
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw PromptLineError.bad("field \(name) is empty") }
            if name == "instruction", let input = root["input"] as? String, !input.isEmpty { return text + "\n\n" + input }
            return text
        }
        throw PromptLineError.bad("no text field (looked for \(candidates.joined(separator: ", ")))")
    }

    /// Turns in OpenAI (`role`/`content`) or ShareGPT (`from`/`value`) form, roles normalised.
    static func messageList(_ list: [Any]) throws -> [ChatMessage] {
        var messages: [ChatMessage] = []
        for (index, item) in list.enumerated() {
            guard let turn = item as? [String: Any] else { throw PromptLineError.bad("messages[\(index)] is not an object") }
            guard let rawRole = (turn["role"] ?? turn["from"]) as? String else {
                throw PromptLineError.bad("messages[\(index)] has no role (or from)")
            }
            guard let role = normalRole(rawRole) else { throw PromptLineError.bad("messages[\(index)] has unknown role \"\(rawRole)\"") }
            guard let content = (turn["content"] ?? turn["value"]) as? String else {
                throw PromptLineError.bad("messages[\(index)] has no text content (or value)")
            }
            messages.append(ChatMessage(role: role, content: content, extra: try otherFields(of: turn)))
        }
        return messages
    }

    /// A turn's keys other than its role and text (`weight`, `name`, `tool_calls`, …), kept on the message.
    static func otherFields(of turn: [String: Any]) throws -> [String: JSONValue] {
        var extra: [String: JSONValue] = [:]
        for (key, value) in turn where !["role", "from", "content", "value"].contains(key) {
            do {
                extra[key] = try JSONValue(jsonObject: value)
            } catch {
                throw PromptLineError.bad("field \(key) of a turn is not JSON")
            }
        }
        return extra
    }

    /// system / user / assistant for the role names of OpenAI and ShareGPT; nil for an unknown one.
    public static func normalRole(_ raw: String) -> String? {
        switch raw.lowercased() {
        case "system": return "system"
        case "user", "human": return "user"
        case "assistant", "gpt", "chatgpt", "bard", "bing", "model": return "assistant"
        default: return nil
        }
    }
}

/// ShareGPT JSON: a top-level array streamed one element at a time.
enum ShareGPTReader {
    static func read(_ url: URL, policy: BadInputPolicy, report: inout PromptReadReport,
                     _ body: (PromptConversation) throws -> Void) throws {
        var index = 0
        let end = try JSONArrayStream.forEachElement(of: url) { bytes, offset in
            index += 1
            let where_ = "\(url.path): element \(index) (byte \(offset))"
            do {
                let prompt = try conversation(bytes, index: index, file: url.path)
                report.items += 1
                try body(prompt)
            } catch let PromptSource.PromptLineError.bad(problem) {
                if policy == .fail {
                    throw RecordFileError.badFormat(file: url.path, problem: "element \(index) (byte \(offset)): \(problem)")
                }
                report.note("\(where_): \(problem)")
            }
        }
        switch end {
        case .complete: break
        case .truncated(let offset):
            report.truncated = true
            report.stoppedAt = "byte \(offset), after \(index) whole elements (the file is cut off inside element \(index + 1))"
        }
    }

    static func conversation(_ bytes: ArraySlice<UInt8>, index: Int, file: String) throws -> PromptConversation {
        guard let root = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw PromptSource.PromptLineError.bad("not a JSON object")
        }
        let id = (root["id"] as? String) ?? "\(index)"
        guard let list = (root["conversations"] ?? root["messages"]) as? [Any] else {
            throw PromptSource.PromptLineError.bad("missing field conversations")
        }
        let messages = try PromptSource.messageList(list)
        guard messages.contains(where: { $0.role == "user" }) else { throw PromptSource.PromptLineError.bad("no human turn") }
        return PromptConversation(id: id, source: "\(file)#\(id)", messages: messages)
    }
}

/// Streams the elements of a top-level JSON array, each as its bytes, without reading the whole file;
/// a file cut off mid-element ends with `.truncated` after every whole element was handed on.
enum JSONArrayStream {
    enum End: Equatable { case complete, truncated(offset: Int) }

    static func forEachElement(of url: URL, chunkSize: Int = 1 << 20,
                               _ body: (ArraySlice<UInt8>, Int) throws -> Void) throws -> End {
        let handle = try LineStream.open(url)
        defer { try? handle.close() }
        var buffer: [UInt8] = []
        var base = 0  // the file offset of buffer[0]
        var pos = 0
        var depth = 0, inString = false, escape = false, opened = false, closed = false
        var elementStart: Int?
        while true {
            let chunk = (try? handle.read(upToCount: chunkSize)) ?? nil
            guard let chunk, !chunk.isEmpty else { break }
            buffer.append(contentsOf: chunk)
            while pos < buffer.count {
                let b = buffer[pos]
                defer { pos += 1 }
                if inString {
                    if escape { escape = false } else if b == 0x5C { escape = true } else if b == 0x22 { inString = false }
                    continue
                }
                switch b {
                case 0x22: inString = true
                case 0x5B, 0x7B:  // [ {
                    if depth == 0 {
                        guard b == 0x5B, !opened else { throw notArray(url, at: base + pos) }
                        opened = true
                    } else if depth == 1 {
                        elementStart = pos
                    }
                    depth += 1
                case 0x5D, 0x7D:  // ] }
                    depth -= 1
                    if depth == 1, let start = elementStart {
                        try body(buffer[start...pos], base + start)
                        elementStart = nil
                    } else if depth == 0 {
                        closed = true
                    }
                default:
                    if depth == 0 && !JSONLines.isSpace(b) && !(b == 0xEF || b == 0xBB || b == 0xBF) {
                        throw notArray(url, at: base + pos)
                    }
                }
            }
            // Keep only the unfinished element (or nothing) for the next chunk.
            let keep = elementStart ?? buffer.count
            buffer.removeFirst(keep)
            base += keep
            pos -= keep
            if let start = elementStart { elementStart = start - keep }
        }
        guard opened else { throw RecordFileError.badFormat(file: url.path, problem: "empty file, expected a JSON array") }
        return closed ? .complete : .truncated(offset: base + (elementStart ?? buffer.count))
    }

    static func notArray(_ url: URL, at offset: Int) -> RecordFileError {
        .badFormat(file: url.path, problem: "byte \(offset): expected one JSON array of conversations (ShareGPT format)")
    }
}
