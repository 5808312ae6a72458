// Atomic writes: a temporary file beside the target, flushed to disk (fsync), then renamed over it, so that an
// interrupted write leaves the old result or the new one, never half of one. The one implementation every target uses.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Atomic replacement of files and folders.
public enum AtomicFile {
    /// A hidden temporary name beside `path` (same folder, hence same file system): `.NAME.TAG-UUID`.
    public static func temporaryPath(beside path: String, tag: String = "tmp") -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(tag)-\(UUID().uuidString)").path
    }

    /// Writes a file through `body` into a temporary file beside `path`, syncs it, and renames it over `path`.
    /// Throws `RecordFileError.unwritable` naming `path`.
    public static func write(to path: String, _ body: (FileHandle) throws -> Void) throws {
        let temp = temporaryPath(beside: path)
        guard FileManager.default.createFile(atPath: temp, contents: nil), let handle = FileHandle(forWritingAtPath: temp) else {
            throw RecordFileError.unwritable(file: path, reason: "cannot create \(temp)")
        }
        do {
            try body(handle)
            try handle.synchronize()
            try handle.close()
            try rename(temp, to: path)
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temp)
            if error is RecordFileError { throw error }
            throw RecordFileError.unwritable(file: path, reason: error.localizedDescription)
        }
    }

    /// Replaces `path`'s content with `data` atomically.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { try $0.write(contentsOf: data) }
    }

    /// Replaces `url`'s content with `data` atomically.
    public static func write(_ data: Data, to url: URL) throws { try write(data, to: url.path) }

    /// Writes `value` as pretty JSON (sorted keys, unescaped slashes, a final newline) to `path` atomically.
    public static func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
        let data: Data
        do { data = try jsonData(value) } catch {
            throw RecordFileError.unwritable(file: path, reason: "cannot encode: \(error)")
        }
        try write(data + Data("\n".utf8), to: path)
    }

    /// `value` as `writeJSON` writes it (pretty, sorted keys, unescaped slashes), without the final newline.
    public static func jsonData<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// rename(2): replaces a file (or an empty folder) at `destination` in one step.
    public static func rename(_ source: String, to destination: String) throws {
        guard systemRename(source, destination) == 0 else {
            throw RecordFileError.unwritable(file: destination, reason: "rename from \(source): \(String(cString: strerror(errno)))")
        }
    }

    private static func systemRename(_ a: String, _ b: String) -> Int32 {
        #if canImport(Glibc)
        Glibc.rename(a, b)
        #else
        Darwin.rename(a, b)
        #endif
    }

    /// Puts the folder `temp` in place of `target`: moves an existing `target` aside, renames `temp` in, then
    /// deletes the old one. If the second rename fails the old folder is put back.
    public static func replaceFolder(_ target: String, with temp: String) throws {
        guard FileManager.default.fileExists(atPath: target) else { return try rename(temp, to: target) }
        let old = temporaryPath(beside: target, tag: "old")
        try rename(target, to: old)
        do {
            try rename(temp, to: target)
        } catch {
            try? rename(old, to: target)
            throw error
        }
        try? FileManager.default.removeItem(atPath: old)
    }

    /// Removes temporary files that an earlier write to `url` left when its process was killed mid-write.
    public static func removeStaleTemporaries(for url: URL) {
        let folder = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent).tmp-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where name.hasPrefix(prefix) {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }
}
