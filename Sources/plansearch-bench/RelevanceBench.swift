import ArgumentParser
import Foundation
import Logging
import PlanDaemon
import PlanIndex
import PlanProtocol
import RelevanceScoring
import XapianKit

/// `plansearch-bench relevance`: the judged queries of Tests/Relevance/queries.json run through
/// the daemon's protocol, and in the same run through Xapian's own n-gram TermGenerator and
/// QueryParser over the same sections (the baseline). Judged by text, not ids: a hit contains a
/// needle when the needle is a substring of the hit's text with all whitespace removed.
struct RelevanceBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relevance", abstract: "nDCG@10, Recall@10, MRR@10 per query kind, ours vs the n-gram baseline.")

    @Option(help: "The corpus directory.")
    var corpus = BenchSupport.defaultCorpus

    @Option(help: "The judged queries.")
    var queries = BenchSupport.root + "/Tests/Relevance/queries.json"

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "List each query's scores.")
    var verbose = false

    @Option(help: "Write the pool for judging to this JSON file: per query, the union of both systems' top 10, without saying which system found which hit, in a fixed shuffled order.")
    var pool: String?

    typealias Judged = JudgedQuery
    struct File: Decodable { var queries: [Judged] }

    struct Scores: Encodable {
        var queries = 0
        var ndcg = 0.0, recall = 0.0, mrr = 0.0
        /// For no-answer queries: share answered with no hits or `exact: false`.
        var no_answer_ok: Double?
    }

    struct Report: Encodable {
        var ours: [String: Scores]
        var baseline: [String: Scores]
        var overall_ndcg_gain: Double
        /// The same with only the needles chosen before any search (no pooled ones): a check
        /// that the pooled judgments did not decide the comparison.
        var ours_original_needles: [String: Scores]
        var baseline_original_needles: [String: Scores]
    }

    func run() async throws {
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: queries)))
        let schema = try BenchSupport.schema()
        let work = BenchSupport.temporaryDirectory("relevance")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }

        // Ours, through the daemon's protocol on a temporary socket.
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let daemon = try Daemon(configuration: DaemonConfiguration(
            databasePath: work + "/ours", socketPath: work + "/s.sock", schema: schema, analyzer: .plansearch,
            roots: [corpus], version: "bench"), logger: logger)
        _ = try await daemon.router.reindex(paths: nil)
        let serving = Task { try await daemon.run() }
        var client: DaemonClient?
        for _ in 0..<200 where client == nil {
            client = try? DaemonClient(socketPath: work + "/s.sock")
            if client == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        guard let client else { throw ValidationError("the daemon did not start") }

        // The baseline over the same sections.
        let indexer = try Indexer(databasePath: work + "/baseline", schema: schema, analyzer: XapianNgramAnalyzer(), durable: false)
        _ = try indexer.index(paths: [corpus])
        try indexer.close()
        let baseline = try Database(path: work + "/baseline")
        defer { try? baseline.close() }

        var ours: [String: [Double]] = [:], base: [String: [Double]] = [:]
        var oursScores: [String: Scores] = [:], baseScores: [String: Scores] = [:]
        var pooled: [PoolEntry] = []
        var oursOriginal: [String: Scores] = [:], baseOriginal: [String: Scores] = [:], ignored: [String: [Double]] = [:]
        for q in file.queries {
            let result = try client.call("search", params: ["query": q.query, "limit": 10, "with_text": true], as: SearchResult.self)
            let texts = result.hits.map { $0.text ?? "" }
            var options = SearchOptions()
            options.limit = 10
            let baseTexts: [String]
            do {
                baseTexts = try baseline.search(.parsed(q.query, prefix: "", cjkNgram: true, defaultAnd: true), options: options).hits.map {
                    (try? StoredSection(decoding: $0.data).section.text) ?? ""
                }
            } catch {
                baseTexts = []  // Xapian 1.4.22's QueryParser throws on some mixed queries
            }
            if pool != nil { pooled.append(PoolEntry(q, ours: texts, baseline: baseTexts)) }
            accumulate(q, texts: texts, exact: result.exact, into: &oursScores, perQuery: &ours)
            accumulate(q, texts: baseTexts, exact: true, into: &baseScores, perQuery: &base)
            var original = q
            original.needles = q.needles.filter { $0.pooled != true }
            if !original.needles.isEmpty || q.needles.isEmpty {
                accumulate(original, texts: texts, exact: result.exact, into: &oursOriginal, perQuery: &ignored)
                accumulate(original, texts: baseTexts, exact: true, into: &baseOriginal, perQuery: &ignored)
            }
        }
        daemon.requestShutdown()
        _ = try? await serving.value
        if let pool {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(pooled).write(to: URL(fileURLWithPath: pool))
        }

        func finish(_ scores: [String: Scores]) -> [String: Scores] {
            var out: [String: Scores] = [:]
            var all = Scores()
            for (kind, s) in scores {
                var f = s
                if s.queries > 0, s.no_answer_ok == nil {
                    f.ndcg /= Double(s.queries); f.recall /= Double(s.queries); f.mrr /= Double(s.queries)
                    all.queries += s.queries; all.ndcg += s.ndcg; all.recall += s.recall; all.mrr += s.mrr
                }
                if let ok = s.no_answer_ok { f.no_answer_ok = ok / Double(max(1, s.queries)) }
                out[kind] = f
            }
            if all.queries > 0 {
                all.ndcg /= Double(all.queries); all.recall /= Double(all.queries); all.mrr /= Double(all.queries)
            }
            out["overall"] = all
            return out
        }
        let report = Report(ours: finish(oursScores), baseline: finish(baseScores),
                            overall_ndcg_gain: (finish(oursScores)["overall"]?.ndcg ?? 0) - (finish(baseScores)["overall"]?.ndcg ?? 0),
                            ours_original_needles: finish(oursOriginal), baseline_original_needles: finish(baseOriginal))
        if json { try BenchSupport.printJSON(report); return }
        print("kind            n   nDCG@10 (base)    R@10 (base)    MRR@10 (base)")
        for kind in report.ours.keys.sorted() {
            let o = report.ours[kind] ?? Scores(), b = report.baseline[kind] ?? Scores()
            if let ok = o.no_answer_ok {
                print(String(format: "%-14@ %3d   no hits or exact:false %.2f (base %.2f)", kind as NSString, o.queries, ok, b.no_answer_ok ?? 0))
            } else {
                print(String(format: "%-14@ %3d   %.3f (%.3f)    %.3f (%.3f)   %.3f (%.3f)", kind as NSString, o.queries,
                             o.ndcg, b.ndcg, o.recall, b.recall, o.mrr, b.mrr))
            }
        }
        if let o = report.ours_original_needles["overall"], let b = report.baseline_original_needles["overall"] {
            print(String(format: "original needles only (chosen before any search): nDCG@10 %.3f (%.3f)", o.ndcg, b.ndcg))
        }
        if verbose {
            for q in file.queries {
                print(String(format: "%@ %-12@ ours %.2f base %.2f  %@", q.id as NSString, q.kind as NSString,
                             ours[q.id]?.first ?? 0, base[q.id]?.first ?? 0, q.query as NSString))
            }
        }
    }

    /// One query's pooled hits for judging: each distinct section text once, in an order that
    /// depends on the text only (so the judge cannot tell which system ranked it where), with
    /// whether an existing needle already marks it.
    struct PoolEntry: Encodable {
        struct Hit: Encodable { var text: String; var judged_needles: [String] }
        var id: String, kind: String, query: String
        var hits: [Hit]

        init(_ q: Judged, ours: [String], baseline: [String]) {
            id = q.id; kind = q.kind; query = q.query
            var seen = Set<String>()
            var unique: [String] = []
            for text in ours.prefix(10) + baseline.prefix(10) where seen.insert(Judgments.squeeze(text)).inserted {
                unique.append(text)
            }
            // FNV-1a of the text: an order that is fixed, yet unrelated to either ranking.
            func order(_ text: String) -> UInt64 {
                text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x0000_0100_0000_01b3 }
            }
            hits = unique.sorted { order($0) < order($1) }.map { text in
                let squeezed = Judgments.squeeze(text)
                return Hit(text: text, judged_needles: q.needles.map(\.text).filter { squeezed.contains(Judgments.squeeze($0)) })
            }
        }
    }

    func accumulate(_ q: Judged, texts: [String], exact: Bool, into scores: inout [String: Scores], perQuery: inout [String: [Double]]) {
        var s = scores[q.kind] ?? Scores()
        s.queries += 1
        if q.needles.isEmpty {
            let ok = texts.isEmpty || !exact
            s.no_answer_ok = (s.no_answer_ok ?? 0) + (ok ? 1 : 0)
            scores[q.kind] = s
            perQuery[q.id] = [ok ? 1 : 0]
            return
        }
        let score = Judgments.score(q.needles, hits: texts)
        s.ndcg += score.ndcg
        s.recall += score.recall
        s.mrr += score.reciprocalRank
        scores[q.kind] = s
        perQuery[q.id] = [score.ndcg]
    }
}
