// ModelRef: which model a command talks to, parsed in one place: a path or built-in name is local; `openai:MODEL`
import Foundation
// or `openai:MODEL@BASE_URL` is a remote OpenAI-compatible endpoint; `local:MODEL` is local, spelled out.

/// A reference to a model: local (a GGUF file, a Hugging Face folder or a built-in name) or remote.
public enum ModelRef: Hashable, Sendable, Codable, CustomStringConvertible {
    /// A model Mimic runs itself: a path or a built-in name.
    case local(String)
    /// A model behind an OpenAI-compatible API; `baseURL` nil means the default endpoint (environment or OpenAI's).
    case remote(model: String, baseURL: String?)

    /// Parses `local:NAME`, `openai:MODEL[@URL]` or a bare path/name (local).
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("openai:") {
            var rest = String(trimmed.dropFirst("openai:".count)), url: String?
            if let at = rest.firstIndex(of: "@") {
                url = String(rest[rest.index(after: at)...])
                rest = String(rest[..<at])
                guard !(url ?? "").isEmpty else { throw ModelRefError(text: text, problem: "nothing after '@': give the base URL, e.g. openai:\(rest)@http://localhost:8000/v1") }
            }
            guard !rest.isEmpty else { throw ModelRefError(text: text, problem: "no model name: write openai:MODEL, e.g. openai:gpt-4o-mini") }
            self = .remote(model: rest, baseURL: url)
            return
        }
        let name = trimmed.hasPrefix("local:") ? String(trimmed.dropFirst("local:".count)) : trimmed
        guard !name.isEmpty else { throw ModelRefError(text: text, problem: "no model: give a path, a built-in name (smollm2-135m-instruct) or openai:MODEL[@URL]") }
        self = .local(name)
    }

    /// The text form: `local:NAME` or `openai:MODEL[@URL]` (parses back to the same reference).
    public var description: String {
        switch self {
        case .local(let name): return "local:" + name
        case .remote(let model, let url): return "openai:" + model + (url.map { "@" + $0 } ?? "")
        }
    }

    /// The model's name: the local path or name, or the remote model name.
    public var name: String {
        switch self {
        case .local(let name): return name
        case .remote(let model, _): return model
        }
    }

    /// Whether Mimic runs the model itself.
    public var isLocal: Bool { if case .local = self { return true } else { return false } }

    /// This reference with `baseURL` filled in where a remote one has none.
    public func withDefaultBaseURL(_ baseURL: String?) -> ModelRef {
        if case .remote(let model, nil) = self, let baseURL { return .remote(model: model, baseURL: baseURL) }
        return self
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try ModelRef(parsing: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.localizedDescription))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// A model reference that cannot be parsed.
public struct ModelRefError: Error, LocalizedError, Hashable, Sendable {
    /// The text given.
    public var text: String
    /// What is wrong and what to write instead.
    public var problem: String

    public var errorDescription: String? { "model '\(text)': \(problem)" }
}
