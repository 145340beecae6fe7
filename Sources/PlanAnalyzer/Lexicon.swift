import Foundation

/// Word frequencies for segmentation: the general Chinese lexicon (Debian's python3-jieba ships
/// one with 349,046 words) plus project lexicons (UN bodies, abbreviations, programme names).
///
/// Parsing the text dictionaries takes about a second, so they are compiled once into a compact
/// table (a hash of each word and of each word's prefixes, 16 bytes an entry) cached on disk and
/// rebuilt when a source file changes; loading the cache takes a few milliseconds.
public struct Lexicon: Sendable {
    /// Open addressing: hash 0 marks an empty slot. Each slot's key and log frequency sit side by
    /// side so that a probe during segmentation touches one cache line, not three arrays (the
    /// table is tens of megabytes, so nearly every probe of a rare word is a cache miss).
    private let entries: [Entry]
    /// Frequency of the word (0 for an entry that is only a prefix of longer words): kept for
    /// the on-disk cache and for `frequency(of:)`.
    private let frequencies: [UInt32]
    private let mask: Int
    public let maxWordLength: Int
    public let logTotal: Double
    public let wordCount: Int

    public static let jiebaDictionary = "/usr/lib/python3/dist-packages/jieba/dict.txt"

    /// Names the lexicon's words and frequencies: equal for equal content, so an index can tell
    /// whether its documents were segmented with the lexicon loaded now. Unlike the cache
    /// signature, a file only touched or copied elsewhere keeps it. Made once, when the words
    /// are read (kept in the cache): summing over the table at each start cost ~0.5 s in debug
    /// builds.
    public let contentFingerprint: UInt64

    /// Order-independent (the words come from a Dictionary, whose order changes between runs):
    /// a mix per word (splitmix64's finaliser), summed.
    static func fingerprint(_ words: [UInt64: UInt32], maxWordLength: Int) -> UInt64 {
        var sum: UInt64 = 0
        for (key, frequency) in words {
            var x = key ^ (UInt64(frequency) &* 0x9e37_79b9_7f4a_7c15)
            x = (x ^ (x >> 30)) &* 0xbf58_476d_1ce4_e5b9
            x = (x ^ (x >> 27)) &* 0x94d0_49bb_1331_11eb
            sum = sum &+ (x ^ (x >> 31))
        }
        return sum ^ UInt64(maxWordLength)
    }

    /// Frequency given to project-lexicon words without one: high enough that the domain word
    /// wins over splitting it.
    public static let domainFrequency: UInt32 = 200_000

    /// One slot: the hash of a word or word prefix, and log(frequency) of the word, or -1 when
    /// the key is only a prefix of longer words (a word's frequency is at least 1, so its log is
    /// never negative).
    struct Entry {
        var key: UInt64
        var logFrequency: Double
    }

    // MARK: lookup

    @inline(__always)
    static func hashStart() -> UInt64 { 0xcbf2_9ce4_8422_2325 }

    @inline(__always)
    static func hash(_ h: UInt64, _ scalar: Unicode.Scalar) -> UInt64 { hash(h, scalar.value) }

    @inline(__always)
    static func hash(_ h: UInt64, _ value: UInt32) -> UInt64 {
        var h = h
        var v = value
        for _ in 0..<3 {
            h = (h ^ UInt64(v & 0xFF)) &* 0x0000_0100_0000_01b3
            v >>= 8
        }
        return h == 0 ? 1 : h
    }

    /// nil: no word starts this way; 0: only a prefix of longer words; else the word's frequency.
    func lookup(_ key: UInt64) -> UInt32? {
        let slot = entries.withUnsafeBufferPointer { Self.probe($0, mask, key) }
        return slot >= 0 ? frequencies[slot] : nil
    }

    /// The slot of `key` in `table`, or -1 when no word starts this way.
    @inline(__always)
    static func probe(_ table: UnsafeBufferPointer<Entry>, _ mask: Int, _ key: UInt64) -> Int {
        var slot = Int(truncatingIfNeeded: key) & mask
        while true {
            let k = table[slot].key
            if k == key { return slot }
            if k == 0 { return -1 }
            slot = (slot + 1) & mask
        }
    }

    /// Runs `body` with the table and its mask, for segmentation's hot loop.
    @inline(__always)
    func withTable<R>(_ body: (UnsafeBufferPointer<Entry>, Int) throws -> R) rethrows -> R {
        try entries.withUnsafeBufferPointer { try body($0, mask) }
    }

    public func frequency(of scalars: some Sequence<Unicode.Scalar>) -> UInt32? {
        var h = Self.hashStart()
        for s in scalars { h = Self.hash(h, s) }
        return lookup(h)
    }

    public func contains(_ word: String) -> Bool { (frequency(of: word.unicodeScalars) ?? 0) > 0 }

    // MARK: loading

    /// Loads `sources` (the first usually the jieba dictionary), through the compiled cache in
    /// `cacheDirectory` when it is current. Words are normalised with `normalizer` so that they
    /// match normalised text.
    public static func load(sources: [String], normalizer: Normalizer, cacheDirectory: String?) throws -> Lexicon {
        let signature = try Self.signature(of: sources, folding: normalizer.foldsTraditional)
        let cacheFile = cacheDirectory.map { "\($0)/lexicon-\(String(signature, radix: 16)).bin" }
        if let cacheFile, let cached = try? Self.readCache(cacheFile, signature: signature) { return cached }
        var words: [UInt64: UInt32] = [:]
        var prefixes: Set<UInt64> = []
        var longest = 1
        var total: Double = 0
        for (index, source) in sources.enumerated() {
            let isGeneral = index == 0 && source.hasSuffix("jieba/dict.txt")
            try parse(source, general: isGeneral) { word, frequency in
                let scalars = normalizer.normalize(word).scalars.filter { !$0.properties.isWhitespace }
                guard !scalars.isEmpty else { return }
                var h = hashStart()
                for (i, s) in scalars.enumerated() {
                    h = hash(h, s)
                    if i < scalars.count - 1 { prefixes.insert(h) }
                }
                let previous = words[h] ?? 0
                words[h] = max(previous, frequency)
                total += Double(frequency)
                longest = max(longest, scalars.count)
            }
        }
        let lexicon = Lexicon(words: words, prefixes: prefixes, maxWordLength: longest, total: total)
        if let cacheFile, let directory = cacheDirectory {
            // A cache that cannot be written only costs the next start its parse.
            try? lexicon.writeCache(cacheFile, directory: directory, signature: signature)
        }
        return lexicon
    }

    private init(words: [UInt64: UInt32], prefixes: Set<UInt64>, maxWordLength: Int, total: Double) {
        var capacity = 1
        while capacity < (words.count + prefixes.count) * 2 { capacity <<= 1 }
        var keys = [UInt64](repeating: 0, count: capacity)
        var frequencies = [UInt32](repeating: 0, count: capacity)
        let mask = capacity - 1
        func insert(_ key: UInt64, _ frequency: UInt32) {
            var slot = Int(truncatingIfNeeded: key) & mask
            while keys[slot] != 0 && keys[slot] != key { slot = (slot + 1) & mask }
            keys[slot] = key
            frequencies[slot] = max(frequencies[slot], frequency)
        }
        for key in prefixes { insert(key, 0) }
        for (key, frequency) in words { insert(key, max(1, frequency)) }
        entries = Self.entries(keys: keys, frequencies: frequencies)
        self.frequencies = frequencies
        self.mask = mask
        self.maxWordLength = maxWordLength
        logTotal = log(max(total, 1))
        wordCount = words.count
        contentFingerprint = Self.fingerprint(words, maxWordLength: maxWordLength)
    }

    private init(keys: [UInt64], frequencies: [UInt32], maxWordLength: Int, logTotal: Double, wordCount: Int,
                 contentFingerprint: UInt64) {
        entries = Self.entries(keys: keys, frequencies: frequencies)
        self.frequencies = frequencies
        mask = keys.count - 1
        self.maxWordLength = maxWordLength
        self.logTotal = logTotal
        self.wordCount = wordCount
        self.contentFingerprint = contentFingerprint
    }

    /// The probe table: log-frequencies computed once here, since segmentation needs one for
    /// every candidate word.
    private static func entries(keys: [UInt64], frequencies: [UInt32]) -> [Entry] {
        var entries = [Entry](repeating: Entry(key: 0, logFrequency: -1), count: keys.count)
        entries.withUnsafeMutableBufferPointer { out in
            for i in out.indices where keys[i] != 0 {
                let f = frequencies[i]
                out[i] = Entry(key: keys[i], logFrequency: f > 0 ? log(Double(f)) : -1)
            }
        }
        return entries
    }

    /// Reads one lexicon file: "word frequency [tag]" (jieba) or "word [frequency]" (project
    /// lexicons, "#" comments). A malformed line is an error naming the file and line.
    /// The longest word a lexicon may hold: as a term (at most 4 bytes a character, with a
    /// field prefix) it stays well under Xapian's limit of about 245 bytes. The jieba
    /// dictionary's longest word has 16 characters.
    public static let maxWordCharacters = 48

    static func parse(_ path: String, general: Bool, _ add: (String, UInt32) -> Void) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw AnalyzerError("\(path): cannot read the lexicon: \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw AnalyzerError("\(path): the lexicon is not UTF-8 text")
        }
        var number = 0
        for raw in TextLines.split(text) {
            number += 1
            var line = Substring(raw)
            if !general, let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            let word: String, frequency: UInt32
            if general {
                guard fields.count >= 2, let f = UInt32(fields[1]) else {
                    throw AnalyzerError("\(path):\(number): expected \"word frequency [tag]\", got \"\(line.prefix(60))\"")
                }
                (word, frequency) = (String(fields[0]), f)
            } else if fields.count > 1, let f = UInt32(fields[fields.count - 1]) {
                (word, frequency) = (fields.dropLast().joined(), f)
            } else {
                // A multi-word name without a frequency ("UN Women"): spaces are not part of it.
                (word, frequency) = (fields.joined(), domainFrequency)
            }
            guard word.unicodeScalars.count <= maxWordCharacters else {
                throw AnalyzerError("\(path):\(number): a word of \(word.unicodeScalars.count) characters; at most \(maxWordCharacters) (a longer word could not be an index term)")
            }
            add(word, frequency)
        }
    }

    /// Changes when any source file (path, size, modification time) or the folding option does.
    static func signature(of sources: [String], folding: Bool) throws -> UInt64 {
        var h: UInt64 = 0x1234_5678_9abc_def1 ^ (folding ? 1 : 2) ^ 4  // format version 4
        for source in sources {
            let attributes: [FileAttributeKey: Any]
            do {
                attributes = try FileManager.default.attributesOfItem(atPath: source)
            } catch {
                throw AnalyzerError("\(source): lexicon file not found or unreadable")
            }
            let size = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
            let modified = UInt64(((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0) * 1000)
            for byte in Array(source.utf8) + withUnsafeBytes(of: size, Array.init) + withUnsafeBytes(of: modified, Array.init) {
                h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
        }
        return h
    }

    private static let magic: UInt64 = 0x3130_584c_5350_5350  // "PSPSLX01"

    private func writeCache(_ file: String, directory: String, signature: UInt64) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var data = Data()
        for v in [Self.magic, signature, UInt64(entries.count), UInt64(maxWordLength), UInt64(wordCount), logTotal.bitPattern,
                  contentFingerprint] {
            withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) }
        }
        let keys = entries.map(\.key)
        keys.withUnsafeBytes { data.append(contentsOf: $0) }
        frequencies.withUnsafeBytes { data.append(contentsOf: $0) }
        // Written whole then renamed: a reader never sees half a cache.
        let temporary = file + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
        try data.write(to: URL(fileURLWithPath: temporary))
        _ = rename(temporary, file)
    }

    private static func readCache(_ file: String, signature: UInt64) throws -> Lexicon? {
        let data = try Data(contentsOf: URL(fileURLWithPath: file), options: .alwaysMapped)
        let header = 56
        guard data.count >= header else { return nil }
        func word(_ i: Int) -> UInt64 { data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) } }
        guard word(0) == magic, word(1) == signature else { return nil }
        // A damaged cache that still has the signature is rebuilt, never trusted: sizes are
        // checked before any arithmetic on them.
        guard let count = Int(exactly: word(2)), count > 0, count & (count - 1) == 0, count <= data.count / 12,
              data.count == header + count * 12,
              let maxWordLength = Int(exactly: word(3)), (1...maxWordCharacters).contains(maxWordLength),
              let wordCount = Int(exactly: word(4)) else { return nil }
        let keys: [UInt64] = data.withUnsafeBytes { raw in
            (0..<count).map { raw.loadUnaligned(fromByteOffset: header + $0 * 8, as: UInt64.self) }
        }
        let frequencies: [UInt32] = data.withUnsafeBytes { raw in
            (0..<count).map { raw.loadUnaligned(fromByteOffset: header + count * 8 + $0 * 4, as: UInt32.self) }
        }
        return Lexicon(keys: keys, frequencies: frequencies, maxWordLength: maxWordLength,
                       logTotal: Double(bitPattern: word(5)), wordCount: wordCount, contentFingerprint: word(6))
    }
}
