import ArgumentParser
import Foundation
import PlanAnalyzer
import PlanIndex
import XapianKit

/// `plansearch-bench terms`: what the index build writes, by field and kind of term, for our
/// analyzer and for the n-gram baseline. The writer's cost follows (term, section) pairs (one
/// in-memory posting change each, merged into the inverted lists at commit) and positions, so
/// this says which terms are worth their cost.
struct TermsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "terms", abstract: "Term census of the corpus build: pairs and positions by field and kind.")

    @Option(help: "The corpus directory.")
    var corpus = BenchSupport.defaultCorpus

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Count: Encodable {
        /// Distinct (term, section) pairs: entries in the inverted lists and the term lists.
        var pairs = 0
        /// Positions written (positioned occurrences).
        var positions = 0
        /// Occurrences, positioned or not.
        var occurrences = 0
    }

    struct Report: Encodable {
        var sections: Int
        var text_mb: Double
        /// "field/kind" for ours; "field/baseline-class" for the n-gram index.
        var ours: [String: Count]
        var baseline: [String: Count]
        var stored_data_bytes: Int
        var boolean_terms: Int
    }

    func run() throws {
        let schema = try BenchSupport.schema()
        let documents = try BenchSupport.sectionedCorpus(corpus, schema: schema)
        let analyzer = try AnalyzerChoice.planAnalyzer(for: schema)
        var ours: [String: Count] = [:]
        var baseline: [String: Count] = [:]
        var sections = 0, dataBytes = 0, booleans = 0
        let builder = SectionDocumentBuilder(layout: IndexLayout(schema: schema), analyzer: XapianNgramAnalyzer())
        for d in documents {
            for s in d.sections where s.isIndexed {
                sections += 1
                let heading = zip(s.heading, s.headingTitles).map { $1.isEmpty ? $0 : "\($0) \($1)" }.joined(separator: "\n")
                for (field, text) in [("body", s.text), ("heading", heading), ("title", d.title)] where !text.isEmpty {
                    var seen: Set<String> = []
                    analyzer.analyzeTerms(text) { view in
                        // Fields without positions keep fewer terms (TermBatch's rule).
                        guard field == "body" || view.keptWithoutPositions else { return }
                        let key = "\(field)/\(view.kind.rawValue)"
                        let term = view.kind.rawValue + ":" + view.string
                        ours[key, default: Count()].occurrences += 1
                        if field == "body", view.position > 0 { ours[key, default: Count()].positions += 1 }
                        if seen.insert(term).inserted { ours[key, default: Count()].pairs += 1 }
                    }
                    // The baseline's n-grams: unigrams positioned in the body, bigrams never.
                    var seenGrams: Set<String> = []
                    let grams = Self.ngrams(text)
                    for gram in grams {
                        let key = "\(field)/\(gram.count == 1 ? "unigram" : gram.first.map { Self.isHan($0) } == true ? "bigram" : "other")"
                        baseline[key, default: Count()].occurrences += 1
                        if field == "body", gram.count == 1 || !Self.isHan(gram.first ?? " ") { baseline[key, default: Count()].positions += 1 }
                        if seenGrams.insert(String(gram)).inserted { baseline[key, default: Count()].pairs += 1 }
                    }
                }
                let doc = try builder.document(for: s, of: d)
                dataBytes += doc.data.count
                booleans += doc.booleanTerms.count
            }
        }
        let report = Report(sections: sections, text_mb: Double(BenchSupport.textBytes(documents)) / 1e6, ours: ours,
                            baseline: baseline, stored_data_bytes: dataBytes, boolean_terms: booleans)
        if json { try BenchSupport.printJSON(report); return }
        print(String(format: "%d sections, %.2f MB of text, stored data %.2f MB, %d boolean terms", sections,
                     report.text_mb, Double(dataBytes) / 1e6, booleans))
        for (name, table) in [("ours", ours), ("n-gram baseline (approximate)", baseline)] {
            print(name)
            let total = table.values.reduce(0) { $0 + $1.pairs }
            for (key, c) in table.sorted(by: { $0.value.pairs > $1.value.pairs }) {
                print(String(format: "  %-16@ pairs %8d (%4.1f%%)  positions %8d  occurrences %8d", key as NSString, c.pairs,
                             100 * Double(c.pairs) / Double(max(total, 1)), c.positions, c.occurrences))
            }
            print(String(format: "  total pairs %d, positions %d", total, table.values.reduce(0) { $0 + $1.positions }))
        }
    }

    static func isHan(_ c: Character) -> Bool {
        c.unicodeScalars.first.map { $0.properties.isIdeographic } ?? false
    }

    /// An approximation of TermGenerator's FLAG_CJK_NGRAM: each Han run gives its characters and
    /// adjacent pairs; other words are lower-cased whole.
    static func ngrams(_ text: String) -> [Substring] {
        var out: [Substring] = []
        var run: [Character] = []
        var word = ""
        func flushRun() {
            for (i, c) in run.enumerated() {
                out.append(Substring(String(c)))
                if i + 1 < run.count { out.append(Substring(String([c, run[i + 1]]))) }
            }
            run.removeAll()
        }
        func flushWord() { if !word.isEmpty { out.append(Substring(word.lowercased())); word = "" } }
        for c in text {
            if isHan(c) { flushWord(); run.append(c) } else if c.isLetter || c.isNumber { flushRun(); word.append(c) } else {
                flushRun(); flushWord()
            }
        }
        flushRun(); flushWord()
        return out
    }
}
