// Errors of evaluation: bad task files, bad data, models that cannot do what a task asks.
import Foundation

/// An evaluation error, naming the file, line or field and what to do.
public enum EvalError: LocalizedError, Equatable {
    /// A task file is malformed.
    case invalidTask(file: String, field: String, problem: String)
    /// No task of that name.
    case unknownTask(String, known: [String])
    /// A file is missing.
    case fileNotFound(String, hint: String)
    /// A data record is malformed.
    case invalidData(file: String, position: String, problem: String)
    /// The model or endpoint cannot do what the task needs.
    case unsupported(model: String, problem: String)
    /// A template names a field the document lacks.
    case missingField(task: String, field: String, document: String, available: [String])
    /// A request to a model failed.
    case requestFailed(model: String, problem: String)
    /// Code execution was not allowed.
    case codeExecutionNotAllowed(task: String)
    /// Anything else the user can fix.
    case invalidArgument(String)

    public var errorDescription: String? {
        switch self {
        case .invalidTask(let file, let field, let problem):
            "\(file): field '\(field)' \(problem)"
        case .unknownTask(let name, let known):
            "unknown task '\(name)'" + (known.isEmpty ? "; give a path to a task YAML file" : "; known tasks: \(known.joined(separator: ", "))")
        case .fileNotFound(let path, let hint):
            "\(path): no such file; \(hint)"
        case .invalidData(let file, let position, let problem):
            "\(file):\(position): \(problem)"
        case .unsupported(let model, let problem):
            "\(model): \(problem)"
        case .missingField(let task, let field, let document, let available):
            "\(document): task \(task) needs field '\(field)', which this document lacks; it has: \(available.sorted().joined(separator: ", "))"
        case .requestFailed(let model, let problem):
            "\(model): \(problem)"
        case .codeExecutionNotAllowed(let task):
            "task \(task) runs the code the model writes; pass --allow-code-execution to run it in Mimic's sandbox"
        case .invalidArgument(let text):
            text
        }
    }
}
