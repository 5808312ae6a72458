// DataStats.swift: the statistics of a conversation file (`mimic data stats`): counts, turns, tokens, languages,
// a length histogram, the query duplicate rate and a Table 6 style category breakdown, in one streaming pass.
import Foundation
import MimicCore
import MimicTokenizers

/// Mean, median, quantiles and extremes of a stream of non-negative integers, kept exactly as a value -> count
/// table (memory bounded by the number of distinct values, not the number of items).
public struct CountSummary: Codable, Sendable, Hashable {
    /// Items seen.
    public var count = 0
    /// Their sum.
    public var total = 0
    /// The smallest (0 when empty).
    public var min = 0
    /// The largest (0 when empty).
    public var max = 0
    /// The mean (0 when empty).
    public var mean: Double { count == 0 ? 0 : Double(total) / Double(count) }
    /// The median: the middle value, or the mean of the two middle values.
    public var median: Double { count == 0 ? 0 : (Double(quantile(rank: (count - 1) / 2)) + Double(quantile(rank: count / 2))) / 2 }
    /// The 90th percentile (nearest rank).
    public var p90: Int { count == 0 ? 0 : quantile(rank: Int((Double(count) * 0.9).rounded(.up)) - 1) }
    var histogram: [Int: Int] = [:]

    enum CodingKeys: String, CodingKey { case count, total, min, max, mean, median, p90 }

    /// An empty summary.
    public init() {}

    /// Adds one value.
    public mutating func add(_ value: Int) {
        min = count == 0 ? value : Swift.min(min, value)
        max = count == 0 ? value : Swift.max(max, value)
        count += 1
        total += value
        histogram[value, default: 0] += 1
    }

    /// The value at 0-based `rank` in sorted order.
    func quantile(rank: Int) -> Int {
        var seen = 0
        for (value, times) in histogram.sorted(by: { $0.key < $1.key }) {
            seen += times
            if seen > rank { return value }
        }
        return max
    }

    /// Decodes the stored fields (the table of values is not stored).
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        count = try container.decode(Int.self, forKey: .count)
        total = try container.decode(Int.self, forKey: .total)
        min = try container.decode(Int.self, forKey: .min)
        max = try container.decode(Int.self, forKey: .max)
    }

    /// Encodes count, total, min, max, mean, median and p90.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(count, forKey: .count)
        try container.encode(total, forKey: .total)
        try container.encode(min, forKey: .min)
        try container.encode(max, forKey: .max)
        try container.encode(mean, forKey: .mean)
        try container.encode(median, forKey: .median)
        try container.encode(p90, forKey: .p90)
    }
}

/// One bar of the length histogram: conversations with `lower <= tokens < upper`.
public struct LengthBucket: Codable, Sendable, Hashable {
    /// Inclusive lower bound in tokens.
    public var lower: Int
    /// Exclusive upper bound.
    public var upper: Int
    /// Conversations in it.
    public var count: Int
}

/// A category's count and share.
public struct CategoryCount: Codable, Sendable, Hashable {
    /// The category name (Table 6's).
    public var category: String
    /// Queries in it.
    public var count: Int
    /// Percentage of all queries.
    public var percent: Double
    /// The paper's Table 6 percentage (nil for Other).
    public var paperPercent: Int?
}

/// The statistics of one conversation file.
public struct DataStats: Codable, Sendable, Hashable {
    /// The file read.
    public var file: String
    /// What reading found (format, malformed items, where a cut-off file stopped).
    public var input: ConversationInput.Report?
    /// How tokens were counted ("smollm2-135m-instruct", "gpt2" or "words").
    public var tokenizer: String
    /// Conversations read.
    public var conversations = 0
    /// Messages per conversation, system prompts not counted.
    public var turns = CountSummary()
    /// Messages per role (system, user, assistant).
    public var messagesPerRole: [String: Int] = [:]
    /// Tokens per conversation: the sum over its messages' contents (no chat template).
    public var tokensPerConversation = CountSummary()
    /// Tokens of each conversation's first user message (the query).
    public var tokensPerQuery = CountSummary()
    /// Tokens of each user message.
    public var tokensPerUserMessage = CountSummary()
    /// Tokens of each assistant message (answer).
    public var tokensPerAnswer = CountSummary()
    /// Conversations per CLD2 language code (user turns, code and URLs stripped; see `LanguageFilter`).
    public var languages: [String: Int] = [:]
    /// Tokens per conversation in log-spaced buckets: [0,1), [1,2), [2,4), [4,8), … (powers of two).
    public var lengthHistogram: [LengthBucket] = []
    /// Conversations without a user message (no query).
    public var withoutQuery = 0
    /// Distinct queries after `QueryNormalizer.normalize` (the normal form `mimic data dedup` compares).
    public var distinctQueries = 0
    /// Queries equal to an earlier one after normalisation.
    public var duplicateQueries = 0
    /// `duplicateQueries` / queries.
    public var duplicateRate: Double = 0
    /// Queries per `QueryCategory` (rules of `QueryCategorizer` on the first user message), in Table 6's order.
    public var categories: [CategoryCount] = []
    /// The mean self-BLEU of the queries (0-100, lower is more diverse: `Diversity.selfBLEU`), when asked for.
    public var diversity: Double?
    /// Seconds the pass took.
    public var seconds: Double = 0

    /// Whitespace-separated words: the token count of the "words" tokenizer.
    public static func wordCount(_ text: String) -> Int {
        text.split(whereSeparator: { $0.isWhitespace }).count
    }

    /// Computes the statistics of `url` (conversation JSONL, ShareGPT JSON or any `PromptSource` layout) in one
    /// streaming pass; memory grows with the set of distinct queries (two 64-bit hashes each) and the distinct
    /// lengths, not with the file. `countTokens` counts the tokens of a text; `tokenizer` names it.
    public static func compute(_ url: URL, tokenizer: String = "words", countTokens: (String) -> Int = DataStats.wordCount,
                               policy: BadInputPolicy = .skip,
                               progress: ((Int) -> Void)? = nil) throws -> DataStats {
        let start = Date()
        var stats = DataStats(file: url.path, tokenizer: tokenizer)
        var accumulator = DataStatsAccumulator()
        let read = try ConversationInput.forEach(url, policy: policy) { record, _ in
            accumulator.add(record, countTokens: countTokens, into: &stats)
            progress?(stats.conversations)
        }
        stats.input = read
        accumulator.finish(into: &stats)
        stats.seconds = Date().timeIntervalSince(start)
        return stats
    }
}

/// The running state of `DataStats.compute` that is not part of the result.
struct DataStatsAccumulator {
    var seenQueries = Set<QueryHash>()
    var buckets: [Int: Int] = [:]
    var categories: [QueryCategory: Int] = [:]

    /// Two independent 64-bit hashes of a normalised query (a collision of both is negligible).
    struct QueryHash: Hashable {
        var first: Int
        var second: Int
        init(_ text: String) {
            var a = Hasher(), b = Hasher()
            a.combine(text)
            b.combine(0x5bd1_e995)
            b.combine(text)
            first = a.finalize()
            second = b.finalize()
        }
    }

    mutating func add(_ record: ConversationRecord, countTokens: (String) -> Int, into stats: inout DataStats) {
        stats.conversations += 1
        var conversationTokens = 0
        var turns = 0
        for message in record.messages {
            stats.messagesPerRole[message.role, default: 0] += 1
            let tokens = countTokens(message.content)
            conversationTokens += tokens
            if message.role != "system" { turns += 1 }
            if message.role == "user" { stats.tokensPerUserMessage.add(tokens) }
            if message.role == "assistant" { stats.tokensPerAnswer.add(tokens) }
        }
        stats.turns.add(turns)
        stats.tokensPerConversation.add(conversationTokens)
        buckets[Self.bucket(conversationTokens), default: 0] += 1
        let language = LanguageID.detect(messages: record.messages, scope: .user)
        stats.languages[language.code, default: 0] += 1
        guard let query = record.messages.first(where: { $0.role == "user" })?.content else {
            stats.withoutQuery += 1
            return
        }
        stats.tokensPerQuery.add(countTokens(query))
        if !seenQueries.insert(QueryHash(QueryNormalizer.normalize(query))).inserted { stats.duplicateQueries += 1 }
        let queryLanguage = LanguageID.detect(messages: record.messages, scope: .firstUser)
        categories[QueryCategorizer.categorize(query, language: queryLanguage), default: 0] += 1
    }

    /// The histogram bucket of `tokens`: 0 for 0, else k + 1 for 2^k <= tokens < 2^(k+1).
    static func bucket(_ tokens: Int) -> Int {
        tokens <= 0 ? 0 : Int.bitWidth - tokens.leadingZeroBitCount
    }

    func finish(into stats: inout DataStats) {
        stats.distinctQueries = seenQueries.count
        let queries = stats.conversations - stats.withoutQuery
        stats.duplicateRate = queries == 0 ? 0 : Double(stats.duplicateQueries) / Double(queries)
        if let last = buckets.keys.max() {
            stats.lengthHistogram = (0...last).map { index in
                let lower = index == 0 ? 0 : 1 << (index - 1)
                return LengthBucket(lower: lower, upper: index == 0 ? 1 : 1 << index, count: buckets[index] ?? 0)
            }
        }
        stats.categories = QueryCategory.allCases.map { category in
            let count = categories[category] ?? 0
            return CategoryCount(category: category.rawValue, count: count,
                                 percent: queries == 0 ? 0 : Double(count) * 100 / Double(queries),
                                 paperPercent: category.paperPercent)
        }
    }
}
