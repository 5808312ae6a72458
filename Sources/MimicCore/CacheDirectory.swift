// Where Mimic keeps what it fetches and caches (models, the request cache and ledger): one rule for every target.
import Foundation

/// Mimic's cache folder: `$MIMIC_CACHE`, else `./.cache` if it holds `models/`, else `~/.cache/mimic`.
public enum CacheDirectory {
    /// The folder, chosen from the environment and working directory each time it is read.
    public static var path: String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["MIMIC_CACHE"], !dir.isEmpty { return dir }
        let local = FileManager.default.currentDirectoryPath + "/.cache"
        if FileManager.default.fileExists(atPath: local + "/models") { return local }
        return (env["HOME"] ?? "/tmp") + "/.cache/mimic"
    }
}
