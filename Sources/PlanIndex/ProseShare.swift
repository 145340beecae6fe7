/// How much a section reads as running prose rather than as a fragment: a deliverables table
/// row ("2. 秘书长关于会议时地分配办法的报告 1 1 1 1"), a list of resolution titles
/// ("47/202 会议时地分配办法 74/252 ..."), a figure label. Such fragments hold the words a
/// searcher types as densely as the paragraph that discusses them, and being short, BM25 ranks
/// them first; the ranking multiplies a fragment's weight down (`ranking.list_penalty`).
///
/// The measure is the density of clause punctuation, which prose has and lists and tables lack:
/// 0 when a section has none, 1 at one mark per `fullProseUnits` units of text or more. Units are
/// Han characters and Latin words. Enumeration commas (、) and title marks (《》) are not counted:
/// they are what lists are made of.
public enum ProseShare {
    /// A clause of Chinese prose runs ~15-25 characters; one mark per 30 counts as prose.
    static let fullProseUnits = 30.0

    public static func of(_ text: String) -> Double {
        var units = 0
        var marks = 0
        var inWord = false
        var pendingLatinMark = false
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if pendingLatinMark {
                // "word. " or "word, " ends a Latin clause; "e.g" does not.
                if scalar.properties.isWhitespace { marks += 1 }
                pendingLatinMark = false
            }
            switch v {
            case 0xFF0C, 0x3002, 0xFF1B, 0xFF1A, 0xFF01, 0xFF1F:  // ，。；：！？
                marks += 1
                inWord = false
            case 0x2C, 0x2E, 0x3B, 0x3A, 0x21, 0x3F:  // , . ; : ! ?
                // Only after a word: "2. " and "13.31 " number a paragraph or a table row.
                pendingLatinMark = inWord
                inWord = false
            case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0xF900...0xFAFF, 0x20000...0x2FA1F:
                units += 1
                inWord = false
            case 0x41...0x5A, 0x61...0x7A:
                if !inWord { units += 1 }
                inWord = true
            default:
                inWord = false
            }
        }
        if pendingLatinMark { marks += 1 }  // a final full stop
        guard units > 0 else { return 0 }
        return min(1, Double(marks) * fullProseUnits / Double(units))
    }
}
