import ArgumentParser
import Foundation
import PlanAnalyzer
import PlanIndex
import XapianKit

/// `plansearch-bench analyzer`: PlanSearch's analyzer alone on a plan's sections, beside Xapian's
/// TermGenerator (FLAG_CJK_NGRAM) turning the same sections into Xapian documents, in the same
/// run; plus the lexicon's load time.
struct AnalyzerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyzer", abstract: "Analyzer MB/s vs Xapian's TermGenerator; lexicon load time.")

    @Option(help: "The plan file.")
    var file = BenchSupport.defaultCorpus + "/un-programme-plan-2021.txt"

    @Option(help: "Runs; medians are reported.")
    var runs = 5

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Report: Encodable {
        var mb: Double
        var runs: Int
        var mb_per_s: Double
        var baseline_mb_per_s: Double
        var ratio: Double
        var tokens_per_mb: Double
        var lexicon_load_ms: Double
        var lexicon_words: Int
    }

    func run() throws {
        let schema = try BenchSupport.schema()
        let source = try SourceReader().read(file)
        let document = Sectioner(schema: schema).split(text: source.text, documentID: "bench", file: file)
        let texts = document.sections.filter(\.isIndexed).map(\.text)
        let bytes = texts.reduce(0) { $0 + $1.utf8.count }

        // Lexicon load from the compiled cache (built first if missing), as a daemon starts.
        let options = Analyzer.Options(lexicons: schema.lexiconPaths, foldTraditional: schema.analyzer.foldTraditional)
        _ = try Analyzer(options: options)
        var loads: [Double] = []
        var analyzer = try Analyzer(options: options)
        for _ in 0..<runs {
            let t = ContinuousClock.now
            analyzer = try Analyzer(options: options)
            loads.append(Indexer.seconds(ContinuousClock.now - t) * 1000)
        }

        var ours: [Double] = [], baseline: [Double] = []
        var tokens = 0
        for _ in 0..<runs {
            var count = 0
            var t = ContinuousClock.now
            for text in texts { analyzer.analyze(text) { _ in count += 1 } }
            ours.append(Indexer.seconds(ContinuousClock.now - t))
            tokens = count
            t = ContinuousClock.now
            for text in texts { _ = try XapianBaseline.indexText(text) }
            baseline.append(Indexer.seconds(ContinuousClock.now - t))
        }
        let mb = Double(bytes) / 1e6
        let report = Report(mb: mb, runs: runs, mb_per_s: mb / median(ours), baseline_mb_per_s: mb / median(baseline),
                            ratio: median(baseline) / median(ours), tokens_per_mb: Double(tokens) / mb,
                            lexicon_load_ms: median(loads), lexicon_words: analyzer.lexicon.wordCount)
        if json { try BenchSupport.printJSON(report); return }
        print(String(format: "%.2f MB of sections; medians of %d runs", mb, runs))
        print(String(format: "PlanSearch analyzer   %6.1f MB/s", report.mb_per_s))
        print(String(format: "Xapian TermGenerator  %6.1f MB/s (FLAG_CJK_NGRAM, into Xapian documents)", report.baseline_mb_per_s))
        print(String(format: "ratio %.2fx; lexicon (%d words) loads in %.1f ms", report.ratio, report.lexicon_words, report.lexicon_load_ms))
    }
}
