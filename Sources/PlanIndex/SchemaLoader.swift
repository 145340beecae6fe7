import Foundation

extension Schema {
    /// Loads and validates the schema at `path`. Nothing half-valid gets out: any mistake throws
    /// a ``SchemaError`` naming the file, the JSON path and the problem.
    public static func load(path: String) throws(SchemaError) -> Schema {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SchemaError(file: path, path: "$", problem: "cannot read: \(error.localizedDescription)")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw SchemaError(file: path, path: "$", problem: "not valid JSON: \(Self.describeJSONError(error))")
        }
        if let twice = DuplicateKeys.first(in: data) {
            throw SchemaError(file: path, path: twice, problem: "given twice in one object (only one may be given; JSON readers keep the last)")
        }
        return try parse(json, file: path)
    }

    /// Finds a schema by name ("un-plan") in `directory`, or takes `nameOrPath` as a file path.
    public static func load(named nameOrPath: String, in directory: String) throws(SchemaError) -> Schema {
        if nameOrPath.hasSuffix(".json") || nameOrPath.contains("/") {
            return try load(path: nameOrPath)
        }
        return try load(path: directory + "/" + nameOrPath + ".json")
    }

    private static func describeJSONError(_ error: Error) -> String {
        let info = (error as NSError).userInfo
        return (info["NSDebugDescription"] as? String) ?? error.localizedDescription
    }

    static func parse(_ json: Any, file: String) throws(SchemaError) -> Schema {
        var root = try JSONObjectReader(file: file, path: "$", value: json)
        let name = try root.requiredString("name")
        let description = try root.string("description") ?? ""
        let extensions = try Self.extensions(&root)

        var titleRule = TitleRule(pattern: nil, scanLines: 40, maxLength: 80)
        if var t = try root.object("title") {
            titleRule.pattern = try t.regex("pattern").map(LinePattern.init)
            titleRule.scanLines = try t.int("scan_lines", in: 1...10_000) ?? titleRule.scanLines
            titleRule.maxLength = try t.int("max_length", in: 4...1_000) ?? titleRule.maxLength
            try t.rejectUnknownKeys()
        }

        var headings: [HeadingRule] = []
        var seenNames: Set<String> = []
        for var h in try root.objects("headings") ?? [] {
            let rule = HeadingRule(
                name: try h.requiredString("name"),
                level: try h.int("level", in: 1...9) ?? 1,
                pattern: try h.regex("pattern").map(LinePattern.init),
                names: Set(try h.strings("names") ?? []),
                minIndent: try h.int("min_indent", in: 1...40),
                maxLength: try h.int("max_length", in: 1...1_000) ?? 40,
                titleOnNextLine: try h.bool("title_on_next_line") ?? false,
                inBlocks: try h.bool("in_blocks") ?? true)
            if rule.pattern == nil && rule.names.isEmpty && rule.minIndent == nil {
                throw SchemaError(file: file, path: h.path, problem: "a heading needs \"pattern\", \"names\" or \"min_indent\"")
            }
            guard seenNames.insert(rule.name).inserted else {
                throw h.error("name", "another heading is already named \"\(rule.name)\"")
            }
            try h.rejectUnknownKeys()
            headings.append(rule)
        }

        var paragraphs = ParagraphRule(numbered: nil, item: nil, indentStarts: nil, blankLines: .auto, maxChars: 1500)
        if var p = try root.object("paragraphs") {
            paragraphs.numbered = try p.regex("numbered").map(LinePattern.init)
            if let numbered = paragraphs.numbered, numbered.expression.numberOfCaptureGroups < 1 {
                throw p.error("numbered", "needs a capture group for the paragraph number")
            }
            paragraphs.item = try p.regex("item").map(LinePattern.init)
            if let item = paragraphs.item, item.expression.numberOfCaptureGroups < 1 {
                throw p.error("item", "needs a capture group for the item letter")
            }
            paragraphs.indentStarts = try p.int("indent_starts", in: 1...40)
            if let raw = try p.string("blank_lines") {
                guard let mode = ParagraphRule.BlankLines(rawValue: raw) else {
                    throw p.error("blank_lines", "must be \"separate\", \"ignore\" or \"auto\", not \"\(raw)\"")
                }
                paragraphs.blankLines = mode
            }
            paragraphs.maxChars = try p.int("max_chars", in: 100...1_000_000) ?? paragraphs.maxChars
            try p.rejectUnknownKeys()
        }

        var blocks: [BlockRule] = []
        for var b in try root.objects("blocks") ?? [] {
            let kind = try b.requiredString("kind")
            guard let start = try b.regex("start") else { throw b.error("start", "required: a regular expression") }
            blocks.append(BlockRule(kind: kind, start: LinePattern(start),
                                    endsAtBlankLine: try b.bool("ends_at_blank_line") ?? false))
            try b.rejectUnknownKeys()
        }

        var noise: [NoiseRule] = []
        for var n in try root.objects("noise") ?? [] {
            let name = try n.requiredString("name")
            guard let pattern = try n.regex("pattern") else { throw n.error("pattern", "required: a regular expression") }
            noise.append(NoiseRule(name: name, pattern: LinePattern(pattern)))
            try n.rejectUnknownKeys()
        }

        var fields = Self.defaultFields
        if var f = try root.object("fields") {
            func field(_ key: String, _ fallback: Field, _ reader: inout JSONObjectReader) throws(SchemaError) -> Field {
                guard var o = try reader.object(key) else { return fallback }
                let prefix = try o.string("prefix") ?? fallback.prefix
                guard prefix.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
                    throw o.error("prefix", "must be upper-case ASCII letters (Xapian's prefix convention)")
                }
                let result = Field(prefix: prefix, weight: try o.int("weight", in: 0...100) ?? fallback.weight)
                try o.rejectUnknownKeys()
                return result
            }
            fields.title = try field("title", fields.title, &f)
            fields.heading = try field("heading", fields.heading, &f)
            fields.paragraph = try field("paragraph", fields.paragraph, &f)
            fields.body = try field("body", fields.body, &f)
            try f.rejectUnknownKeys()
        }

        var filters = Self.defaultFilters
        if var f = try root.object("filters") {
            func prefix(_ key: String, _ fallback: String) throws(SchemaError) -> String {
                guard let given = try f.string(key) else { return fallback }
                // Unprefixed terms are the body's words: a filter needs a prefix of its own.
                guard !given.isEmpty else { throw f.error(key, "must not be empty (its terms would be body words)") }
                // A lower-case prefix followed by a document id can spell a body word (xd + foo).
                guard given.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
                    throw f.error(key, "must be upper-case ASCII letters (Xapian's prefix convention), not \"\(given)\"")
                }
                return given
            }
            filters.document = try prefix("document", filters.document)
            filters.heading = try prefix("heading", filters.heading)
            filters.kind = try prefix("kind", filters.kind)
            filters.section = try prefix("section", filters.section)
            try f.rejectUnknownKeys()
        }
        try Self.refuseSharedPrefixes(fields: fields, filters: filters, file: file)

        var values = Values(document: 0, year: 1, order: 2, prose: 3, copy: 4)
        if var v = try root.object("values") {
            values.document = UInt32(try v.int("document", in: 0...1_000) ?? Int(values.document))
            values.year = UInt32(try v.int("year", in: 0...1_000) ?? Int(values.year))
            values.order = UInt32(try v.int("order", in: 0...1_000) ?? Int(values.order))
            values.prose = UInt32(try v.int("prose", in: 0...1_000) ?? Int(values.prose))
            values.copy = UInt32(try v.int("copy", in: 0...1_000) ?? Int(values.copy))
            let others = [values.document, values.year, values.order, values.prose, values.copy]
            if let heading = try v.int("heading", in: 0...1_000) {
                values.heading = UInt32(heading)
            } else {
                // `heading` came later than the others: a schema that gave one of them slot 5
                // before it existed keeps loading, with the heading path in the first free slot.
                values.heading = (UInt32(5)...).first { !others.contains($0) } ?? 5
            }
            try v.rejectUnknownKeys()
            let named = [("document", values.document), ("year", values.year), ("order", values.order),
                         ("prose", values.prose), ("copy", values.copy), ("heading", values.heading)]
            for (i, (name, slot)) in named.enumerated() {
                if let other = named[..<i].first(where: { $0.1 == slot }) {
                    throw SchemaError(file: file, path: "$.values",
                                      problem: "value slots must be distinct: \(other.0) and \(name) are both \(slot)")
                }
            }
        }

        var year = YearRule(pattern: nil, scanLines: 60)
        if var y = try root.object("year") {
            year.pattern = try y.regex("pattern").map(LinePattern.init)
            year.scanLines = try y.int("scan_lines", in: 0...100_000) ?? year.scanLines
            try y.rejectUnknownKeys()
        }

        var analyzer = AnalyzerOptions(lexicons: [], synonyms: nil, foldTraditional: true)
        if var a = try root.object("analyzer") {
            analyzer.lexicons = try a.strings("lexicons") ?? []
            analyzer.synonyms = try a.string("synonyms")
            analyzer.foldTraditional = try a.bool("fold_traditional") ?? true
            let directory = (file as NSString).deletingLastPathComponent
            for (i, lexicon) in analyzer.lexicons.enumerated() {
                let full = lexicon.hasPrefix("/") ? lexicon : directory + "/" + lexicon
                if let problem = Self.unreadableFile(full) {
                    throw SchemaError(file: file, path: "$.analyzer.lexicons[\(i)]", problem: problem)
                }
            }
            if let synonyms = analyzer.synonyms {
                let full = synonyms.hasPrefix("/") ? synonyms : directory + "/" + synonyms
                if let problem = Self.unreadableFile(full) { throw a.error("synonyms", problem) }
            }
            try a.rejectUnknownKeys()
        }

        var ranking = Ranking(k1: 1.2, b: 0.5, headingBoost: 2, titleBoost: 1, listPenalty: 0.4)
        if var r = try root.object("ranking") {
            ranking.k1 = try r.double("k1", in: 0...10) ?? ranking.k1
            ranking.b = try r.double("b", in: 0...1) ?? ranking.b
            ranking.headingBoost = try r.double("heading_boost", in: 0...100) ?? ranking.headingBoost
            ranking.titleBoost = try r.double("title_boost", in: 0...100) ?? ranking.titleBoost
            ranking.listPenalty = try r.double("list_penalty", in: 0...1) ?? ranking.listPenalty
            if var factors = try r.object("heading_factors") {
                for name in factors.object.keys.sorted() {
                    // Folded as heading filter terms are (case, width, whitespace), as the
                    // stored heading path is.
                    let key = IndexLayout.foldHeading(name)
                    guard !key.isEmpty else { throw factors.error(name, "a heading name must not be empty") }
                    guard !key.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                        throw factors.error(name, "a heading name cannot hold control characters")
                    }
                    guard ranking.headingFactors[key] == nil else {
                        throw factors.error(name, "the same heading as another key once case, width and whitespace are folded")
                    }
                    guard let factor = try factors.double(name, in: 0.01...10) else {
                        throw factors.error(name, "expected a number")
                    }
                    ranking.headingFactors[key] = factor
                }
                try factors.rejectUnknownKeys()
            }
            try r.rejectUnknownKeys()
        }

        _ = try root.int("version", in: 1...1)
        try root.rejectUnknownKeys()
        return Schema(name: name, description: description, extensions: extensions, title: titleRule,
                      headings: headings, paragraphs: paragraphs, blocks: blocks, noise: noise,
                      fields: fields, filters: filters, values: values, year: year, analyzer: analyzer,
                      ranking: ranking, file: file, indexFingerprint: indexFingerprint(json))
    }

    static let defaultFields = Fields(title: Field(prefix: "S", weight: 1), heading: Field(prefix: "H", weight: 1),
                                      paragraph: Field(prefix: "N", weight: 1), body: Field(prefix: "", weight: 1))
    static let defaultFilters = Filters(document: "XD", heading: "XH", kind: "XK", section: "Q")

    /// Fields and filters write their terms into one space, told apart by prefix alone: two
    /// with one prefix mix their terms (a filter with the title's prefix made deleting one
    /// document's sections delete those of others whose title held a word equal to its id).
    /// No prefix may begin another either. The one refused is the one changed from its default;
    /// when both were, the later of two equal prefixes, or the shorter of two where one begins
    /// the other.
    static func refuseSharedPrefixes(fields: Fields, filters: Filters, file: String) throws(SchemaError) {
        let d = (fields: defaultFields, filters: defaultFilters)
        let all: [(path: String, prefix: String, isDefault: Bool)] = [
            ("$.fields.title.prefix", fields.title.prefix, fields.title.prefix == d.fields.title.prefix),
            ("$.fields.heading.prefix", fields.heading.prefix, fields.heading.prefix == d.fields.heading.prefix),
            ("$.fields.paragraph.prefix", fields.paragraph.prefix, fields.paragraph.prefix == d.fields.paragraph.prefix),
            ("$.fields.body.prefix", fields.body.prefix, fields.body.prefix == d.fields.body.prefix),
            ("$.filters.document", filters.document, filters.document == d.filters.document),
            ("$.filters.heading", filters.heading, filters.heading == d.filters.heading),
            ("$.filters.kind", filters.kind, filters.kind == d.filters.kind),
            ("$.filters.section", filters.section, filters.section == d.filters.section),
        ]
        for (j, later) in all.enumerated() {
            if let earlier = all[..<j].first(where: { $0.prefix == later.prefix }) {
                let (refused, other) = later.isDefault ? (earlier, later) : (later, earlier)
                throw SchemaError(file: file, path: refused.path, problem: """
                    the same prefix as \(other.path) ("\(later.prefix)"\(other.isDefault ? ", its default" : "")): \
                    the terms of the two would mix; every field and filter needs a prefix of its own
                    """)
            }
            // One prefix starting another: filter "X" with an id starting "H" would spell the
            // heading filter "XH"'s terms. (The body's empty prefix is no prefix: its terms are
            // lower-case or not Latin.)
            if !later.prefix.isEmpty,
               let earlier = all[..<j].first(where: { !$0.prefix.isEmpty && ($0.prefix.hasPrefix(later.prefix) || later.prefix.hasPrefix($0.prefix)) }) {
                let (short, long) = earlier.prefix.count < later.prefix.count ? (earlier, later) : (later, earlier)
                // The one the schema set is refused; the other may be a default it kept.
                let refused = short.isDefault && !long.isDefault ? long : short
                throw SchemaError(file: file, path: refused.path, problem: """
                    "\(short.prefix)" (\(short.path)) begins "\(long.prefix)" (\(long.path)): a term of one \
                    could be read as a term of the other; no prefix may begin another
                    """)
            }
        }
    }

    /// Why a lexicon or synonyms file cannot be read, or nil. A directory passes
    /// `isReadableFile`, and reading it later failed with Foundation's bare "error 256".
    static func unreadableFile(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return "no file at \(path)" }
        if isDirectory.boolValue { return "\(path) is a directory, not a file" }
        return FileManager.default.isReadableFile(atPath: path) ? nil : "\(path) is not readable (permissions)"
    }

    /// File extensions as `pathExtension` gives them, lower-cased when matched. A leading dot is
    /// dropped (".txt" matched no file); what still cannot be an extension is refused.
    static func extensions(_ root: inout JSONObjectReader) throws(SchemaError) -> [String] {
        var extensions: [String] = []
        for (i, written) in (try root.strings("extensions") ?? []).enumerated() {
            let bare = written.hasPrefix(".") ? String(written.dropFirst()) : written
            guard !bare.isEmpty, !bare.contains(where: { "/*?[".contains($0) || $0.isWhitespace }) else {
                throw SchemaError(file: root.file, path: "$.extensions[\(i)]",
                                  problem: "\"\(written)\" is not a file extension: write \"txt\" for plan.txt")
            }
            guard !bare.contains(".") else {
                throw SchemaError(file: root.file, path: "$.extensions[\(i)]", problem: """
                    "\(written)" would match no file: an extension is the part of the name after its last dot \
                    ("gz" for plan.tar.gz)
                    """)
            }
            extensions.append(bare)
        }
        return extensions
    }

    /// The schema's JSON without the keys searching alone reads, keys sorted: the same rules
    /// give the same fingerprint whatever the file's layout or key order.
    static func indexFingerprint(_ json: Any) -> String {
        var indexed = (json as? [String: Any]) ?? [:]
        indexed["description"] = nil
        indexed["ranking"] = nil
        var hash = StableHash()
        hash.combine((try? JSONSerialization.data(withJSONObject: indexed, options: [.sortedKeys])) ?? Data())
        return hash.hex()
    }

    /// The lexicon files, resolved against the schema's directory.
    public var lexiconPaths: [String] {
        let directory = (file as NSString).deletingLastPathComponent
        return analyzer.lexicons.map { $0.hasPrefix("/") ? $0 : directory + "/" + $0 }
    }

    public var synonymsPath: String? {
        let directory = (file as NSString).deletingLastPathComponent
        return analyzer.synonyms.map { $0.hasPrefix("/") ? $0 : directory + "/" + $0 }
    }
}
