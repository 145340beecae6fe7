/// The stored sections one reader has read lately, by document id, each with its text as the
/// highlighter normalises it: the sections a search shows are read from Xapian (a B-tree lookup
/// and zlib's inflate) and normalised for highlighting again on every search that shows them,
/// and under load that was about 15% of the daemon's time (session 25's `perf`: 9.6% reading,
/// 5.5% normalising). Analysts' searches keep landing on the same sections (one topic's
/// queries, an editor paging back and forth), so the reader keeps them, as Solr's document
/// cache does.
///
/// A document id names one section only within one revision of the index: the owner empties the
/// cache whenever it reopens (`Searcher.reopen`), and a cluster, whose remote shards can change
/// under the same ids without a reopen here, does not use one. Not shared between readers: each
/// reader thread owns its cache, so it needs no lock.
///
/// Bounded by an estimate of the bytes held (`budget`): two generations, each up to half of it.
/// New and used entries go to the recent one; when it is full it becomes the older one and the
/// older one is dropped, so what a reader used in the last half-budget of reads stays. A budget
/// of 0 keeps nothing.
struct SectionCache {
    /// A stored section decoded, with its text normalised for highlighting.
    struct Prepared {
        let stored: StoredSection
        let text: Highlighter.Normalized
        /// The section text's number of Unicode scalars, for its snippet.
        let scalarCount: Int

        init(stored: StoredSection, text: Highlighter.Normalized) {
            self.stored = stored
            self.text = text
            scalarCount = stored.section.text.unicodeScalars.count
        }
    }

    private struct Entry {
        var data: [UInt8]
        var prepared: Prepared?

        /// About how many bytes the entry holds: the stored bytes, the decoded section (its
        /// strings and line tables, about as large again), and per normalised scalar the
        /// scalar, its origin and its whitespace flag (13 bytes), plus the tables' overheads.
        var cost: Int {
            256 + data.count + (prepared.map { data.count + $0.text.scalars.count * 13 } ?? 0)
        }
    }

    let budget: Int
    private var recent: [UInt32: Entry] = [:]
    private var older: [UInt32: Entry] = [:]
    private var recentCost = 0
    private var olderCost = 0

    init(budget: Int) { self.budget = max(0, budget) }

    /// About how many bytes the cache holds now.
    var cost: Int { recentCost + olderCost }
    var count: Int { recent.count + older.count }

    /// The stored bytes of document `id`, if kept.
    mutating func data(_ id: UInt32) -> [UInt8]? { entry(id)?.data }

    /// Document `id` decoded and normalised, if kept so.
    mutating func prepared(_ id: UInt32) -> Prepared? { entry(id)?.prepared }

    mutating func keep(_ id: UInt32, data: [UInt8]) {
        guard budget > 0, entry(id) == nil else { return }
        put(id, Entry(data: data, prepared: nil))
    }

    mutating func keep(_ id: UInt32, data: [UInt8], prepared: Prepared) {
        guard budget > 0 else { return }
        if let old = recent.removeValue(forKey: id) { recentCost -= old.cost }
        if let old = older.removeValue(forKey: id) { olderCost -= old.cost }
        put(id, Entry(data: data, prepared: prepared))
    }

    mutating func removeAll() {
        recent.removeAll()
        older.removeAll()
        recentCost = 0
        olderCost = 0
    }

    /// The entry for `id`, moved to the recent generation when found in the older one.
    private mutating func entry(_ id: UInt32) -> Entry? {
        if let found = recent[id] { return found }
        guard let found = older.removeValue(forKey: id) else { return nil }
        olderCost -= found.cost
        put(id, found)
        return found
    }

    private mutating func put(_ id: UInt32, _ entry: Entry) {
        let cost = entry.cost
        // An entry larger than a generation would empty the cache for nothing.
        guard cost <= budget / 2 else { return }
        if recentCost + cost > budget / 2 {
            older = recent
            olderCost = recentCost
            recent = [:]
            recentCost = 0
        }
        recent[id] = entry
        recentCost += cost
    }
}
