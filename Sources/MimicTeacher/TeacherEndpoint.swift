// Where a teacher lives: base URL and API key, from flags or the environment. The key is held here only and
// never printed: `description` redacts it, and errors never include request headers.
import Foundation

/// An OpenAI-compatible server: `baseURL` ends before `/chat/completions` (e.g. `https://api.openai.com/v1`).
public struct TeacherEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var baseURL: String
    public var apiKey: String?

    public init(baseURL: String, apiKey: String? = nil) {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
        self.apiKey = apiKey.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `MIMIC_TEACHER_BASE_URL` or `OPENAI_BASE_URL` (default `https://api.openai.com/v1`), and
    /// `MIMIC_TEACHER_API_KEY` or `OPENAI_API_KEY`.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment,
                                       baseURL: String? = nil) -> TeacherEndpoint {
        let url = baseURL ?? env["MIMIC_TEACHER_BASE_URL"] ?? env["OPENAI_BASE_URL"] ?? "https://api.openai.com/v1"
        return TeacherEndpoint(baseURL: url, apiKey: env["MIMIC_TEACHER_API_KEY"] ?? env["OPENAI_API_KEY"])
    }

    /// The full URL of an API path such as `/chat/completions`.
    public func url(_ path: String) -> String { baseURL + path }

    /// The URL and whether a key is set; never the key.
    public var description: String { "\(baseURL) (\(apiKey == nil ? "no API key" : "API key set"))" }

    /// Removes the key from any text about to be logged or shown (an echoing server could repeat it).
    public func redact(_ text: String) -> String {
        guard let key = apiKey, key.count >= 4 else { return text }
        return text.replacingOccurrences(of: key, with: "[redacted]")
    }
}
