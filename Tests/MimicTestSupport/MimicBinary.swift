// The `mimic` executable built beside the test bundle, for tests that run it as a user does.
import Foundation

/// Where the built `mimic` is.
public enum MimicBinary {
    /// The executable beside the test bundle (or one folder up); throws when it has not been built.
    public static func url() throws -> URL {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [dir.appendingPathComponent("mimic"), dir.deletingLastPathComponent().appendingPathComponent("mimic")]
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: candidates[0].path])
        }
        return binary
    }
}
