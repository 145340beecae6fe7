import ArgumentParser

/// `plansearch-bench`: speed and quality measurements, one subcommand each, each with `--json`.
/// Every figure is reported beside a baseline measured in the same run, as a ratio, because these
/// machines are shared and absolute timings are noisy.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plansearch-bench",
        abstract: "PlanSearch benchmarks (run with -c release).",
        subcommands: [AnalyzerBench.self, RelevanceBench.self, IndexBench.self, QueryBench.self, ReindexBench.self, ScaleBench.self, XapianBench.self, TermsBench.self]
    )
}
