// `mimic collect`: build an imitation set from a teacher (replay, nq-synthetic, tldr-synthetic, self-instruct),
// cached per request, resumable, budgeted; the records go to conversation JSONL with provenance in `meta`.
import ArgumentParser
import Foundation
import MimicData
import MimicTeacher

struct Collect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Collect imitation data from a teacher model (cached, resumable, budgeted).",
        discussion: """
            Every answer is stored in a request cache as it arrives; run the same command again after Ctrl-C, a crash \
            or `kill -9` and only what is missing is sent. The output JSONL is written atomically (at checkpoints \
            and at the end). `mimic ledger` shows what was spent, or what it would have cost (`--as-model`).
            """,
        subcommands: [CollectReplay.self, CollectNQ.self, CollectTLDR.self, CollectSelfInstruct.self])
}

/// Options every generator shares: where the records go and how they are sampled.
struct CollectOutput: ParsableArguments {
    @Option(name: .shortAndLong, help: "The conversation JSONL to write.") var out: String
    @Option(help: "The run's seed: the same seed asks the same requests.") var seed: UInt64 = 0
    @Option(help: "Teacher requests the generator keeps in flight (the teacher's --concurrency throttles too).")
    var inFlight = 64
    @Option(help: "Seconds between checkpoint writes of the output.") var checkpoint = 30.0

    func validate() throws {
        guard inFlight >= 1 else { throw ValidationError("--in-flight must be at least 1") }
        guard !out.isEmpty else { throw ValidationError("--out must name a file") }
    }

    /// The run name: `--run`, else the output file's name without its extension.
    func runName(_ teacher: TeacherArguments) -> String {
        teacher.run ?? ((out as NSString).lastPathComponent as NSString).deletingPathExtension
    }
}

/// Runs one generator against the teacher the arguments name, with progress, Ctrl-C, batch mode and a summary.
enum CollectRunner {
    typealias Generate = @Sendable (any Teacher, CollectionSettings, TeacherStack) async throws -> CollectionResult

    static func run(_ name: String, teacher args: TeacherArguments, output: CollectOutput, config: [String: JSONValue],
                    generate: @escaping Generate) async throws {
        let run = output.runName(args)
        let folder = URL(fileURLWithPath: output.out).deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) } catch {
            throw ValidationError("cannot create the folder of --out \(output.out): \(error.localizedDescription)")
        }
        let stack = try await TeacherStack.open(args, run: run)
        let progress = CollectProgress(stage: name)
        let settings = CollectionSettings(maxInFlight: output.inFlight, output: URL(fileURLWithPath: output.out),
                                          checkpointSeconds: output.checkpoint,
                                          progress: { progress.update($0) })
        printError("collecting \(name) from \(stack.model) (\(stack.server.map { "served by Mimic at \($0.baseURL)" } ?? stack.endpoint.description)); run '\(run)', cache \(args.cache ?? defaultTeacherCache())")
        let result: CollectionResult
        do {
            result = try await runInterruptible {
                if args.batch { try await batchRounds(name, stack: stack, args: args, generate: generate) }
                return try await generate(stack.teacher, settings, stack)
            }
            progress.finish()
        } catch {
            progress.finish()
            let stats = await stack.teacher.stats
            await stack.close()
            if error is CancellationError {
                printError("stopped: what was finished is in \(output.out) and every answer is in the cache; run the same command to finish (\(stats.sent) sent, \(stats.cached) cached)")
                throw ExitCode(130)
            }
            if case TeacherError.budgetExhausted = error {
                printError("\(error.localizedDescription); the records finished so far are in \(output.out)")
                throw ExitCode.failure
            }
            throw error
        }
        let stats = await stack.teacher.stats
        let traffic = stack.throttled.stats
        await stack.close()
        try writeSummary(name: name, output: output, args: args, stack: stack, run: run, config: config,
                         report: result.report)
        printSummary(result.report, stats: stats, traffic: traffic, output: output.out)
    }

    /// Batch mode: plan the generator's requests against the cache, submit the missing ones, repeat.
    static func batchRounds(_ name: String, stack: TeacherStack, args: TeacherArguments,
                            generate: @escaping Generate) async throws {
        guard stack.server == nil else { throw ValidationError("--batch needs a remote teacher (the Batch API); a local one answers at once") }
        var options = BatchJob.Options()
        options.pollInterval = .milliseconds(Int64(args.batchPoll * 1000))
        options.budget = args.budget
        let job = try BatchJob(endpoint: stack.endpoint, keyEndpoint: stack.keyEndpoint, model: stack.model,
                               store: stack.store, prices: args.prices.map { try PriceTable.load(from: $0) } ?? .default,
                               run: stack.teacher.run, options: options,
                               progress: { printError("batch: \($0)") })
        let model = stack.model, endpoint = stack.keyEndpoint, store = stack.store
        _ = try await collectThroughBatches(
            job: job, planner: { BatchPlanningTeacher(model: model, endpoint: endpoint, store: store) },
            plan: { planner in _ = try await generate(planner, CollectionSettings(), stack) },
            log: { printError($0) })
    }

    static func writeSummary(name: String, output: CollectOutput, args: TeacherArguments, stack: TeacherStack,
                             run: String, config: [String: JSONValue], report: CollectionReport) throws {
        var resolved = config
        resolved["generator"] = .string(name)
        resolved["teacher"] = .string(args.teacher)
        resolved["teacher_model"] = .string(stack.model)
        resolved["endpoint"] = .string(stack.keyEndpoint)
        resolved["run"] = .string(run)
        resolved["seed"] = .int(Int(truncatingIfNeeded: output.seed))
        resolved["cache"] = .string(args.cache ?? defaultTeacherCache())
        if let budget = args.budget { resolved["budget_usd"] = .double(budget) }
        let reportJSON = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(report))
        let summary: JSONValue = .object(["config": .object(resolved), "report": reportJSON])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let path = (output.out as NSString).deletingPathExtension + ".collect.json"
        try AtomicWrite.write(encoder.encode(summary), to: URL(fileURLWithPath: path))
    }

    static func printSummary(_ r: CollectionReport, stats: CachedTeacher.Stats, traffic: TrafficStats, output: String) {
        var line = "wrote \(r.records) records to \(output): \(r.requested) requests (\(r.cached) from the cache, \(stats.sent) sent, \(r.failed) failed)"
        if r.duplicatesDropped > 0 { line += ", \(r.duplicatesDropped) duplicates dropped" }
        if r.malformedDropped > 0 { line += ", \(r.malformedDropped) malformed dropped" }
        if r.similarDropped > 0 { line += ", \(r.similarDropped) too similar" }
        if r.skipped > 0 { line += ", \(r.skipped) skipped" }
        printError(line)
        for (reason, count) in r.failureReasons.sorted(by: { $0.value > $1.value }).prefix(5) {
            printError("  failed \(count)×: \(reason)")
        }
        for (reason, count) in r.skipReasons.sorted(by: { $0.value > $1.value }).prefix(5) {
            printError("  skipped \(count)×: \(reason)")
        }
        if traffic.retries > 0 { printError("  \(traffic.retries) retries: \(traffic.retriesByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))") }
        for note in r.notes { printError("  note: \(note)") }
        printError(String(format: "cost: $%.4f now, $%.4f for the run so far", stats.spentUSD, stats.runSpentUSD)
                   + (stats.unpricedModels.isEmpty ? "" : " (no price known for \(stats.unpricedModels.sorted().joined(separator: ", ")): counted as free; `mimic ledger --as-model gpt-4o-mini` prices it)"))
    }
}

/// The live progress of a collection: one rewritten line on a terminal, a line every few seconds otherwise.
final class CollectProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let tty = isatty(STDERR_FILENO) != 0
    private let start = Date()
    private var last = Date.distantPast
    private var shown = false

    init(stage: String) {}

    func update(_ p: CollectionProgress) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(last) >= (tty ? 0.2 : 5) || p.done == p.total else { return }
        last = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(p.done) / elapsed : 0
        let eta = rate > 0 ? Double(max(0, p.total - p.done)) / rate : 0
        let line = String(format: "%@ %d/%d  cached %d  failed %d  %.1f req/s  ETA %@", p.stage, p.done, p.total, p.cached,
                          p.failed, rate, ProgressLine.duration(eta) as NSString)
        if tty {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            shown = true
        } else {
            printError(line)
        }
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if tty && shown { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
