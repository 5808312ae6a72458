// `mimic teacher-bench`: requests per second of the teacher client with its cache and ledger, against a trivial
// server on 127.0.0.1. The flags (over `--config` and MIMIC_TEACHER_BENCH_*) become a `TeacherBenchConfig`;
// `SpeedBenches.teacher` works.
import ArgumentParser
import Foundation
import MimicStages

struct TeacherBench: AsyncParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        commandName: "teacher-bench",
        abstract: "Requests/s of the teacher client with its cache against a trivial local server.")

    @OptionGroup var config: ConfigFileOption
    @Option(help: "An OpenAI-compatible server to measure against (default: Mimic's echo server, started in-process).")
    var baseURL: String?
    @Option(help: "Requests per phase (default 20000).") var requests: Int?
    @Option(help: "Requests in flight (default 64).") var inFlight: Int?
    @Option(help: "The request cache to create (default: a temporary file, deleted after).") var cache: String?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let resolved = try ConfigResolver.resolve(TeacherBenchConfig(), file: config.path, environmentPrefix: "MIMIC_TEACHER_BENCH",
                                                  flags: self, except: ["json"])
        let phases = try await SpeedBenches.teacher(resolved)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(phases), as: UTF8.self))
        } else {
            print("| phase | requests | in flight | seconds | requests/s |")
            print("| --- | ---: | ---: | ---: | ---: |")
            for p in phases {
                print(String(format: "| %@ | %d | %d | %.2f | %.0f |", p.name, p.requests, resolved.inFlight, p.seconds, p.requestsPerSecond))
            }
        }
    }
}
