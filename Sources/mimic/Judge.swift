// `mimic judge`: a pairwise LLM judge of systems' answers against a baseline's (both orders, bias report, length
// control), and `mimic judge summarize` of a judgments file. The flags (over --config and MIMIC_JUDGE_*) become a
// `JudgeConfig` / `JudgeSummarizeConfig`; `JudgeStage` does the work.
import ArgumentParser
import Foundation
import MimicCore
import MimicMetrics
import MimicStages

extension JudgeConfig.Orders: ExpressibleByArgument {}

struct JudgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "judge",
        abstract: "Judge systems' answers against a baseline's with an LLM judge (both orders), or summarize judgments.",
        subcommands: [JudgeRun.self, JudgeSummarize.self], defaultSubcommand: JudgeRun.self)
}

struct JudgeRun: AsyncParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Judge each --a file's answers against --b's, matched by meta.id or first user message.",
        discussion: """
            Every request goes through the request cache and ledger (`mimic ledger --by run`): a rerun, or a run \
            resumed after it was killed, sends only what is missing. The judgments (one line per item and order) go \
            to --out, the config and the figures to OUT.judge.json. A 135M local judge is weak: use it to try the \
            pipeline, a strong model for results.
            """)

    @Option(help: "A system's answers (conversation JSONL); repeat for more systems, each judged against --b.") var a: [String] = []
    @Option(help: "The baseline's answers (the teacher's, say).") var b: String?
    @Option(help: "The judge: local:MODEL or openai:MODEL[@URL] (default local:smollm2-135m-instruct).") var judge: String?
    @Option(help: "The judge prompt (default judges/pairwise.yaml; judges/scores.yaml gives paired 1-10 scores).") var prompt: String?
    @Option(help: "both (default: each item judged A-first and B-first) or one (one seeded order per item).")
    var orders: JudgeConfig.Orders?
    @Option(name: .shortAndLong, help: "The judgments JSONL to write.") var out: String?
    @Option(help: "Seed of the one-order draws and of the bootstrap (default 0).") var seed: UInt64?
    @Option(help: "The judge's reply limit in tokens (default 512).") var maxTokens: Int?
    @Option(help: "Bootstrap resamples for the win rate's interval (default 1000).") var resamples: Int?
    @OptionGroup var client: ClientArguments
    @OptionGroup var config: ConfigFileOption
    @Flag(help: "Print the summary as JSON instead of a table.") var json = false

    func run() async throws {
        let resolved = try ConfigResolver.resolve(JudgeConfig(), file: config.path, environmentPrefix: "MIMIC_JUDGE", flags: self,
                                                  except: ["a", "judge", "client", "json"]) { c in
            if !a.isEmpty { c.a = a }
            if let judge { c.judge = try ModelRef(parsing: judge) }
            client.apply(to: &c.client)
        }
        let summary = try await runInterruptible { try await JudgeStage.run(resolved, progress: ProgressReporter()) }
        if json {
            print(String(decoding: try ConfigResolver.encoded(summary), as: UTF8.self), terminator: "")
        } else {
            print(PairwiseSummary.table(summary.systems.map { ($0.system, $0.summary) }))
            for system in summary.systems where system.matching.matched < system.matching.baselineItems {
                printError("note: \(system.system): \(system.matching.matched) of \(system.matching.baselineItems) baseline items matched (see \(resolved.out).judge.json)")
            }
            printError("judge \(summary.judgeModel): \(summary.sent) sent, \(summary.cached) from the cache, \(summary.failed) failed; "
                       + String(format: "$%.4f this run", summary.runSpentUSD) + "; judgments: \(resolved.out)")
        }
    }
}

struct JudgeSummarize: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "summarize",
        abstract: "Recompute win rate, LC win rate and the bias report from a judgments file alone.")

    @Argument(help: "The judgments JSONL (from mimic judge, or anything in its schema).") var judgments: String?
    @Option(help: "Seed of the bootstrap (default 0).") var seed: UInt64?
    @Option(help: "Bootstrap resamples (default 1000).") var resamples: Int?
    @OptionGroup var config: ConfigFileOption
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() throws {
        let resolved = try ConfigResolver.resolve(JudgeSummarizeConfig(), file: config.path, environmentPrefix: "MIMIC_JUDGE_SUMMARIZE",
                                                  flags: self, except: ["json"])
        let summary = try JudgeStage.summarize(resolved)
        print(json ? String(decoding: try AtomicFile.jsonData(summary), as: UTF8.self)
                   : PairwiseSummary.table([(resolved.judgments, summary)]))
    }
}
