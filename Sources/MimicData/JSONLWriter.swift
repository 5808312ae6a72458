// JSONLWriter: a streaming, atomic conversation JSONL writer: lines go to a temporary file beside the target,
// which replaces the target only on `finish()` (an interrupted run leaves the old file).
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes records one at a time in constant memory; `finish()` renames the temporary file over the target.
public final class JSONLWriter {
    /// The file being written.
    public let url: URL
    /// Records written so far.
    public private(set) var count = 0
    let temp: URL
    let handle: FileHandle
    var buffer = Data()
    var done = false

    /// Starts writing `url` (through a temporary file in the same folder).
    public init(url: URL) throws {
        self.url = url
        temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: temp.path, contents: nil) else {
            throw RecordFileError.unwritable(file: url.path, reason: "cannot create \(temp.path)")
        }
        do {
            handle = try FileHandle(forWritingTo: temp)
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw RecordFileError.unwritable(file: url.path, reason: error.localizedDescription)
        }
    }

    deinit {
        if !done {
            try? handle.close()
            try? FileManager.default.removeItem(at: temp)
        }
    }

    /// Appends one record as a line (sorted keys).
    public func write(_ record: ConversationRecord) throws {
        do {
            buffer.append(try ConversationJSONL.encodeLine(record))
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
        guard rename(temp.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw RecordFileError.unwritable(file: url.path, reason: reason)
        }
    }
}
