// JSON Lines: the file errors every reader and writer reports (naming file and line), the one bad-line policy,
// a chunked line reader, and a streaming atomic writer. Records of any Codable type go through them.
import Foundation

/// What to do with bad input: a line that is not a valid record, or a record that cannot be used (a training
/// example that does not fit its template). One policy for every reader and step.
public enum BadInputPolicy: String, ConfigChoice {
    /// Skip it, count it and keep its description in the report.
    case skip
    /// Throw at the first one (`RecordFileError.malformedLine` for a line).
    case fail
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

    /// Counts a malformed line and keeps its description while there is room.
    public mutating func note(_ error: RecordFileError) {
        malformed += 1
        if problems.count < Self.problemLimit { problems.append(error.localizedDescription) }
    }
}

/// Reading JSON Lines files of any `Decodable` record.
public enum JSONLines {
    /// Streams the decoded lines of `url` to `body` (record, 1-based line number) in file order. Blank lines are
    /// ignored; a malformed line throws `RecordFileError.malformedLine` (policy `.fail`) or is counted in the report.
    public static func forEach<T: Decodable>(_ type: T.Type, in url: URL, policy: BadInputPolicy = .fail,
                                             _ body: (T, Int) throws -> Void) throws -> LineReadReport {
        var report = LineReadReport()
        let decoder = JSONDecoder()
        try LineStream.forEachLine(of: url) { number, bytes in
            report.lines = number
            guard bytes.contains(where: { !isSpace($0) }) else { return }
            let record: T
            do {
                record = try decoder.decode(T.self, from: Data(bytes))
            } catch {
                let failure = RecordFileError.malformedLine(file: url.path, line: number, problem: describe(error))
                if policy == .fail { throw failure }
                report.note(failure)
                return
            }
            report.items += 1
            try body(record, number)
        }
        return report
    }

    /// Every line of `url` decoded, in order, as `forEach` with the `.fail` policy reads them (blank lines ignored; a
    /// malformed line throws `RecordFileError.malformedLine` naming the first one), but `batch` lines to a decoder
    /// call and the batches shared out over the cores: what a file of many small records (judgments) needs.
    public static func decodeAll<T: Decodable>(_ type: T.Type, in url: URL, batch: Int = 4096) throws -> [T] {
        var batches: [[(Int, ArraySlice<UInt8>)]] = [[]]
        try LineStream.forEachLine(of: url) { number, bytes in
            guard bytes.contains(where: { !isSpace($0) }) else { return }
            if batches[batches.count - 1].count >= max(batch, 1) { batches.append([]) }
            batches[batches.count - 1].append((number, bytes))
        }
        let decoded = ParallelMap.run(batches.count, threads: ProcessInfo.processInfo.activeProcessorCount, chunk: 1,
                                      state: {}) { index, _ in
            Result { try decodeBatch(T.self, batches[index], file: url.path) }
        }
        var out: [T] = []
        out.reserveCapacity(batches.reduce(0) { $0 + $1.count })
        for result in decoded { out += try result.get() }
        return out
    }

    /// One batch of numbered lines decoded as one JSON array; when that fails, line by line, to name the bad one.
    private static func decodeBatch<T: Decodable>(_ type: T.Type, _ lines: [(Int, ArraySlice<UInt8>)],
                                                  file: String) throws -> [T] {
        guard !lines.isEmpty else { return [] }
        let decoder = JSONDecoder()
        var array: [UInt8] = [0x5B]
        array.reserveCapacity(lines.reduce(2) { $0 + $1.1.count + 1 })
        for (i, entry) in lines.enumerated() {
            if i > 0 { array.append(0x2C) }
            array.append(contentsOf: entry.1)
        }
        array.append(0x5D)
        if let decoded = try? decoder.decode([T].self, from: Data(array)), decoded.count == lines.count {
            return decoded
        }
        return try lines.map { number, line in
            do { return try decoder.decode(T.self, from: Data(line)) } catch {
                throw RecordFileError.malformedLine(file: file, line: number, problem: describe(error))
            }
        }
    }

    /// Whether a byte is JSON white space.
    public static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }

    /// One line's decoding error in words, naming the field (`messages[0].role`).
    public static func describe(_ error: Error) -> String {
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

    /// A coding path as `a.b[2].c`.
    public static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }
}

/// Reads a file line by line in chunks (memory bounded by the longest line), numbering lines from 1 and
/// dropping a UTF-8 byte-order mark and `\r` line ends.
public enum LineStream {
    /// Calls `body` with each line's number and bytes (without its line end).
    public static func forEachLine(of url: URL, chunkSize: Int = 1 << 20, _ body: (Int, ArraySlice<UInt8>) throws -> Void) throws {
        let handle = try open(url)
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

    /// Opens `url` for reading; `RecordFileError.unreadable` naming it when it cannot be.
    public static func open(_ url: URL) throws -> FileHandle {
        do {
            return try FileHandle(forReadingFrom: url)
        } catch {
            throw RecordFileError.unreadable(file: url.path, reason: error.localizedDescription)
        }
    }

    static func clean(_ line: ArraySlice<UInt8>, first: Bool) -> ArraySlice<UInt8> {
        var line = line
        if first && line.starts(with: [0xEF, 0xBB, 0xBF]) { line = line.dropFirst(3) }
        if line.last == 0x0D { line = line.dropLast() }
        return line
    }
}

/// Writes lines one at a time in constant memory to a temporary file beside the target; `finish()` syncs it and
/// renames it over the target, so an interrupted run leaves the old file.
public final class JSONLinesWriter {
    /// The file being written.
    public let url: URL
    /// Lines written so far.
    public private(set) var count = 0
    let temp: String
    let handle: FileHandle
    var buffer = Data()
    var done = false
    let encoder: JSONEncoder

    /// Starts writing `url` (through a temporary file in the same folder).
    public init(url: URL) throws {
        self.url = url
        temp = AtomicFile.temporaryPath(beside: url.path)
        guard FileManager.default.createFile(atPath: temp, contents: nil), let handle = FileHandle(forWritingAtPath: temp) else {
            try? FileManager.default.removeItem(atPath: temp)
            throw RecordFileError.unwritable(file: url.path, reason: "cannot create \(temp)")
        }
        self.handle = handle
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    deinit {
        if !done {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temp)
        }
    }

    /// Writes `values` to `url` as JSONL (sorted keys), atomically.
    public static func write<T: Encodable>(_ values: [T], to url: URL) throws {
        let writer = try JSONLinesWriter(url: url)
        for value in values { try writer.write(value) }
        try writer.finish()
    }

    /// Appends one value as a line of JSON (sorted keys).
    public func write<T: Encodable>(_ value: T) throws {
        do {
            buffer.append(try encoder.encode(value))
        } catch {
            throw RecordFileError.unwritable(file: url.path, reason: "a record cannot be encoded: \(error)")
        }
        buffer.append(0x0A)
        count += 1
        if buffer.count >= 1 << 20 { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            throw RecordFileError.unwritable(file: url.path, reason: error.localizedDescription)
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes, syncs and renames the temporary file over `url`.
    public func finish() throws {
        guard !done else { return }
        try flush()
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            throw RecordFileError.unwritable(file: url.path, reason: error.localizedDescription)
        }
        done = true
        do {
            try AtomicFile.rename(temp, to: url.path)
        } catch {
            try? FileManager.default.removeItem(atPath: temp)
            throw error
        }
    }
}
