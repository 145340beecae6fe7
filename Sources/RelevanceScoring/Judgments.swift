import Foundation

/// How the relevance suite scores one query's ranked hits against its judgments, kept apart from
/// the bench (which runs the searches) so the arithmetic can be tested on its own.
///
/// Judgments are by text, not by section id, so they survive any change to sectioning: a query
/// lists short verbatim passages ("needles", grade 2 = best answer, 1 = relevant), and a hit
/// holds a needle when the needle is a substring of the hit's text, all whitespace removed from
/// both.
public struct Needle: Decodable, Sendable, Equatable {
    public var text: String
    public var grade: Int
    /// Judged from the pool of both systems' top 10 (rather than chosen before any search).
    public var pooled: Bool?

    public init(text: String, grade: Int, pooled: Bool? = nil) {
        self.text = text
        self.grade = grade
        self.pooled = pooled
    }
}

/// One judged query of Tests/Relevance/queries.json.
public struct JudgedQuery: Decodable, Sendable {
    public var id: String
    public var kind: String
    public var query: String
    public var needles: [Needle]
}

/// One query's scores over its first `depth` hits.
public struct QueryScore: Sendable, Equatable {
    public var ndcg: Double
    /// The share of the needles held by some hit.
    public var recall: Double
    /// 1 / the rank of the first hit that holds a needle; 0 when none does.
    public var reciprocalRank: Double
}

public enum Judgments {
    /// `text` without any whitespace: PDF extraction breaks lines (and so words) anywhere.
    public static func squeeze(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { !$0.properties.isWhitespace }))
    }

    /// nDCG@depth, Recall@depth and MRR@depth of `hits` (section texts, best first).
    ///
    /// A needle counts once, for the first hit that holds it. A hit's gain is the best grade
    /// among the needles it is the first to hold: the ideal ranking puts one needle per rank,
    /// best grades first, and with a per-hit gain no larger than one needle's grade no ranking
    /// can beat it, so nDCG stays within 0...1. (Summing the grades of every needle a hit holds,
    /// as the bench did until session 33, gave a section holding two needles 3 or 4 at one rank:
    /// 泥炭地 scored 0.94 for 0.81, and one experiment showed a query at 1.06.) The other needles
    /// that hit holds still count for recall, and no later hit is credited with them.
    public static func score(_ needles: [Needle], hits: [String], depth: Int = 10) -> QueryScore {
        let wanted = needles.map { squeeze($0.text) }
        var found = Set<Int>()
        var dcg = 0.0
        var firstRank: Int?
        for (rank, text) in hits.prefix(depth).enumerated() {
            let squeezed = squeeze(text)
            var gain = 0
            for (i, needle) in wanted.enumerated() where !found.contains(i) && squeezed.contains(needle) {
                found.insert(i)
                gain = max(gain, needles[i].grade)
            }
            if gain > 0 {
                dcg += Double(gain) / log2(Double(rank + 2))
                if firstRank == nil { firstRank = rank + 1 }
            }
        }
        let ideal = needles.map(\.grade).filter { $0 > 0 }.sorted(by: >).prefix(depth).enumerated()
            .reduce(0.0) { $0 + Double($1.element) / log2(Double($1.offset + 2)) }
        return QueryScore(ndcg: ideal > 0 ? dcg / ideal : 0,
                          recall: needles.isEmpty ? 0 : Double(found.count) / Double(needles.count),
                          reciprocalRank: firstRank.map { 1 / Double($0) } ?? 0)
    }
}
