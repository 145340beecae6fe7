/// One searchable unit of a plan: a numbered paragraph, an item, a table, a footnote block, a
/// stretch of unnumbered text, or (not indexed) a run of noise lines. Traceable to its source
/// lines, and identified by a hash of its content, so the same file gives the same ids again.
public struct Section: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable, Hashable {
        case paragraph, item, text, heading, table, footnote, figure, block, noise
    }

    public var id: String
    /// The document id: the file's path relative to the indexed root.
    public var document: String
    public var kind: Kind
    /// The block rule's kind for `.block` ("annex", ...); otherwise the kind's name.
    public var kindName: String
    /// The heading path, outermost first: ["第二章", "方案 10", "次级方案 6", "战略"].
    public var heading: [String]
    /// The titles that followed headings on the next line, parallel to `heading` ("" for none).
    public var headingTitles: [String]
    /// "13.2", "13.2(a)"; nil for unnumbered text.
    public var paragraph: String?
    /// 1-based numbers of the source lines that belong to this section (blank lines excluded).
    public var lines: [Int]
    /// Where each of `lines` starts in `text`, in Unicode scalars.
    public var lineStarts: [Int]
    /// Offsets (Unicode scalars) into the source file of the first line's start and last line's end.
    public var startOffset: Int
    public var endOffset: Int
    /// The text with PDF line breaks joined (no break between two CJK characters).
    public var text: String
    /// Position of the section within its document, from 0.
    public var ordinal: Int

    public var firstLine: Int { lines.first ?? 0 }
    public var lastLine: Int { lines.last ?? 0 }
    public var isIndexed: Bool { kind != .noise }

    /// The source line holding scalar `offset` of `text`.
    public func line(atTextOffset offset: Int) -> Int {
        var low = 0, high = lineStarts.count - 1, found = 0
        while low <= high {
            let mid = (low + high) / 2
            if lineStarts[mid] <= offset { found = mid; low = mid + 1 } else { high = mid - 1 }
        }
        // In step with lineStarts; a damaged stored section that is not falls back to its first line.
        return found < lines.count ? lines[found] : firstLine
    }
}

/// A file split into sections, with what the indexer records about the whole document.
public struct SectionedDocument: Sendable, Hashable {
    public var id: String
    public var title: String
    public var year: Int?
    /// The absolute path of the source file.
    public var file: String
    public var contentHash: String
    public var sections: [Section]
    /// Set when the file was not UTF-8 and was transcoded ("GB18030", "BIG5", "BIG5-HKSCS", "UTF-16").
    public var transcodedFrom: String?
}
