/// Names a section's text so that copies of it can be told apart from merely similar
/// sections: the plans repeat paragraphs word for word (the ITC plan is also a chapter of the
/// UN plan, with its own paragraph numbers; an annual report repeats its boxes), and a page of
/// hits showing the same paragraph twice wastes a place a different answer could have.
///
/// Two sections are copies when their texts are equal once whitespace (PDF line breaks, spacing
/// between Han characters) and the section's own paragraph number ("10.88" against "13.21") are
/// left out. The number is left out where it begins a line: a paragraph that opens under a new
/// heading starts with the heading's lines ("目标" then "10.82 本次级方案…"). Nothing else is
/// folded: a copy with one character changed is a different section.
public enum CopyKey {
    public static func of(_ section: Section) -> String {
        let scalars = Array(section.text.unicodeScalars)
        var skipped = 0..<0
        if let number = section.paragraph, !number.isEmpty {
            let numberScalars = Array(number.unicodeScalars)
            for start in section.lineStarts where start < scalars.count {
                var i = start
                while i < scalars.count, isWhitespace(scalars[i]) { i += 1 }
                if scalars[i...].starts(with: numberScalars) {
                    skipped = i..<(i + numberScalars.count)
                    break
                }
            }
        }
        var hash = StableHash()
        for (i, scalar) in scalars.enumerated() where !skipped.contains(i) && !isWhitespace(scalar) {
            hash.combine(scalar: scalar.value)
        }
        return hash.hex(lanes: 1)
    }

    /// Unicode's White_Space, spelled out: the property lookup for every scalar of every
    /// section was a noticeable part of building documents, and a section is almost all Han.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: true
        default: false
        }
    }
}
