import Foundation
import PlanProtocol
import XapianKit

/// Answers searches, `get` and `documents` over one reader handle. Not Sendable: each reader
/// thread owns one Searcher. Reopens when told the index changed, and retries once when Xapian
/// says the reader fell behind (DatabaseModifiedError).
public final class Searcher {
    public let schema: Schema
    public let layout: IndexLayout
    let analyzer: any QueryAnalyzer
    private var database: Database
    /// The shards when the index has several (metadata is read per shard: Xapian answers
    /// metadata from the first database of a combination only).
    private var shards: [Database]
    /// Set when searching a cluster of local and remote shards.
    private let cluster: ClusterConnection?
    /// Whether every shard is opened here, so that each one's analyzer mark can be read (see
    /// `bodyMatching`).
    private let readsAnalyzerMark: Bool
    let synonyms: SynonymTable
    /// Snippet length in characters.
    public var snippetLength = 160

    /// - Parameter synonyms: the schema's synonyms, read already (a daemon reads them once for
    ///   all its readers, so a file edited meanwhile cannot leave a reader unmade); nil: read here.
    public init(databasePath: String, schema: Schema, analyzer: any QueryAnalyzer, synonyms: SynonymTable? = nil) throws {
        self.schema = schema
        layout = IndexLayout(schema: schema)
        self.analyzer = analyzer
        self.synonyms = try synonyms ?? Self.loadSynonyms(schema, analyzer)
        cluster = nil
        readsAnalyzerMark = true
        let paths = try ShardLayout.databasePaths(databasePath)
        if paths.count == 1 {
            database = try Database(path: paths[0])
            shards = [database]
        } else {
            shards = try paths.map { try Database(path: $0) }
            database = try Database(combining: shards)
        }
    }

    /// Reads `schema`'s synonyms file (an error names the file and line): also how a daemon
    /// checks an edited file before its readers are made with it.
    public static func loadSynonyms(_ schema: Schema, _ analyzer: any QueryAnalyzer) throws -> SynonymTable {
        guard let path = schema.synonymsPath else { return SynonymTable() }
        return try SynonymTable(path: path) { normalizedKey($0, analyzer) }
    }

    /// The form synonyms are matched in: the analyzer's normalisation, without spaces.
    static func normalizedKey(_ text: String, _ analyzer: any QueryAnalyzer) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: analyzer.normalizeForHighlighting(text).text.filter { !$0.properties.isWhitespace })
        return String(scalars)
    }

    /// Searches several databases (shards) as one.
    public init(database: Database, schema: Schema, analyzer: any QueryAnalyzer) throws {
        self.schema = schema
        layout = IndexLayout(schema: schema)
        self.analyzer = analyzer
        synonyms = try Self.loadSynonyms(schema, analyzer)
        self.database = database
        shards = [database]
        cluster = nil
        readsAnalyzerMark = false
    }

    /// Searches a cluster's shards; those that are down are left out and reported.
    public init(cluster configuration: ClusterConfiguration, schema: Schema, analyzer: any QueryAnalyzer,
                synonyms: SynonymTable? = nil) throws {
        self.schema = schema
        layout = IndexLayout(schema: schema)
        self.analyzer = analyzer
        self.synonyms = try synonyms ?? Self.loadSynonyms(schema, analyzer)
        let connection = ClusterConnection(configuration)
        cluster = connection
        readsAnalyzerMark = false
        sectionCache = SectionCache(budget: 0)
        guard let combined = connection.combined else {
            throw IndexError("no shard of the cluster answers: \(connection.missing.joined(separator: ", "))")
        }
        database = combined
        shards = connection.shardDatabases
    }

    /// In a cluster: reconnects shards due for a retry, or drops shards after a network error.
    private func refreshCluster(dropFailed: Bool) {
        guard let cluster else { return }
        if dropFailed { cluster.dropFailed() } else { cluster.refresh() }
        if let combined = cluster.combined {
            database = combined
            shards = cluster.shardDatabases
        }
    }

    /// An unspaced item is a question when it asks (an interrogative and at least
    /// `questionWords` content words) or is long (`longQuestionWords` content words). A compound
    /// name of four words (会议时地分配办法) asks nothing: all its words stay required.
    static let questionWords = 3
    static let longQuestionWords = 6
    /// The normalised words that make an item a question (多少名妇女, 什么申请, 哪个宣言).
    static let interrogatives: Set<String> = [
        "多少", "什么", "哪些", "哪个", "哪里", "哪", "如何", "怎样", "怎么", "是否", "吗", "几", "是不是", "有没有",
        "为什么", "为何", "何时", "谁", "what", "how", "which", "when", "who", "why", "where",
    ]

    static func isQuestion(_ words: [QueryWord]) -> Bool {
        let content = words.filter(\.required).count
        if content >= longQuestionWords { return true }
        return content >= questionWords && words.contains { word in
            word.highlights.contains { interrogatives.contains($0) }
        }
    }

    /// A body query widened to the heading path and the title, which rank higher when they
    /// match (a word in "次级方案 1 妇女经济赋权" speaks for every paragraph under it).
    /// `heading` and `title`: the same word built for those fields (`fields(matching:)`).
    private func acrossFields(_ word: QueryWord, heading: Query?, title: Query?) -> QueryWord {
        var alternatives = [word.query]
        let ranking = schema.ranking
        if ranking.headingBoost > 0, let heading = heading.flatMap(Self.withoutPositions) {
            alternatives.append(.scaleWeight(heading, ranking.headingBoost))
        }
        if ranking.titleBoost > 0, let title = title.flatMap(Self.withoutPositions) {
            alternatives.append(.scaleWeight(title, ranking.titleBoost))
        }
        var widened = word
        widened.query = alternatives.count == 1 ? word.query : .or(alternatives)
        return widened
    }

    /// The fields a typed item is built for, in the order `acrossFields` takes them: the body
    /// (matched as the index allows), the heading path and the title (by terms alone).
    private func fields(_ matching: WordMatching) -> [QueryField] {
        [QueryField(schema.fields.body.prefix, matching), QueryField(schema.fields.heading.prefix, .termWithoutPositions),
         QueryField(schema.fields.title.prefix, .termWithoutPositions)]
    }

    /// A phrase across the body, the heading path and the title; nil when it has nothing to search for.
    private func phraseAcrossFields(_ text: String, _ matching: WordMatching) -> QueryWord? {
        let built = analyzer.phrase(text, fields: fields(matching))
        return built[0].map { acrossFields($0, heading: built[1]?.query, title: built[2]?.query) }
    }

    /// A query for the heading path or the title, which are indexed without positions: a PHRASE
    /// or NEAR there can never match, so it is left out (nil when nothing else is left). Kept,
    /// it cost position lookups for every section holding its characters, and Xapian 1.4 at
    /// times counts such a phrase's weight for a section it does not match.
    static func withoutPositions(_ query: Query) -> Query? {
        switch query {
        case .phrase, .near: return nil
        case let .or(subs):
            let kept = subs.compactMap(withoutPositions)
            return kept.isEmpty ? nil : (kept.count == 1 ? kept[0] : .or(kept))
        case let .scaleWeight(sub, factor): return withoutPositions(sub).map { .scaleWeight($0, factor) }
        // A phrase weighed by its words (PlanQueryAnalyzer.phrase): the words only add weight
        // to what the left side matches, so nothing is left when the left side goes.
        case let .andMaybe(required, optional):
            return withoutPositions(required).map { left in withoutPositions(optional).map { .andMaybe(left, $0) } ?? left }
        default: return query
        }
    }

    /// A word's query as a question's seed (see rankedFromSeeds): no positions read. A word
    /// stands for the phrase of its characters beside it; a phrase weighed by its dictionary
    /// words (PlanQueryAnalyzer.phrase) becomes all of those words; a phrase with no word for it
    /// (a name the lexicon lacks) becomes all of its characters.
    static func seedForm(_ query: Query) -> Query {
        switch query {
        case let .phrase(subs, _), let .near(subs, _): return .and(subs.map(\.positionsRelaxed))
        case let .or(subs):
            let words = subs.filter { if case .phrase = $0 { false } else { true } }
            return .or((words.isEmpty ? subs : words).map(seedForm))
        case let .andMaybe(required, optional) where required.hasPositionalCondition && !optional.hasPositionalCondition:
            if case let .or(words) = optional { return .and(words) }
            return optional
        // A word found by its term, its characters only adding weight (WordMatching.term): the term.
        case let .andMaybe(required, _) where !required.hasPositionalCondition:
            return seedForm(required)
        case let .scaleWeight(sub, factor): return .scaleWeight(seedForm(sub), factor)
        default: return query.positionsRelaxed
        }
    }

    /// A query item as its synonym group: every variant as a phrase, weighed as one term.
    private func synonymWord(_ text: String, _ matching: WordMatching) -> QueryWord? {
        guard let variants = synonyms.variants(of: Self.normalizedKey(text, analyzer)) else { return nil }
        let words = variants.compactMap { phraseAcrossFields($0, matching) }
        guard !words.isEmpty else { return nil }
        return QueryWord(text: text, query: words.count == 1 ? words[0].query : .or(words.map(\.query)),
                         required: true, highlights: words.flatMap(\.highlights))
    }

    /// An excluded item's synonym group: any variant in the body text (as an excluded word
    /// is matched in the body only), or nil when the item is in no group.
    private func synonymExclusion(_ text: String, _ matching: WordMatching) -> Query? {
        guard let variants = synonyms.variants(of: Self.normalizedKey(text, analyzer)) else { return nil }
        let phrases = variants.compactMap { analyzer.phrase($0, prefix: schema.fields.body.prefix, matching: matching)?.query }
        return phrases.isEmpty ? nil : (phrases.count == 1 ? phrases[0] : .or(phrases))
    }

    deinit { close() }

    public func close() {
        if let cluster {
            cluster.closeAll()
            return
        }
        try? database.close()
        for shard in shards where shard !== database { try? shard.close() }
    }

    /// Moves to the newest commit.
    public func reopen() throws {
        if cluster != nil {
            // Remote shards are reopened by Xapian's remote protocol on each query.
            for shard in shards { _ = try? shard.reopen() }
            return
        }
        // First: a reopen that fails halfway may already have moved some shards on, and the
        // reader is not asked to reopen again for the same change.
        rerankFactsCache.removeAll()
        sectionCache.removeAll()
        bodyMatchingCache = nil
        try database.reopen()
        for shard in shards where shard !== database { try shard.reopen() }
    }

    func retrying<T>(_ body: () throws -> T) throws -> T {
        refreshCluster(dropFailed: false)
        do {
            return try body()
        } catch XapianError.Code.databaseModified {
            try reopen()
            return try body()
        } catch let error as XapianError where cluster != nil && (error.code == .network || error.code == .networkTimeout) {
            // A shard stopped answering: answer from the others (and say so).
            refreshCluster(dropFailed: true)
            guard cluster?.combined != nil else { throw IndexError("no shard of the cluster answers") }
            return try body()
        }
    }

    // MARK: search

    /// How this revision of the index lets a body word be found (see `WordMatching`): by its
    /// term alone when every shard's mark says all its documents, as they are now, were indexed
    /// by this analyzer, which holds every dictionary word; else by its term or its characters.
    /// A cluster's remote shards can be rebuilt without a reopen here, and a database combined
    /// by the caller answers metadata from its first shard only: both take the second way.
    /// (Settable for tests, which compare the two on one index.)
    var bodyMatchingCache: WordMatching?

    func bodyMatching() throws -> WordMatching {
        if let known = bodyMatchingCache { return known }
        var matching = WordMatching.termOrCharacters
        if readsAnalyzerMark, let fingerprint = analyzer.everyWordFingerprint,
           try shards.allSatisfy({ shard in
               try shard.metadataString(IndexLayout.analyzerKey)
                   == IndexLayout.analyzerMark(fingerprint, lastDocument: try shard.lastDocumentID())
           }) {
            matching = .term
        }
        bodyMatchingCache = matching
        return matching
    }

    public func search(_ params: SearchParams) throws -> SearchResult {
        let started = ContinuousClock.now
        var result = try retrying { try runSearch(params) }
        result.tookMs = Indexer.seconds(ContinuousClock.now - started) * 1000
        if let missing = cluster?.missing, !missing.isEmpty {
            result.partial = true
            result.missingShards = missing
        }
        return result
    }

    struct Clause {
        var words: [QueryWord]   // alternatives (OR)
        var text: String
        /// Which typed item (a space-separated word, phrase or OR group) it came from: the words
        /// one unspaced item segments into share it.
        var item = 0
        var query: Query { words.count == 1 ? words[0].query : .or(words.map(\.query)) }
    }

    private func runSearch(_ params: SearchParams) throws -> SearchResult {
        foldingCopies = params.foldCopies ?? true
        foldedCopies = [:]
        hitTexts = [:]
        defer { hitTexts = [:] }
        let parsed = UserQuery(parsing: params.query)
        let filters = params.filters ?? SearchParams.Filters()
        if let given = filters.doc, given.isEmpty {
            throw ProtocolError(.invalidParams, "\"filters.doc\" is empty; leave it out to search every document")
        }
        // The `doc:` items typed in the query are alternatives (a section is in one document);
        // `filters.doc`, the client's scope, narrows whatever the query asks, as `filters.heading`
        // does: a section must be in one of each list.
        let documentLists = [parsed.documents, filters.doc ?? []].filter { !$0.isEmpty }
        if documentLists.joined().contains(where: { $0.trimmingWhitespace.isEmpty }) {
            throw ProtocolError(.invalidParams, "a document filter needs a document id (doc:ID)")
        }
        if let long = documentLists.first(where: { $0.count > Self.maxDocumentFilter }) {
            throw ProtocolError(.invalidParams, "a document filter lists \(long.count) documents; at most \(Self.maxDocumentFilter)")
        }
        let headings = parsed.headings + (filters.heading.map { [$0] } ?? [])
        let matching = try bodyMatching()
        try checkLength(params.query, parsed, matching)

        // Required clauses and optional (ranking-only) words.
        var required: [Clause] = []
        var optional: [QueryWord] = []
        var question: [QueryWord] = []
        var seeds: [Query] = []
        for (typed, clause) in parsed.clauses.enumerated() {
            var alternatives: [QueryWord] = []
            for item in clause {
                if let group = synonymWord(item.text, matching) {
                    alternatives.append(group)
                    continue
                }
                switch item {
                case let .phrase(text):
                    if let word = phraseAcrossFields(text, matching) { alternatives.append(word) }
                case let .word(text):
                    let built = analyzer.words(of: text, fields: fields(matching))
                    let (body, heading, title) = (built[0], built[1], built[2])
                    let groups = body.map { synonymWord($0.text, matching) }
                    let words = body.enumerated().map { i, word -> QueryWord in
                        if let group = groups[i] {
                            return QueryWord(text: group.text, query: group.query, required: word.required, highlights: group.highlights)
                        }
                        // The analyzer segments the same text the same way whatever the prefix.
                        return acrossFields(word, heading: i < heading.count ? heading[i].query : nil,
                                            title: i < title.count ? title[i].query : nil)
                    }
                    let content = words.filter(\.required)
                    if clause.count == 1, parsed.clauses.count == 1, Self.isQuestion(words) {
                        // An unspaced question (国贸中心计划到2021年底协助多少名妇女进入市场): its
                        // content words rank the sections, any of them may match; requiring
                        // them all would demand the question's exact wording.
                        question = content
                        optional.append(contentsOf: words.filter { !$0.required })
                        let contentIndices = body.indices.filter { body[$0].required }
                        // The cheap queries that pick a question's candidates (see rankedFromSeeds).
                        let headingSeeds = contentIndices.compactMap { i in i < heading.count && groups[i] == nil ? Self.seedForm(heading[i].query) : nil }
                        seeds = [.or(contentIndices.map { groups[$0].map { Self.seedForm($0.query) } ?? Self.seedForm(body[$0].query) })]
                            + (headingSeeds.isEmpty ? [] : [.or(headingSeeds)])
                    } else if clause.count == 1 {
                        // Several words from one typed item: content words required, function
                        // words only ranking.
                        for word in words {
                            if word.required { required.append(Clause(words: [word], text: word.text, item: typed)) } else { optional.append(word) }
                        }
                        // The item as typed, as a phrase: sections holding 技术合作执行额 as
                        // written rank above those with 技术, 合作, 执行 and 额 scattered.
                        if words.count > 1, var asTyped = analyzer.phrase(text, prefix: schema.fields.body.prefix, matching: matching) {
                            asTyped.required = false
                            optional.append(asTyped)
                        }
                    } else {
                        alternatives.append(contentsOf: words.filter(\.required).isEmpty ? words : words.filter(\.required))
                    }
                }
            }
            if !alternatives.isEmpty {
                required.append(Clause(words: alternatives, text: clause.map(\.text).joined(separator: " OR "), item: typed))
            }
        }
        if !question.isEmpty {
            required.append(Clause(words: question, text: question.map(\.text).joined()))
        }
        if required.isEmpty, !optional.isEmpty {
            required = optional.map { Clause(words: [$0], text: $0.text) }
            optional = []
        }
        var filterQueries: [Query] = []
        for documents in documentLists {
            filterQueries.append(.or(Set(documents).sorted().map { .term(layout.documentTerm($0)) }))
        }
        for heading in headings {
            filterQueries.append(try headingFilter(heading))
        }
        let excluded: [Query] = parsed.excluded.compactMap { item in
            // -ITC leaves out 国际贸易中心 and 国贸中心 too, as ITC finds them.
            if let group = synonymExclusion(item.text, matching) { return group }
            switch item {
            case let .phrase(text): return analyzer.phrase(text, prefix: schema.fields.body.prefix, matching: matching)?.query
            case let .word(text):
                return analyzer.words(of: text, prefix: schema.fields.body.prefix, matching: matching).map(\.query).reduce(nil) { acc, q in
                    acc.map { .and([$0, q]) } ?? q
                }
            }
        }

        if required.isEmpty, documentLists.isEmpty, headings.isEmpty, excluded.isEmpty {
            // Typed, but nothing in it can be searched for (？？？, 《》, "", -，): no section
            // matches. (Filters or an exclusion alone list their sections; here there are none,
            // and answering every section in the index would read as a match.)
            let typed = parsed.clauses.flatMap { $0.map(\.text) } + parsed.excluded.map { "-" + $0.text }
            return SearchResult(total: 0, exact: false,
                                missing: typed.isEmpty ? [params.query.trimmingCharacters(in: .whitespacesAndNewlines)] : typed,
                                suggestions: [:], tookMs: 0, hits: [])
        }

        var options = SearchOptions()
        options.offset = params.offset ?? 0
        options.limit = params.limit ?? SearchParams.defaultLimit
        options.checkAtLeast = options.offset + options.limit + 1
        options.bm25 = BM25Parameters(k1: schema.ranking.k1, b: schema.ranking.b)
        options.includeValues = .none
        if let perDoc = params.perDoc { options.collapse = (slot: schema.values.document, max: perDoc) }

        func assemble(_ clauses: [Clause], proximity: Bool = true) -> Query {
            var query: Query = clauses.isEmpty ? .matchAll : (clauses.count == 1 ? clauses[0].query : .and(clauses.map(\.query)))
            // Proximity: sections where the words stand close together rank higher. Xapian's
            // NEAR takes single terms only: each word's positioned marker term, or the word itself
            // when it is a single term.
            let singles = proximity ? clauses.filter { $0.words.count == 1 }.map { $0.words[0] } + question : []
            let markers: [Query] = singles.compactMap { word in
                if let marker = word.proximityTerm { return .term(marker) }
                if case .term = word.query { return word.query }
                return nil
            }
            if markers.count > 1 { query = .andMaybe(query, .near(markers, window: max(8, markers.count * 6))) }
            if !optional.isEmpty { query = .andMaybe(query, .or(optional.map(\.query))) }
            if !filterQueries.isEmpty { query = .filter(query, filterQueries.count == 1 ? filterQueries[0] : .and(filterQueries)) }
            for ex in excluded { query = .andNot(query, ex) }
            return query
        }

        var active = required
        // A question is ranked in two passes (see rankedFromSeeds): any of its words may match.
        var results = question.isEmpty ? try ranked(assemble(active), options: options)
            : try rankedFromSeeds(assemble(active), seeds: seeds.map { seed in
                // Candidates obey the filters and exclusions, or excluded ones would fill the pool.
                var seed = filterQueries.isEmpty ? seed : .filter(seed, filterQueries.count == 1 ? filterQueries[0] : .and(filterQueries))
                for ex in excluded { seed = .andNot(seed, ex) }
                return seed
            }, options: options)
        var exact = true
        var missing: [String] = []
        if results.hits.isEmpty && results.estimatedMatches == 0 && required.count > 1 {
            // Relax: drop words that match nothing, then the rarest of the rest, until something
            // matches. (Only now is each word counted: most searches never pay for it.)
            exact = false
            // Which clauses match anything at all (with the filters), rarest first for relaxing.
            var counts: [Int] = []
            if required.count > 1 {
                var probe = SearchOptions()
                // With nothing to check Xapian may estimate 0 for a conjunction that matches:
                // checking one document makes "matches anything" certain.
                probe.limit = 0
                probe.checkAtLeast = 1
                // Weights are not needed, and without them Xapian stops at the first match
                // (weighed, a common word with a phrase alternative cost 4 ms).
                probe.booleanWeighting = true
                for clause in required {
                    let q = filterQueries.isEmpty ? clause.query : .filter(clause.query, .and(filterQueries))
                    let r = try database.search(q, options: probe)
                    counts.append(max(r.estimatedMatches, r.lowerBound))
                }
            }

            var order = Array(required.indices)
            missing = order.filter { counts[$0] == 0 }.map { required[$0].text }
            order = order.filter { counts[$0] > 0 }.sorted { counts[$0] > counts[$1] }
            active = order.map { required[$0] }
            // No word matches anything: nothing to rank (assembled, no clauses would be every section).
            results = active.isEmpty ? try database.search(.matchNothing, options: options) : try ranked(assemble(active), options: options)
            while results.estimatedMatches == 0, active.count > 1 {
                let dropped = active.removeLast()
                missing.append(dropped.text)
                results = try ranked(assemble(active), options: options)
            }
            if active.isEmpty { results = try database.search(.matchNothing, options: options) }
        } else if required.count == 1, results.estimatedMatches == 0 {
            // Nothing matched: the word is missing only if the index has it nowhere (filters
            // or exclusions may be what left nothing).
            var probe = SearchOptions()
            probe.limit = 0
            probe.checkAtLeast = 1
            probe.booleanWeighting = true
            let alone = try database.search(required[0].query, options: probe)
            if max(alone.estimatedMatches, alone.lowerBound) == 0 { missing = [required[0].text] }
        }

        let highlightWords = active.flatMap { $0.words.flatMap(\.highlights) } + optional.flatMap(\.highlights)
        var hits = try results.hits.map { hit in
            try makeHit(hit, highlightWords: highlightWords, withText: params.withText ?? false)
        }
        // Not with per_doc: the fill's sections would be capped per document apart from the
        // page's complete matches (a page of per_doc 2 held four hits of one document).
        if exact, question.isEmpty, results.hits.count < options.limit, options.collapse == nil,
           (2...Self.fillItems).contains(Set(required.map(\.item)).count) {
            // A first page shorter than asked for holds every section with all the words: the
            // fill leaves out those sections by id rather than by the whole query, whose phrase
            // alternatives would read positions again (about half of the fill's cost).
            let strict: Query? = options.offset == 0 && !hits.isEmpty
                && results.hits.count == results.estimatedMatches
                ? .or(hits.flatMap { [$0.id] + ($0.copies ?? []).map(\.id) }.map { .term(layout.sectionTerm($0)) }) : nil
            hits += try partialHits(required, strictTotal: results.estimatedMatches, shown: hits.count, strict: strict, options: options,
                                    assemble: { assemble($0, proximity: false) }, highlightWords: highlightWords, withText: params.withText ?? false)
        }
        if !question.isEmpty, exact {
            // A question's words need not all match; say which ones no hit on this page holds,
            // so a question the plans cannot answer reads as such (exact: false).
            let texts = hits.compactMap { hitTexts[$0.id] }
            let highlighter = Highlighter(analyzer: analyzer)
            let absent = question.filter { word in
                let needles = highlighter.needles(for: word.highlights)
                return !texts.contains { !highlighter.matches(of: needles, in: $0).isEmpty }
            }
            if !absent.isEmpty {
                exact = false
                missing = absent.map(\.text)
            }
        }
        // Suggestions for what the user typed: a missing word, or a typed item one of whose
        // words is missing (泥碳地 segments into characters, one of which matches nothing).
        var suggestions: [String: [String]] = [:]
        var candidates = missing
        if !missing.isEmpty {
            for clause in parsed.clauses {
                for case let .word(text) in clause where !candidates.contains(text) {
                    let parts = analyzer.words(of: text, prefix: schema.fields.body.prefix).map(\.text)
                    if parts.contains(where: missing.contains) { candidates.append(text) }
                }
            }
        }
        for word in candidates {
            let found = suggest(for: word)
            if !found.isEmpty { suggestions[word] = found }
        }
        return SearchResult(total: results.estimatedMatches, exact: exact, missing: missing,
                            suggestions: suggestions, tookMs: 0, hits: hits)
    }

    /// Most typed items for which a short page is filled with sections lacking one of them
    /// (one query per item left out, so this bounds the fill query's size).
    static let fillItems = 6

    /// When fewer sections than a page hold every word, the page goes on with sections that
    /// hold all but one typed item (best first), each saying which words it lacks: a page of
    /// two hits with every word scattered through long lists is worse than those two plus the
    /// passage that has the rest of the query word for word. Only whole items the user typed
    /// are left out (never one segment of 快时尚, never filters or exclusions); `total` still
    /// counts only the sections with every word.
    private func partialHits(_ required: [Clause], strictTotal: Int, shown: Int, strict: Query?, options: SearchOptions,
                             assemble: ([Clause]) -> Query, highlightWords: [String], withText: Bool) throws -> [SearchHit] {
        var fill = options
        // The strict matches come first in paging order: a later page starts further into these.
        fill.offset = max(0, options.offset - strictTotal)
        // Never more than the page has room for: `strictTotal` is Xapian's estimate, and an
        // estimate below the hits shown made a page of 40 come back with 44.
        fill.limit = min(options.offset + options.limit - max(options.offset, strictTotal), options.limit - shown)
        guard fill.limit > 0 else { return [] }
        fill.checkAtLeast = fill.offset + fill.limit
        let items = Set(required.map(\.item)).sorted()
        let allButOne = items.map { left in assemble(required.filter { $0.item != left }) }
        let results = try ranked(.andNot(.or(allButOne), strict ?? assemble(required)), options: fill)
        let highlighter = Highlighter(analyzer: analyzer)
        let needles = required.map { highlighter.needles(for: $0.words.flatMap(\.highlights)) }
        return try results.hits.map { found in
            var hit = try makeHit(found, highlightWords: highlightWords, withText: withText)
            hit.rank += strictTotal  // after every section that holds all the words
            if let text = hitTexts[hit.id] {  // (makeHit keeps every hit's text)
                hit.missing = required.indices.filter { highlighter.matches(of: needles[$0], in: text).isEmpty }.map { required[$0].text }
            }
            return hit
        }
    }

    /// How many of a search's best hits the list penalty may reorder. Xapian ranks by BM25 alone;
    /// the penalty (a factor per section, `ranking.list_penalty`) is applied to its best
    /// `rerankDepth` and those are sorted again, so a page inside them is cut from the reordered
    /// list and every page after them is Xapian's order. The set of the best `rerankDepth` never
    /// changes, so paging shows each hit once.
    static let rerankDepth = 40

    /// Runs `query`, with the list penalty applied to the best hits and their copies folded
    /// (see `rerankDepth`, `foldCopies`). Its `estimatedMatches` is the same on every page of
    /// one search unless a page counted the matches exactly (see `estimateWindow`).
    func ranked(_ query: Query, options: SearchOptions) throws -> SearchResults {
        guard rerankApplies(options) else {
            var options = options
            let shown = options.offset
            var folded = 0
            var windowed: SearchResults?
            if foldingCopies, options.sort == .relevance, options.limit > 0, options.offset >= Self.rerankDepth {
                // Past the best `rerankDepth`: Xapian's order, moved on by the copies folded
                // among them, or the first hits here would repeat the last ones before. (The
                // window's search finds them, and gives the total too.)
                let window = try windowSearch(query, options: options)
                let best = Array(window.hits.prefix(Self.rerankDepth))
                folded = copyCount(best[...], try rerankFacts(best))
                options.offset += folded
                windowed = window
            } else if options.offset + options.limit <= Self.estimateWindow {
                // Inside the window: the window's search is the page's, cut to it, and only the
                // page's stored sections are read.
                var results = try windowSearch(query, options: options)
                let end = min(results.hits.count, options.offset + options.limit)
                results.hits = options.offset < end ? Array(results.hits[options.offset..<end]) : []
                if options.includeData {
                    for i in results.hits.indices { results.hits[i].data = try storedData(results.hits[i].documentID) }
                }
                return results
            }
            var results = try database.search(query, options: options)
            for i in results.hits.indices { results.hits[i].rank -= folded }
            results.estimatedMatches = try pageTotal(query, options: options, page: results, folded: folded, shown: shown,
                                                     window: windowed)
            return results
        }
        var wide = options
        wide.offset = 0
        let depth = max(Self.rerankDepth, options.offset + options.limit)
        // Folding shortens the list by the copies it folds away, at most `rerankDepth - 1` of
        // them (only the best `rerankDepth` are folded): fetching that many more than the page
        // needs makes sure it comes back full. (A second search for the hits missing after
        // folding cost as much as the first: on 20 copies of the corpus, a third of a search.)
        // Fetched when not folding too, so that the first pages' search is the window's.
        wide.limit = depth + Self.rerankDepth - 1
        wide.checkAtLeast = max(options.checkAtLeast, wide.limit + 1)
        // The stored sections are read for the page only, after reordering: reading all
        // `rerankDepth` of them was most of what the penalty cost (28% of search time).
        wide.includeData = false
        wide.includeValues = .none
        let found = try database.search(query, options: wide)
        // The facts of the hits the rerank looks at: the best `rerankDepth`.
        let facts = try rerankFacts(Array(found.hits.prefix(Self.rerankDepth)))
        var results = penalised(found, facts, options: options)
        if wide.limit != Self.estimateWindow || wide.checkAtLeast != Self.estimateWindow + 1 {
            // A page reaching past the best `rerankDepth` searched further than the first pages.
            results.estimatedMatches = try pageTotal(query, options: options, page: found,
                                                     folded: found.estimatedMatches - results.estimatedMatches,
                                                     shown: options.offset, pageHits: results.hits.count)
        }
        if options.includeData {
            for i in results.hits.indices { results.hits[i].data = try storedData(results.hits[i].documentID) }
        }
        return results
    }

    /// How many best hits every page's `total` is estimated over. Xapian counts the matches it
    /// looks at and guesses at the rest, and how far it looks depends on the page asked for:
    /// with each page's own estimate, paging through 贸易 发展 合作 read "of about 198", then 88,
    /// 98, 198 and 127. So every page of a search reports the estimate of one search, of the
    /// best `estimateWindow` hits: the search the first pages make anyway (the rerank's, with
    /// room for folded copies), which a page beyond them makes as well. Only a page that counted
    /// every match (a last page) reports its count instead, which is exact.
    static let estimateWindow = 2 * rerankDepth - 1

    /// The search every page's total is taken from (see `estimateWindow`): the best hits, without
    /// their stored sections.
    private func windowSearch(_ query: Query, options: SearchOptions) throws -> SearchResults {
        var window = options
        window.offset = 0
        window.limit = Self.estimateWindow
        window.checkAtLeast = Self.estimateWindow + 1
        window.includeData = false
        window.includeValues = .none
        return try database.search(query, options: window)
    }

    /// The total of a page whose own search was not the window's: its count when it counted
    /// every match, else the window's estimate (`window`, when already run), each less the
    /// copies `folded` among the best hits; never fewer than the hits up to the page's end
    /// (`shown` before it), which an estimate can be.
    private func pageTotal(_ query: Query, options: SearchOptions, page: SearchResults, folded: Int, shown: Int,
                           pageHits: Int? = nil, window: SearchResults? = nil) throws -> Int {
        if page.isExact { return max(0, page.estimatedMatches - folded) }
        let estimate = try (window ?? windowSearch(query, options: options)).estimatedMatches - folded
        let hits = pageHits ?? page.hits.count
        return max(estimate, hits == 0 ? 0 : shown + hits)
    }

    /// Whether the best hits are reordered (the list penalty) or have copies folded.
    private func rerankApplies(_ options: SearchOptions) -> Bool {
        (schema.ranking.listPenalty > 0 || !schema.ranking.headingFactors.isEmpty || foldingCopies) && options.sort == .relevance
            && options.offset < Self.rerankDepth && options.limit > 0
    }

    /// What the rerank reads of a section: its prose share (the list penalty), its heading
    /// path (the heading factors) and its copy key (folding), all stored as values.
    struct RerankFacts {
        enum CopyKey: Hashable {
            case hash(UInt64)  // CopyKey.of's sixteen hex digits, held as their number
            case text(String)  // any other key
        }
        var prose: Double?
        /// `ranking.heading_factors` for the section's heading path (1 when none applies, or
        /// for a section indexed before the path was stored).
        var headingFactor: Double = 1
        var copy: CopyKey?
    }

    /// The rerank's facts per document id, read once per reader revision: the best 40 hits of
    /// most searches are sections seen before, and reading two values of each was a tenth of a
    /// search (a B-tree lookup and an 8 KB read per value). Emptied by `reopen` (ids then name
    /// other sections) and when it reaches `rerankFactsCacheLimit` entries. Not used for a
    /// cluster, whose remote shards may change under the same ids without a reopen here.
    private var rerankFactsCache: [UInt32: RerankFacts] = [:]
    static let rerankFactsCacheLimit = 200_000

    /// The rerank's facts for `hits`, from the cache or read.
    private func rerankFacts(_ hits: [Hit]) throws -> [UInt32: RerankFacts] {
        var facts: [UInt32: RerankFacts] = [:]
        facts.reserveCapacity(hits.count)
        let factors = schema.ranking.headingFactors
        let slots = [schema.values.prose, schema.values.copy] + (factors.isEmpty ? [] : [schema.values.heading])
        for hit in hits {
            if let known = rerankFactsCache[hit.documentID] {
                facts[hit.documentID] = known
                continue
            }
            let values = try database.values(hit.documentID, slots: slots, assumeValid: true)
            let key = values[schema.values.copy].map { String(decoding: $0, as: UTF8.self) }
            var read = RerankFacts(prose: values[schema.values.prose].map(SortableNumber.decode),
                                   headingFactor: values[schema.values.heading].map { HeadingFactors.factor(of: $0, in: factors) } ?? 1)
            if let key, !key.isEmpty {
                read.copy = key.utf8.count == 16 ? UInt64(key, radix: 16).map { .hash($0) } ?? .text(key) : .text(key)
            }
            facts[hit.documentID] = read
            if cluster == nil {
                if rerankFactsCache.count >= Self.rerankFactsCacheLimit { rerankFactsCache.removeAll(keepingCapacity: true) }
                rerankFactsCache[hit.documentID] = read
            }
        }
        return facts
    }

    /// How many of `hits` are copies of another among them (the order does not matter).
    private func copyCount(_ hits: ArraySlice<Hit>, _ facts: [UInt32: RerankFacts]) -> Int {
        var keys = Set<RerankFacts.CopyKey>()
        return hits.reduce(0) { count, hit in
            guard let key = facts[hit.documentID]?.copy else { return count }
            return keys.insert(key).inserted ? count : count + 1
        }
    }

    /// The page `options` asks for, cut from `results`, whose hits are the best ones from rank 0
    /// on in order; when the rerank applies, `facts` holds those of the best `rerankDepth`, which
    /// the penalty reorders (and folding thins) first.
    private func penalised(_ results: SearchResults, _ facts: [UInt32: RerankFacts], options: SearchOptions) -> SearchResults {
        var results = results
        if rerankApplies(options) {
            let penalty = schema.ranking.listPenalty
            let depth = min(Self.rerankDepth, results.hits.count)
            var best = results.hits[..<depth].map { hit in
                var hit = hit
                // A section indexed before the measure existed has no value: no penalty.
                let known = facts[hit.documentID]
                let prose = known?.prose.map { min(1, max(0, $0)) } ?? 1
                hit.weight *= (1 - penalty * (1 - prose)) * (known?.headingFactor ?? 1)
                return hit
            }
            // Ties keep Xapian's order (Swift's sort is not promised to be stable).
            best.sort { $0.weight != $1.weight ? $0.weight > $1.weight : $0.rank < $1.rank }
            if foldingCopies {
                best = foldCopies(best, facts)
                results.estimatedMatches -= depth - best.count
            }
            results.hits.replaceSubrange(..<depth, with: best)
            // From rank 0 on, in order (folding moves the hits after the folded ones up).
            for i in results.hits.indices { results.hits[i].rank = i }
        }
        let end = min(results.hits.count, options.offset + options.limit)
        results.hits = options.offset < end ? Array(results.hits[options.offset..<end]) : []
        return results
    }

    /// Keeps the first (best) of each set of copies among `hits`, noting the others in
    /// `foldedCopies`. Sections without a copy key (indexed before it existed) are never folded.
    private func foldCopies(_ hits: [Hit], _ facts: [UInt32: RerankFacts]) -> [Hit] {
        var keeper: [RerankFacts.CopyKey: UInt32] = [:]
        var kept: [Hit] = []
        kept.reserveCapacity(hits.count)
        for hit in hits {
            guard let key = facts[hit.documentID]?.copy else {
                kept.append(hit)
                continue
            }
            if let first = keeper[key] {
                foldedCopies[first, default: []].append(hit.documentID)
            } else {
                keeper[key] = hit.documentID
                kept.append(hit)
            }
        }
        return kept
    }

    /// How many of a seed's best matches become candidates, per hit needed (see rankedFromSeeds).
    static let candidatesPerHit = 1.5
    /// The heading seed's share of the candidates: headings are short, few sections rank by them.
    static let headingCandidateShare = 0.25

    /// Ranks an unspaced question in two passes. A question ORs its words, each also matched as a
    /// phrase of its characters and in the heading path and title, with a proximity bonus over
    /// all of them: Xapian can skip none of the sections holding any word and reads positions
    /// for all of them (45 ms for a long question on the corpus, a second on 20 copies of it).
    /// The first pass ranks `seeds` instead, cheap queries of the same words (the body's word
    /// terms, a synonym group's with its heading and title forms; the heading path's words),
    /// and takes the best of each as candidates; the second
    /// weighs the candidates alone with the whole query, so every hit's weight and order among
    /// the candidates are exact. What this gives up: a section that would rank high only
    /// through the parts the seeds leave out (a word present only inside longer words, the
    /// title, the proximity bonus) and is not among the candidates. Measured on the judged
    /// questions: the same nDCG@10 as ranking the whole query (see README). When too few
    /// candidates match while more sections hold the words, the whole query is ranked after all.
    ///
    /// Paging: every page is cut from one list, built in rounds whose sizes never depend on the
    /// page asked for. The first round's pool is sized for the best `rerankDepth` hits, which
    /// the list penalty reorders and folding thins (the same for every page), and all its
    /// matching candidates make the start of the list (so an editor's page of 50 needs no second
    /// round; those past `rerankDepth` had less margin to be picked); each later round draws a
    /// pool twice as large and adds its sections not already in the list, best first, until
    /// the list reaches the page's end or a pool holds every section the seeds match. So a page
    /// never repeats a hit shown on another, and `estimatedMatches` (the first body seed's
    /// estimate, at least the first round's hits; their number when that round held every
    /// match) is the same on every page. (Sizing one pool per page let a later page's larger
    /// pool rank newcomers among hits already shown: one question paged in tens repeated a
    /// section up to three times.)
    func rankedFromSeeds(_ query: Query, seeds: [Query], options: SearchOptions) throws -> SearchResults {
        guard options.sort == .relevance, options.collapse == nil, options.limit > 0, !seeds.isEmpty else {
            return try ranked(query, options: options)
        }
        // One local database: the candidates are named by their document ids, and only the
        // page's stored sections are read. Several shards (ids differ per shard) or a cluster:
        // by their section terms, which the stored sections name.
        let byID = shards.count == 1 && cluster == nil
        var needed = Self.rerankDepth
        guard let firstRound = try seededRound(query, seeds: seeds, needed: needed, options: options, byID: byID) else {
            return try ranked(query, options: options)
        }
        // The first round as the first page sees it: penalty and folding over its best hits.
        var whole = options
        whole.offset = 0
        whole.limit = max(1, firstRound.hits.count)
        let rerank = rerankApplies(whole)
        var results = SearchResults(hits: firstRound.hits, estimatedMatches: firstRound.estimate,
                                    lowerBound: firstRound.hits.count, upperBound: firstRound.estimate)
        for i in results.hits.indices { results.hits[i].rank = i }
        results = penalised(results, rerank ? try rerankFacts(Array(results.hits.prefix(Self.rerankDepth))) : [:], options: whole)
        var complete = firstRound.complete
        var list = results.hits
        // Decided by the first round alone, which every page draws: the same on every page.
        let total = complete ? list.count : max(results.estimatedMatches, list.count)
        var listed = Set(list.map(\.documentID)).union(foldedCopies.values.joined())
        let end = options.offset + options.limit
        while !complete, list.count < end {
            needed *= 2
            guard let round = try seededRound(query, seeds: seeds, needed: needed, options: options, byID: byID) else { break }
            let added = round.hits.filter { !listed.contains($0.documentID) }
            list += added
            listed.formUnion(added.map(\.documentID))
            complete = round.complete
        }
        for i in list.indices { list[i].rank = i }
        results.estimatedMatches = total
        results.hits = options.offset < min(end, list.count) ? Array(list[options.offset..<min(end, list.count)]) : []
        if byID, options.includeData {
            for i in results.hits.indices { results.hits[i].data = try storedData(results.hits[i].documentID) }
        }
        return results
    }

    /// One round of `rankedFromSeeds`: the seeds' best matches as candidates for `needed` hits,
    /// weighed by the whole query, best first (Xapian's weights; ties keep the seeds' order).
    /// `complete`: the candidates hold every section the seeds match, so no larger round can add
    /// any. Nil when no seed matches anything.
    private func seededRound(_ query: Query, seeds: [Query], needed: Int, options: SearchOptions,
                             byID: Bool) throws -> (hits: [Hit], estimate: Int, complete: Bool)? {
        let count = Int((Double(needed) * Self.candidatesPerHit).rounded(.up))
        var pool: [Hit] = []
        var seen = Set<UInt32>()
        var estimate: Int?
        var cutOff = false  // a seed had more matches than it gave
        for (i, seed) in seeds.enumerated() {
            var cheap = options
            cheap.offset = 0
            cheap.limit = i == 0 ? count : Int(Double(count) * Self.headingCandidateShare)
            // Not the page's check-at-least: the estimate would change from page to page.
            cheap.checkAtLeast = i == 0 ? cheap.limit : 0
            cheap.includeData = !byID
            cheap.includeValues = .none
            let found = try database.search(seed, options: cheap)
            if estimate == nil { estimate = found.estimatedMatches }
            if found.hits.count >= cheap.limit, found.estimatedMatches > found.hits.count { cutOff = true }
            for hit in found.hits where seen.insert(hit.documentID).inserted { pool.append(hit) }
        }
        guard let estimate, !pool.isEmpty else { return nil }
        let candidates: Query = byID ? .documents(pool.map(\.documentID))
            : .or(try pool.map { Query.term(layout.sectionTerm(try StoredSection.sectionID(decoding: $0.data))) })
        var exact = options
        exact.offset = 0
        exact.limit = pool.count
        exact.checkAtLeast = exact.limit
        exact.includeData = false
        exact.includeValues = .none
        // The candidates lead an AND_MAYBE and weigh nothing, so the query is only weighed for
        // them. Not a FILTER: under a FILTER, Xapian 1.4.22 at times counts a phrase inside an
        // OR as matching where it does not (40.6 instead of 29.9 for a section of
        // 工发组织2020年技术合作执行额是多少).
        let weights = Dictionary(
            try database.search(.andMaybe(.scaleWeight(candidates, 0), query), options: exact).hits.map { ($0.documentID, $0.weight) },
            uniquingKeysWith: { a, _ in a })
        var hits = pool.compactMap { hit -> Hit? in
            // Weight 0: the candidate does not match the whole query (it was picked by the
            // characters of a word or phrase that do not stand together in it).
            guard let weight = weights[hit.documentID], weight > 0 else { return nil }
            var hit = hit
            hit.weight = weight
            return hit
        }
        if hits.count < needed, cutOff {
            // Too few candidates match while the seeds left some out (rare: candidates picked by
            // characters that stand apart): this round ranks the whole query.
            var all = options
            all.offset = 0
            all.limit = needed
            all.checkAtLeast = needed
            all.includeData = !byID
            all.includeValues = .none
            let ranked = try database.search(query, options: all)
            return (ranked.hits, max(estimate, ranked.estimatedMatches, ranked.hits.count), ranked.hits.count < needed)
        }
        hits = hits.enumerated().sorted { $0.element.weight != $1.element.weight ? $0.element.weight > $1.element.weight : $0.offset < $1.offset }.map(\.element)
        // The body seed's estimate, but never fewer than the hits found (the heading seed may
        // add sections the body seed does not match).
        return (hits, max(estimate, hits.count), !cutOff)
    }

    /// Indexed words one edit away from `word` (泥碳地 -> 泥炭地), most frequent first. Candidates
    /// are the body terms sharing the first character: a typo is seldom in the first one, and
    /// this keeps the scan to one short stretch of the term list.
    func suggest(for word: String) -> [String] {
        let key = Array(Self.normalizedKey(word, analyzer).unicodeScalars)
        guard key.count >= 2, key.count <= 12, let first = key.first,
              !word.unicodeScalars.contains(where: { $0.properties.isWhitespace }) else { return [] }
        let prefix = schema.fields.body.prefix + String(first)
        guard let terms = try? database.allTerms(prefix: prefix, limit: 5000) else { return [] }
        var scored: [(String, Int)] = []
        for entry in terms {
            let candidate = Array(entry.term.unicodeScalars.dropFirst(schema.fields.body.prefix.unicodeScalars.count))
            guard abs(candidate.count - key.count) <= 1, candidate != key,
                  Self.withinOneEdit(candidate, key) else { continue }
            scored.append((String(String.UnicodeScalarView(candidate)), entry.frequency))
        }
        return scored.sorted { $0.1 > $1.1 }.prefix(3).map(\.0)
    }

    /// Levenshtein distance at most 1 (one substitution, insertion or deletion).
    static func withinOneEdit(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Bool {
        if a.count == b.count { return zip(a, b).filter { $0 != $1 }.count <= 1 }
        let (short, long) = a.count < b.count ? (a, b) : (b, a)
        guard long.count - short.count == 1 else { return false }
        var i = 0, j = 0, skipped = false
        while i < short.count, j < long.count {
            if short[i] == long[j] { i += 1; j += 1 } else {
                if skipped { return false }
                skipped = true
                j += 1
            }
        }
        return true
    }

    /// The most headings one `heading:` filter may stand for.
    static let maxHeadingMatches = 1000

    /// The most words a query may hold (typed, quoted and excluded together). Matching grows
    /// with every word, and when the words are not all found together relaxing them costs
    /// more again: 64 words of different characters took 30 ms, 256 took 0.46 s, and 1,365
    /// (a request's 4096 bytes) 8.8 s, holding a reader, and the sections of 1,365 of them
    /// together are none anyway. A selection pasted from an editor is the way to reach it.
    static let maxWords = 64

    /// The most documents one filter may list (`filters.doc`, or the query's `doc:` items).
    /// Xapian 1.4 sums an OR's estimates again for every branch it adds, so an OR of n terms
    /// costs n² when it is built: 2,000 ids took 90 ms, 20,000 (a 230 KB request) 8.4 s.
    static let maxDocumentFilter = 1000

    /// Refuses a query of more than `maxWords` words, counting from the start and stopping
    /// there, so a long query costs its first words' analysis only.
    private func checkLength(_ query: String, _ parsed: UserQuery, _ matching: WordMatching) throws {
        // Every word is a character or more: a query of fewer characters (nearly every one) is
        // not analysed a second time here.
        guard query.unicodeScalars.count > Self.maxWords else { return }
        var count = 0
        for item in parsed.clauses.joined() + parsed.excluded {
            count += max(1, analyzer.words(of: item.text, prefix: schema.fields.body.prefix, matching: matching).count)
            if count > Self.maxWords {
                throw ProtocolError(.invalidParams, "the query holds more than \(Self.maxWords) words; search with fewer")
            }
        }
    }

    private func headingFilter(_ heading: String) throws -> Query {
        let folded = layout.headingTerm(heading)
        guard folded.count > schema.filters.heading.count else {
            throw ProtocolError(.invalidParams, "a heading filter needs some text (heading:TEXT)")
        }
        // A heading given in part ("次级方案 6" for "次级方案 6 贸易促进...") matches by prefix.
        let terms = try database.allTerms(prefix: folded, limit: Self.maxHeadingMatches + 1)
        if terms.isEmpty { return .term(folded) }
        // Refused rather than cut: a filter that silently kept some of its headings would
        // leave out sections the user asked for.
        guard terms.count <= Self.maxHeadingMatches else {
            throw ProtocolError(.invalidParams, "heading:\(heading) starts more than \(Self.maxHeadingMatches) headings; give more of it")
        }
        return .or(terms.map { .term($0.term) })
    }

    /// The last search's highlight words, prepared (see makeHit).
    private var highlightNeedles: Highlighter.Needles?
    /// Whether the current search folds copies (`fold_copies`), and the copies folded so far:
    /// a kept hit's document id -> its copies' ids, read by makeHit. Per search (a Searcher
    /// runs one search at a time, on its reader's thread).
    private var foldingCopies = true
    private var foldedCopies: [UInt32: [UInt32]] = [:]
    /// The current search's hits' texts, normalised by makeHit (by section id): which words a
    /// partial hit lacks, and which words of a question no hit holds, are looked up in them
    /// rather than normalising each text again per word.
    private var hitTexts: [String: Highlighter.Normalized] = [:]

    /// The sections this reader read lately (see `SectionCache`); not for a cluster.
    private var sectionCache = SectionCache(budget: Searcher.defaultSectionCacheBudget)

    /// How many bytes (an estimate) of stored sections a reader keeps; 0 keeps none.
    public var sectionCacheBudget: Int {
        get { sectionCache.budget }
        set { sectionCache = SectionCache(budget: cluster == nil ? newValue : 0) }
    }

    /// How many sections the cache holds now.
    var cachedSections: Int { sectionCache.count }

    /// 32 MB. By the cache's estimate every section of `../shared/corpus` would take 38 MB
    /// (7,227 sections, 5 KB each); the sections the 66 judged queries show take far less
    /// (resident memory grew 4.5 MB), and at least the last 16 MB used always stay.
    public static let defaultSectionCacheBudget = 32 << 20

    /// The stored section of document `id`: kept, or read (and then kept).
    private func storedData(_ id: UInt32) throws -> [UInt8] {
        if let known = sectionCache.data(id) { return known }
        let data = try database.documentData(id, assumeValid: true)
        sectionCache.keep(id, data: data)
        return data
    }

    /// A hit's section decoded, and its text normalised for highlighting: kept, or done (and
    /// then kept).
    private func prepared(_ hit: Hit, _ highlighter: Highlighter) throws -> SectionCache.Prepared {
        if let known = sectionCache.prepared(hit.documentID) { return known }
        let stored = try StoredSection(decoding: hit.data)
        let prepared = SectionCache.Prepared(stored: stored, text: highlighter.normalized(stored.section.text))
        sectionCache.keep(hit.documentID, data: hit.data, prepared: prepared)
        return prepared
    }

    private func makeHit(_ hit: Hit, highlightWords: [String], withText: Bool) throws -> SearchHit {
        let highlighter = Highlighter(analyzer: analyzer)
        let prepared = try prepared(hit, highlighter)
        let stored = prepared.stored
        let section = stored.section
        // Every hit of a search highlights the same words: normalise them once per search.
        let needles: Highlighter.Needles
        if let cached = highlightNeedles, cached.words == highlightWords {
            needles = cached
        } else {
            needles = highlighter.needles(for: highlightWords)
            highlightNeedles = needles
        }
        let text = prepared.text
        hitTexts[section.id] = text
        let matches = highlighter.matches(of: needles, in: text)
        let snippet = Snippet.make(text: section.text, count: prepared.scalarCount, matches: matches, length: snippetLength)
        // The line of the first match the snippet shows: the first match anywhere in the section
        // was often a stray character of the query (额 in 份额) lines before the snippet's passage.
        let line = snippet.firstShown.map { section.line(atTextOffset: $0) } ?? section.firstLine
        var result = SearchHit(
            id: section.id, doc: section.document, title: stored.title, heading: section.heading,
            para: section.paragraph, kind: section.kindName, score: (hit.weight * 1000).rounded() / 1000,
            rank: hit.rank + 1, file: stored.file, line: line, endLine: section.lastLine,
            snippet: snippet.text, highlights: snippet.highlights.map { [$0.lowerBound, $0.upperBound] },
            text: withText ? section.text : nil)
        if let copies = foldedCopies[hit.documentID] {
            result.copies = try copies.map { id in
                let copy = try StoredSection.location(decoding: try storedData(id))
                return SectionLocation(id: copy.id, doc: copy.document, file: copy.file, line: copy.firstLine)
            }
        }
        return result
    }

    // MARK: get, documents

    public func section(id: String) throws -> SectionResult? {
        try retrying {
            guard let docid = try database.postings(layout.sectionTerm(id), limit: 1).first else { return nil }
            let stored = try StoredSection(decoding: try database.documentData(docid))
            let s = stored.section
            return SectionResult(id: s.id, doc: s.document, title: stored.title, heading: s.heading,
                                 headingTitles: s.headingTitles, para: s.paragraph, kind: s.kindName, file: stored.file,
                                 line: s.firstLine, endLine: s.lastLine, lines: s.lines, text: s.text)
        }
    }

    public func documents() throws -> [DocumentRecord] {
        try retrying { DocumentRecord.merged(try shards.flatMap { try Indexer.documents(in: $0) }) }
    }

    public func sectionCount() throws -> Int {
        try retrying { try database.documentCount() }
    }
}
