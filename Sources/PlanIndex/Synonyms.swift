import Foundation
import PlanAnalyzer

/// Groups of names that find each other (联合国工业发展组织 | 工发组织 | UNIDO), read from the
/// schema's synonyms file and applied when a query is built, so the list grows without a reindex.
public struct SynonymTable: Sendable {
    /// Normalised variant -> the group's variants as written.
    private var groups: [String: [String]] = [:]

    public init() {}

    /// Reads `path`: one group per line, variants separated by "|", "#" comments.
    /// A malformed line is an error naming the file and line.
    public init(path: String, normalize: (String) -> String) throws {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw IndexError("\(path): cannot read the synonyms file: \(error.localizedDescription)")
        }
        for (number, raw) in TextLines.split(text).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            if line.trimmingWhitespace.isEmpty { continue }
            let variants = line.split(separator: "|").map { String($0).trimmingWhitespace }
            guard variants.count >= 2, variants.allSatisfy({ !$0.isEmpty }) else {
                throw IndexError("\(path):\(number + 1): a synonym group needs at least two names separated by \"|\"")
            }
            for variant in variants { groups[normalize(variant), default: []] += variants }
        }
        for key in groups.keys { groups[key] = Array(Set(groups[key] ?? [])).sorted() }
    }

    /// The variants of the group `text` belongs to (including itself), or nil.
    public func variants(of normalized: String) -> [String]? { groups[normalized] }

    public var isEmpty: Bool { groups.isEmpty }
}
