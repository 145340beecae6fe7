/// `ranking.heading_factors`: a section's weight multiplied by the factor of each heading in its
/// path that the schema names. The path is stored as a value at index time and the factors are
/// looked up at search time, so editing them needs no reindex.
enum HeadingFactors {
    /// Separates the path's headings in the stored value (a control character no heading holds).
    static let separator: UInt8 = 0x1F

    /// The stored form of a heading path: each heading without whitespace (PDF extraction puts
    /// spaces in some headings and not in others), joined by `separator`.
    static func key(_ heading: [String]) -> String {
        heading.map { $0.filter { !$0.isWhitespace } }.joined(separator: "\u{1F}")
    }

    /// The product of the factors of the headings in a stored path (each heading once); 1 when
    /// none is named.
    static func factor(of stored: [UInt8], in factors: [String: Double]) -> Double {
        guard !factors.isEmpty, !stored.isEmpty else { return 1 }
        var seen = Set<String>()
        var product = 1.0
        for part in stored.split(separator: separator, omittingEmptySubsequences: true) {
            let name = String(decoding: part, as: UTF8.self)
            if let factor = factors[name], seen.insert(name).inserted { product *= factor }
        }
        return product
    }
}
