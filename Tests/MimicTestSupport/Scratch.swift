// Scratch folders and files under the temporary directory, one fresh folder per call.
import Foundation

/// Fresh, empty folders and files under the temporary directory for tests.
public enum Scratch {
    /// A new empty folder `prefix-UUID` under the temporary directory; the caller removes it.
    public static func folder(_ prefix: String = "mimic-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A file `name` holding `bytes` in a new scratch folder; the caller removes it.
    public static func file(_ bytes: some Sequence<UInt8>, name: String, prefix: String = "mimic-test") throws -> URL {
        let url = try folder(prefix).appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// A file `name` holding `text` in a new scratch folder; the caller removes it.
    public static func file(_ text: String, name: String, prefix: String = "mimic-test") throws -> URL {
        try file(Array(text.utf8), name: name, prefix: prefix)
    }

    /// Removes a scratch folder or file, ignoring one that is already gone.
    public static func remove(_ url: URL) { try? FileManager.default.removeItem(at: url) }
}

/// A fresh, empty scratch folder, removed when the value goes away.
public final class ScratchFolder {
    /// The folder's path.
    public let path: String

    /// Makes the folder (`prefix-UUID` under the temporary directory).
    public init(_ prefix: String = "mimic-test") throws {
        path = try Scratch.folder(prefix).path
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A path inside the folder.
    public func file(_ name: String) -> String { path + "/" + name }
}
