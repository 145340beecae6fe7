import CXapian

/// BM25's parameters; Xapian's defaults are k1 1, k2 0, k3 1, b 0.5, min_normlen 0.5.
public struct BM25Parameters: Sendable, Hashable {
    public var k1 = 1.0, k2 = 0.0, k3 = 1.0, b = 0.5, minNormalizedLength = 0.5
    public init(k1: Double = 1.0, k2: Double = 0.0, k3: Double = 1.0, b: Double = 0.5,
                minNormalizedLength: Double = 0.5) {
        self.k1 = k1
        self.k2 = k2
        self.k3 = k3
        self.b = b
        self.minNormalizedLength = minNormalizedLength
    }
}

public enum SortOrder: Sendable, Hashable {
    case relevance
    /// By the value in `slot` only.
    case value(slot: UInt32, descending: Bool)
    case valueThenRelevance(slot: UInt32, descending: Bool)
    case relevanceThenValue(slot: UInt32, descending: Bool)
}

/// Which values of each hit to read back.
public enum ValueSelection: Sendable, Hashable {
    case none
    case all
    case slots([UInt32])
}

public struct SearchOptions: Sendable, Hashable {
    public var offset = 0
    public var limit = 10
    /// Look at least this many matches, so that the estimate is exact up to it.
    public var checkAtLeast = 0
    public var bm25 = BM25Parameters()
    /// Every match weighs 0 (pure filtering, e.g. listing a document's sections).
    public var booleanWeighting = false
    /// At most `max` hits per distinct value in `slot` (e.g. per document).
    public var collapse: (slot: UInt32, max: Int)? {
        get { collapseSlot.map { ($0, collapseMax) } }
        set {
            collapseSlot = newValue?.slot
            collapseMax = newValue?.max ?? 1
        }
    }
    private var collapseSlot: UInt32?
    private var collapseMax = 1
    public var sort = SortOrder.relevance
    /// What to read back for each hit: stored data, values, the query terms it matched.
    public var includeData = true
    public var includeValues = ValueSelection.all
    public var includeMatchingTerms = false

    public init() {}
}

public struct Hit: Sendable, Hashable {
    public var documentID: UInt32
    /// 0 for the first hit of the whole result list (not of this page).
    public var rank: Int
    public var weight: Double
    public var percent: Int
    /// How many more hits were collapsed into this one (0 without collapsing).
    public var collapseCount: Int
    public var data: [UInt8]
    public var values: [UInt32: [UInt8]]
    /// The query's terms that this hit's document contains (when asked for).
    public var matchingTerms: [String]

    public var dataString: String { decodeUTF8(data) }
    public func valueString(_ slot: UInt32) -> String? { values[slot].map(decodeUTF8) }
    public func valueNumber(_ slot: UInt32) -> Double? { values[slot].map(SortableNumber.decode) }
}

public struct SearchResults: Sendable, Hashable {
    public var hits: [Hit]
    public var estimatedMatches: Int
    public var lowerBound: Int
    public var upperBound: Int
    /// The estimate is the true count.
    public var isExact: Bool { lowerBound == upperBound }

    /// Results assembled by a caller (a ranking built from several searches).
    public init(hits: [Hit], estimatedMatches: Int, lowerBound: Int, upperBound: Int) {
        self.hits = hits
        self.estimatedMatches = estimatedMatches
        self.lowerBound = lowerBound
        self.upperBound = upperBound
    }
}

enum SearchRunner {
    static func run(_ query: Query, on database: OpaquePointer,
                    options: SearchOptions) throws(XapianError) -> SearchResults {
        guard options.offset >= 0, options.limit >= 0, options.checkAtLeast >= 0,
              let offset = UInt32(exactly: options.offset),
              let limit = UInt32(exactly: Swift.min(options.limit, Int(UInt32.max))),
              let checkAtLeast = UInt32(exactly: Swift.min(options.checkAtLeast, Int(UInt32.max)))
        else {
            throw XapianError(code: .invalidArgument, type: "InvalidArgumentError",
                              message: "negative offset, limit or check-at-least")
        }
        var raw = pxs_search_options()
        pxs_search_options_init(&raw)
        raw.offset = offset
        raw.limit = limit
        raw.check_at_least = checkAtLeast
        raw.bm25_k1 = options.bm25.k1
        raw.bm25_k2 = options.bm25.k2
        raw.bm25_k3 = options.bm25.k3
        raw.bm25_b = options.bm25.b
        raw.bm25_min_normlen = options.bm25.minNormalizedLength
        raw.bool_weight = options.booleanWeighting
        if let collapse = options.collapse {
            raw.collapse_slot = Int64(collapse.slot)
            raw.collapse_max = UInt32(clamping: Swift.max(1, collapse.max))
        }
        switch options.sort {
        case .relevance:
            raw.sort_order = PXS_SORT_RELEVANCE
        case let .value(slot, descending):
            (raw.sort_order, raw.sort_slot, raw.sort_descending) = (PXS_SORT_VALUE, slot, descending)
        case let .valueThenRelevance(slot, descending):
            (raw.sort_order, raw.sort_slot, raw.sort_descending) =
                (PXS_SORT_VALUE_THEN_RELEVANCE, slot, descending)
        case let .relevanceThenValue(slot, descending):
            (raw.sort_order, raw.sort_slot, raw.sort_descending) =
                (PXS_SORT_RELEVANCE_THEN_VALUE, slot, descending)
        }

        // Weighing nothing, the whole query is matched in `matchingOnly` form (see there).
        let compiled = try (options.booleanWeighting ? query.matchingOnly : query).compile()
        defer { pxs_query_free(compiled) }
        let mset = try shimCall { err in pxs_search(database, compiled, &raw, err) }
        guard let mset else { throw XapianError(code: .unknown, type: "unknown", message: "no result set") }
        defer { pxs_mset_free(mset) }

        var hits: [Hit] = []
        let size = pxs_mset_size(mset)
        hits.reserveCapacity(Int(size))
        for index in 0..<size {
            var numbers = pxs_hit()
            _ = try shimCall { err in pxs_mset_hit(mset, index, &numbers, err) }
            var hit = Hit(documentID: numbers.docid, rank: Int(numbers.rank), weight: numbers.weight,
                          percent: Int(numbers.percent), collapseCount: Int(numbers.collapse_count),
                          data: [], values: [:], matchingTerms: [])
            if options.includeData || options.includeValues != .none {
                let doc = try shimCall { err in pxs_mset_document(mset, index, err) }
                if let doc {
                    defer { pxs_document_free(doc) }
                    if options.includeData {
                        hit.data = try readBytes { out, length, err in
                            pxs_document_get_data(doc, out, length, err)
                        }
                    }
                    switch options.includeValues {
                    case .none: break
                    case .all: hit.values = try StoredDocument.readValues(doc)
                    case let .slots(slots):
                        for slot in slots {
                            let value = try readBytes { out, length, err in
                                pxs_document_get_value(doc, slot, out, length, err)
                            }
                            if !value.isEmpty { hit.values[slot] = value }
                        }
                    }
                }
            }
            if options.includeMatchingTerms,
               let iterator = try shimCall({ err in pxs_mset_matching_terms(mset, index, err) }) {
                hit.matchingTerms = try drainTerms(iterator).map(\.term)
            }
            hits.append(hit)
        }
        return SearchResults(hits: hits,
                             estimatedMatches: Int(pxs_mset_matches_estimated(mset)),
                             lowerBound: Int(pxs_mset_matches_lower_bound(mset)),
                             upperBound: Int(pxs_mset_matches_upper_bound(mset)))
    }
}

/// Xapian's own indexing and query parsing, kept only as the baseline that benchmarks and the
/// relevance suite compare PlanSearch's analyzer against.
public enum XapianBaseline {
    /// libxapian's version string, e.g. "1.4.22".
    public static var xapianVersion: String { String(cString: pxs_xapian_version()) }

    /// Runs TermGenerator (FLAG_CJK_NGRAM, no stemmer) over `text` into a throwaway document and
    /// returns the number of positions it used: the tokenizing cost alone, without a database.
    public static func indexText(_ text: String, prefix: String = "", cjkNgram: Bool = true) throws(XapianError) -> Int {
        try Document().withHandle { doc throws(XapianError) in
            Int(try shimCall { err in
                withBytes(text) { t, tn in
                    withBytes(prefix) { p, pn in
                        pxs_document_index_text(doc, t, tn, p, pn, 1, cjkNgram, true, 0, err)
                    }
                }
            })
        }
    }

    /// A document whose terms Xapian's TermGenerator chooses (FLAG_CJK_NGRAM).
    public static func document(text: String, prefix: String = "", data: [UInt8] = []) -> Document {
        var document = Document()
        document.addBaselineText(text, prefix: prefix)
        document.data = data
        return document
    }

    /// `text` parsed by Xapian's QueryParser with FLAG_CJK_NGRAM (default operator AND).
    public static func query(_ text: String, prefix: String = "", defaultAnd: Bool = true) -> Query {
        .parsed(text, prefix: prefix, cjkNgram: true, defaultAnd: defaultAnd)
    }
}
