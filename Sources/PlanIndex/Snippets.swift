/// Finds where query words stand in a section's text, in the original text's Unicode scalar
/// offsets, by matching normalised forms (so 國際 in a query highlights 国际 in the text).
struct Highlighter {
    let analyzer: any QueryAnalyzer

    func matches(of words: [String], in text: String) -> [Range<Int>] {
        let (normalized, origin) = analyzer.normalizeForHighlighting(text)
        var ranges: [Range<Int>] = []
        for word in Set(words) where !word.isEmpty {
            let needle = analyzer.normalizeForHighlighting(word).text.filter { !$0.properties.isWhitespace }
            guard !needle.isEmpty, needle.count <= normalized.count else { continue }
            var i = 0
            while i + needle.count <= normalized.count {
                if normalized[i] == needle[0], Array(normalized[i..<(i + needle.count)]) == needle {
                    ranges.append(origin[i]..<origin[i + needle.count])
                    i += needle.count
                } else {
                    i += 1
                }
            }
        }
        return Self.merge(ranges)
    }

    /// Overlapping or touching ranges become one, so a phrase highlights as a whole.
    static func merge(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = out.last, r.lowerBound <= last.upperBound {
                out[out.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                out.append(r)
            }
        }
        return out
    }
}

/// Plain text around the best match, with highlight ranges relative to the snippet.
struct Snippet {
    var text: String
    var highlights: [Range<Int>]

    static func make(text: String, matches: [Range<Int>], length: Int) -> Snippet {
        let scalars = Array(text.unicodeScalars)
        guard scalars.count > length else { return Snippet(text: text, highlights: matches) }
        // The window holding the most matched characters; ties go to the earliest.
        var bestStart = 0, bestScore = -1
        for m in matches {
            let start = max(0, min(m.lowerBound - length / 4, scalars.count - length))
            let score = matches.reduce(0) { acc, r in
                acc + max(0, min(r.upperBound, start + length) - max(r.lowerBound, start))
            }
            if score > bestScore { bestScore = score; bestStart = start }
        }
        let end = min(scalars.count, bestStart + length)
        var snippet = String(String.UnicodeScalarView(scalars[bestStart..<end]))
        var shift = bestStart
        if bestStart > 0 { snippet = "…" + snippet; shift -= 1 }
        if end < scalars.count { snippet += "…" }
        let highlights = matches.compactMap { r -> Range<Int>? in
            let lo = max(r.lowerBound, bestStart), hi = min(r.upperBound, end)
            return lo < hi ? (lo - shift)..<(hi - shift) : nil
        }
        return Snippet(text: snippet, highlights: highlights)
    }
}
