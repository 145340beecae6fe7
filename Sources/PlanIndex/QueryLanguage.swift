/// What users type, parsed: space-separated words (all required), `"exact phrases"`, `-excluded`
/// words or phrases, `OR` between two items, and the filters `doc:ID` and `heading:TEXT`
/// (`heading:"two words"` for text with spaces). Nothing here fails: any text is some query.
public struct UserQuery: Sendable, Hashable {
    public enum Item: Sendable, Hashable {
        case word(String)
        case phrase(String)

        public var text: String {
            switch self {
            case let .word(t), let .phrase(t): t
            }
        }
    }

    /// Each clause is required; a clause with several items matches any of them (OR).
    public var clauses: [[Item]] = []
    public var excluded: [Item] = []
    public var documents: [String] = []
    public var headings: [String] = []

    public var isEmpty: Bool { clauses.isEmpty }

    public init(parsing text: String) {
        var orPending = false
        var scalars = Array(text.unicodeScalars)
        // Full-width quotes and spaces are what a Chinese keyboard types.
        for i in scalars.indices {
            switch scalars[i] {
            case "“", "”", "＂", "「", "」": scalars[i] = "\""
            case "\u{3000}": scalars[i] = " "
            case "－": scalars[i] = "-"
            default: break
            }
        }
        var i = 0
        func readUntil(_ stop: (Unicode.Scalar) -> Bool) -> String {
            var out = String.UnicodeScalarView()
            while i < scalars.count, !stop(scalars[i]) {
                out.append(scalars[i])
                i += 1
            }
            return String(out)
        }
        var groups: [[(item: Item, negated: Bool)]] = []
        while i < scalars.count {
            if scalars[i].properties.isWhitespace { i += 1; continue }
            var negated = false
            if scalars[i] == "-", i + 1 < scalars.count, !scalars[i + 1].properties.isWhitespace {
                // "-word" excludes; a hyphen inside a word (COVID-19) never gets here.
                negated = true
                i += 1
            }
            let item: Item
            if scalars[i] == "\"" {
                i += 1
                let phrase = readUntil { $0 == "\"" }
                i += 1  // the closing quote, or past the end when it is missing
                let trimmed = phrase.trimmingWhitespace
                guard !trimmed.isEmpty else { continue }
                item = .phrase(trimmed)
            } else {
                let word = readUntil { $0.properties.isWhitespace || $0 == "\"" }
                if word == "OR", !negated, !groups.isEmpty {
                    orPending = true
                    continue
                }
                if !negated, let filter = Self.filter(word) {
                    var value = filter.value
                    if value.isEmpty, i < scalars.count, scalars[i] == "\"" {
                        i += 1
                        value = readUntil { $0 == "\"" }
                        i += 1
                    }
                    // Kept when blank too (heading:, doc:""): the searcher refuses a filter
                    // without text, rather than searching for the word "heading".
                    if filter.key == "doc" { documents.append(value) } else { headings.append(value) }
                    continue
                }
                item = .word(word)
            }
            if negated {
                excluded.append(item)
            } else if orPending, !groups.isEmpty {
                groups[groups.count - 1].append((item, false))
                orPending = false
            } else {
                groups.append([(item, false)])
            }
        }
        clauses = Self.joinDigitGroups(groups.map { $0.map(\.item) })
    }

    /// "68 680 900" is one number written in groups, not three words: a clause of 1 to 3 digits
    /// followed by clauses of exactly 3 digits become one word (the analyzer joins them the same
    /// way in documents).
    static func joinDigitGroups(_ clauses: [[Item]]) -> [[Item]] {
        func digits(_ clause: [Item]) -> String? {
            guard clause.count == 1, case let .word(w) = clause[0], !w.isEmpty,
                  w.unicodeScalars.allSatisfy({ $0.value >= 0x30 && $0.value <= 0x39 }) else { return nil }
            return w
        }
        var out: [[Item]] = []
        var i = 0
        while i < clauses.count {
            if let first = digits(clauses[i]), first.count <= 3 {
                var number = first
                var j = i + 1
                while j < clauses.count, let group = digits(clauses[j]), group.count == 3 {
                    number += " " + group
                    j += 1
                }
                if j > i + 1 {
                    out.append([.word(number)])
                    i = j
                    continue
                }
            }
            out.append(clauses[i])
            i += 1
        }
        return out
    }

    private static func filter(_ word: String) -> (key: String, value: String)? {
        for key in ["doc", "heading"] where word.hasPrefix(key + ":") || word.hasPrefix(key + "：") {
            return (key, String(word.unicodeScalars.dropFirst(key.unicodeScalars.count + 1)))
        }
        return nil
    }
}

extension String {
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[start...end])
    }
}
