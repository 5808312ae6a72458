// Documents (one evaluation item's fields) and the {{field}} templates that turn them into prompts and targets.
import Foundation
import MimicCore
import MimicData

/// One item of a dataset: named fields, and where it came from.
public struct Document: Sendable, Equatable {
    /// The fields, as the loader normalised them.
    public var fields: [String: JSONValue]
    /// Where the item is (`file:line`, or `file: row N`).
    public var source: String

    public init(fields: [String: JSONValue], source: String) {
        self.fields = fields
        self.source = source
    }

    /// A field as text (strings as they are, numbers written out), nil when absent or not a scalar.
    public func text(_ name: String) -> String? { fields[name].flatMap(Self.scalarText) }

    /// A field as a list of texts: a list field's scalars, or a scalar as a one-item list.
    public func list(_ name: String) -> [String]? {
        switch fields[name] {
        case .array(let items)?: return items.compactMap(Self.scalarText)
        case let value?: return Self.scalarText(value).map { [$0] }
        case nil: return nil
        }
    }

    static func scalarText(_ value: JSONValue) -> String? {
        switch value {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .bool(let b): String(b)
        case .null, .array, .object: nil
        }
    }
}

/// A `{{field}}` template: text with placeholders naming document fields (`{{answers[0]}}` indexes a list field).
public struct DocTemplate: Sendable, Equatable {
    enum Piece: Sendable, Equatable {
        case literal(String)
        case field(String, index: Int?)
    }

    let pieces: [Piece]
    /// The template's text, as written.
    public let source: String

    /// Parses `source`; `{{` without a closing `}}` is an error.
    public init(_ source: String) throws {
        self.source = source
        var pieces: [Piece] = [], rest = Substring(source)
        while let open = rest.range(of: "{{") {
            pieces.append(.literal(String(rest[..<open.lowerBound])))
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                throw EvalError.invalidArgument("template \"\(source)\": '{{' without a closing '}}'")
            }
            let inner = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            if let bracket = inner.firstIndex(of: "["), inner.hasSuffix("]"),
               let index = Int(inner[inner.index(after: bracket)..<inner.index(before: inner.endIndex)]), index >= 0 {
                pieces.append(.field(String(inner[..<bracket]), index: index))
            } else {
                guard !inner.isEmpty, inner.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw EvalError.invalidArgument("template \"\(source)\": '{{\(inner)}}' is not a field name")
                }
                pieces.append(.field(inner, index: nil))
            }
            rest = rest[close.upperBound...]
        }
        pieces.append(.literal(String(rest)))
        self.pieces = pieces.filter { $0 != .literal("") }
    }

    /// The fields the template names.
    public var fieldNames: [String] {
        pieces.compactMap { if case .field(let name, _) = $0 { name } else { nil } }
    }

    /// The template filled from `doc`; throws naming the field when the document lacks it.
    public func render(_ doc: Document, task: String) throws -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .literal(let s): out += s
            case .field(let name, let index):
                let value: String?
                if let index { value = doc.list(name).flatMap { index < $0.count ? $0[index] : nil } } else { value = doc.text(name) }
                guard let value else {
                    throw EvalError.missingField(task: task, field: index.map { "\(name)[\($0)]" } ?? name, document: doc.source,
                                                 available: Array(doc.fields.keys))
                }
                out += value
            }
        }
        return out
    }
}
