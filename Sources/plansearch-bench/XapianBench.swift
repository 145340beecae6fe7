import ArgumentParser
import Foundation
import XapianKit

/// `plansearch-bench xapian`: the cost of going through XapianKit rather than calling
/// TermGenerator directly, on synthetic Latin+Han documents (no corpus needed).
struct XapianBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "xapian", abstract: "Write and search a throwaway database through XapianKit.")

    @Option(help: "Documents to write.")
    var documents = 2000

    @Option(help: "Repetitions; medians are reported.")
    var runs = 3

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Report: Encodable {
        var documents: Int
        var runs: Int
        var manual_docs_per_s: Double
        var baseline_docs_per_s: Double
        var ratio: Double
        var search_us_median: Double
    }

    func run() throws {
        let words = ["可持续发展", "目标", "国际贸易中心", "妇女", "方案", "预算", "COVID-19", "2030", "评估", "能力"]
        var manual: [Double] = []
        var baseline: [Double] = []
        var searchTimes: [Double] = []
        for _ in 0..<runs {
            let text = (0..<documents).map { i in
                (0..<40).map { words[($0 * 7 + i) % words.count] }.joined()
            }
            manual.append(try timeBuild(documents: documents) { i in
                var doc = Document()
                var position: UInt32 = 1
                for scalar in text[i].unicodeScalars {
                    doc.addPosting(String(scalar), at: position)
                    position += 1
                }
                doc.addBooleanTerm("Q\(i)")
                return doc
            })
            baseline.append(try timeBuild(documents: documents) { i in
                XapianBaseline.document(text: text[i])
            })
            searchTimes.append(try timeSearch())
        }
        let report = Report(documents: documents, runs: runs,
                            manual_docs_per_s: median(manual), baseline_docs_per_s: median(baseline),
                            ratio: median(manual) / max(median(baseline), 1e-9),
                            search_us_median: median(searchTimes))
        if json {
            print(String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
        } else {
            print("manual postings: \(Int(report.manual_docs_per_s)) docs/s")
            print("TermGenerator:   \(Int(report.baseline_docs_per_s)) docs/s")
            print("ratio:           \(String(format: "%.2f", report.ratio))")
            print("search median:   \(String(format: "%.1f", report.search_us_median)) µs")
        }
    }

    private func temporaryDirectory() -> String {
        NSTemporaryDirectory() + "plansearch-bench-\(UUID().uuidString)"
    }

    private func timeBuild(documents: Int, make: (Int) -> Document) throws -> Double {
        let path = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try WritableDatabase(path: path, mode: .createOrOverwrite, durable: false)
        let start = ContinuousClock.now
        for i in 0..<documents { try writer.add(make(i)) }
        try writer.commit()
        let elapsed = ContinuousClock.now - start
        try writer.close()
        return Double(documents) / seconds(elapsed)
    }

    private func timeSearch() throws -> Double {
        let path = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try WritableDatabase(path: path, mode: .createOrOverwrite, durable: false)
        for i in 0..<500 { try writer.add(XapianBaseline.document(text: "文档 \(i) 可持续发展目标 妇女")) }
        try writer.commit()
        try writer.close()
        let reader = try Database(path: path)
        defer { try? reader.close() }
        let query = XapianBaseline.query("可持续发展")
        var times: [Double] = []
        for _ in 0..<200 {
            let start = ContinuousClock.now
            _ = try reader.search(query)
            times.append(seconds(ContinuousClock.now - start) * 1e6)
        }
        return median(times)
    }
}

func seconds(_ duration: Duration) -> Double {
    let (s, attoseconds) = duration.components
    return Double(s) + Double(attoseconds) * 1e-18
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
