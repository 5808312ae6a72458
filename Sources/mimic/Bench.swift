// `mimic bench`: prompt-processing and generation throughput, as llama-bench reports them. The flags (over
// `--config` and MIMIC_BENCH_*) become a `BenchConfig`; `ModelTools.bench` works.
import ArgumentParser
import Foundation
import MimicCore
import MimicStages

struct Bench: ParsableCommand, Encodable {
    static let configuration = CommandConfiguration(
        abstract: "Measure prompt processing (pp) and generation (tg) speed in tokens/s, like llama-bench.")

    @OptionGroup var modelFlags: ModelFlags
    @OptionGroup var config: ConfigFileOption
    @Option(name: .shortAndLong, help: "Prompt tokens per pp run (default 512).") var prompt: Int?
    @Option(name: [.customShort("n"), .long], help: "Tokens per tg run (default 128).") var generate: Int?
    @Option(name: .shortAndLong, help: "Repetitions of each test (default 5).") var repetitions: Int?
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Also print which kernel runs for each weight type (one row, four rows, a prompt).") var verbose = false
    @Flag(help: "Measure the machine's limits instead (memory read GB/s through the kernels' threads, OpenBLAS sgemm GFLOPS).")
    var limits = false

    func run() throws {
        let resolved = try ConfigResolver.resolve(BenchConfig(), file: config.path, environmentPrefix: "MIMIC_BENCH", flags: self,
                                                  except: ["json", "verbose"])
        if resolved.limits {
            let l = try ModelTools.limits(resolved)
            if json { return print(String(decoding: try AtomicFile.jsonData(l), as: UTF8.self)) }
            return print(String(format: "memory read: %.1f GB/s  sgemm: %.0f GFLOPS  threads: %d", l.memoryReadGBs, l.sgemmGFLOPS, l.threads))
        }
        let report = try ModelTools.bench(resolved)
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(report.results), as: UTF8.self))
            return
        }
        print("model: \(report.model)  threads: \(report.threads)  load: \(String(format: "%.3f", report.loadSeconds)) s  peak RSS: \(report.peakResidentMB) MB")
        for r in report.results {
            print(String(format: "%-8@ %10.2f ± %.2f tokens/s", r.test as NSString, r.tokensPerSecond, r.stddev))
        }
        if verbose {
            print("kernels: \(report.simd)")
            for k in report.kernels {
                print("  \(k.type): one row: \(k.oneRow); four rows: \(k.fourRows); a prompt: \(k.prompt)")
            }
        }
    }
}
