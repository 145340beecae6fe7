import Foundation
import XapianKit

/// How sections are laid out in Xapian: which terms, values and data each gets, and what the
/// index keeps about each document. Searching reads what indexing writes, so both use this.
public struct IndexLayout: Sendable {
    public let schema: Schema

    public init(schema: Schema) { self.schema = schema }

    /// Metadata key prefix of per-document bookkeeping records.
    static let documentKeyPrefix = "doc:"
    /// Metadata key recording the layout version, so that an index from an incompatible build
    /// is reported rather than misread.
    static let versionKey = "plansearch:layout"
    static let version = "2"  // 2: sections stored in StoredSection.encoded() form
    static let schemaKey = "plansearch:schema"
    /// Metadata key naming the analyzer (its fingerprint) under which every document of this
    /// database was indexed, with the last document id then (`analyzerMark`); empty while some
    /// were indexed under another (an older PlanSearch, another lexicon). The query side trusts
    /// an index's terms only as far as this says: a body word is found by its term alone only in
    /// an index whose documents all hold every dictionary word (see
    /// `QueryAnalyzer.everyWordFingerprint`). The document id makes a mark stale once anything
    /// else writes documents: an older PlanSearch, which never touches the key.
    static let analyzerKey = "plansearch:analyzer"

    static func analyzerMark(_ fingerprint: String, lastDocument: UInt32) -> String {
        "\(fingerprint)@\(lastDocument)"
    }
    /// Bumped when a change to sectioning or to what a section's document holds (the sectioner,
    /// copy keys, values) gives the same file and schema other sections: documents indexed
    /// before are then indexed again (see ``DocumentRecord/fingerprint``).
    /// 1: page-break table headers as noise, copy keys without a heading-led paragraph number.
    /// 2: lines holding only wide or zero-width spaces are blank (they shifted later line numbers).
    /// 3: a line is a heading by its indent alone only if it reads as one (no clauses, figures
    ///    or bullets).
    /// 4: a title found in page headers when the first lines do not name the document.
    /// 5: the heading path as a value (for `ranking.heading_factors`).
    static let sectioningVersion = 5

    /// Positions between fields, so that no phrase can match across a field boundary.
    static let fieldGap: UInt32 = 100

    /// Stands for the occurrences an analyzer counted but did not index (the heading path's and
    /// title's characters inside words, see `TermView.keptWithoutPositions`), as its wdf. Xapian
    /// measures a section's length, which BM25 divides by, as the sum of its terms' wdf; with
    /// this term that length still counts the heading path and title character by character.
    /// No search asks for it, and no field can make it: prefixes are letters and terms never
    /// hold a space.
    static let unindexedLengthTerm = " unindexed"

    public func sectionTerm(_ id: String) -> String { schema.filters.section + id }
    public func documentTerm(_ id: String) -> String { schema.filters.document + Self.fitted(id) }
    /// The metadata key of a document's record.
    static func documentKey(_ id: String) -> String { documentKeyPrefix + fitted(id) }

    /// Xapian refuses terms and metadata keys over about 245 bytes, and a document id is a
    /// relative path, which can be longer (deep folders of Chinese names). An id over 200 bytes
    /// is stood for by its first bytes (cut at a character boundary) and a hash of the whole,
    /// the same on both sides: indexing and `doc:` filters.
    static func fitted(_ id: String) -> String {
        let budget = 200
        guard id.utf8.count > budget else { return id }
        var hash = StableHash()
        hash.combine(id)
        let suffix = "#" + hash.hex(lanes: 2)
        var out = ""
        for character in id {
            if out.utf8.count + String(character).utf8.count + suffix.utf8.count > budget { break }
            out.append(character)
        }
        return out + suffix
    }
    public func kindTerm(_ kind: String) -> String { schema.filters.kind + kind }
    /// Heading filter terms hold the heading as written, case-folded, spaces removed, so that
    /// `heading:次级方案6` and `heading:"次级方案 6"` both match.
    public func headingTerm(_ heading: String) -> String {
        schema.filters.heading + Self.foldHeading(heading)
    }

    static func foldHeading(_ text: String) -> String {
        let folded = text.precomposedStringWithCompatibilityMapping.lowercased()
        let compact = String(folded.unicodeScalars.filter { !CharacterSet.whitespacesAndNewlines.contains($0) }.map(Character.init))
        // Xapian terms are at most 245 bytes; long headings are cut at a character boundary.
        var out = ""
        for character in compact {
            if out.utf8.count + String(character).utf8.count > 200 { break }
            out.append(character)
        }
        return out
    }
}

/// What the index stores with each section (as the Xapian document's data), enough to answer
/// `get` and to build snippets and jump locations without reading the source file.
public struct StoredSection: Codable, Sendable, Hashable {
    public var section: Section
    public var title: String
    /// Absolute path of the source file.
    public var file: String
}

/// What the index remembers about one document, in the metadata key "doc:<id>".
public struct DocumentRecord: Codable, Sendable, Hashable {
    public var id: String
    public var title: String
    public var file: String
    /// The indexed root the document was found under (deletions are detected per root).
    public var root: String
    public var hash: String
    public var size: Int
    public var modified: Double
    /// The file's change time (ctime) and inode when indexed (see `SourceReader.Stamp`); nil
    /// in records written before they were kept, whose files are read once more to check.
    public var changed: Double?
    public var inode: UInt64?
    public var sections: Int
    public var indexedAt: Double
    public var schema: String
    public var year: Int?
    public var transcodedFrom: String?
    /// What the document was split and analysed under (sectioning version, schema rules,
    /// analyzer): when it differs from the indexer's the document is indexed again even though
    /// the file has not changed. nil in records written before it was kept, which are
    /// indexed again once.
    public var fingerprint: String?
}

extension DocumentRecord {
    /// One record per document from the records of several shards: with sections spread over
    /// shards each holds a record of every document, counting the sections it holds. Records
    /// keep their first-seen order.
    static func merged(_ records: [DocumentRecord]) -> [DocumentRecord] {
        var index: [String: Int] = [:]
        var out: [DocumentRecord] = []
        for record in records {
            if let i = index[record.id] {
                out[i].sections += record.sections
            } else {
                index[record.id] = out.count
                out.append(record)
            }
        }
        return out
    }
}

extension DocumentRecord {
    /// The file's stamp when it was indexed; nil for a record from before change times and
    /// inodes were kept.
    var stamp: SourceReader.Stamp? {
        get {
            guard let changed, let inode else { return nil }
            return SourceReader.Stamp(size: size, modified: modified, changed: changed, inode: inode)
        }
        set {
            guard let newValue else { return }
            (size, modified, changed, inode) = (newValue.size, newValue.modified, newValue.changed, newValue.inode)
        }
    }
}
