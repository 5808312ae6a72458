// `mimic bench`: prompt-processing and generation throughput, as llama-bench reports them.
import ArgumentParser
import Foundation
import MimicModels
import MimicTensor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure prompt processing (pp) and generation (tg) speed in tokens/s, like llama-bench.")

    @OptionGroup var modelOptions: ModelOptions
    @Option(name: .shortAndLong, help: "Prompt tokens per pp run.") var prompt = 512
    @Option(name: [.customShort("n"), .long], help: "Tokens per tg run.") var generate = 128
    @Option(name: .shortAndLong, help: "Repetitions of each test.") var repetitions = 5
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        let loadStart = Date()
        let opened = try modelOptions.open(loadTokenizer: false)
        let loadSeconds = Date().timeIntervalSince(loadStart)
        let results = try Benchmark.run(model: opened.model, prompt: prompt, generate: generate, repetitions: repetitions)
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(results), as: UTF8.self))
            return
        }
        print("model: \(opened.path)  threads: \(Threads.count)  load: \(String(format: "%.3f", loadSeconds)) s  peak RSS: \(peakResidentMB()) MB")
        for r in results {
            print(String(format: "%-8@ %10.2f ± %.2f tokens/s", r.test as NSString, r.tokensPerSecond, r.stddev))
        }
    }
}

/// Peak resident memory of this process in MB (VmHWM).
func peakResidentMB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
    }
    return 0
}
