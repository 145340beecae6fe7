import CXapian

/// A document to be written: terms with positions, terms without, boolean (filter) terms, values
/// and stored data. A plain `Sendable` value, so analysis can build documents on one thread and
/// the single writer can add them on another; it becomes a Xapian document only inside the
/// writer's call, in a handful of batched shim calls.
public struct Document: Sendable, Hashable {
    // Postings and plain terms are kept packed (bytes + lengths) so that a section with thousands
    // of terms crosses into C++ in one call, not one per term.
    private var postingBytes: [UInt8] = []
    private var postingLengths: [UInt32] = []
    private var positions: [UInt32] = []
    private var postingWdf: [UInt32] = []
    private var termBytes: [UInt8] = []
    private var termLengths: [UInt32] = []
    private var termWdf: [UInt32] = []
    public private(set) var booleanTerms: [String] = []
    /// Value slots (sortable numbers, ids for collapsing, strings for sorting), by slot number.
    public var values: [UInt32: [UInt8]] = [:]
    /// The stored payload returned with hits.
    public var data: [UInt8] = []
    /// Text for Xapian's own TermGenerator (the baseline only).
    private var baselineText: [BaselineText] = []

    struct BaselineText: Sendable, Hashable {
        var text: String
        var prefix: String
        var wdfIncrement: UInt32
        var cjkNgram: Bool
        var positional: Bool
        var startPosition: UInt32
    }

    public init() {}

    /// Adds `term` at `position` (1-based, as Xapian counts) and raises its wdf by `wdfIncrement`.
    /// Empty terms are ignored; terms longer than 245 bytes are Xapian's error at write time.
    public mutating func addPosting(_ term: String, at position: UInt32, wdfIncrement: UInt32 = 1) {
        let before = postingBytes.count
        postingBytes.append(contentsOf: term.utf8)
        let length = UInt32(postingBytes.count - before)
        guard length > 0 else { return }
        postingLengths.append(length)
        positions.append(position)
        postingWdf.append(wdfIncrement)
    }

    /// Adds `term` without a position (it can be searched for, but not in a phrase).
    public mutating func addTerm(_ term: String, wdfIncrement: UInt32 = 1) {
        let before = termBytes.count
        termBytes.append(contentsOf: term.utf8)
        let length = UInt32(termBytes.count - before)
        guard length > 0 else { return }
        termLengths.append(length)
        termWdf.append(wdfIncrement)
    }

    /// Many postings at once, for an analyzer that produces UTF-8 bytes: term i is `prefix`
    /// followed by the next `lengths[i]` bytes of `bytes`, at `positions[i]`. One copy per list,
    /// where `addPosting` per term made two Strings and five appends.
    public mutating func addPostings(prefix: [UInt8], bytes: [UInt8], lengths: [UInt32], positions: [UInt32],
                                     wdfIncrement: UInt32 = 1) {
        if prefix.isEmpty && lengths.count == positions.count && !lengths.contains(0) {
            postingBytes.append(contentsOf: bytes)
            postingLengths.append(contentsOf: lengths)
            self.positions.append(contentsOf: positions)
            postingWdf.append(contentsOf: repeatElement(wdfIncrement, count: lengths.count))
            return
        }
        for i in Self.appendPrefixed(prefix, bytes, lengths.prefix(positions.count), to: &postingBytes, &postingLengths) {
            self.positions.append(positions[i])
            postingWdf.append(wdfIncrement)
        }
    }

    /// Many terms without positions at once (see `addPostings`).
    public mutating func addTerms(prefix: [UInt8], bytes: [UInt8], lengths: [UInt32], wdfIncrement: UInt32 = 1) {
        if prefix.isEmpty && !lengths.contains(0) {
            termBytes.append(contentsOf: bytes)
            termLengths.append(contentsOf: lengths)
            termWdf.append(contentsOf: repeatElement(wdfIncrement, count: lengths.count))
            return
        }
        let added = Self.appendPrefixed(prefix, bytes, lengths[...], to: &termBytes, &termLengths)
        termWdf.append(contentsOf: repeatElement(wdfIncrement, count: added.count))
    }

    /// Appends each term (`prefix` + the next `lengths[i]` bytes of `bytes`) to `out` and
    /// `outLengths`; returns the indices of those added (empty terms are skipped, lengths past
    /// the end are cut), for the caller's parallel lists.
    private static func appendPrefixed(_ prefix: [UInt8], _ bytes: [UInt8], _ lengths: ArraySlice<UInt32>,
                                       to out: inout [UInt8], _ outLengths: inout [UInt32]) -> [Int] {
        var added: [Int] = []
        added.reserveCapacity(lengths.count)
        var offset = 0
        for (i, length) in lengths.enumerated() {
            let end = min(bytes.count, offset + Int(length))
            let count = prefix.count + end - offset
            if count > 0 {
                out.append(contentsOf: prefix)
                out.append(contentsOf: bytes[offset..<end])
                outLengths.append(UInt32(truncatingIfNeeded: count))
                added.append(i)
            }
            offset = end
        }
        return added
    }

    /// Adds a term that filters but does not weigh (wdf 0): ids, document kinds, headings.
    public mutating func addBooleanTerm(_ term: String) {
        guard !term.isEmpty else { return }
        booleanTerms.append(term)
    }

    public mutating func setValue(_ bytes: [UInt8], slot: UInt32) { values[slot] = bytes }
    public mutating func setValue(_ string: String, slot: UInt32) { values[slot] = Array(string.utf8) }
    /// Stores `number` so that byte order is numeric order (for sorting and value ranges).
    public mutating func setValue(number: Double, slot: UInt32) {
        values[slot] = SortableNumber.encode(number)
    }

    public mutating func setData(_ string: String) { data = Array(string.utf8) }

    /// Has Xapian's TermGenerator index `text` into this document (baseline comparisons only:
    /// PlanSearch's own analyzer decides terms and positions everywhere else).
    public mutating func addBaselineText(_ text: String, prefix: String = "", wdfIncrement: UInt32 = 1,
                                         cjkNgram: Bool = true, positional: Bool = true, startPosition: UInt32 = 0) {
        baselineText.append(BaselineText(text: text, prefix: prefix, wdfIncrement: wdfIncrement,
                                         cjkNgram: cjkNgram, positional: positional, startPosition: startPosition))
    }

    public var postingCount: Int { postingLengths.count }
    public var termCount: Int { termLengths.count }

    /// Builds the Xapian document, runs `body` with it, and frees it.
    func withHandle<R>(_ body: (OpaquePointer) throws(XapianError) -> R) throws(XapianError) -> R {
        let doc = try shimCall { err in pxs_document_new(err) }
        guard let doc else { throw XapianError(code: .unknown, type: "unknown", message: "no document") }
        defer { pxs_document_free(doc) }
        try fill(doc)
        return try body(doc)
    }

    private func fill(_ doc: OpaquePointer) throws(XapianError) {
        if !postingLengths.isEmpty {
            _ = try shimCall { err in
                withBytes(postingBytes) { bytes, _ in
                    pxs_document_add_postings(doc, bytes, postingLengths, positions, postingWdf,
                                              postingLengths.count, err)
                }
            }
        }
        if !termLengths.isEmpty {
            _ = try shimCall { err in
                withBytes(termBytes) { bytes, _ in
                    pxs_document_add_terms(doc, bytes, termLengths, termWdf, termLengths.count, err)
                }
            }
        }
        for term in booleanTerms {
            _ = try shimCall { err in withBytes(term) { pxs_document_add_boolean_term(doc, $0, $1, err) } }
        }
        for (slot, value) in values {
            _ = try shimCall { err in withBytes(value) { pxs_document_add_value(doc, slot, $0, $1, err) } }
        }
        if !data.isEmpty {
            _ = try shimCall { err in withBytes(data) { pxs_document_set_data(doc, $0, $1, err) } }
        }
        for entry in baselineText {
            _ = try shimCall { err in
                withBytes(entry.text) { t, tn in
                    withBytes(entry.prefix) { p, pn in
                        pxs_document_index_text(doc, t, tn, p, pn, entry.wdfIncrement, entry.cjkNgram,
                                                entry.positional, entry.startPosition, err)
                    }
                }
            }
        }
    }
}

/// A document read back from a database.
public struct StoredDocument: Sendable, Hashable {
    public var id: UInt32
    public var data: [UInt8]
    public var values: [UInt32: [UInt8]]
    /// The document's terms with their wdf; empty unless asked for.
    public var terms: [TermEntry]

    public var dataString: String { decodeUTF8(data) }
    public func valueString(_ slot: UInt32) -> String? { values[slot].map(decodeUTF8) }
    public func valueNumber(_ slot: UInt32) -> Double? { values[slot].map(SortableNumber.decode) }

    init(reading doc: OpaquePointer, id: UInt32, includeTerms: Bool) throws(XapianError) {
        self.id = id
        data = try readBytes { out, length, err in pxs_document_get_data(doc, out, length, err) }
        values = try Self.readValues(doc)
        if includeTerms, let iterator = try shimCall({ err in pxs_document_termlist(doc, err) }) {
            terms = try drainTerms(iterator)
        } else {
            terms = []
        }
    }

    static func readValues(_ doc: OpaquePointer) throws(XapianError) -> [UInt32: [UInt8]] {
        var slots = [UInt32](repeating: 0, count: 16)
        var count = try shimCall { err in pxs_document_value_slots(doc, &slots, slots.count, err) }
        if count > slots.count {
            slots = [UInt32](repeating: 0, count: count)
            count = try shimCall { err in pxs_document_value_slots(doc, &slots, slots.count, err) }
        }
        var values: [UInt32: [UInt8]] = [:]
        for slot in slots.prefix(min(count, slots.count)) {
            values[slot] = try readBytes { out, length, err in
                pxs_document_get_value(doc, slot, out, length, err)
            }
        }
        return values
    }
}

/// Xapian's order-preserving encoding of numbers for value slots.
public enum SortableNumber {
    public static func encode(_ number: Double) -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: 16)
        let length = pxs_sortable_serialise(number, &buffer)
        return buffer.prefix(length).map { UInt8(bitPattern: $0) }
    }

    public static func decode(_ bytes: [UInt8]) -> Double {
        withBytes(bytes) { pxs_sortable_unserialise($0, $1) }
    }
}
