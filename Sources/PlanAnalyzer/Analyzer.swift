import Foundation
import Synchronization

/// Turns text into Xapian terms and positions, the same way for documents and for queries.
///
/// Documents: every Han character is a positioned term (so an exact phrase is a substring of the
/// normalised text, whatever the segmentation), every segmented word of two or more characters
/// and the dictionary words inside it are terms without positions (for ranking and for word
/// queries), Latin words, numbers and symbols are positioned terms with their parts unpositioned.
/// Whitespace between two Han characters is no boundary (PDF line breaks); between Latin words it
/// is. Queries: the same normalisation and segmentation, reported as ``QueryUnit``s.
public final class Analyzer: Sendable {
    public let normalizer: Normalizer
    public let lexicon: Lexicon
    /// Whether documents also get the dictionary words inside longer words. A query word always
    /// also matches by its characters, so sub-words only sharpen ranking; they cost index time.
    let includeSubwords = ProcessInfo.processInfo.environment["PLANSEARCH_SUBWORDS"] != "0"

    public struct Options: Sendable, Hashable {
        public var lexicons: [String]
        public var foldTraditional: Bool
        public var cacheDirectory: String?

        public init(lexicons: [String] = [], foldTraditional: Bool = true, cacheDirectory: String? = Analyzer.defaultCacheDirectory) {
            self.lexicons = lexicons
            self.foldTraditional = foldTraditional
            self.cacheDirectory = cacheDirectory
        }
    }

    public static var defaultCacheDirectory: String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["PLANSEARCH_CACHE"], !dir.isEmpty { return dir }
        let cache = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return cache + "/plansearch"
    }

    /// Each CJK character's term, made once: creating a String per character was a fifth of
    /// the analyzer's time.
    private let characterTerms: [String] = (0x3400...0x9FFF).map { value in
        Unicode.Scalar(UInt32(value)).map { String($0) } ?? ""
    }

    @inline(__always)
    func characterTerm(_ s: Unicode.Scalar) -> String {
        let v = Int(s.value)
        return v >= 0x3400 && v <= 0x9FFF ? characterTerms[v - 0x3400] : String(s)
    }

    public init(options: Options = Options()) throws {
        normalizer = try Normalizer(foldTraditional: options.foldTraditional)
        lexicon = try Lexicon.load(sources: [Lexicon.jiebaDictionary] + options.lexicons, normalizer: normalizer,
                                   cacheDirectory: options.cacheDirectory)
    }

    private static let shared = Mutex<[Options: Analyzer]>([:])

    /// One analyzer per set of options for the whole process: the lexicon is loaded once.
    public static func shared(_ options: Options) throws -> Analyzer {
        if let existing = shared.withLock({ $0[options] }) { return existing }
        let made = try Analyzer(options: options)
        return shared.withLock { cache in
            if let existing = cache[options] { return existing }
            cache[options] = made
            return made
        }
    }

    // MARK: scanning

    enum Class { case han, alnum, joiner, space, other }

    @inline(__always)
    static func classify(_ s: Unicode.Scalar) -> Class {
        let v = s.value
        if (v >= 0x61 && v <= 0x7A) || (v >= 0x30 && v <= 0x39) { return .alnum }
        if v == 0x20 { return .space }
        if v < 0x80 {
            switch v {
            case 0x2D, 0x2F, 0x2E, 0x5F, 0x26, 0x27, 0x25: return .joiner  // - / . _ & ' %
            default: return .other
            }
        }
        if (v >= 0x4E00 && v <= 0x9FFF) || (v >= 0x3400 && v <= 0x4DBF) || (v >= 0x20000 && v <= 0x3134F)
            || (v >= 0xF900 && v <= 0xFAFF) || v == 0x3007 {
            return .han
        }
        if s.properties.isAlphabetic || s.properties.numericType != nil { return .alnum }
        return .other
    }

    /// A run of text of one kind, in normalised scalar indices.
    struct Run {
        var isHan: Bool
        /// For Han runs: the indices of the characters (whitespace between them skipped), and
        /// the characters.
        var indices: [Int]
        var chars: [Unicode.Scalar] = []
        var range: Range<Int>
    }

    /// Splits normalised text into Han runs (joined across whitespace) and Latin tokens.
    func runs(_ s: [Unicode.Scalar]) -> [Run] {
        var runs: [Run] = []
        var i = 0
        let n = s.count
        while i < n {
            switch Self.classify(s[i]) {
            case .han:
                var indices = [i]
                var chars = [s[i]]
                var j = i + 1
                while j < n {
                    let c = Self.classify(s[j])
                    if c == .han { indices.append(j); chars.append(s[j]); j += 1; continue }
                    if c == .space {
                        // Whitespace (a PDF line break) between two Han characters joins them.
                        var k = j
                        while k < n, Self.classify(s[k]) == .space { k += 1 }
                        if k < n, Self.classify(s[k]) == .han { j = k; continue }
                    }
                    break
                }
                runs.append(Run(isHan: true, indices: indices, chars: chars, range: i..<j))
                i = j
            case .alnum:
                let end = latinEnd(s, from: i)
                runs.append(Run(isHan: false, indices: [], chars: [], range: i..<end))
                i = end
            default:
                i += 1
            }
        }
        return runs
    }

    /// The end of a Latin token starting at `i`: letters and digits, joined by - / . _ & ' inside
    /// (covid-19, a/75/6, 13.2, e-delegate), a trailing %, and digit groups of exactly three
    /// separated by single spaces after a number (68 680 900).
    func latinEnd(_ s: [Unicode.Scalar], from i: Int) -> Int {
        let n = s.count
        var j = i
        while j < n {
            let c = Self.classify(s[j])
            if c == .alnum { j += 1; continue }
            if c == .joiner {
                if s[j] == "%" { j += 1; break }
                if j + 1 < n, Self.classify(s[j + 1]) == .alnum { j += 1; continue }
            }
            if c == .space, Self.isGroupedNumberPrefix(s, i, j), Self.digitGroupFollows(s, j) {
                j += 4
                continue
            }
            break
        }
        return j
    }

    @inline(__always) static func isDigit(_ s: Unicode.Scalar) -> Bool { s.value >= 0x30 && s.value <= 0x39 }

    /// s[i..<j] is a number written in groups so far: 1 to 3 digits, then groups of exactly 3.
    static func isGroupedNumberPrefix(_ s: [Unicode.Scalar], _ i: Int, _ j: Int) -> Bool {
        guard j > i else { return false }
        var groups: [Int] = [0]
        for k in i..<j {
            if isDigit(s[k]) { groups[groups.count - 1] += 1 } else if s[k] == " " { groups.append(0) } else { return false }
        }
        guard let first = groups.first, (1...3).contains(first) else { return false }
        return groups.dropFirst().allSatisfy { $0 == 3 }
    }

    /// " 680" at j: a space, exactly three digits, then no further letter or digit.
    static func digitGroupFollows(_ s: [Unicode.Scalar], _ j: Int) -> Bool {
        guard j + 3 < s.count, s[j] == " ", isDigit(s[j + 1]), isDigit(s[j + 2]), isDigit(s[j + 3]) else { return false }
        return j + 4 == s.count || classify(s[j + 4]) != .alnum
    }

    // MARK: segmentation

    /// The most probable split of a Han run into lexicon words (jieba's method: a DAG of every
    /// dictionary word starting at each character, then the path of highest summed log
    /// frequency). Characters in no word stand alone. Returns word boundaries as (start, end)
    /// indices into `chars`.
    func segment(_ chars: [Unicode.Scalar]) -> [(Int, Int)] {
        let n = chars.count
        if n == 0 { return [] }
        var route = [Double](repeating: 0, count: n + 1)
        var next = [Int](repeating: 0, count: n + 1)
        let logTotal = lexicon.logTotal
        let maxLength = lexicon.maxWordLength
        var i = n - 1
        while i >= 0 {
            var h = Lexicon.hashStart()
            h = Lexicon.hash(h, chars[i])
            let first = lexicon.slot(h)
            // A character in no word counts as frequency 1 (log 0).
            var best = (first.flatMap { lexicon.word(at: $0) } ?? 0) - logTotal + route[i + 1]
            var bestEnd = i + 1
            var j = i + 1
            while first != nil, j < n, j - i < maxLength {
                h = Lexicon.hash(h, chars[j])
                guard let slot = lexicon.slot(h) else { break }
                if let logFrequency = lexicon.word(at: slot) {
                    let score = logFrequency - logTotal + route[j + 1]
                    if score > best {
                        best = score
                        bestEnd = j + 1
                    }
                }
                j += 1
            }
            route[i] = best
            next[i] = bestEnd
            i -= 1
        }
        var words: [(Int, Int)] = []
        var k = 0
        while k < n {
            words.append((k, next[k]))
            k = next[k]
        }
        return words
    }

    /// Dictionary words of two or more characters strictly inside chars[start..<end].
    func subwords(_ chars: [Unicode.Scalar], _ start: Int, _ end: Int) -> [(Int, Int)] {
        guard end - start >= 3 else { return [] }
        var found: [(Int, Int)] = []
        for i in start..<(end - 1) {
            var h = Lexicon.hash(Lexicon.hashStart(), chars[i])
            var j = i + 1
            while j < end {
                h = Lexicon.hash(h, chars[j])
                guard let frequency = lexicon.lookup(h) else { break }
                if frequency > 0, !(i == start && j + 1 == end) { found.append((i, j + 1)) }
                j += 1
            }
        }
        return found
    }

    // MARK: documents

    /// Calls `emit` for every term of `text`, positions from `startPosition`; returns the
    /// position after the last one.
    @discardableResult
    public func analyze(_ text: String, startPosition: UInt32 = 1, emit: (Token) -> Void) -> UInt32 {
        let normalized = normalizer.normalize(text)
        let s = normalized.scalars
        let origin = normalized.origin
        var position = startPosition
        for run in runs(s) {
            if run.isHan {
                let chars = run.chars
                for (k, index) in run.indices.enumerated() {
                    emit(Token(term: characterTerm(chars[k]), position: position, start: origin[index], end: origin[index + 1], kind: .han))
                    position += 1
                }
                for (a, b) in segment(chars) where b - a >= 2 {
                    let start = origin[run.indices[a]], end = origin[run.indices[b - 1] + 1]
                    emit(Token(term: Self.string(chars[a..<b]), position: 0, start: start, end: end, kind: .word))
                    for (c, d) in (includeSubwords ? subwords(chars, a, b) : []) {
                        emit(Token(term: Self.string(chars[c..<d]), position: 0, start: origin[run.indices[c]],
                                   end: origin[run.indices[d - 1] + 1], kind: .subword))
                    }
                }
            } else {
                let token = Array(s[run.range])
                let start = origin[run.range.lowerBound], end = origin[run.range.upperBound]
                let whole = Self.latinTerm(token)
                guard !whole.isEmpty else { continue }
                emit(Token(term: whole, position: position, start: start, end: end, kind: .latin))
                position += 1
                for part in Self.latinParts(token) where part != whole {
                    emit(Token(term: part, position: 0, start: start, end: end, kind: .part))
                }
            }
        }
        return position
    }

    /// Every token of `text` (for `plansearch analyze` and tests).
    public func tokens(_ text: String) -> [Token] {
        var out: [Token] = []
        analyze(text) { out.append($0) }
        return out
    }

    /// A String from scalars, encoded straight to UTF-8 (appending to a UnicodeScalarView went
    /// through a generic path that cost a third of the analyzer's time).
    static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        String(unsafeUninitializedCapacity: scalars.count * 4) { buffer in
            var n = 0
            for scalar in scalars {
                let v = scalar.value
                if v < 0x80 {
                    buffer[n] = UInt8(v); n += 1
                } else if v < 0x800 {
                    buffer[n] = UInt8(0xC0 | (v >> 6)); buffer[n + 1] = UInt8(0x80 | (v & 0x3F)); n += 2
                } else if v < 0x10000 {
                    buffer[n] = UInt8(0xE0 | (v >> 12)); buffer[n + 1] = UInt8(0x80 | ((v >> 6) & 0x3F))
                    buffer[n + 2] = UInt8(0x80 | (v & 0x3F)); n += 3
                } else {
                    buffer[n] = UInt8(0xF0 | (v >> 18)); buffer[n + 1] = UInt8(0x80 | ((v >> 12) & 0x3F))
                    buffer[n + 2] = UInt8(0x80 | ((v >> 6) & 0x3F)); buffer[n + 3] = UInt8(0x80 | (v & 0x3F)); n += 4
                }
            }
            return n
        }
    }

    static func string(_ scalars: [Unicode.Scalar]) -> String { string(scalars[...]) }

    /// Xapian terms are at most 245 bytes; a longer token is cut (still findable by its parts).
    static let maxTermBytes = 120

    /// The whole token as one term: spaces of digit groups dropped (68680900), a trailing joiner
    /// other than % dropped.
    static func latinTerm(_ token: [Unicode.Scalar]) -> String {
        var view = String.UnicodeScalarView()
        for s in token where s != " " { view.append(s) }
        var term = String(view)
        if term.utf8.count > maxTermBytes { term = String(term.unicodeScalars.prefix(maxTermBytes / 4).map(Character.init)) }
        return term
    }

    /// The natural parts of a token: the pieces between joiners (a, 75, 6 of a/75/6), the number
    /// without its % sign, and the digits of a grouped number.
    static func latinParts(_ token: [Unicode.Scalar]) -> [String] {
        var parts: [String] = []
        var current = String.UnicodeScalarView()
        for s in token {
            if classify(s) == .alnum {
                current.append(s)
            } else if s == " ", let last = current.last, isDigit(last) {
                continue  // a digit group continues the number
            } else {
                if !current.isEmpty { parts.append(String(current)) }
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { parts.append(String(current)) }
        // Digit groups also as they are written ("68", "680", "900") would add little: the
        // joined number and its whole token are what people type.
        // A handful of parts: a linear check beats building a Set (which showed in profiles).
        var unique: [String] = []
        for part in parts where part.utf8.count <= maxTermBytes && !unique.contains(part) { unique.append(part) }
        return unique
    }

    // MARK: queries

    /// Function words and question words: they help ranking but a section need not contain them.
    static let functionWords: Set<String> = [
        "的", "了", "和", "与", "及", "或", "是", "在", "有", "为", "对", "将", "把", "被", "等", "之", "其", "也", "都",
        "而", "并", "从", "到", "向", "于", "以", "由", "中", "上", "下", "个", "名", "项", "次", "多少", "什么", "哪些",
        "哪个", "哪里", "如何", "怎样", "怎么", "是否", "吗", "呢", "吧", "啊", "几", "多", "是不是", "有没有", "为什么",
        "关于", "通过", "进行", "方面", "情况", "问题", "之间", "以及", "这", "那", "这些", "那些", "该", "各", "我们",
        "the", "of", "and", "or", "a", "an", "in", "on", "to", "for", "by", "with", "what", "how", "which",
    ]

    /// The words of a query, segmented as documents are.
    public func queryUnits(_ text: String) -> [QueryUnit] {
        let normalized = normalizer.normalize(text)
        let s = normalized.scalars
        let origin = normalized.origin
        let original = Array(text.unicodeScalars)
        func originalText(_ a: Int, _ b: Int) -> String { Self.string(original[max(0, a)..<min(original.count, b)]) }
        var units: [QueryUnit] = []
        for run in runs(s) {
            if run.isHan {
                let chars = run.chars
                for (a, b) in segment(chars) {
                    let term = Self.string(chars[a..<b])
                    let start = origin[run.indices[a]], end = origin[run.indices[b - 1] + 1]
                    units.append(QueryUnit(text: originalText(start, end), term: term, spelling: chars[a..<b].map { String($0) },
                                           required: !Self.functionWords.contains(term), kind: .han, start: start, end: end))
                }
            } else {
                let token = Array(s[run.range])
                let term = Self.latinTerm(token)
                guard !term.isEmpty else { continue }
                let start = origin[run.range.lowerBound], end = origin[run.range.upperBound]
                units.append(QueryUnit(text: originalText(start, end), term: term, spelling: [term],
                                       required: !Self.functionWords.contains(term), kind: .latin, start: start, end: end))
            }
        }
        return units
    }

    /// The positioned terms of a phrase, in order: exact phrase search is substring search over
    /// the normalised text.
    public func phraseTerms(_ text: String) -> [String] {
        var terms: [String] = []
        analyze(text) { token in
            if token.position > 0 { terms.append(token.term) }
        }
        return terms
    }
}
