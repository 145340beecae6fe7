import ArgumentParser
import Foundation
import PlanAnalyzer
import PlanIndex
import XapianKit

/// `plansearch-bench analyzer`: PlanSearch's analyzer alone on a plan's sections, beside Xapian's
/// TermGenerator (FLAG_CJK_NGRAM) turning the same sections into Xapian documents, in the same
/// run; plus the lexicon's load time, and the full build of the same sections (analysis and
/// writing a database) beside the n-gram build, with the share of time spent inside Xapian.
///
/// "The analyzer alone" is the path indexing uses: `PlanDocumentAnalyzer` putting every term's
/// bytes and position into a `Document`, one per section, as the baseline fills one Xapian
/// document per section. The `Token` API (a String per term, for `plansearch analyze` and
/// queries) is reported beside it.
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
        var token_api_mb_per_s: Double
        var lexicon_load_ms: Double
        var lexicon_words: Int
        /// Full builds of the same sections into a fresh database (one writer), and the share of
        /// our build's time spent in Xapian (the build less making the documents).
        var build_mb_per_s: Double
        var build_baseline_mb_per_s: Double
        var build_ratio: Double
        var build_xapian_share: Double
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

        let adapter = PlanDocumentAnalyzer(analyzer: analyzer)
        var ours: [Double] = [], baseline: [Double] = [], tokenAPI: [Double] = []
        var tokens = 0
        for _ in 0..<runs {
            var count = 0
            var t = ContinuousClock.now
            // As the indexer does for a file's sections: one scratch, made afresh each run.
            var scratch = AnalysisScratch()
            for text in texts {
                var doc = Document()
                _ = adapter.index(text, prefix: "", wdf: 1, from: 1, positional: true, into: &doc, scratch: &scratch)
                count += doc.postingCount + doc.termCount
            }
            ours.append(Indexer.seconds(ContinuousClock.now - t))
            tokens = count
            t = ContinuousClock.now
            for text in texts { _ = try XapianBaseline.indexText(text) }
            baseline.append(Indexer.seconds(ContinuousClock.now - t))
            t = ContinuousClock.now
            for text in texts { analyzer.analyze(text) { _ in count += 1 } }
            tokenAPI.append(Indexer.seconds(ContinuousClock.now - t))
        }

        // The full build, as `plansearch-bench index` makes it, on this plan alone.
        let documents = [document]
        let indexBench = try IndexBench.parse([])
        let builder = SectionDocumentBuilder(layout: IndexLayout(schema: schema), analyzer: adapter)
        var builds: [Double] = [], baselineBuilds: [Double] = [], making: [Double] = []
        for _ in 0..<runs {
            builds.append(try indexBench.build(documents, schema, adapter, parallel: false, bytes: bytes).seconds)
            baselineBuilds.append(try indexBench.build(documents, schema, XapianNgramAnalyzer(), parallel: false,
                                                       bytes: bytes).seconds)
            let t = ContinuousClock.now
            var scratch = AnalysisScratch()
            for s in document.sections where s.isIndexed { _ = try builder.document(for: s, of: document, scratch: &scratch) }
            making.append(Indexer.seconds(ContinuousClock.now - t))
        }

        let mb = Double(bytes) / 1e6
        let report = Report(mb: mb, runs: runs, mb_per_s: mb / median(ours), baseline_mb_per_s: mb / median(baseline),
                            ratio: median(baseline) / median(ours), tokens_per_mb: Double(tokens) / mb,
                            token_api_mb_per_s: mb / median(tokenAPI),
                            lexicon_load_ms: median(loads), lexicon_words: analyzer.lexicon.wordCount,
                            build_mb_per_s: mb / median(builds), build_baseline_mb_per_s: mb / median(baselineBuilds),
                            build_ratio: median(baselineBuilds) / median(builds),
                            build_xapian_share: max(0, 1 - median(making) / median(builds)))
        if json { try BenchSupport.printJSON(report); return }
        print(String(format: "%.2f MB of sections; medians of %d runs", mb, runs))
        print(String(format: "PlanSearch analyzer   %6.1f MB/s (terms into documents; %.1f MB/s as Token values)",
                     report.mb_per_s, report.token_api_mb_per_s))
        print(String(format: "Xapian TermGenerator  %6.1f MB/s (FLAG_CJK_NGRAM, into Xapian documents)", report.baseline_mb_per_s))
        print(String(format: "ratio %.2fx; lexicon (%d words) loads in %.1f ms", report.ratio, report.lexicon_words, report.lexicon_load_ms))
        print(String(format: "full build            %6.1f MB/s vs %.1f MB/s with Xapian n-grams (%.2fx); %.0f%% of ours inside Xapian",
                     report.build_mb_per_s, report.build_baseline_mb_per_s, report.build_ratio, report.build_xapian_share * 100))
    }
}
