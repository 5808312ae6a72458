// The flags of a model client (`mimic collect`'s teacher, `mimic judge`'s judge): where, and how its requests are
// sent, cached, billed and limited; they set a `ClientConfig`.
import ArgumentParser
import MimicCore
import MimicTeacher

/// How a model client sends, caches, bills and limits requests (collect's teacher, the judge).
struct ClientArguments: ParsableArguments, Encodable {
    @Option(help: "Base URL for openai:MODEL (default: $MIMIC_TEACHER_BASE_URL, $OPENAI_BASE_URL, or OpenAI's). The key comes from $MIMIC_TEACHER_API_KEY or $OPENAI_API_KEY.")
    var baseURL: String?
    @Option(help: "The request cache and ledger (default: teacher.sqlite in the cache folder).") var cache: String?
    @Option(help: "The ledger's run name (default: the output file's name).") var run: String?
    @Option(help: "Dollars this run may spend (earlier interrupted attempts of the run included); stops before going over.")
    var budget: Double?
    @Option(help: "A price file (JSON: model -> {input, output} dollars per 1M tokens) over the built-in table.")
    var prices: String?
    @Option(help: "Requests in flight at once (default 16).") var concurrency: Int?
    @Option(help: "Requests per minute (default: no limit).") var rpm: Double?
    @Option(help: "Tokens per minute (default: no limit).") var tpm: Double?
    @Option(help: "Seconds for one answer before it is retried (default 600).") var timeout: Double?
    @Option(help: "Attempts per request, the first included (default 6).") var maxAttempts: Int?
    @Flag(help: "Use the OpenAI Batch API (half price, answers within 24 h): submit, poll, fold into the cache.")
    var batch = false
    @Option(help: "Seconds between Batch API status polls (default 30).") var batchPoll: Double?

    /// Sets what was given in `c`.
    func apply(to c: inout ClientConfig) {
        if let baseURL { c.baseUrl = baseURL }
        if let cache { c.cache = cache }
        if let run { c.run = run }
        if let budget { c.budget = budget }
        if let prices { c.prices = prices }
        if let concurrency { c.concurrency = concurrency }
        if let rpm { c.rpm = rpm }
        if let tpm { c.tpm = tpm }
        if let timeout { c.timeout = timeout }
        if let maxAttempts { c.maxAttempts = maxAttempts }
        if batch { c.batch = true }
        if let batchPoll { c.batchPoll = batchPoll }
    }
}
