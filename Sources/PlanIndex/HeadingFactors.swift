/// `ranking.heading_factors`: a section's weight multiplied by the factor of each heading in its
/// path that the schema names. The path is stored as a value at index time and the factors are
/// looked up at search time, so editing them re-splits nothing.
enum HeadingFactors {
    /// Separates the path's headings in the stored value (a control character; schema keys
    /// may not hold one, and headings have it taken out).
    static let separator: UInt8 = 0x1F

    /// The stored form of a section's heading path: each heading, and each title that followed
    /// one on its next line, folded as heading filter terms are (``IndexLayout/foldHeading``:
    /// case, width and whitespace), joined by `separator`.
    static func key(heading: [String], titles: [String]) -> String {
        key(folded: (heading + titles.filter { !$0.isEmpty }).map(IndexLayout.foldHeading))
    }

    /// The same from the path's headings and titles already folded, in that order (the index
    /// builder folds each once for its filter term too).
    static func key(folded: [String]) -> String {
        folded.map { $0.utf8.contains(separator) ? $0.filter { $0 != "\u{1F}" } : $0 }
            .joined(separator: "\u{1F}")
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
