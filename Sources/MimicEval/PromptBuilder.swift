// Turns a task's documents into prompts: description, few-shot examples (chosen by a seeded generator per
// document, so a document's prompt does not depend on --limit), the document's text; and its targets and choices.
import Foundation
import MimicCore
import MimicData
import MimicTeacher

/// One document ready to ask: its prompt and what it is scored against.
public struct PreparedItem: Sendable {
    /// Position in the dataset.
    public var index: Int
    /// The document.
    public var doc: Document
    /// The context: description + few-shot examples + the document's text.
    public var prompt: String
    /// multiple_choice: the continuations, and the index of the right one.
    public var choices: [String]?
    public var gold: Int?
    /// The reference (doc_to_target), for ROUGE/BLEU and the record.
    public var target: String?
    /// exact_match: the accepted answers.
    public var goldAnswers: [String]?
    /// The group_by value.
    public var group: String?
}

/// Builds the prompts of a task.
public struct PromptBuilder {
    let task: EvalTask
    let shots: Int
    let text: DocTemplate
    let target: DocTemplate?
    let description: DocTemplate?
    let fixedPrompt: DocTemplate?

    /// A builder for `task` with `shots` examples (the task's own count when nil).
    public init(task: EvalTask, shots: Int? = nil) throws {
        self.task = task
        self.shots = shots ?? task.numFewshot ?? 0
        text = try DocTemplate(task.docToText)
        target = try task.docToTarget.map(DocTemplate.init)
        description = try task.description.map(DocTemplate.init)
        if let file = task.promptFile {
            let path = file.hasPrefix("/") ? file : (task.baseDirectory ?? ".") + "/" + file
            guard let data = FileManager.default.contents(atPath: path) else {
                throw EvalError.fileNotFound(path, hint: "prompt_file of task \(task.task) names it; put the prompt's fixed text there")
            }
            fixedPrompt = try DocTemplate(String(decoding: data, as: UTF8.self))
        } else {
            fixedPrompt = nil
        }
    }

    /// The prepared item of `doc`; `pool` holds the candidate few-shot examples (`doc` itself is never one).
    public func prepare(_ doc: Document, index: Int, pool: [Document]) throws -> PreparedItem {
        let name = task.task
        var prompt = ""
        if let fixedPrompt {
            prompt = try fixedPrompt.render(doc, task: name)
        } else {
            if let description { prompt += try description.render(doc, task: name) }
            let delimiter = task.fewshotDelimiter ?? "\n\n"
            for shot in try examples(for: doc, index: index, pool: pool) {
                guard let target else { throw EvalError.invalidTask(file: task.sourceFile ?? name, field: "doc_to_target", problem: "is required for few-shot examples") }
                prompt += try text.render(shot, task: name) + (task.targetDelimiter ?? " ") + target.render(shot, task: name) + delimiter
            }
        }
        prompt += try text.render(doc, task: name)
        var item = PreparedItem(index: index, doc: doc, prompt: prompt)
        item.target = try target?.render(doc, task: name)
        if let field = task.goldAnswers {
            guard let answers = doc.list(field) else { throw EvalError.missingField(task: name, field: field, document: doc.source, available: Array(doc.fields.keys)) }
            item.goldAnswers = answers
        }
        if let field = task.groupBy { item.group = doc.text(field) ?? "(none)" }
        if task.outputType == .multipleChoice { try addChoices(&item) }
        return item
    }

    private func addChoices(_ item: inout PreparedItem) throws {
        let name = task.task
        let choices: [String]
        switch task.docToChoice {
        case .list(let list)?: choices = list
        case .field(let template)?:
            let field = try DocTemplate(template).fieldNames.first ?? template
            guard let list = item.doc.list(field), !list.isEmpty else {
                throw EvalError.missingField(task: name, field: field, document: item.doc.source, available: Array(item.doc.fields.keys))
            }
            choices = list
        case nil: throw EvalError.invalidTask(file: task.sourceFile ?? name, field: "doc_to_choice", problem: "is required for multiple_choice")
        }
        let goldText = try DocTemplate(task.gold ?? "").render(item.doc, task: name)
        if let i = choices.firstIndex(of: goldText) {
            item.gold = i
        } else if let i = Int(goldText), choices.indices.contains(i) {
            item.gold = i
        } else {
            throw EvalError.invalidData(file: item.doc.source, position: "gold", problem: "'\(goldText)' is neither a choice (\(choices.joined(separator: ", "))) nor an index")
        }
        item.choices = choices
    }

    /// The few-shot examples of a document: the first k of the pool or k drawn with a per-document seed.
    func examples(for doc: Document, index: Int, pool: [Document]) throws -> [Document] {
        guard shots > 0 else { return [] }
        let candidates = pool.filter { $0 != doc }
        guard candidates.count >= shots else {
            throw EvalError.invalidArgument("task \(task.task): \(shots) few-shot examples asked for, only \(candidates.count) available for \(doc.source); lower --shots or add examples")
        }
        switch task.fewshotSelection ?? .first {
        case .first: return Array(candidates.prefix(shots))
        case .random:
            var rng = SplitMix64(seed: task.fewshotSeed ?? 1234, stream: UInt64(index))
            var order = Array(candidates.indices)
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(i, rng.below(i + 1))
            }
            return order.prefix(shots).map { candidates[$0] }
        }
    }
}
