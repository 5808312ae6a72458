// `mimic rate`: blind pairwise human ratings. `create` makes a study from systems' answers, `invite` prints rater
// links, `serve` runs the web app, `report` computes the paper's preference figures with agreement and judge–human
// agreement, `export` writes every vote. The work is in MimicRate.
import ArgumentParser
import Foundation
import MimicCore
import MimicRate
import MimicStages

struct RateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rate",
        abstract: "Blind pairwise human ratings: make a study, invite raters, serve the rating app, report.",
        subcommands: [RateCreate.self, RateInvite.self, RateServe.self, RateReport.self, RateExport.self, RateBench.self])
}

struct RateCreate: AsyncParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Make a rating study from each --a file's answers against --b's (matched as mimic judge matches them).",
        discussion: """
            The votes go to STUDY/ratings.sqlite, or to a schema of a PostgreSQL server with --postgres (password in \
            the URL or PGPASSWORD). The admin link is printed once: keep it.
            """)

    @Option(help: "A system's answers (conversation JSONL); repeat for more systems, each rated against --b.") var a: [String] = []
    @Option(help: "The baseline's answers (the teacher's).") var b: String?
    @Option(name: .shortAndLong, help: "The study folder to make.") var out: String?
    @Option(help: "The SQLite file (default STUDY/ratings.sqlite).") var db: String?
    @Option(help: "Keep the votes on a PostgreSQL server: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE.") var postgres: String?
    @Option(help: "A text file of instructions (default: five criteria in Mimic's words).") var instructions: String?
    @Option(help: "Ratings per item (default 3).") var ratersPerItem: Int?
    @Option(help: "Rate this many prompts, drawn with the seed (default all).") var items: Int?
    @Option(help: "Attention checks as a share of the items (default 0.1; 0 for none).") var attention: Double?
    @Option(help: "At most this many items per rater (default no limit).") var itemsPerRater: Int?
    @Option(help: "Seconds before an unanswered item returns to the pool (default 900).") var timeout: Double?
    @Option(help: "Flag raters whose median is below this many seconds per item (default 4).") var fastSeconds: Double?
    @Option(help: "The completion code shown at the end (default random).") var completionCode: String?
    @Flag(help: "Let /p?PROLIFIC_PID=… links make raters.") var prolific = false
    @Option(help: "Seed of the sample, the orders and the attention checks (default 0).") var seed: UInt64?
    @Option(help: "The address raters will use, for the printed links (default http://127.0.0.1:8090).") var baseUrl = "http://127.0.0.1:8090"
    @OptionGroup var config: ConfigFileOption

    func run() async throws {
        let resolved = try ConfigResolver.resolve(RatingCreateConfig(), file: config.path, environmentPrefix: "MIMIC_RATE",
                                                  flags: self, except: ["a", "prolific", "baseUrl"]) { c in
            if !a.isEmpty { c.a = a }
            if prolific { c.prolific = true }
        }
        let made = try await RatingStudy.create(resolved)
        for note in made.notes { printError("note: " + note) }
        print("made \(made.folder): \(made.items) items and \(made.checks) attention checks; votes in \(made.store)")
        print("admin (keep it; it is shown only now): \(baseUrl)/admin/\(made.adminToken)")
        print("next: mimic rate invite \(made.folder) --count N, then mimic rate serve \(made.folder)")
    }
}

struct RateInvite: AsyncParsableCommand, Encodable {
    static let configuration = CommandConfiguration(commandName: "invite", abstract: "Print personal links for N new raters.")

    @Argument(help: "The study folder.") var study: String?
    @Option(help: "How many raters (default 1).") var count: Int?
    @Option(help: "The address raters will use (default http://127.0.0.1:8090).") var baseUrl: String?
    @OptionGroup var config: ConfigFileOption

    func run() async throws {
        let resolved = try ConfigResolver.resolve(RatingInviteConfig(), file: config.path, environmentPrefix: "MIMIC_RATE_INVITE", flags: self)
        for link in try await RatingStudy.invite(resolved) { print(link) }
    }
}

struct RateServe: AsyncParsableCommand, Encodable {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the rating app until stopped (Ctrl-C).")

    @Argument(help: "The study folder.") var study: String?
    @Option(help: "The address to listen on (default 127.0.0.1; 0.0.0.0 for every interface).") var host: String?
    @Option(help: "The port (default 8090; 0 for any free one).") var port: Int?
    @OptionGroup var config: ConfigFileOption

    func run() async throws {
        let resolved = try ConfigResolver.resolve(RatingServeConfig(), file: config.path, environmentPrefix: "MIMIC_RATE_SERVE", flags: self)
        try await RatingStudy.serve(resolved) { url in
            print("mimic rate: serving \(resolved.study) at \(url) (raters: \(url)/r/TOKEN from mimic rate invite; admin: \(url)/admin/TOKEN)")
            fflush(stdout)
        }
    }
}

struct RateReport: AsyncParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The preference figures (majority per item), agreement, Bradley–Terry strengths, judge–human agreement, rater quality.")

    @Argument(help: "The study folder.") var study: String?
    @Option(help: "Judgments of mimic judge on the same answers, for judge–human agreement.") var judge: String?
    @Option(help: "Bootstrap resamples (default 1000).") var resamples: Int?
    @Option(help: "Bootstrap seed (default the study's).") var seed: UInt64?
    @OptionGroup var config: ConfigFileOption
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let resolved = try ConfigResolver.resolve(RatingReportConfig(), file: config.path, environmentPrefix: "MIMIC_RATE_REPORT",
                                                  flags: self, except: ["json"])
        let report = try await RatingReporting.report(resolved)
        print(json ? String(decoding: try AtomicFile.jsonData(report), as: UTF8.self) : RatingReporting.text(report))
    }
}

struct RateExport: AsyncParsableCommand, Encodable {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write every vote as PREFIX.csv and PREFIX.jsonl.")

    @Argument(help: "The study folder.") var study: String?
    @Option(name: .shortAndLong, help: "The files' path without extension.") var out: String?
    @OptionGroup var config: ConfigFileOption

    func run() async throws {
        let resolved = try ConfigResolver.resolve(RatingExportConfig(), file: config.path, environmentPrefix: "MIMIC_RATE_EXPORT", flags: self)
        let n = try await RatingReporting.export(resolved)
        print("wrote \(n) votes to \(resolved.out).csv and \(resolved.out).jsonl")
    }
}

struct RateBench: AsyncParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Simulated raters on loopback: votes per second and the latency of voting and fetching the next item.")

    @Option(help: "Simulated raters at once (default 200).") var raters: Int?
    @Option(help: "Items in the study (default 2000).") var items: Int?
    @Option(help: "Ratings per item (default 3).") var ratersPerItem: Int?
    @Option(help: "Run against a PostgreSQL server (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE) instead of SQLite.") var postgres: String?
    @Option(help: "Each rater's mean pause before a vote in milliseconds (default 0: the server is kept saturated).") var thinkMs: Double?
    @OptionGroup var config: ConfigFileOption
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let resolved = try ConfigResolver.resolve(RatingBenchConfig(), file: config.path, environmentPrefix: "MIMIC_RATE_BENCH", flags: self,
                                                  except: ["json"])
        let r = try await RatingBench.run(resolved)
        print(json ? String(decoding: try AtomicFile.jsonData(r), as: UTF8.self)
              : String(format: "%@: %d raters (pause %.0f ms), %d votes in %.2f s: %.0f votes/s; vote + next item: median %.1f ms, p99 %.1f ms",
                       r.store, r.raters, r.thinkMilliseconds, r.votes, r.seconds, r.votesPerSecond, r.medianMilliseconds,
                       r.p99Milliseconds))
    }
}
