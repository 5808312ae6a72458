// The inputs of each collection generator, read and checked before the teacher is opened, and the closure that
// runs the generator over them.
import Foundation
import MimicCore
import MimicData
import MimicMetrics
import MimicTeacher

/// A generator with its inputs loaded, ready to run against a teacher.
struct CollectInputs: Sendable {
    typealias Generate = @Sendable (any Teacher, CollectionSettings, ClientStack) async throws -> CollectionResult
    let generate: Generate

    /// Reads what `config`'s generator needs (prompts, seeds, posts, examples, template); `log` gets remarks.
    static func load(_ config: CollectConfig, log: (String) -> Void) throws -> CollectInputs {
        switch config.generator {
        case .replay: return try replay(config, log: log)
        case .nqSynthetic: return try nq(config)
        case .tldrSynthetic: return try tldr(config, log: log)
        case .selfInstruct: return try selfInstruct(config)
        }
    }

    /// A template file's text, or nil for the built-in one.
    static func templateText(_ path: String?) throws -> String? {
        guard let path else { return nil }
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(field: "template", problem: "cannot read \(path): \(error.localizedDescription)")
        }
    }

    static func replay(_ config: CollectConfig, log: (String) -> Void) throws -> CollectInputs {
        let path = config.prompts ?? ""
        let format: PromptFormat
        switch config.format {
        case .auto: format = .auto
        case .messages: format = .messagesJSONL
        case .field: format = .fieldJSONL(config.field)
        case .text: format = .plainText
        case .sharegpt: format = .shareGPT
        }
        var (items, read) = try PromptSource.read(URL(fileURLWithPath: path), format: format, policy: config.strict ? .fail : .skip)
        if read.truncated { log("\(path) is cut off (\(read.stoppedAt ?? "at its end")); every whole record before it is used") }
        if read.malformed > 0 {
            log("\(path): \(read.malformed) records skipped (--strict stops instead); first: \(read.problems.first ?? "")")
        }
        if let most = config.maxPromptWords {
            let before = items.count
            items = items.filter { StyleText.wordCount($0.userTurns.first ?? "") <= most }
            if items.count < before { log("\(path): \(before - items.count) prompts over \(most) words left out (max_prompt_words)") }
        }
        if let limit = config.limit { items = Array(items.prefix(max(0, limit))) }
        var options = ReplayOptions(mode: config.turns, temperature: config.temperature, maxTokens: config.resolvedMaxTokens,
                                    seed: config.seed)
        options.sample = config.sample
        let prompts = items
        return CollectInputs { t, settings, _ in
            try await ReplayGenerator(teacher: t, options: options, settings: settings).run(prompts)
        }
    }

    static func nq(_ config: CollectConfig) throws -> CollectInputs {
        let seedPairs = try config.seeds.map { try NQSynthetic.loadSeeds(URL(fileURLWithPath: $0)) } ?? NQSynthetic.defaultSeeds
        let options = NQSyntheticOptions(
            count: config.count ?? 1, seedsPerRequest: config.seedsPerRequest, temperature: config.temperature ?? 1.0,
            maxTokens: config.resolvedMaxTokens, seed: config.seed,
            template: try templateText(config.template) ?? NQSynthetic.defaultTemplate,
            templateName: config.template ?? "nq-synthetic/default", seedSource: config.seeds ?? "built-in",
            maxRequests: config.maxRequests)
        return CollectInputs { t, settings, _ in
            try await NQSyntheticGenerator(teacher: t, options: options, settings: settings).run(seeds: seedPairs)
        }
    }

    static func tldr(_ config: CollectConfig, log: (String) -> Void) throws -> CollectInputs {
        let path = config.posts ?? ""
        var (docs, read) = try PromptSource.read(URL(fileURLWithPath: path), format: .auto, policy: .fail)
        if read.truncated { log("\(path) is cut off (\(read.stoppedAt ?? "at its end"))") }
        if let limit = config.limit { docs = Array(docs.prefix(max(0, limit))) }
        let pairs = try config.examples.map { try TLDRSynthetic.loadExamples(URL(fileURLWithPath: $0)) } ?? TLDRSynthetic.defaultExamples
        let body = try templateText(config.template)
        let documents = docs
        return CollectInputs { t, settings, stack in
            var options = TLDRSyntheticOptions(
                contextLength: config.contextLength ?? stack.contextLength ?? 4096, maxTokens: config.resolvedMaxTokens,
                temperature: config.temperature, seed: config.seed)
            if let count = stack.tokenCount { options.tokenCount = count }
            if let body { options.template = body; options.templateName = config.template ?? "custom" }
            return try await TLDRSyntheticGenerator(teacher: t, options: options, settings: settings)
                .run(posts: documents, examples: pairs)
        }
    }

    static func selfInstruct(_ config: CollectConfig) throws -> CollectInputs {
        let tasks = try config.seeds.map { try SelfInstruct.loadSeeds(URL(fileURLWithPath: $0)) } ?? SelfInstruct.defaultSeeds
        var options = SelfInstructOptions(count: config.count ?? 1, similarityThreshold: config.threshold,
                                          temperature: config.temperature ?? 0.7, answerMaxTokens: config.resolvedMaxTokens,
                                          seed: config.seed, seedSource: config.seeds ?? "built-in")
        if let body = try templateText(config.template) { options.template = body; options.templateName = config.template ?? "custom" }
        let chosen = options
        return CollectInputs { t, settings, _ in
            try await SelfInstructGenerator(teacher: t, options: chosen, settings: settings).run(seeds: tasks)
        }
    }
}
