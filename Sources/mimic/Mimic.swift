// The `mimic` command-line tool: one subcommand per stage.
import ArgumentParser

@main
struct Mimic: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mimic",
        abstract: "Study model imitation: collect, curate, train, evaluate.",
        subcommands: [Generate.self, Chat.self, Tokenize.self, Inspect.self, Perplexity.self, Prune.self, Train.self, Bench.self,
                      TrainBench.self, Serve.self, CollectCommand.self, LedgerCommand.self, TeacherBench.self, DataCommand.self, Eval.self,
                      EvalBench.self, StyleCommand.self, JudgeCommand.self, RunCommand.self, ReportCommand.self, RateCommand.self])
}
