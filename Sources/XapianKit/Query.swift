import CXapian

/// A Xapian query as a plain value. It is turned into Xapian's objects only inside a search, on
/// the searching thread, so query building (ours, in PlanIndex) needs no Xapian handle and a
/// query can be built on one thread and run on another.
public indirect enum Query: Sendable, Hashable {
    /// `term` with a within-query frequency and a position in the query (for phrases; 0: none).
    case term(String, wqf: UInt32 = 1, position: UInt32 = 0)
    case matchAll
    case matchNothing
    case and([Query])
    case or([Query])
    case xor([Query])
    /// Matches the first, minus anything matching the second.
    case andNot(Query, Query)
    /// Matches the first; the second only adds weight.
    case andMaybe(Query, Query)
    /// Matches the first, restricted to what matches the second, which adds no weight.
    case filter(Query, Query)
    /// The subqueries in order, within `window` positions (nil: exactly adjacent).
    case phrase([Query], window: Int? = nil)
    /// The subqueries in any order within `window` positions (nil: as many as there are).
    case near([Query], window: Int? = nil)
    /// Terms that are alternatives for one another: weighed as one term.
    case synonym([Query])
    /// The best-weighing subquery's weight, not the sum.
    case max([Query])
    /// Only the `size` subqueries with the most discriminating terms.
    case eliteSet([Query], size: Int)
    case scaleWeight(Query, Double)
    /// Documents whose value in `slot` lies within `from...to` in byte order (nil: open side).
    /// Use ``SortableNumber/encode(_:)`` bounds for numbers.
    case valueRange(slot: UInt32, from: [UInt8]?, to: [UInt8]?)
    /// Exactly these documents (by id), weighing nothing: a query restricted to candidates an
    /// earlier search of the same database found. One database only: ids are its own, and
    /// Xapian refuses it in a search over several. Xapian takes the ids at their word: each
    /// must name a document of that database (one its search returned).
    case documents([UInt32])
    /// Xapian's own QueryParser over `text` (baseline comparisons only), with FLAG_CJK_NGRAM
    /// when `cjkNgram`, default operator AND or OR.
    case parsed(String, prefix: String = "", cjkNgram: Bool = true, defaultAnd: Bool = true)

    /// Documents whose number in `slot` lies within the range.
    public static func numberRange(slot: UInt32, from: Double?, to: Double?) -> Query {
        .valueRange(slot: slot, from: from.map(SortableNumber.encode), to: to.map(SortableNumber.encode))
    }

    /// The query with every PHRASE and NEAR relaxed to a plain AND of its subqueries: no position
    /// list is read to match it. In Xapian 1.4 a phrase or near match weighs what the AND of its
    /// subqueries weighs (positions decide only whether it matches), so the relaxed query matches
    /// a superset and weighs every document at least as much as this one: an upper bound that
    /// is cheap to rank by. What must not grow is kept as it is: the excluded side of AND_NOT
    /// (relaxed, it would exclude more), and SYNONYM and ELITE_SET, which weigh or choose their
    /// subqueries by statistics that the relaxed form changes.
    public var positionsRelaxed: Query {
        switch self {
        case .term, .matchAll, .matchNothing, .valueRange, .parsed, .synonym, .eliteSet, .documents: self
        case let .and(subs): .and(subs.map(\.positionsRelaxed))
        case let .or(subs): .or(subs.map(\.positionsRelaxed))
        // XOR's weight is not monotone in its subqueries' matches: left as it is.
        case .xor: self
        case let .andNot(a, b): .andNot(a.positionsRelaxed, b)
        case let .andMaybe(a, b): .andMaybe(a.positionsRelaxed, b.positionsRelaxed)
        case let .filter(a, b): .filter(a.positionsRelaxed, b.positionsRelaxed)
        case let .phrase(subs, _), let .near(subs, _): .and(subs.map(\.positionsRelaxed))
        case let .max(subs): .max(subs.map(\.positionsRelaxed))
        case let .scaleWeight(sub, factor): .scaleWeight(sub.positionsRelaxed, factor)
        }
    }

    /// The query as it matches, without what only weighs: each AND_MAYBE's optional side and
    /// each scale factor dropped; it matches exactly the same documents. Sides that weigh
    /// nothing are searched in this form (see `compile`), because Xapian 1.4.22 builds an
    /// AND_MAYBE directly inside an AND without setting its two maximum weights and sets them
    /// only where weights are summed: on the excluded side of an AND_NOT they kept whatever the
    /// heap held, and when that was negative the AND_MAYBE told an OR below it that it could
    /// match as an AND. `经济 AND_NOT ((必不可少 AND_MAYBE 必) AND (经济 OR H经济))` then failed to
    /// exclude a section without H经济: a short page's fill listed the page's own hit again, about
    /// one search in forty, depending on the heap. (Xapian's later code replaces an unweighted
    /// AND_MAYBE with its left side, as this does.) The subqueries of PHRASE and NEAR, which weigh
    /// as their AND does, and of ELITE_SET, which chooses them by weight, are kept as they are.
    public var matchingOnly: Query {
        switch self {
        case .term, .matchAll, .matchNothing, .valueRange, .parsed, .documents, .phrase, .near, .eliteSet: self
        case let .and(subs): .and(subs.map(\.matchingOnly))
        case let .or(subs): .or(subs.map(\.matchingOnly))
        case let .xor(subs): .xor(subs.map(\.matchingOnly))
        case let .synonym(subs): .synonym(subs.map(\.matchingOnly))
        case let .max(subs): .max(subs.map(\.matchingOnly))
        case let .andNot(a, b): .andNot(a.matchingOnly, b.matchingOnly)
        case let .andMaybe(a, _): a.matchingOnly
        case let .filter(a, b): .filter(a.matchingOnly, b.matchingOnly)
        case let .scaleWeight(sub, _): sub.matchingOnly
        }
    }

    /// Whether the query holds a PHRASE or NEAR anywhere.
    public var hasPositionalCondition: Bool {
        switch self {
        case .term, .matchAll, .matchNothing, .valueRange, .parsed, .documents: false
        case .phrase, .near: true
        case let .and(subs), let .or(subs), let .xor(subs), let .synonym(subs), let .max(subs), let .eliteSet(subs, _):
            subs.contains { $0.hasPositionalCondition }
        case let .andNot(a, b), let .andMaybe(a, b), let .filter(a, b): a.hasPositionalCondition || b.hasPositionalCondition
        case let .scaleWeight(sub, _): sub.hasPositionalCondition
        }
    }

    /// Xapian's description of the query, e.g. `Query((a@1 PHRASE 2 b@2))`, for debugging.
    public func xapianDescription() throws(XapianError) -> String {
        let compiled = try compile()
        defer { pxs_query_free(compiled) }
        var length = 0
        let text = try shimCall { err in pxs_query_description(compiled, &length, err) }
        return decodeUTF8(takeBytes(text, count: length))
    }

    /// Builds the Xapian query; the caller frees it with `pxs_query_free`.
    func compile() throws(XapianError) -> OpaquePointer {
        let made: OpaquePointer?
        switch self {
        case let .term(term, wqf, position):
            made = try shimCall { err in withBytes(term) { pxs_query_term($0, $1, wqf, position, err) } }
        case .matchAll:
            made = try shimCall { err in pxs_query_match_all(err) }
        case .matchNothing:
            made = try shimCall { err in pxs_query_match_nothing(err) }
        case let .and(subs): made = try Self.combine(PXS_OP_AND, subs)
        case let .or(subs): made = try Self.combine(PXS_OP_OR, subs)
        case let .xor(subs): made = try Self.combine(PXS_OP_XOR, subs)
        // The excluded side and the filter weigh nothing: matched in `matchingOnly` form.
        case let .andNot(a, b): made = try Self.combine(PXS_OP_AND_NOT, [a, b.matchingOnly])
        case let .andMaybe(a, b): made = try Self.combine(PXS_OP_AND_MAYBE, [a, b])
        case let .filter(a, b): made = try Self.combine(PXS_OP_FILTER, [a, b.matchingOnly])
        case let .phrase(subs, window): made = try Self.combine(PXS_OP_PHRASE, subs, window ?? 0)
        case let .near(subs, window): made = try Self.combine(PXS_OP_NEAR, subs, window ?? 0)
        case let .synonym(subs): made = try Self.combine(PXS_OP_SYNONYM, subs)
        case let .max(subs): made = try Self.combine(PXS_OP_MAX, subs)
        case let .eliteSet(subs, size): made = try Self.combine(PXS_OP_ELITE_SET, subs, size)
        case let .scaleWeight(sub, factor):
            let inner = try sub.compile()
            defer { pxs_query_free(inner) }
            made = try shimCall { err in pxs_query_scale_weight(inner, factor, err) }
        case let .valueRange(slot, from, to):
            made = try shimCall { err in
                withBytes(from ?? []) { b, bn in
                    withBytes(to ?? []) { e, en in
                        pxs_query_value_range(slot, b, bn, from != nil, e, en, to != nil, err)
                    }
                }
            }
        case let .documents(ids):
            made = try shimCall { err in ids.withUnsafeBufferPointer { pxs_query_documents($0.baseAddress, $0.count, err) } }
        case let .parsed(text, prefix, cjkNgram, defaultAnd):
            made = try shimCall { err in
                withBytes(text) { t, tn in
                    withBytes(prefix) { p, pn in pxs_query_parse(t, tn, p, pn, cjkNgram, defaultAnd, err) }
                }
            }
        }
        guard let made else { throw XapianError(code: .unknown, type: "unknown", message: "no query") }
        return made
    }

    private static func combine(_ op: pxs_query_op, _ subs: [Query], _ parameter: Int = 0) throws(XapianError) -> OpaquePointer? {
        guard parameter >= 0, parameter <= Int(UInt32.max) else {
            throw XapianError(code: .invalidArgument, type: "InvalidArgumentError",
                              message: "query parameter \(parameter) out of range")
        }
        var compiled: [OpaquePointer?] = []
        compiled.reserveCapacity(subs.count)
        // Xapian copies what it needs (its queries are reference-counted), so ours go at once.
        defer { for sub in compiled { pxs_query_free(sub) } }
        for sub in subs { compiled.append(try sub.compile()) }
        return try shimCall { err in
            compiled.withUnsafeBufferPointer {
                pxs_query_combine(op, $0.baseAddress, $0.count, UInt32(parameter), err)
            }
        }
    }
}
