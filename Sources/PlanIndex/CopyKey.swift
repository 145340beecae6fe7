/// Names a section's text so that copies of it can be told apart from merely similar
/// sections: the plans repeat paragraphs word for word (the ITC plan is also a chapter of the
/// UN plan, with its own paragraph numbers; an annual report repeats its boxes), and a page of
/// hits showing the same paragraph twice wastes a place a different answer could have.
///
/// Two sections are copies when their texts are equal once whitespace (PDF line breaks, spacing
/// between Han characters) and the leading paragraph number ("10.88" against "13.21") are left
/// out. Nothing else is folded: a copy with one character changed is a different section.
public enum CopyKey {
    public static func of(_ section: Section) -> String {
        var text = Substring(section.text)
        if let number = section.paragraph, !number.isEmpty {
            let trimmed = text.drop { $0.isWhitespace }
            if trimmed.hasPrefix(number) { text = trimmed.dropFirst(number.count) }
        }
        var hash = StableHash()
        for scalar in text.unicodeScalars where !scalar.properties.isWhitespace {
            hash.combine(scalar: scalar.value)
        }
        return hash.hex(lanes: 1)
    }
}
