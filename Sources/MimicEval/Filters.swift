// Answer-extraction filters, registered by name: each step turns a completion into the answer that is scored.
import Foundation

/// One step of a filter pipeline.
public enum FilterStep: Sendable {
    /// The first (or last) match of a regular expression: its group `group`, or with several groups the first that
    /// matched (as lm-evaluation-harness's regex filter); `fallback` when nothing matches.
    case regex(NSRegularExpression, group: Int?, last: Bool, fallback: String)
    /// Leading and trailing white space removed.
    case strip
    /// Lower case.
    case lowercase
    /// Commas and dollar signs removed (numbers such as "$1,200").
    case removeCommas
    /// The first line.
    case firstLine
    /// The text before the first occurrence of a string.
    case takeUntil(String)
    /// Keeps the first sample's answer (scoring uses the first sample; kept for lm-evaluation-harness's pipelines).
    case takeFirst

    /// The step a task file declares; throws naming the problem.
    public init(_ spec: FilterStepSpec) throws {
        switch spec.function {
        case "regex":
            guard let pattern = spec.pattern else { throw EvalError.invalidArgument("regex needs a 'pattern'") }
            let re: NSRegularExpression
            do { re = try NSRegularExpression(pattern: pattern) } catch {
                throw EvalError.invalidArgument("pattern '\(pattern)' is not a valid regular expression")
            }
            var group: Int?
            if let g = spec.group, g != "any" {
                guard let n = Int(g), n >= 0, n <= re.numberOfCaptureGroups else {
                    throw EvalError.invalidArgument("group '\(g)' must be 'any' or a group number 0...\(re.numberOfCaptureGroups)")
                }
                group = n
            }
            guard spec.select == nil || spec.select == "first" || spec.select == "last" else {
                throw EvalError.invalidArgument("select must be 'first' or 'last'")
            }
            self = .regex(re, group: group, last: spec.select == "last", fallback: spec.fallback ?? "[invalid]")
        case "strip": self = .strip
        case "lowercase": self = .lowercase
        case "remove_commas": self = .removeCommas
        case "first_line": self = .firstLine
        case "take_first": self = .takeFirst
        case "take_until":
            guard let text = spec.text, !text.isEmpty else { throw EvalError.invalidArgument("take_until needs a non-empty 'text'") }
            self = .takeUntil(text)
        default:
            throw EvalError.invalidArgument("unknown filter function '\(spec.function)'; known: regex, strip, lowercase, remove_commas, first_line, take_until, take_first")
        }
    }

    /// The step applied to one completion.
    public func apply(_ text: String) -> String {
        switch self {
        case .regex(let re, let group, let last, let fallback):
            let ns = text as NSString
            let matches = re.matches(in: text, range: NSRange(location: 0, length: ns.length))
            guard let m = last ? matches.last : matches.first else { return fallback }
            let range: NSRange
            if let group {
                range = m.range(at: group)
            } else if re.numberOfCaptureGroups == 0 {
                range = m.range
            } else {
                range = (1...re.numberOfCaptureGroups).map { m.range(at: $0) }.first { $0.location != NSNotFound && $0.length > 0 }
                    ?? NSRange(location: NSNotFound, length: 0)
            }
            guard range.location != NSNotFound else { return fallback }
            return ns.substring(with: range).trimmingCharacters(in: .whitespacesAndNewlines)
        case .strip: return text.trimmingCharacters(in: .whitespacesAndNewlines)
        case .lowercase: return text.lowercased()
        case .removeCommas: return text.replacingOccurrences(of: ",", with: "").replacingOccurrences(of: "$", with: "")
        case .firstLine: return String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        case .takeUntil(let stop): return text.range(of: stop).map { String(text[..<$0.lowerBound]) } ?? text
        case .takeFirst: return text
        }
    }
}

/// A named pipeline of steps.
public struct FilterPipeline: Sendable {
    /// The name results are reported under (`none` for the raw completion).
    public let name: String
    let steps: [FilterStep]

    /// The raw completion, unfiltered.
    public static let none = FilterPipeline(name: "none", steps: [])

    public init(name: String, steps: [FilterStep]) {
        self.name = name
        self.steps = steps
    }

    public init(_ spec: FilterPipelineSpec) throws {
        try self.init(name: spec.name, steps: spec.steps.map(FilterStep.init))
    }

    /// The completion after every step.
    public func apply(_ text: String) -> String { steps.reduce(text) { $1.apply($0) } }
}
