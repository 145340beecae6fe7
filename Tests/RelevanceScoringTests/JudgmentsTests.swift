import Foundation
import Testing
import RelevanceScoring

@Suite("Scoring a query's hits against its needles")
struct JudgmentsTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var needles: [Needle]
        var hits: [String]
        var ndcg: Double, recall: Double, reciprocalRank: Double
        var testDescription: String { name }
    }

    static let a = Needle(text: "妇女经济赋权", grade: 2)
    static let b = Needle(text: "电子鸿沟", grade: 2)
    static let c = Needle(text: "出口潜力地图", grade: 1)
    /// DCG's discount at 0-based `rank`.
    static func at(_ rank: Int) -> Double { 1 / log2(Double(rank + 2)) }

    static let cases: [Case] = [
        Case(name: "each needle in its own hit, best grade first, is the ideal",
             needles: [a, c], hits: ["……妇女经济赋权……", "……出口潜力地图……"], ndcg: 1, recall: 1, reciprocalRank: 1),
        Case(name: "the same two hits the other way round",
             needles: [a, c], hits: ["出口潜力地图", "妇女经济赋权"],
             ndcg: (1 * at(0) + 2 * at(1)) / (2 * at(0) + 1 * at(1)), recall: 1, reciprocalRank: 1),
        // Summing grades gave this hit 3 at rank 1, above the ideal's 2: nDCG 1.14.
        Case(name: "a hit holding two needles gains the better grade, not their sum",
             needles: [a, c], hits: ["妇女经济赋权和出口潜力地图"],
             ndcg: 2 * at(0) / (2 * at(0) + 1 * at(1)), recall: 1, reciprocalRank: 1),
        Case(name: "needles an earlier hit holds are not credited again",
             needles: [a, b, c], hits: ["妇女经济赋权 电子鸿沟", "电子鸿沟", "出口潜力地图"],
             ndcg: (2 * at(0) + 1 * at(2)) / (2 * at(0) + 2 * at(1) + 1 * at(2)), recall: 1, reciprocalRank: 1),
        Case(name: "a needle counts once, for the first hit that holds it",
             needles: [a], hits: ["别的", "妇女经济赋权", "妇女经济赋权"], ndcg: at(1) / at(0), recall: 1, reciprocalRank: 0.5),
        Case(name: "whitespace is removed from both (lines broken inside a word)",
             needles: [Needle(text: "妇女 经济赋权", grade: 2)], hits: ["次级方案 3 妇女经\n济赋权"], ndcg: 1, recall: 1, reciprocalRank: 1),
        Case(name: "no hit holds a needle", needles: [a, b], hits: ["别的", "也不是"], ndcg: 0, recall: 0, reciprocalRank: 0),
        Case(name: "only the first ten hits count",
             needles: [a], hits: Array(repeating: "别的", count: 10) + ["妇女经济赋权"], ndcg: 0, recall: 0, reciprocalRank: 0),
        Case(name: "recall counts the needles found, whatever their grade",
             needles: [a, b, c], hits: ["出口潜力地图"], ndcg: 1 * at(0) / (2 * at(0) + 2 * at(1) + 1 * at(2)),
             recall: 1.0 / 3, reciprocalRank: 1),
        Case(name: "no hits", needles: [a], hits: [], ndcg: 0, recall: 0, reciprocalRank: 0),
    ]

    @Test("nDCG@10, Recall@10 and MRR@10 of one query", arguments: cases)
    func score(_ c: Case) {
        let s = Judgments.score(c.needles, hits: c.hits)
        #expect(abs(s.ndcg - c.ndcg) < 1e-9, "nDCG \(s.ndcg), expected \(c.ndcg)")
        #expect(abs(s.recall - c.recall) < 1e-9)
        #expect(abs(s.reciprocalRank - c.reciprocalRank) < 1e-9)
    }

    /// Every ranking of up to four hits, each holding any subset of three needles (graded as
    /// the judgments are, 1 or 2), scores within 0...1.
    @Test("nDCG never leaves 0...1", arguments: [[2, 1, 1], [2, 2, 1], [2, 2, 2], [1, 1, 1]])
    func bounded(_ grades: [Int]) {
        let needles = grades.enumerated().map { Needle(text: "needle\($0.offset)x", grade: $0.element) }
        let subsets = (0..<8).map { mask in
            needles.indices.filter { mask & (1 << $0) != 0 }.map { needles[$0].text }.joined(separator: " ")
        }
        var worst = 0.0, checked = 0
        func extend(_ hits: [String]) {
            let s = Judgments.score(needles, hits: hits)
            worst = max(worst, s.ndcg)
            checked += 1
            #expect(s.ndcg >= 0)
            if hits.count < 4 { for subset in subsets { extend(hits + [subset]) } }
        }
        extend([])
        #expect(worst <= 1 + 1e-12, "best nDCG \(worst) over \(checked) rankings")
        #expect(abs(worst - 1) < 1e-12)  // and the ideal is reachable
    }
}
