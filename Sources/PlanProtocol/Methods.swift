import Foundation

// Params and results of each method, as they appear on the wire (snake_case keys).

public struct PingResult: Codable, Sendable, Equatable {
    public var version: String
    public var `protocol`: Int
    public init(version: String) {
        self.version = version
        self.protocol = PlanProtocol.version
    }
}

public struct SearchParams: Codable, Sendable, Equatable {
    public var query: String
    public var limit: Int?
    public var offset: Int?
    public var filters: Filters?
    public var perDoc: Int?
    public var withText: Bool?
    /// Show copies of a section (the same text elsewhere) as one hit listing the others in its
    /// `copies` (the default), or each as a hit of its own (false).
    public var foldCopies: Bool?

    public struct Filters: Codable, Sendable, Equatable {
        public var doc: [String]?
        public var heading: String?
        public init(doc: [String]? = nil, heading: String? = nil) {
            self.doc = doc
            self.heading = heading
        }
    }

    public init(query: String, limit: Int? = nil, offset: Int? = nil, filters: Filters? = nil,
                perDoc: Int? = nil, withText: Bool? = nil, foldCopies: Bool? = nil) {
        self.query = query
        self.limit = limit
        self.offset = offset
        self.filters = filters
        self.perDoc = perDoc
        self.withText = withText
        self.foldCopies = foldCopies
    }

    enum CodingKeys: String, CodingKey {
        case query, limit, offset, filters
        case perDoc = "per_doc", withText = "with_text", foldCopies = "fold_copies"
    }

    public static let defaultLimit = 10
    public static let maxLimit = 1000

    /// Checks ranges; the message names the parameter.
    public func validated() throws(ProtocolError) -> SearchParams {
        // (Foundation's trimming, which builds the trimmed string, was most of this check's cost.)
        if query.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
            throw ProtocolError(.invalidParams, "\"query\" is empty")
        }
        if query.utf8.count > 4096 { throw ProtocolError(.invalidParams, "\"query\" is longer than 4096 bytes") }
        if let limit, !(0...Self.maxLimit).contains(limit) {
            throw ProtocolError(.invalidParams, "\"limit\" must be between 0 and \(Self.maxLimit)")
        }
        if let offset, offset < 0 || offset > 100_000 {
            throw ProtocolError(.invalidParams, "\"offset\" must be between 0 and 100000")
        }
        if let perDoc, perDoc < 1 || perDoc > 1000 {
            throw ProtocolError(.invalidParams, "\"per_doc\" must be between 1 and 1000")
        }
        return self
    }
}

public struct SearchHit: Codable, Sendable, Equatable {
    public var id: String
    public var doc: String
    public var title: String
    public var heading: [String]
    public var para: String?
    public var kind: String
    public var score: Double
    public var rank: Int
    /// Absolute path of the source file.
    public var file: String
    /// 1-based line of the best match (where an editor should jump), and the section's last line.
    public var line: Int
    public var endLine: Int
    public var snippet: String
    /// [start, end) character (Unicode scalar) offsets into `snippet`.
    public var highlights: [[Int]]
    public var text: String?
    /// Present only on a hit that lacks some of the query's words (after every hit that holds
    /// them all, when fewer than a page do): the words, as typed, that it lacks.
    public var missing: [String]?
    /// Present only when other sections hold the same text (see `fold_copies`): where they are.
    public var copies: [SectionLocation]?

    public init(id: String, doc: String, title: String, heading: [String], para: String?, kind: String,
                score: Double, rank: Int, file: String, line: Int, endLine: Int, snippet: String,
                highlights: [[Int]], text: String?) {
        self.id = id
        self.doc = doc
        self.title = title
        self.heading = heading
        self.para = para
        self.kind = kind
        self.score = score
        self.rank = rank
        self.file = file
        self.line = line
        self.endLine = endLine
        self.snippet = snippet
        self.highlights = highlights
        self.text = text
    }

    enum CodingKeys: String, CodingKey {
        case id, doc, title, heading, para, kind, score, rank, file, line, snippet, highlights, text, missing, copies
        case endLine = "end_line"
    }
}

/// Where a section is: enough for an editor to jump there or to `get` it.
public struct SectionLocation: Codable, Sendable, Equatable {
    public var id: String
    public var doc: String
    public var file: String
    public var line: Int

    public init(id: String, doc: String, file: String, line: Int) {
        self.id = id
        self.doc = doc
        self.file = file
        self.line = line
    }
}

public struct SearchResult: Codable, Sendable, Equatable {
    /// Estimated number of matching sections (documents when collapsed).
    public var total: Int
    /// false when not every word could be required and the query was relaxed.
    public var exact: Bool
    /// Query words that no hit contains.
    public var missing: [String]
    /// For query words that match nothing: indexed words one edit away.
    public var suggestions: [String: [String]]
    public var tookMs: Double
    public var hits: [SearchHit]
    /// Present (true) only when some shards of a cluster did not answer.
    public var partial: Bool?
    /// The shards that did not answer, as named in the cluster file.
    public var missingShards: [String]?

    public init(total: Int, exact: Bool, missing: [String], suggestions: [String: [String]], tookMs: Double, hits: [SearchHit],
                partial: Bool? = nil, missingShards: [String]? = nil) {
        self.total = total
        self.exact = exact
        self.missing = missing
        self.suggestions = suggestions
        self.tookMs = tookMs
        self.hits = hits
        self.partial = partial
        self.missingShards = missingShards
    }

    enum CodingKeys: String, CodingKey {
        case total, exact, missing, suggestions, hits, partial
        case tookMs = "took_ms", missingShards = "missing_shards"
    }
}

public struct GetParams: Codable, Sendable, Equatable {
    public var id: String
    public init(id: String) { self.id = id }
}

public struct SectionResult: Codable, Sendable, Equatable {
    public var id: String
    public var doc: String
    public var title: String
    public var heading: [String]
    public var headingTitles: [String]
    public var para: String?
    public var kind: String
    public var file: String
    public var line: Int
    public var endLine: Int
    public var lines: [Int]
    public var text: String

    public init(id: String, doc: String, title: String, heading: [String], headingTitles: [String], para: String?,
                kind: String, file: String, line: Int, endLine: Int, lines: [Int], text: String) {
        self.id = id
        self.doc = doc
        self.title = title
        self.heading = heading
        self.headingTitles = headingTitles
        self.para = para
        self.kind = kind
        self.file = file
        self.line = line
        self.endLine = endLine
        self.lines = lines
        self.text = text
    }

    enum CodingKeys: String, CodingKey {
        case id, doc, title, heading, para, kind, file, line, lines, text
        case headingTitles = "heading_titles", endLine = "end_line"
    }
}

public struct DocumentInfo: Codable, Sendable, Equatable {
    public var id: String
    public var title: String
    public var path: String
    public var sections: Int
    public var hash: String
    /// ISO 8601, UTC.
    public var indexed: String
    public var year: Int?

    public init(id: String, title: String, path: String, sections: Int, hash: String, indexed: String, year: Int?) {
        self.id = id
        self.title = title
        self.path = path
        self.sections = sections
        self.hash = hash
        self.indexed = indexed
        self.year = year
    }
}

public struct DocumentsResult: Codable, Sendable, Equatable {
    public var documents: [DocumentInfo]
    public init(documents: [DocumentInfo]) { self.documents = documents }
}

public struct ReindexParams: Codable, Sendable, Equatable {
    public var paths: [String]?
    public init(paths: [String]? = nil) { self.paths = paths }
}

public struct StatsResult: Codable, Sendable, Equatable {
    public var documents: Int
    public var sections: Int
    public var indexBytes: Int
    public var uptimeS: Double
    public var requests: Int
    public var errors: Int
    public var connections: Int
    public var latencyMs: Latency
    public var database: String

    public struct Latency: Codable, Sendable, Equatable {
        public var p50: Double
        public var p90: Double
        public var p99: Double
        public var max: Double
        public init(p50: Double, p90: Double, p99: Double, max: Double) {
            self.p50 = p50
            self.p90 = p90
            self.p99 = p99
            self.max = max
        }
    }

    public init(documents: Int, sections: Int, indexBytes: Int, uptimeS: Double, requests: Int, errors: Int,
                connections: Int, latencyMs: Latency, database: String) {
        self.documents = documents
        self.sections = sections
        self.indexBytes = indexBytes
        self.uptimeS = uptimeS
        self.requests = requests
        self.errors = errors
        self.connections = connections
        self.latencyMs = latencyMs
        self.database = database
    }

    enum CodingKeys: String, CodingKey {
        case documents, sections, requests, errors, connections, database
        case indexBytes = "index_bytes", uptimeS = "uptime_s", latencyMs = "latency_ms"
    }
}
