// Loaders for each evaluation dataset's published format: MMLU's per-subject CSVs, NQ-open, GSM8K, HumanEval
// (JSONL or JSONL.gz), CNN/DailyMail (JSONL or CSV), RealToxicityPrompts, and any JSONL.
import CSandbox
import Foundation
import MimicCore
import MimicData

/// Reads datasets into documents with normalised fields (see tasks/README.md for each format's fields).
public enum DatasetLoader {
    /// The formats known by name.
    public static let formats: Set<String> = ["mmlu", "nq_open", "gsm8k", "humaneval", "cnn_dailymail", "realtoxicityprompts", "jsonl"]

    /// Loads `path` in `format`; `split` picks MMLU's folder of CSVs.
    public static func load(format: String, path: String, split: String? = nil) throws -> [Document] {
        switch format {
        case "mmlu": return try mmlu(folder: path, split: split ?? "test")
        case "nq_open": return try jsonl(path).map(nqOpen)
        case "gsm8k": return try jsonl(path).map(gsm8k)
        case "humaneval": return try jsonl(path).map(humanEval)
        case "cnn_dailymail": return try (path.hasSuffix(".csv") ? csvRecords(path) : jsonl(path)).map(cnnDailyMail)
        case "realtoxicityprompts": return try jsonl(path).map(realToxicity)
        case "jsonl": return try jsonl(path)
        default: throw EvalError.invalidArgument("unknown dataset format '\(format)'; known: \(formats.sorted().joined(separator: ", "))")
        }
    }

    // MARK: formats

    /// MMLU: `folder/SPLIT/SUBJECT_SPLIT.csv` files (no header: question, A, B, C, D, answer letter), subjects in name order.
    static func mmlu(folder: String, split: String) throws -> [Document] {
        let dir = folder + "/" + split
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            throw EvalError.fileNotFound(dir, hint: "MMLU wants a folder with \(split)/SUBJECT_\(split).csv files (the Hendrycks data/ folder)")
        }
        let suffix = "_\(split).csv"
        let files = names.filter { $0.hasSuffix(suffix) }.sorted()
        guard !files.isEmpty else { throw EvalError.fileNotFound(dir + "/*" + suffix, hint: "no MMLU CSV files of split \(split) there") }
        var docs: [Document] = []
        for file in files {
            let subject = String(file.dropLast(suffix.count)), path = dir + "/" + file
            for (row, cells) in try CSV.parse(path).enumerated() {
                let position = "row \(row + 1)"
                guard cells.count == 6 else {
                    throw EvalError.invalidData(file: path, position: position, problem: "has \(cells.count) columns; MMLU rows have 6 (question, A, B, C, D, answer)")
                }
                let answer = cells[5].trimmingCharacters(in: .whitespaces).uppercased()
                guard ["A", "B", "C", "D"].contains(answer) else {
                    throw EvalError.invalidData(file: path, position: position, problem: "answer '\(cells[5])' is not one of A, B, C, D")
                }
                docs.append(Document(fields: [
                    "question": .string(cells[0].trimmingCharacters(in: .whitespacesAndNewlines)), "A": .string(cells[1]), "B": .string(cells[2]), "C": .string(cells[3]),
                    "D": .string(cells[4]), "answer": .string(answer), "subject": .string(subject),
                    "subject_name": .string(subject.replacingOccurrences(of: "_", with: " ")),
                    "choices": .array(cells[1...4].map { .string($0) }),
                ], source: "\(path): \(position)"))
            }
        }
        return docs
    }

    static func nqOpen(_ doc: Document) throws -> Document {
        var d = doc
        _ = try require(doc, "question", as: "a string")
        guard let answers = doc.list("answer"), !answers.isEmpty else { throw bad(doc, "field 'answer' must be a non-empty list of strings") }
        d.fields["answers"] = .array(answers.map { .string($0) })
        d.fields["answer"] = .string(answers[0])
        return d
    }

    static func gsm8k(_ doc: Document) throws -> Document {
        var d = doc
        _ = try require(doc, "question", as: "a string")
        let answer = try require(doc, "answer", as: "a string")
        guard let mark = answer.range(of: "####", options: .backwards) else {
            throw bad(doc, "field 'answer' has no '#### N' final answer")
        }
        d.fields["rationale"] = .string(answer[..<mark.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines))
        d.fields["final_answer"] = .string(answer[mark.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: ",", with: ""))
        return d
    }

    static func humanEval(_ doc: Document) throws -> Document {
        for field in ["task_id", "prompt", "test", "entry_point"] { _ = try require(doc, field, as: "a string") }
        return doc
    }

    static func cnnDailyMail(_ doc: Document) throws -> Document {
        _ = try require(doc, "article", as: "a string")
        _ = try require(doc, "highlights", as: "a string")
        return doc
    }

    static func realToxicity(_ doc: Document) throws -> Document {
        var d = doc
        guard case .object(let prompt)? = doc.fields["prompt"], case .string(let text)? = prompt["text"] else {
            throw bad(doc, "field 'prompt' must be an object with a 'text' string")
        }
        d.fields["prompt_text"] = .string(text)
        if let tox = prompt["toxicity"] { d.fields["prompt_toxicity"] = tox }
        return d
    }

    // MARK: files

    /// Every line of a JSONL file (or .jsonl.gz) as a document of its top-level fields; blank lines are skipped.
    public static func jsonl(_ path: String) throws -> [Document] {
        let data = try read(path)
        var docs: [Document] = [], line = 0
        for raw in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            line += 1
            let trimmed = raw.drop { $0 == 32 || $0 == 9 || $0 == 13 }
            if trimmed.isEmpty { continue }
            guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(raw)), case .object(let object) = value else {
                throw EvalError.invalidData(file: path, position: "\(line)", problem: "not a JSON object; fix or remove the line")
            }
            docs.append(Document(fields: object, source: "\(path):\(line)"))
        }
        return docs
    }

    /// A CSV file with a header row, as documents keyed by the header's names.
    static func csvRecords(_ path: String) throws -> [Document] {
        let rows = try CSV.parse(path)
        guard let header = rows.first else { return [] }
        if let repeated = Dictionary(grouping: header, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
            throw EvalError.invalidData(file: path, position: "row 1", problem: "the header names column '\(repeated)' twice; rename one")
        }
        return try rows.dropFirst().enumerated().map { i, cells in
            guard cells.count == header.count else {
                throw EvalError.invalidData(file: path, position: "row \(i + 2)", problem: "has \(cells.count) columns, the header \(header.count)")
            }
            return Document(fields: Dictionary(uniqueKeysWithValues: zip(header, cells.map { JSONValue.string($0) })),
                            source: "\(path): row \(i + 2)")
        }
    }

    /// A file's bytes; `.gz` files are decompressed with gzip.
    static func read(_ path: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw EvalError.fileNotFound(path, hint: "check --data-dir or the task's dataset.path") }
        guard path.hasSuffix(".gz") else {
            guard let data = FileManager.default.contents(atPath: path) else { throw EvalError.fileNotFound(path, hint: "the file cannot be read") }
            return data
        }
        return try Gzip.decompress(path)
    }

    static func require(_ doc: Document, _ field: String, as kind: String) throws -> String {
        guard case .string(let s)? = doc.fields[field] else { throw bad(doc, "field '\(field)' must be \(kind)") }
        return s
    }

    static func bad(_ doc: Document, _ problem: String) -> EvalError {
        let parts = doc.source.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let file = parts.count == 2 ? String(parts[0]) : doc.source
        let position = parts.count == 2 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : "?"
        return .invalidData(file: file, position: position, problem: problem)
    }
}

/// gzip decompression with zlib (through CSandbox's helper).
enum Gzip {
    static func decompress(_ path: String) throws -> Data {
        var bytes: UnsafeMutablePointer<CChar>?
        var count = 0
        let rc = csandbox_gunzip_file(path, &bytes, &count)
        guard rc == 0, let bytes else {
            let reason = rc == -EILSEQ ? "not valid gzip data" : String(cString: strerror(-rc))
            throw EvalError.invalidData(file: path, position: "0", problem: "cannot read it (\(reason))")
        }
        defer { free(bytes) }
        return Data(bytes: bytes, count: count)
    }
}

/// RFC 4180 CSV: commas, double-quoted fields with doubled quotes, newlines inside quotes; CRLF or LF rows.
enum CSV {
    static func parse(_ path: String) throws -> [[String]] {
        let bytes = [UInt8](try DatasetLoader.read(path))
        var rows: [[String]] = [], row: [String] = [], field: [UInt8] = []
        var i = 0, inQuotes = false, quotedField = false, line = 1
        func endField() { row.append(String(decoding: field, as: UTF8.self)); field.removeAll(keepingCapacity: true); quotedField = false }
        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") { field.append(b); i += 1 } else { inQuotes = false }
                } else {
                    if b == 10 { line += 1 }
                    field.append(b)
                }
            } else if b == UInt8(ascii: "\"") && field.isEmpty && !quotedField {
                inQuotes = true
                quotedField = true
            } else if b == UInt8(ascii: ",") {
                endField()
            } else if b == 10 || b == 13 {
                if b == 13 && i + 1 < bytes.count && bytes[i + 1] == 10 { i += 1 }
                endField()
                rows.append(row)
                row = []
                line += 1
            } else {
                field.append(b)
            }
            i += 1
        }
        if inQuotes { throw EvalError.invalidData(file: path, position: "line \(line)", problem: "a quoted field is not closed before the end of the file") }
        if !field.isEmpty || !row.isEmpty || quotedField { endField(); rows.append(row) }
        return rows.filter { !($0.count == 1 && $0[0].isEmpty) }
    }
}
