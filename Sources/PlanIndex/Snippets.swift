/// Finds where query words stand in a section's text, in the original text's Unicode scalar
/// offsets, by matching normalised forms (so 國際 in a query highlights 国际 in the text).
struct Highlighter {
    let analyzer: any QueryAnalyzer

    /// Query words in their normalised form, ready to look for. A search prepares them once
    /// and matches them in every hit's text (normalising the words per hit, and building a Set
    /// of them, was a third of the highlighting time).
    struct Needles {
        let words: [String]
        let scalars: [[Unicode.Scalar]]
    }

    func needles(for words: [String]) -> Needles {
        var seen = Set<String>()
        var scalars: [[Unicode.Scalar]] = []
        for word in words where !word.isEmpty && seen.insert(word).inserted {
            let needle = analyzer.normalizeForHighlighting(word).text.filter { !$0.properties.isWhitespace }
            if !needle.isEmpty { scalars.append(needle) }
        }
        return Needles(words: words, scalars: scalars)
    }

    /// A text in normalised form, with each scalar's offset in the original: normalising is
    /// most of finding matches, so a text looked at for several sets of words is normalised once.
    struct Normalized {
        let scalars: [Unicode.Scalar]
        let origin: [Int]
        /// Whether whitespace stood before each scalar (left out of `scalars`).
        let spaceBefore: [Bool]
    }

    func normalized(_ text: String) -> Normalized {
        let (scalars, origin) = analyzer.normalizeForHighlighting(text)
        // Without its whitespace (normalising made all of it a space), as needles are: a word
        // broken across PDF lines (必不可 / 少) or a number in digit groups (68 680 900) is
        // matched, and highlighted, like the analyzer found it.
        var kept: [Unicode.Scalar] = []
        var keptOrigin: [Int] = []
        var spaceBefore: [Bool] = []
        kept.reserveCapacity(scalars.count)
        keptOrigin.reserveCapacity(scalars.count)
        spaceBefore.reserveCapacity(scalars.count)
        var spaces = 0
        for (i, (scalar, offset)) in zip(scalars, origin).enumerated() {
            if scalar == " " { spaces += 1; continue }
            // One space before a group of exactly three digits, after a digit, is inside a number
            // written in groups (845 000), which the analyzer reads as one: not a token's edge.
            let inNumber = spaces == 1 && kept.last.map(Self.isDigit) == true
                && i + 2 < scalars.count && Self.isDigit(scalar) && Self.isDigit(scalars[i + 1]) && Self.isDigit(scalars[i + 2])
                && (i + 3 == scalars.count || !Self.isDigit(scalars[i + 3]))
            kept.append(scalar)
            keptOrigin.append(offset)
            spaceBefore.append(spaces > 0 && !inNumber)
            spaces = 0
        }
        return Normalized(scalars: kept, origin: keptOrigin, spaceBefore: spaceBefore)
    }

    /// A letter or digit that continues a Latin token, as normalising leaves them (lower case,
    /// half width): past ASCII, those the analyzer puts in its Latin tokens (é, ω, д for
    /// PlanSearch's), so that caf is not a token inside café.
    @inline(__always)
    func isAlphanumeric(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x80 ? Self.isDigit(s) || (s.value >= 0x61 && s.value <= 0x7A) : analyzer.continuesLatinWord(s)
    }

    @inline(__always)
    static func isDigit(_ s: Unicode.Scalar) -> Bool { s.value >= 0x30 && s.value <= 0x39 }

    func matches(of needles: Needles, in text: Normalized) -> [Range<Int>] {
        guard !needles.scalars.isEmpty else { return [] }
        let (normalized, origin) = (text.scalars, text.origin)
        var ranges: [Range<Int>] = []
        for needle in needles.scalars where needle.count <= normalized.count {
            let first = needle[0]
            var i = 0
            while i + needle.count <= normalized.count {
                let end = i + needle.count
                if normalized[i] == first, normalized[i..<end].elementsEqual(needle),
                   // A Latin or digit edge must be a token's edge, as the analyzer's terms are:
                   // 50 is not in 845 000 (845000), nor itc in itcs.
                   !(isAlphanumeric(first) && i > 0 && !text.spaceBefore[i] && isAlphanumeric(normalized[i - 1])),
                   !(isAlphanumeric(needle[needle.count - 1]) && end < normalized.count && !text.spaceBefore[end]
                     && isAlphanumeric(normalized[end])) {
                    // To the end of the last scalar matched (one original scalar each), not to the
                    // next one kept, which may stand past whitespace.
                    ranges.append(origin[i]..<(origin[end - 1] + 1))
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
    /// Where the first match the snippet shows starts in the section's text (nil: no match):
    /// the hit's line, so an editor jumps to what the snippet highlights.
    var firstShown: Int?

    /// `count`: the text's number of Unicode scalars, when known (counting walks the text).
    static func make(text: String, count known: Int? = nil, matches: [Range<Int>], length: Int) -> Snippet {
        let scalars = text.unicodeScalars
        let count = known ?? scalars.count
        guard count > length else { return Snippet(text: text, highlights: matches, firstShown: matches.first?.lowerBound) }
        // The window holding the most matched characters; ties go to the earliest.
        var bestStart = 0, bestScore = -1
        for m in matches {
            let start = max(0, min(m.lowerBound - length / 4, count - length))
            let score = matches.reduce(0) { acc, r in
                acc + max(0, min(r.upperBound, start + length) - max(r.lowerBound, start))
            }
            if score > bestScore { bestScore = score; bestStart = start }
        }
        let end = min(count, bestStart + length)
        // Cut the String itself (its UTF-8 copied at once) rather than rebuilding it from an
        // array of scalars one by one.
        let (lower, upper) = scalarIndices(bestStart, end, in: text)
        var snippet = bestStart > 0 ? "…" : ""
        snippet.append(contentsOf: Substring(scalars[lower..<upper]))
        var shift = bestStart
        if bestStart > 0 { shift -= 1 }
        if end < count { snippet += "…" }
        var firstShown: Int?
        let highlights = matches.compactMap { r -> Range<Int>? in
            let lo = max(r.lowerBound, bestStart), hi = min(r.upperBound, end)
            guard lo < hi else { return nil }
            if firstShown == nil { firstShown = lo }
            return (lo - shift)..<(hi - shift)
        }
        return Snippet(text: snippet, highlights: highlights, firstShown: firstShown)
    }

    /// The indices of Unicode scalars `start` and `end` (at most the count) of `text`, found by
    /// counting the UTF-8 bytes that begin a scalar: the scalar view's own walk decoded each
    /// scalar on the way, and cost more than the rest of the snippet.
    static func scalarIndices(_ start: Int, _ end: Int, in text: String) -> (String.Index, String.Index) {
        let found = text.utf8.withContiguousStorageIfAvailable { bytes -> (Int, Int) in
            var scalar = 0, lower = bytes.count, upper = bytes.count
            for i in bytes.indices where bytes[i] & 0xC0 != 0x80 {
                if scalar == start { lower = i }
                if scalar == end { upper = i; break }
                scalar += 1
            }
            return (lower, upper)
        }
        let utf8 = text.utf8
        guard let (lower, upper) = found else {
            let scalars = text.unicodeScalars
            let lower = scalars.index(scalars.startIndex, offsetBy: start)
            return (lower, scalars.index(lower, offsetBy: end - start))
        }
        return (utf8.index(utf8.startIndex, offsetBy: lower), utf8.index(utf8.startIndex, offsetBy: upper))
    }
}
