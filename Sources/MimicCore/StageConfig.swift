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

    /// Throws unless `value` is in `range`, saying "must be between LOWER and UPPER" (the message is made from the
    /// range, so the two cannot drift apart).
    public static func require(_ value: Int, in range: ClosedRange<Int>, _ field: String, unit: String? = nil) throws {
        try require(range.contains(value), field,
                    "must be between \(range.lowerBound) and \(range.upperBound)" + (unit.map { " " + $0 } ?? ""))
    }

    /// Throws for a thread count outside 1...1024 (nil: every core), naming `field`: the one rule of every stage.
    public static func requireThreads(_ threads: Int?, _ field: String = "threads") throws {
        if let threads { try require((1...1024).contains(threads), field, "is \(threads)", hint: "a thread count from 1 to 1024") }
    }

    /// Throws for `field` unless `path` names an existing file (`what` says what the file should be).
    public static func requireFile(_ path: String, _ field: String, what: String = "a conversation JSONL file") throws {
        try require(!path.isEmpty, field, "is empty", hint: "name \(what)")
        try require(FileManager.default.fileExists(atPath: path), field, "is \(path)", hint: "no such file")
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

extension ConfigError {
    /// A decoding error as the key it happened at (dotted, snake_case) and what was expected; `location` is the file.
    public init(_ error: DecodingError, location: String?) {
        func key(_ keys: [CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? "." + Self.snakeCase($0.stringValue) }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        func name(_ type: Any.Type) -> String {
            switch type {
            case is String.Type: return "a string"
            case is Int.Type, is UInt64.Type, is Int64.Type, is UInt.Type: return "a whole number"
            case is Double.Type, is Float.Type: return "a number"
            case is Bool.Type: return "true or false"
            default: return "\(type)"
            }
        }
        switch error {
        case .dataCorrupted(let c): self.init(field: key(c.codingPath), problem: c.debugDescription, location: location)
        case .typeMismatch(let type, let c): self.init(field: key(c.codingPath), problem: "expected \(name(type))", location: location)
        case .valueNotFound(let type, let c):
            self.init(field: key(c.codingPath), problem: "expected \(name(type)), found null", location: location)
        case .keyNotFound(let k, let c): self.init(field: key(c.codingPath + [k]), problem: "missing", hint: "add it", location: location)
        @unknown default: self.init(field: "", problem: "\(error)", location: location)
        }
    }

    /// `maxAttempts` → `max_attempts`, `scaleByWeightRMS` → `scale_by_weight_rms`: how a Swift property name is
    /// written as a config key (a run of capitals is one word).
    public static func snakeCase(_ key: String) -> String {
        let chars = Array(key)
        var out = ""
        for (i, c) in chars.enumerated() {
            if c.isUppercase && i > 0 {
                let previous = chars[i - 1], next = i + 1 < chars.count ? chars[i + 1] : nil
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true) { out.append("_") }
            }
            out.append(contentsOf: c.lowercased())
        }
        return out
    }
}
