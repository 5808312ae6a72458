// Running a planned study: each stage in order, unless its folder already holds `done.json` for its key (then it
// is cached and nothing runs). A stage writes its resolved config first (`config.json`), its own outputs as the
// stage function writes them (atomically, or resumably: collect and train pick up where a killed run stopped),
// and `done.json` last, so `kill -9` at any point leaves either a finished stage or one that the same command
// finishes. A failed stage writes `error.txt`; the stages that depend on it are skipped, the others run.
import Foundation
import MimicCore
import MimicEval
import MimicModels
import MimicRate
import MimicStages
import MimicTrain

/// What became of one stage in a run.
public enum StageOutcome: String, Codable, Sendable {
    /// Already done (its key's `done.json` was there).
    case cached
    /// Ran and finished.
    case ran
    /// Threw; see its `error.txt`.
    case failed
    /// Not run: an input failed.
    case blocked
}

/// A stage's state before a run, as `mimic run --plan` prints it.
public struct StagePlanRow: Codable, Sendable {
    public var id: String
    public var key: String
    public var folder: String
    public var cached: Bool
    /// Seconds it is expected to take: the mean of this study's finished stages of its kind (nil when none).
    public var estimate: Double?
}

/// What a run did.
public struct StudyRunSummary: Sendable {
    public var outcomes: [(id: String, outcome: StageOutcome, seconds: Double, error: String?)]
    /// The results file written at the end.
    public var results: String
    /// The report's index page, written at the end.
    public var report: String
    /// Whether every stage finished (cached or ran).
    public var succeeded: Bool { outcomes.allSatisfy { $0.outcome == .cached || $0.outcome == .ran } }
}

/// What `done.json` holds.
struct StageDone: Codable {
    var id: String
    var key: String
    var seconds: Double
    /// What the stage reports for the results (a subset's records and tokens, a run's final held-out loss).
    var facts: [String: JSONValue] = [:]
}

/// The study's folder: stage folders, their markers, and the paths of the cross-stage files.
public enum StudyStore {
    /// A stage's `done.json` when it is there for its key.
    static func done(_ stage: StudyStage) -> StageDone? {
        guard let data = FileManager.default.contents(atPath: stage.folder + "/done.json"),
              let done = try? JSONDecoder().decode(StageDone.self, from: data), done.key == stage.key else { return nil }
        return done
    }

    /// The plan as `--plan` shows it.
    public static func plan(_ plan: StudyPlan) -> [StagePlanRow] {
        let finished = plan.stages.map(done)
        var seconds: [String: [Double]] = [:]
        for (stage, d) in zip(plan.stages, finished) { if let d { seconds[stage.work.kind, default: []].append(d.seconds) } }
        return zip(plan.stages, finished).map { stage, d in
            let known = seconds[stage.work.kind] ?? []
            return StagePlanRow(id: stage.id, key: stage.key, folder: stage.folder, cached: d != nil,
                                estimate: known.isEmpty ? nil : known.reduce(0, +) / Double(known.count))
        }
    }

    /// The plan as lines: each stage, cached or to run, and the totals.
    public static func planText(_ plan: StudyPlan) -> String {
        let rows = Self.plan(plan)
        var out = "study \(plan.file.manifest.name) in \(plan.folder)\n"
        var unknown = 0
        var seconds = 0.0
        for row in rows {
            let state = row.cached ? "cached" : "run" + (row.estimate.map { " (~" + ProgressReporter.duration($0) + ")" } ?? "")
            out += "  " + row.id.padding(toLength: max(44, row.id.count + 1), withPad: " ", startingAt: 0) + state + "\n"
            if !row.cached { if let e = row.estimate { seconds += e } else { unknown += 1 } }
        }
        let toRun = rows.filter { !$0.cached }.count
        out += "\(rows.count) stages: \(rows.count - toRun) cached, \(toRun) to run"
        if toRun > 0 {
            out += seconds > 0 ? ", about \(ProgressReporter.duration(seconds))" : ""
            out += unknown > 0 ? (seconds > 0 ? " plus \(unknown) without an estimate" : " (no estimate yet: none of their kinds has run)") : ""
        }
        return out + "\n"
    }

    /// The plan as JSON (`StagePlanRow`s).
    public static func planJSON(_ plan: StudyPlan) throws -> String {
        String(decoding: try AtomicFile.jsonData(Self.plan(plan)), as: UTF8.self) + "\n"
    }

    /// The part of a stage's config its outputs depend on: without the client settings, parallelism and caches.
    static func semantic(_ config: JSONValue, kind: String) -> JSONValue {
        let ignored: [String: [String]] = [
            "collect": ["client", "in_flight", "checkpoint"], "answers": ["client", "in_flight", "checkpoint"],
            "eval": ["client", "threads", "sandbox_parallel", "cache", "no_cache", "batch_size"],
            "judge": ["client"], "style": ["client"], "diversity": ["threads"],
        ]
        return config.removing(ignored[kind] ?? []).0
    }

    /// `tree` with every string that starts with the study folder written from `$STUDY`, so the key does not
    /// depend on where the study lives.
    static func relative(_ tree: JSONValue, root: String) -> JSONValue {
        switch tree {
        case .string(let s) where s == root || s.hasPrefix(root + "/"): return .string("$STUDY" + s.dropFirst(root.count))
        case .array(let a): return .array(a.map { relative($0, root: root) })
        case .object(let o): return .object(o.mapValues { relative($0, root: root) })
        default: return tree
        }
    }
}

/// Runs a study.
public enum StudyRunner {
    /// One line of counts, and one per failed stage.
    public static func summaryText(_ summary: StudyRunSummary) -> String {
        var counts: [StageOutcome: Int] = [:]
        for o in summary.outcomes { counts[o.outcome, default: 0] += 1 }
        var out = "\(summary.outcomes.count) stages: \(counts[.ran] ?? 0) ran, \(counts[.cached] ?? 0) cached"
        if let failed = counts[.failed] { out += ", \(failed) failed" }
        if let blocked = counts[.blocked] { out += ", \(blocked) skipped" }
        out += "; results: \(summary.results); report: \(summary.report)"
        for o in summary.outcomes where o.outcome == .failed { out += "\nfailed: \(o.id): \(o.error ?? "")" }
        return out
    }

    /// Runs every stage that is not cached, in order; `log` gets one line per stage. Writes `results.json`.
    public static func run(_ plan: StudyPlan, log: @escaping @Sendable (String) -> Void,
                           progress: ProgressReporter = .silent) async throws -> StudyRunSummary {
        try FileManager.default.createDirectory(atPath: plan.folder, withIntermediateDirectories: true)
        try AtomicFile.write(Data(contentsOf: URL(fileURLWithPath: plan.file.path)), to: plan.folder + "/manifest.yaml")
        var outcomes: [(id: String, outcome: StageOutcome, seconds: Double, error: String?)] = []
        var failed = Set<String>()
        let total = plan.stages.count
        for (n, stage) in plan.stages.enumerated() {
            let counter = "[\(n + 1)/\(total)] \(stage.id)"
            if let blocker = stage.inputs.first(where: failed.contains) {
                failed.insert(stage.id)
                outcomes.append((stage.id, .blocked, 0, "needs \(blocker), which failed"))
                log("\(counter): skipped (needs \(blocker), which failed)")
                continue
            }
            if StudyStore.done(stage) != nil {
                outcomes.append((stage.id, .cached, 0, nil))
                log("\(counter): cached")
                continue
            }
            log("\(counter): running")
            let start = Date()
            do {
                try FileManager.default.createDirectory(atPath: stage.folder, withIntermediateDirectories: true)
                try? FileManager.default.removeItem(atPath: stage.folder + "/error.txt")
                try AtomicFile.write(ConfigResolver.encoded(try stage.work.identity()), to: stage.folder + "/config.json")
                let stageLog = try StageLog(path: stage.folder + "/log.txt")
                let facts = try await execute(stage, log: stageLog, progress: progress)
                let seconds = Date().timeIntervalSince(start)
                try AtomicFile.write(AtomicFile.jsonData(StageDone(id: stage.id, key: stage.key, seconds: seconds, facts: facts)),
                                     to: stage.folder + "/done.json")
                outcomes.append((stage.id, .ran, seconds, nil))
                log("\(counter): done in \(ProgressReporter.duration(seconds))")
            } catch {
                let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
                try? AtomicFile.write(Data((text + "\n").utf8), to: stage.folder + "/error.txt")
                failed.insert(stage.id)
                outcomes.append((stage.id, .failed, Date().timeIntervalSince(start), text))
                log("\(counter): FAILED: \(text) (log: \(stage.folder)/log.txt)")
            }
        }
        let results = plan.folder + "/results.json"
        let collected = try await StudyResults.collect(plan)
        try ConfigResolver.write(collected, to: results)
        let report = try await StudyReport.write(plan, results: collected)
        return StudyRunSummary(outcomes: outcomes, results: results, report: report.index)
    }

    /// Runs one stage's function; returns what it reports for the results.
    static func execute(_ stage: StudyStage, log: StageLog, progress: ProgressReporter) async throws -> [String: JSONValue] {
        switch stage.work {
        case .collect(let c), .answers(let c):
            let summary = try await Collect.run(c, progress: progress)
            log.write("collected \(summary.report.records) records; \(summary.sent) requests sent")
            return ["records": .int(summary.report.records)]
        case .dedup(let c): _ = try DataStages.dedup(c, log: log.write)
        case .language(let c): _ = try DataStages.language(c, progress: progress)
        case .filter(let c): _ = try DataStages.filter(c, log: log.write)
        case .subset(let c):
            let summary = try DataStages.subset(c, log: log.write)
            log.write("took \(summary.report.taken) records, \(summary.report.tokens) tokens")
            return ["records": .int(summary.report.taken), "tokens": .int(summary.report.tokens)]
        case .diversity(let c):
            let summary = try DataStages.diversity(c, progress: progress, log: log.write)
            try ConfigResolver.write(summary, to: stage.output)
            log.write("mean self-BLEU \(summary.meanSelfBleu) over \(summary.queries) queries")
            return ["figures": try fact(DataDiversityFigures(summary))]
        case .prune(let model, let keep, let out):
            let summary = try Pruning.prune(model: try OpenedModel(model), keep: keep.selection, to: out)
            log.write("kept layers \(summary.kept.map(String.init).joined(separator: ",")) of \(summary.originalLayerCount)")
        case .train(let c):
            let summary = try TrainingRun.run(c, log: log.write) { record, _, total in
                if record.step % 10 == 0 || record.step == total { log.write("step \(record.step)/\(total) loss \(record.loss)") }
            }
            return ["steps": .int(summary.steps)] .merging(summary.finalEvalLoss.map { ["final_eval_loss": .double($0)] } ?? [:]) { a, _ in a }
        case .externalTrain(let command, let source, let data, let model, let out, let checkpoint):
            try ExternalTrainer.run(command: command, source: source, data: data, model: model, out: out, checkpoint: checkpoint, log: log)
        case .eval(let c):
            let report = try await EvalRun.run(c, command: "mimic run", progress: progress)
            var metrics: [String: MetricValue] = [:]
            for result in report.results { metrics.merge(result.metrics) { a, _ in a } }
            return ["metrics": try fact(metrics)]
        case .judge(let c):
            let summary = try await JudgeStage.run(c, progress: progress)
            return try summary.systems.first.map { ["summary": try fact($0.summary)] } ?? [:]
        case .style(let c):
            return ["figures": try fact(try await StyleStage.run(c, progress: progress).candidate.figures)]
        case .rating(let c):
            // A study left by a run killed before this stage finished is made again, unless raters have used it.
            if FileManager.default.fileExists(atPath: c.out) {
                if FileManager.default.fileExists(atPath: c.out + "/study.json"), let votes = try? await RatingStudy.snapshot(c.out).votes.count,
                   votes > 0 {
                    throw ConfigError(field: "rating", problem: "\(c.out) holds \(votes) votes, but its stage never finished",
                                      hint: "move the folder away (its votes stay readable with mimic rate report) and run again")
                }
                try FileManager.default.removeItem(atPath: c.out)
                log.write("removed the unfinished rating study \(c.out)")
            }
            let created = try await RatingStudy.create(c)
            // The admin link is shown once by `mimic rate create`; a study keeps it beside the rating study, for its owner.
            let admin = URL(fileURLWithPath: c.out).deletingLastPathComponent().appendingPathComponent("admin-token.txt").path
            try AtomicFile.write(Data((created.adminToken + "\n").utf8), to: URL(fileURLWithPath: admin))
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: admin)
            log.write("made the rating study \(c.out): \(created.items) items, \(created.checks) attention checks; "
                      + "next: mimic rate invite \(c.out) --count N, then mimic rate serve \(c.out) (admin token in \(admin))")
            for note in created.notes { log.write(note) }
            return ["items": .int(created.items), "checks": .int(created.checks)]
        }
        return [:]
    }

    /// A stage's result kept in its `done.json` for `StudyResults`.
    static func fact<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }
}

/// A stage's `log.txt`, appended line by line.
final class StageLog: @unchecked Sendable {
    let path: String
    private let handle: FileHandle
    private let lock = NSLock()

    init(path: String) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
    }

    deinit { try? handle.close() }

    func write(_ line: String) {
        lock.lock()
        handle.write(Data((line + "\n").utf8))
        lock.unlock()
    }
}

extension StudyStore {
    /// The stage folders under `STUDY/stages/` that no stage of `plan` uses: left by earlier versions of the
    /// manifest (a changed config gives a stage a new key, so a new folder). Only folders named as Mimic names
    /// stages (`KIND/NAME-` and 16 hexadecimal digits) are listed; anything else there is left alone.
    public static func stale(_ plan: StudyPlan) -> [String] {
        let fm = FileManager.default
        let root = plan.folder + "/stages"
        let used = Set(plan.stages.map(\.folder))
        var found: [String] = []
        for kind in ((try? fm.contentsOfDirectory(atPath: root)) ?? []).sorted() {
            for name in ((try? fm.contentsOfDirectory(atPath: root + "/" + kind)) ?? []).sorted() {
                let path = root + "/" + kind + "/" + name
                var isDirectory: ObjCBool = false
                guard fm.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue, !used.contains(path),
                      let dash = name.lastIndex(of: "-"), name[name.index(after: dash)...].count == 16,
                      name[name.index(after: dash)...].allSatisfy(\.isHexDigit) else { continue }
                found.append(path)
            }
        }
        return found
    }

    /// Removes `stale(plan)`'s folders; what was removed, with the bytes each held.
    public static func collectGarbage(_ plan: StudyPlan) throws -> [(folder: String, bytes: Int64)] {
        try stale(plan).map { folder in
            let bytes = size(folder)
            try FileManager.default.removeItem(atPath: folder)
            return (folder, bytes)
        }
    }

    /// What `--gc` prints: each folder and its size, then the total.
    public static func garbageText(_ folders: [(folder: String, bytes: Int64)], removed: Bool) -> String {
        let mb = { (b: Int64) in String(format: "%.1f MB", Double(b) / 1e6) }
        var out = folders.map { (removed ? "removed " : "stale ") + $0.folder + " (" + mb($0.bytes) + ")\n" }.joined()
        out += "\(folders.count) stage folder\(folders.count == 1 ? "" : "s") no stage uses, \(mb(folders.reduce(0) { $0 + $1.bytes }))"
            + (removed ? " freed" : "; mimic run --gc removes them") + "\n"
        return out
    }

    /// The bytes of the files under `path`.
    public static func size(_ path: String) -> Int64 {
        let fm = FileManager.default
        guard let files = fm.enumerator(atPath: path) else { return 0 }
        var total: Int64 = 0
        for case let file as String in files {
            total += ((try? fm.attributesOfItem(atPath: path + "/" + file))?[.size] as? NSNumber)?.int64Value ?? 0
        }
        return total
    }
}
