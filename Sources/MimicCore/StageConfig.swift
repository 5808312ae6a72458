// The error conventions of stage configurations: one typed config per stage, validated once, with errors that
// name the field (and the file and line when it came from one) and say what to do.
import Foundation

/// A stage's configuration: `Codable` (the same keys on the command line's `--config FILE` and in the resolved
/// config written beside the output), with choices as enums, checked once by `validate()`.
public protocol StageConfig: Codable, Sendable {
    /// Checks every field; throws `ConfigError` naming the first bad one.
    func validate() throws
}

/// A configuration field that is missing, unknown or out of range.
public struct ConfigError: Error, LocalizedError, Hashable, Sendable {
    /// The field's key as written in a config file (`block_size`, `teacher.concurrency`).
    public var field: String
    /// What is wrong.
    public var problem: String
    /// What to do about it.
    public var hint: String?
    /// Where it was read: a config file (and line) or nil for the command line and defaults.
    public var location: String?

    /// An error for `field`.
    public init(field: String, problem: String, hint: String? = nil, location: String? = nil) {
        self.field = field
        self.problem = problem
        self.hint = hint
        self.location = location
    }

    public var errorDescription: String? {
        (location.map { $0 + ": " } ?? "") + "\(field): \(problem)" + (hint.map { " (\($0))" } ?? "")
    }

    /// Throws unless `condition` holds.
    public static func require(_ condition: Bool, _ field: String, _ problem: String, hint: String? = nil) throws {
        if !condition { throw ConfigError(field: field, problem: problem, hint: hint) }
    }
}

/// A config choice: an enum of strings whose decoding error lists the allowed values.
public protocol ConfigChoice: Codable, CaseIterable, Hashable, Sendable, RawRepresentable where RawValue == String {}

extension ConfigChoice {
    /// The allowed values, comma-separated.
    public static var choices: String { allCases.map(\.rawValue).joined(separator: ", ") }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(rawValue: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "'\(text)' is not one of: \(Self.choices)"))
        }
        self = value
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}
