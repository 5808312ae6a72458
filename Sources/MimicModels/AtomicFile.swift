// Atomic file and folder replacement: write beside the target under a temporary name, then rename over it,
// so that an interrupted write leaves the old result or the new one, never half of one.
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum AtomicFile {
    /// A hidden temporary name beside `path` (same folder, hence same file system).
    static func temporaryPath(beside path: String, tag: String = "tmp") -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(tag)-\(UUID().uuidString)").path
    }

    /// Writes a file through `body` into a temporary file beside `path`, flushes it, and renames it over `path`.
    static func write(to path: String, _ body: (FileHandle) throws -> Void) throws {
        let temp = temporaryPath(beside: path)
        guard FileManager.default.createFile(atPath: temp, contents: nil), let handle = FileHandle(forWritingAtPath: temp) else {
            throw CheckpointError.cannotWrite(path: path, reason: "cannot create \(temp)")
        }
        do {
            try body(handle)
            try handle.synchronize()
            try handle.close()
            try rename(temp, to: path)
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temp)
            if error is CheckpointError { throw error }
            throw CheckpointError.cannotWrite(path: path, reason: error.localizedDescription)
        }
    }

    /// Writes `data` atomically.
    static func write(_ data: Data, to path: String) throws {
        try write(to: path) { try $0.write(contentsOf: data) }
    }

    /// rename(2): replaces a file (or an empty folder) at `destination` in one step.
    static func rename(_ source: String, to destination: String) throws {
        guard systemRename(source, destination) == 0 else {
            throw CheckpointError.cannotWrite(path: destination, reason: "rename from \(source): \(String(cString: strerror(errno)))")
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
    static func replaceFolder(_ target: String, with temp: String) throws {
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
}
