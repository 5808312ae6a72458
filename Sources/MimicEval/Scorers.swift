// What scoring needs from outside the model: a toxicity scorer and a code executor, each a small protocol.
import Foundation

/// Scores texts for toxicity in [0, 1]; a text that cannot be scored gets an error, never a score.
public protocol ToxicityScorer: Sendable {
    /// A short name for results (`perspective`, `profanity-check`).
    var name: String { get }
    /// One result per text, in order.
    func toxicity(_ texts: [String]) async -> [Result<Double, Error>]
}

/// What running one program gave.
public struct CodeOutcome: Sendable, Codable, Equatable {
    /// Whether the program exited 0 within its limits.
    public var passed: Bool
    /// A short account: "passed", "failed: exit 1", "timed out", ….
    public var detail: String
    /// The sandbox itself failed (no interpreter, a launch error): the program's answer is unknown, not wrong.
    public var sandboxError: Bool

    public init(passed: Bool, detail: String, sandboxError: Bool = false) {
        self.passed = passed
        self.detail = detail
        self.sandboxError = sandboxError
    }
}

/// Runs programs (HumanEval's completion + tests) and says which pass.
public protocol CodeExecutor: Sendable {
    /// One outcome per program, in order.
    func run(_ programs: [String]) async -> [CodeOutcome]
}
