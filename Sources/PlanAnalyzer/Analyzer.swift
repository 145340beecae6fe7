import Foundation
import Synchronization

/// Turns text into Xapian terms and positions, the same way for documents and for queries.
///
/// Documents: every Han character is a positioned term (so an exact phrase is a substring of the
/// normalised text, whatever the segmentation), and every dictionary word of two or more
/// characters that the text spells is a term without a position: the segmented words, the words
/// inside them, and the words across two of them (中国 in 其中|国际). A query word is then found
/// by its term wherever its characters stand together, without checking positions. (A field
/// without positions keeps no words across: see `TermBatch.takesWordsAcross`.) Latin words,
/// numbers and symbols are positioned terms with their parts unpositioned.
/// Whitespace between two Han characters is no boundary (PDF line breaks); between Latin words it
/// is. Queries: the same normalisation and segmentation, reported as ``QueryUnit``s.
public final class Analyzer: Sendable {
    public let normalizer: Normalizer
    public let lexicon: Lexicon

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
    func characterTerm(_ value: UInt32) -> String? {
        let v = Int(value)
        return v >= 0x3400 && v <= 0x9FFF ? characterTerms[v - 0x3400] : nil
    }

    /// Bumped when a change to this analyzer gives the same text other terms (segmentation,
    /// normalisation, which sub-words are kept): indexes built before are then indexed again.
    /// 2: fields without positions keep only the Han characters that are words alone.
    /// 3: every dictionary word a Han run spells is a term, not only the segmented words and
    /// the words inside them (a query word's term then finds all its places in a Han run; see
    /// `PlanIndex.WordMatching`).
    public static let termsVersion = 3

    /// What decides the terms a text gets: this code's version, folding and the lexicon's
    /// content. An index records it and reindexes documents analysed under another.
    public var fingerprint: String {
        "plansearch-\(Self.termsVersion)-\(normalizer.foldsTraditional ? "fold" : "keep")-\(String(lexicon.contentFingerprint, radix: 16))"
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

    enum Class: UInt8 { case han, alnum, joiner, space, other }

    /// Whether `s` (normalised) is a letter or digit of a Latin token: letters and numbers of
    /// any script but Han. (For highlighting, whose matches must end where tokens end.)
    public static func continuesLatinToken(_ s: Unicode.Scalar) -> Bool { classify(s) == .alnum }

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

    /// Splits normalised text into Han runs (joined across whitespace) and Latin tokens. For
    /// queries (short texts); documents go through `scan`, which applies the same rules to
    /// reused integer buffers.
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
        var scratch = SegmentScratch()
        scratch.prepare(n)
        let values = chars.map(\.value)
        values.withUnsafeBufferPointer { segment($0, into: &scratch, recordingWords: false) }
        var words: [(Int, Int)] = []
        var k = 0
        while k < n {
            let end = Int(scratch.next[k])
            words.append((k, end))
            k = end
        }
        return words
    }

    /// `segment` over a run of scalar values: `scratch.next[i]` becomes the end of the word that
    /// starts at i on the best path. With `recordingWords`, every dictionary word of two or more
    /// characters seen on the way is kept (`scratch.wordEnds`), so documents get all the words
    /// their text spells without a second round of lookups.
    func segment(_ chars: UnsafeBufferPointer<UInt32>, into scratch: inout SegmentScratch, recordingWords: Bool) {
        let n = chars.count
        let logTotal = lexicon.logTotal
        let maxLength = lexicon.maxWordLength
        scratch.wordEnds.removeAll(keepingCapacity: true)
        lexicon.withTable { table, mask in
            scratch.route.withUnsafeMutableBufferPointer { route in
            scratch.next.withUnsafeMutableBufferPointer { next in
            scratch.wordRange.withUnsafeMutableBufferPointer { wordRange in
                route[n] = 0
                var i = n - 1
                while i >= 0 {
                    var h = Lexicon.hashStart()
                    h = Lexicon.hash(h, chars[i])
                    let first = Lexicon.probe(table, mask, h)
                    // A character in no word counts as frequency 1 (log 0).
                    let firstLog = first >= 0 ? table[first].logFrequency : -1
                    var best = (firstLog >= 0 ? firstLog : 0) - logTotal + route[i + 1]
                    var bestEnd = i + 1
                    let firstWordEnd = scratch.wordEnds.count
                    var j = i + 1
                    while first >= 0, j < n, j - i < maxLength {
                        h = Lexicon.hash(h, chars[j])
                        let slot = Lexicon.probe(table, mask, h)
                        guard slot >= 0 else { break }
                        let logFrequency = table[slot].logFrequency
                        if logFrequency >= 0 {
                            let score = logFrequency - logTotal + route[j + 1]
                            if score > best {
                                best = score
                                bestEnd = j + 1
                            }
                            if recordingWords { scratch.wordEnds.append(Int32(truncatingIfNeeded: j + 1)) }
                        }
                        j += 1
                    }
                    route[i] = best
                    next[i] = Int32(truncatingIfNeeded: bestEnd)
                    if recordingWords {
                        wordRange[i] = (Int32(truncatingIfNeeded: firstWordEnd), Int32(truncatingIfNeeded: scratch.wordEnds.count))
                    }
                    i -= 1
                }
            }
            }
            }
        }
    }

    // MARK: documents

    /// Working arrays of `segment`, one slot per character (plus one).
    struct SegmentScratch {
        var route: [Double] = []
        var next: [Int32] = []
        /// For each start character, its dictionary words' ends: `wordEnds[range]`.
        var wordRange: [(Int32, Int32)] = []
        var wordEnds: [Int32] = []

        /// Makes room for `n` characters. `segment` writes every slot below n + 1 before it (or
        /// `hanRun`) reads one, so a scratch reused from a longer text needs no clearing.
        mutating func prepare(_ n: Int) {
            guard route.count < n + 1 else { return }
            route = [Double](repeating: 0, count: n + 1)
            next = [Int32](repeating: 0, count: n + 1)
            wordRange = [(Int32, Int32)](repeating: (0, 0), count: n + 1)
        }
    }

    /// Working memory for analysing texts one after another on one thread: the buffers sized
    /// for one text are kept for the next. Indexing analyses sections of a few hundred bytes,
    /// and allocating a dozen small arrays per section was a fifth of the analyzer's time. The
    /// analyzer is shared between threads and stays immutable; each thread (each indexing
    /// worker) holds its own scratch and passes it in.
    public struct Scratch: Sendable {
        var state = ScanState()
        public init() {}

        /// A scratch that grew past this many scalars (a huge line) is let go after the call,
        /// so that one outlier does not pin tens of megabytes for the rest of a run.
        static let keptScalars = 1 << 16
    }

    /// Calls `emit` for every term of `text`, positions from `startPosition`; returns the
    /// position after the last one.
    @discardableResult
    public func analyze(_ text: String, startPosition: UInt32 = 1, emit: (Token) -> Void) -> UInt32 {
        analyzeTerms(text, startPosition: startPosition) { term in
            emit(Token(term: (term.kind == .han ? characterTerm(term.scalar) : nil) ?? term.string, position: term.position,
                       start: term.start, end: term.end, kind: term.kind))
        }
    }

    /// The same terms, in the same order, as `analyze(_:startPosition:emit:)`, but handed over
    /// as UTF-8 bytes in a buffer that is valid only during the call: indexing copies the bytes
    /// into a document and never needs a `String` per term.
    @discardableResult
    public func analyzeTerms(_ text: String, startPosition: UInt32 = 1, emit: (TermView) -> Void) -> UInt32 {
        withoutActuallyEscaping(emit) { emit in
            var sink = ClosureSink(emit: emit)
            return scan(text, startPosition: startPosition, into: &sink)
        }
    }

    /// The same terms again, collected in `batch` (emptied first) for a document to take in one
    /// go: the fastest path, the one indexing uses.
    @discardableResult
    public func analyzeTerms(_ text: String, startPosition: UInt32 = 1, into batch: inout TermBatch) -> UInt32 {
        var scratch = Scratch()
        return analyzeTerms(text, startPosition: startPosition, into: &batch, scratch: &scratch)
    }

    /// The same, with working memory kept in `scratch` from one call to the next (one scratch
    /// per thread): what indexing does for the sections of a file.
    @discardableResult
    public func analyzeTerms(_ text: String, startPosition: UInt32 = 1, into batch: inout TermBatch,
                             scratch: inout Scratch) -> UInt32 {
        batch.removeAll()
        let utf8 = text.utf8.count
        batch.postingBytes.reserveCapacity(utf8 + utf8 / 2)
        batch.termBytes.reserveCapacity(utf8)
        let next = scan(text, startPosition: startPosition, into: &batch, state: &scratch.state)
        if scratch.state.text.scalars.capacity > Scratch.keptScalars { scratch = Scratch() }
        return next
    }

    /// Normalises `text` and hands every term to `sink`, in order.
    private func scan<Sink: TermSink>(_ text: String, startPosition: UInt32, into sink: inout Sink) -> UInt32 {
        var state = ScanState()
        return scan(text, startPosition: startPosition, into: &sink, state: &state)
    }

    /// `scan` with the caller's buffers: every one of them is emptied or overwritten before it is
    /// read, so nothing of the previous text shows through.
    private func scan<Sink: TermSink>(_ text: String, startPosition: UInt32, into sink: inout Sink,
                                      state: inout ScanState) -> UInt32 {
        normalizer.normalize(text, into: &state.text)
        let n = state.text.scalars.count
        state.segment.prepare(n)
        state.runScalars.reserveCapacity(n)
        state.runIndices.reserveCapacity(n)
        state.term.reserveCapacity(max(4 * lexicon.maxWordLength, Self.maxTermBytes) + 8)
        var position = startPosition
        var i = 0
        while i < n {
            switch state.text.classes[i] {
            case Class.han.rawValue:
                i = hanRun(from: i, &state, &position, &sink)
            case Class.alnum.rawValue:
                i = latinRun(from: i, &state, &position, &sink)
            default:
                i += 1
            }
        }
        return position
    }

    /// Buffers for one call of `analyzeTerms` (or, kept in a ``Scratch``, for many), sized for
    /// the whole text: a section used to allocate a dozen arrays per run of Han characters.
    struct ScanState {
        var text = NormalizedBuffer()
        var segment = SegmentScratch()
        /// The current Han run's characters and their indices in `text` (whitespace skipped).
        var runScalars: [UInt32] = []
        var runIndices: [Int] = []
        /// UTF-8 of the term being emitted.
        var term: [UInt8] = []
        /// The current Latin token's parts, as ranges of `partBytes`.
        var partBytes: [UInt8] = []
        var parts: [Range<Int>] = []
    }

    /// Emits the Han run starting at `start` (joined across whitespace): its characters with
    /// positions, and without positions every dictionary word of two or more characters it
    /// spells (each occurrence, whether the segmentation chose it or not; see
    /// `TermSink.takesWordsAcross`). Returns where scanning resumes.
    private func hanRun<Sink: TermSink>(from start: Int, _ state: inout ScanState, _ position: inout UInt32,
                                        _ sink: inout Sink) -> Int {
        state.runScalars.removeAll(keepingCapacity: true)
        state.runIndices.removeAll(keepingCapacity: true)
        let n = state.text.scalars.count
        var j = start
        state.text.classes.withUnsafeBufferPointer { classes in
            state.text.scalars.withUnsafeBufferPointer { scalars in
                while j < n {
                    let c = classes[j]
                    if c == Class.han.rawValue {
                        state.runScalars.append(scalars[j])
                        state.runIndices.append(j)
                        j += 1
                        continue
                    }
                    if c == Class.space.rawValue {
                        // Whitespace (a PDF line break) between two Han characters joins them.
                        var k = j
                        while k < n, classes[k] == Class.space.rawValue { k += 1 }
                        if k < n, classes[k] == Class.han.rawValue { j = k; continue }
                    }
                    break
                }
            }
        }
        let m = state.runScalars.count
        state.runScalars.withUnsafeBufferPointer { chars in
            segment(chars, into: &state.segment, recordingWords: true)
        }
        // Terms are encoded into one stack buffer: a word is at most maxWordLength characters
        // of at most 4 bytes (segment never makes a longer one), and resetting an Array per term
        // (uniqueness checks, retains) cost a fifth of the scan.
        let capacity = 4 * max(lexicon.maxWordLength, 1)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
        /// UTF-8 of chars[from..<to] into `buffer`: its bytes (cut at the capacity, which no word reaches).
        func encode(_ chars: UnsafeBufferPointer<UInt32>, _ from: Int, _ to: Int) -> UnsafeBufferPointer<UInt8> {
            var count = 0
            for k in from..<min(to, from + capacity / 4) { count = Self.encodeUTF8(chars[k], into: buffer, at: count) }
            return UnsafeBufferPointer(rebasing: buffer[0..<count])
        }
        state.runScalars.withUnsafeBufferPointer { chars in
        state.runIndices.withUnsafeBufferPointer { indices in
        state.text.origin.withUnsafeBufferPointer { origin in
        state.segment.next.withUnsafeBufferPointer { next in
        state.segment.wordRange.withUnsafeBufferPointer { wordRange in
        state.segment.wordEnds.withUnsafeBufferPointer { wordEnds in
            var wordStart = 0
            for k in 0..<m {
                let index = indices[k]
                var alone = false
                if k == wordStart {  // segments tile the run: the next one starts where this ends
                    wordStart = Int(next[k])
                    alone = wordStart == k + 1
                }
                sink.add(TermView(bytes: encode(chars, k, k + 1), scalar: chars[k], position: position, start: origin[index],
                                  end: origin[index + 1], kind: .han, standsAlone: alone))
                position += 1
            }
            // Every dictionary word the run spells, found while segmenting (for each start, its
            // ends in increasing order): a word on the segmentation's path is a `.word`, any
            // other (inside one, or across two) a `.subword`. A sink that takes no words across
            // stops at the end of the path word holding the start.
            let across = sink.takesWordsAcross
            var pathEnd = 0
            for c in 0..<m {
                let onPath = c == pathEnd
                if onPath { pathEnd = Int(next[c]) }
                let (first, stop) = wordRange[c]
                for w in Int(first)..<Int(stop) {
                    let d = Int(wordEnds[w])
                    if !across && d > pathEnd { break }
                    sink.add(TermView(bytes: encode(chars, c, d), scalar: chars[c], position: 0, start: origin[indices[c]],
                                      end: origin[indices[d - 1] + 1], kind: onPath && d == pathEnd ? .word : .subword))
                }
            }
        }
        }
        }
        }
        }
        }
        }
        return j
    }

    /// Emits the Latin token starting at `start` with a position, and its parts without.
    /// Returns where scanning resumes.
    private func latinRun<Sink: TermSink>(from start: Int, _ state: inout ScanState, _ position: inout UInt32,
                                          _ sink: inout Sink) -> Int {
        let end = state.text.scalars.withUnsafeBufferPointer { scalars in
            state.text.classes.withUnsafeBufferPointer { classes in Self.latinEnd(scalars, classes, from: start) }
        }
        var term: [UInt8] = []
        swap(&term, &state.term)
        defer { swap(&term, &state.term) }
        term.removeAll(keepingCapacity: true)
        state.partBytes.removeAll(keepingCapacity: true)
        state.parts.removeAll(keepingCapacity: true)
        // The whole token as one term: spaces of digit groups dropped (68680900), cut to its
        // first maxTermBytes / 4 scalars when too long for Xapian.
        for k in start..<end where state.text.scalars[k] != 0x20 {
            Self.appendUTF8(state.text.scalars[k], to: &term)
            if term.count > Self.maxTermBytes { break }  // too long: it is cut below anyway
        }
        if term.count > Self.maxTermBytes {
            term.removeAll(keepingCapacity: true)
            var taken = 0
            for k in start..<end where state.text.scalars[k] != 0x20 {
                if taken == Self.maxTermBytes / 4 { break }
                Self.appendUTF8(state.text.scalars[k], to: &term)
                taken += 1
            }
        }
        guard !term.isEmpty else { return end }
        // The natural parts: the pieces between joiners (a, 75, 6 of a/75/6), the number without
        // its % sign, and the digits of a grouped number.
        var partStart = 0
        var lastScalar: UInt32 = 0
        for k in start..<end {
            let s = state.text.scalars[k]
            if state.text.classes[k] == Class.alnum.rawValue {
                Self.appendUTF8(s, to: &state.partBytes)
                lastScalar = s
            } else if s == 0x20, state.partBytes.count > partStart, lastScalar >= 0x30 && lastScalar <= 0x39 {
                continue  // a digit group continues the number
            } else {
                if state.partBytes.count > partStart { state.parts.append(partStart..<state.partBytes.count) }
                partStart = state.partBytes.count
            }
        }
        if state.partBytes.count > partStart { state.parts.append(partStart..<state.partBytes.count) }
        let startOffset = state.text.origin[start], endOffset = state.text.origin[end]
        let first = state.text.scalars[start]
        term.withUnsafeBufferPointer { whole in
            sink.add(TermView(bytes: whole, scalar: first, position: position, start: startOffset, end: endOffset, kind: .latin))
            position += 1
            state.partBytes.withUnsafeBufferPointer { bytes in
                // A handful of parts: a linear check for repeats beats building a Set.
                for (p, range) in state.parts.enumerated() where range.count <= Self.maxTermBytes {
                    let part = UnsafeBufferPointer(rebasing: bytes[range])
                    if part.elementsEqual(whole) { continue }
                    if state.parts[..<p].contains(where: { $0.count == range.count && bytes[$0].elementsEqual(part) }) { continue }
                    sink.add(TermView(bytes: part, scalar: first, position: 0, start: startOffset, end: endOffset, kind: .part))
                }
            }
        }
        return end
    }

    /// `latinEnd` over the normalised buffers.
    static func latinEnd(_ s: UnsafeBufferPointer<UInt32>, _ classes: UnsafeBufferPointer<UInt8>, from i: Int) -> Int {
        let n = s.count
        var j = i
        while j < n {
            let c = classes[j]
            if c == Class.alnum.rawValue { j += 1; continue }
            if c == Class.joiner.rawValue {
                if s[j] == 0x25 { j += 1; break }  // %
                if j + 1 < n, classes[j + 1] == Class.alnum.rawValue { j += 1; continue }
            }
            if c == Class.space.rawValue, isGroupedNumberPrefix(s, i, j), digitGroupFollows(s, classes, j) {
                j += 4
                continue
            }
            break
        }
        return j
    }

    /// s[i..<j] is a number written in groups so far: 1 to 3 digits, then groups of exactly 3.
    static func isGroupedNumberPrefix(_ s: UnsafeBufferPointer<UInt32>, _ i: Int, _ j: Int) -> Bool {
        guard j > i else { return false }
        var group = 0
        var isFirst = true
        for k in i..<j {
            let v = s[k]
            if v >= 0x30 && v <= 0x39 {
                group += 1
            } else if v == 0x20 {
                if isFirst ? !(1...3).contains(group) : group != 3 { return false }
                isFirst = false
                group = 0
            } else {
                return false
            }
        }
        return isFirst ? (1...3).contains(group) : group == 3
    }

    /// " 680" at j: a space, exactly three digits, then no further letter or digit.
    static func digitGroupFollows(_ s: UnsafeBufferPointer<UInt32>, _ classes: UnsafeBufferPointer<UInt8>, _ j: Int) -> Bool {
        @inline(__always) func digit(_ v: UInt32) -> Bool { v >= 0x30 && v <= 0x39 }
        guard j + 3 < s.count, s[j] == 0x20, digit(s[j + 1]), digit(s[j + 2]), digit(s[j + 3]) else { return false }
        return j + 4 == s.count || classes[j + 4] != Class.alnum.rawValue
    }

    /// Writes the UTF-8 of `v` at `at` in `buffer` (room for 4 bytes is the caller's); returns
    /// the index after it.
    @inline(__always)
    static func encodeUTF8(_ v: UInt32, into buffer: UnsafeMutableBufferPointer<UInt8>, at: Int) -> Int {
        if v < 0x80 {
            buffer[at] = UInt8(truncatingIfNeeded: v)
            return at + 1
        } else if v < 0x800 {
            buffer[at] = UInt8(truncatingIfNeeded: 0xC0 | (v >> 6))
            buffer[at + 1] = UInt8(truncatingIfNeeded: 0x80 | (v & 0x3F))
            return at + 2
        } else if v < 0x10000 {
            buffer[at] = UInt8(truncatingIfNeeded: 0xE0 | (v >> 12))
            buffer[at + 1] = UInt8(truncatingIfNeeded: 0x80 | ((v >> 6) & 0x3F))
            buffer[at + 2] = UInt8(truncatingIfNeeded: 0x80 | (v & 0x3F))
            return at + 3
        }
        buffer[at] = UInt8(truncatingIfNeeded: 0xF0 | (v >> 18))
        buffer[at + 1] = UInt8(truncatingIfNeeded: 0x80 | ((v >> 12) & 0x3F))
        buffer[at + 2] = UInt8(truncatingIfNeeded: 0x80 | ((v >> 6) & 0x3F))
        buffer[at + 3] = UInt8(truncatingIfNeeded: 0x80 | (v & 0x3F))
        return at + 4
    }

    @inline(__always)
    static func appendUTF8(_ v: UInt32, to bytes: inout [UInt8]) {
        if v < 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v))
        } else if v < 0x800 {
            bytes.append(UInt8(truncatingIfNeeded: 0xC0 | (v >> 6)))
            bytes.append(UInt8(truncatingIfNeeded: 0x80 | (v & 0x3F)))
        } else if v < 0x10000 {
            bytes.append(UInt8(truncatingIfNeeded: 0xE0 | (v >> 12)))
            bytes.append(UInt8(truncatingIfNeeded: 0x80 | ((v >> 6) & 0x3F)))
            bytes.append(UInt8(truncatingIfNeeded: 0x80 | (v & 0x3F)))
        } else {
            bytes.append(UInt8(truncatingIfNeeded: 0xF0 | (v >> 18)))
            bytes.append(UInt8(truncatingIfNeeded: 0x80 | ((v >> 12) & 0x3F)))
            bytes.append(UInt8(truncatingIfNeeded: 0x80 | ((v >> 6) & 0x3F)))
            bytes.append(UInt8(truncatingIfNeeded: 0x80 | (v & 0x3F)))
        }
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
