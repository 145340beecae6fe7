import ArgumentParser
import Foundation
import PlanIndex
import XapianKit

/// `plansearch-bench index`: a full index build of the corpus with PlanSearch's analyzer, beside
/// the same sections built with Xapian's n-gram TermGenerator, in the same run.
struct IndexBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index", abstract: "Full index build: our analyzer vs Xapian n-grams (MB/s, index size).")

    @Option(help: "The corpus directory.")
    var corpus = BenchSupport.defaultCorpus

    @Option(help: "Copies of the corpus (distinct ids) to build, e.g. 20 for the scaling figure.")
    var copies = 1

    @Option(help: "Runs; medians are reported (of each run's ratio, for the ratios).")
    var runs = 3

    @Flag(help: "Print one JSON object.")
    var json = false

    @Option(help: "Run only this build (\(IndexBench.builds.joined(separator: ", "))) and print its times: for profiling one build.")
    var only: String?

    /// The builds, in the order each run makes them. The "-periodic" ones commit as
    /// `plansearch index` does (every `Indexer.commitInterval`); the others once, at the end.
    static let builds = ["baseline", "ours", "parallel", "shards", "baseline-periodic", "ours-periodic"]

    func validate() throws {
        if let only, !Self.builds.contains(only) {
            throw ValidationError("--only takes \(Self.builds.joined(separator: ", ")), not \(only)")
        }
    }

    struct Build: Encodable {
        var mb_per_s: Double
        var seconds: Double
        /// CPU time of the whole process during the build (all threads). On these shared
        /// machines a build's wall time includes time other work took the cores away; for one
        /// writer the CPU time is the steadier figure to compare.
        var cpu_seconds: Double
        var index_bytes: Int
        var index_bytes_per_text_mb: Double
        /// The same index compacted (as `plansearch index` leaves a new index).
        var compacted_bytes_per_text_mb: Double
        var sections: Int
    }

    struct Report: Encodable {
        var text_mb: Double
        var copies: Int
        var runs: Int
        var ours_one_writer: Build
        var ours_parallel: Build
        /// Two shards, each written by its own writer on its own thread.
        var ours_two_shards: Build
        var baseline: Build
        /// Every ratio is the median of the runs' own ratios (see `medianRatio`), so it need
        /// not equal the ratio of the medians shown for each build.
        var ratio_one_writer: Double
        /// Baseline CPU seconds over ours, one writer each: the ratio with other work's
        /// interference mostly taken out.
        var cpu_ratio_one_writer: Double
        /// Both one-writer builds committing as `plansearch index` does, every
        /// `Indexer.commitInterval` (the same interval for both, so the slower build commits
        /// more often). Xapian keeps every pending posting change in memory until a commit, in
        /// maps that grow deeper with each section: a commit each quarter second makes both
        /// builds faster, the baseline (more postings pending) the most.
        var ours_one_writer_periodic: Build
        var baseline_periodic: Build
        var ratio_one_writer_periodic: Double
        /// `plansearch index` as it ships (committing every `Indexer.commitInterval`) against
        /// the baseline at Xapian's defaults (no commit until 10,000 documents are pending,
        /// which for the corpus is one at the end): what a user switching tools sees. Not the
        /// target's figure, which holds both to one policy: committing often helps the
        /// baseline more (see `ours_one_writer_periodic`).
        var ratio_as_shipped: Double
        var ratio_parallel: Double
        var ratio_two_shards: Double
        var size_ratio: Double
        /// Ours over the baseline, both compacted (one commit each).
        var compacted_size_ratio: Double
    }

    func run() throws {
        let schema = try BenchSupport.schema()
        let documents = try BenchSupport.sectionedCorpus(corpus, schema: schema, copies: copies)
        let bytes = BenchSupport.textBytes(documents)
        let ours = try AnalyzerChoice.plansearch.make(for: schema)
        let baseline = XapianNgramAnalyzer()
        func make(_ kind: String) throws -> Build {
            switch kind {
            case "baseline": try build(documents, schema, baseline, parallel: false, bytes: bytes)
            case "parallel": try build(documents, schema, ours, parallel: true, bytes: bytes)
            case "shards": try buildShards(documents, schema, ours, shards: 2, bytes: bytes)
            case "baseline-periodic": try build(documents, schema, baseline, parallel: false, bytes: bytes, commitEvery: Indexer.commitInterval)
            case "ours-periodic": try build(documents, schema, ours, parallel: false, bytes: bytes, commitEvery: Indexer.commitInterval)
            default: try build(documents, schema, ours, parallel: false, bytes: bytes)
            }
        }
        if let only {
            for _ in 0..<runs {
                let r = try make(only)
                print(String(format: "%@: %.3f s (cpu %.3f s), %.2f MB/s", only as NSString, r.seconds, r.cpu_seconds, r.mb_per_s))
            }
            return
        }
        var results: [String: [Build]] = [:]
        for _ in 0..<runs {
            for kind in Self.builds { results[kind, default: []].append(try make(kind)) }
        }
        func medianBuild(_ key: String) -> Build {
            let list = results[key] ?? []
            let sorted = list.sorted { $0.seconds < $1.seconds }
            return sorted[sorted.count / 2]
        }
        /// The median over runs of each run's ratio: a build against the baseline built in the
        /// same run, seconds apart. On these shared machines other work comes and goes over a
        /// bench's minutes, so each ratio compares two builds under the same load, where the
        /// ratio of two medians could pair a quiet run of one with a busy run of the other.
        func medianRatio(_ key: String, over base: String = "baseline", byCPU: Bool = false) -> Double {
            func time(_ build: Build) -> Double { byCPU ? build.cpu_seconds : build.seconds }
            let ours = results[key] ?? [], theirs = results[base] ?? []
            let ratios = zip(ours, theirs).map { time($1) / max(time($0), 1e-9) }.sorted()
            return ratios.isEmpty ? 0 : ratios[ratios.count / 2]
        }
        let b = medianBuild("baseline"), o = medianBuild("ours"), p = medianBuild("parallel"), t = medianBuild("shards")
        let bp = medianBuild("baseline-periodic"), op = medianBuild("ours-periodic")
        let report = Report(text_mb: Double(bytes) / 1e6, copies: copies, runs: runs, ours_one_writer: o, ours_parallel: p,
                            ours_two_shards: t, baseline: b, ratio_one_writer: medianRatio("ours"),
                            cpu_ratio_one_writer: medianRatio("ours", byCPU: true),
                            ours_one_writer_periodic: op, baseline_periodic: bp,
                            ratio_one_writer_periodic: medianRatio("ours-periodic", over: "baseline-periodic"),
                            ratio_as_shipped: medianRatio("ours-periodic"),
                            ratio_parallel: medianRatio("parallel"), ratio_two_shards: medianRatio("shards"),
                            size_ratio: Double(o.index_bytes) / Double(max(1, b.index_bytes)),
                            compacted_size_ratio: o.compacted_bytes_per_text_mb / max(1e-9, b.compacted_bytes_per_text_mb))
        if json { try BenchSupport.printJSON(report); return }
        print(String(format: "text: %.2f MB (%d copies), median of %d runs (ratios: the median of each run's ratio)", report.text_mb, copies, runs))
        for (name, r) in [("ours, one writer", o), ("ours, analysis ∥ writer", p), ("ours, 2 shards ∥", t), ("xapian n-gram", b),
                          ("ours, commits as index", op), ("xapian, commits as index", bp)] {
            print(String(format: "%-24@ %6.2f MB/s  %6.2f s (cpu %6.2f s)  index %6.1f MB (%.1f MB per text MB; compacted %.1f)",
                         name as NSString, r.mb_per_s, r.seconds, r.cpu_seconds, Double(r.index_bytes) / 1e6,
                         r.index_bytes_per_text_mb, r.compacted_bytes_per_text_mb))
        }
        print(String(format: "ratio: %.2fx (one writer; by CPU time %.2fx), %.2fx (analysis ∥ writer), %.2fx (2 shards); index size %.2fx the n-gram index (compacted: %.2fx)",
                     report.ratio_one_writer, report.cpu_ratio_one_writer, report.ratio_parallel, report.ratio_two_shards,
                     report.size_ratio, report.compacted_size_ratio))
        print(String(format: "ratio, one writer committing as plansearch index does (every %d ms): %.2fx",
                     Int(Indexer.seconds(Indexer.commitInterval) * 1000), report.ratio_one_writer_periodic))
        print(String(format: "ratio, plansearch index as it ships against the baseline at Xapian's defaults (one commit here): %.2fx",
                     report.ratio_as_shipped))
    }

    /// Builds a fresh database from `documents`; with `parallel`, documents are analysed on the
    /// other core while the writer adds the previous batch. One commit at the end, or with
    /// `commitEvery` one whenever that long has passed since the last (one writer only).
    func build(_ documents: [SectionedDocument], _ schema: Schema, _ analyzer: any DocumentAnalyzer,
               parallel: Bool, bytes: Int, commitEvery: Duration? = nil) throws -> Build {
        let path = BenchSupport.temporaryDirectory("index")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let layout = IndexLayout(schema: schema)
        let builder = SectionDocumentBuilder(layout: layout, analyzer: analyzer)
        let writer = try WritableDatabase(path: path, mode: .createOrOverwrite)
        let start = ContinuousClock.now
        let cpuStart = Self.processCPUSeconds()
        var sections = 0
        if parallel {
            // Batches of documents: analysis of batch n+1 runs on a second thread while the
            // writer adds batch n.
            let batches = stride(from: 0, to: documents.count, by: 1).map { [documents[$0]] }
            var next: [(String, Document)]? = nil
            var error: Error?
            @Sendable func analyse(_ batch: [SectionedDocument]) -> [(String, Document)] {
                var out: [(String, Document)] = []
                var scratch = AnalysisScratch()
                for d in batch {
                    for s in d.sections where s.isIndexed {
                        if let doc = try? builder.document(for: s, of: d, scratch: &scratch) {
                            out.append((layout.sectionTerm(s.id), doc))
                        }
                    }
                }
                return out
            }
            next = analyse(batches.first ?? [])
            for i in batches.indices {
                let current = next ?? []
                let group = DispatchGroup()
                let box = ResultBox()
                if i + 1 < batches.count {
                    let batch = batches[i + 1]
                    DispatchQueue.global().async(group: group) { box.value = analyse(batch) }
                }
                for (term, doc) in current {
                    do { try writer.replace(uniqueTerm: term, with: doc) } catch let e { error = e }
                    sections += 1
                }
                group.wait()
                next = box.value
            }
            if let error { throw error }
        } else {
            var scratch = AnalysisScratch()
            var lastCommit = ContinuousClock.now
            for d in documents {
                for s in d.sections where s.isIndexed {
                    try writer.add(try builder.document(for: s, of: d, scratch: &scratch))
                    sections += 1
                    if let commitEvery, ContinuousClock.now - lastCommit >= commitEvery {
                        try writer.commit()
                        lastCommit = .now
                    }
                }
            }
        }
        try writer.commit()
        let seconds = Indexer.seconds(ContinuousClock.now - start)
        let cpu = Self.processCPUSeconds() - cpuStart
        try writer.close()
        let size = DiskUsage.bytes(under: path)
        return Build(mb_per_s: Double(bytes) / 1e6 / seconds, seconds: seconds, cpu_seconds: cpu, index_bytes: size,
                     index_bytes_per_text_mb: Double(size) / (Double(bytes) / 1e6) / 1e6,
                     compacted_bytes_per_text_mb: Double(try Self.compactedBytes(path)) / (Double(bytes) / 1e6) / 1e6,
                     sections: sections)
    }

    /// The bytes the database at `path` takes once compacted (after the build's timing).
    static func compactedBytes(_ path: String) throws -> Int {
        let copy = path + ".compacted"
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let reader = try Database(path: path)
        defer { try? reader.close() }
        try reader.compact(into: copy)
        return DiskUsage.bytes(under: copy)
    }
}

extension IndexBench {
    /// Builds `shards` databases at once, sections assigned by the shard layout (a new layout
    /// spreads a document's sections over the shards), each analysed and written on its own
    /// thread (the way `plansearch index --shards` works).
    func buildShards(_ documents: [SectionedDocument], _ schema: Schema, _ analyzer: any DocumentAnalyzer,
                     shards: Int, bytes: Int) throws -> Build {
        let path = BenchSupport.temporaryDirectory("shards")
        // Xapian creates each shard's directory, not the one they share.
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let layout = ShardLayout(directory: path, count: shards)
        let builder = SectionDocumentBuilder(layout: IndexLayout(schema: schema), analyzer: analyzer)
        let failures = LatencyCollector()
        let start = ContinuousClock.now
        let cpuStart = Self.processCPUSeconds()
        let group = DispatchGroup()
        for (shard, shardPath) in layout.shardPaths.enumerated() {
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    let writer = try WritableDatabase(path: shardPath, mode: .createOrOverwrite)
                    var scratch = AnalysisScratch()  // one per thread: the analyzer's buffers
                    for d in documents {
                        for s in d.sections where s.isIndexed && layout.shard(ofSection: s.id, document: d.id) == shard {
                            try writer.add(try builder.document(for: s, of: d, scratch: &scratch))
                        }
                    }
                    try writer.commit()
                    try writer.close()
                } catch {
                    // Said here: the thread cannot throw, and a bare "failed" hides why.
                    FileHandle.standardError.write(Data("shard \(shard) (\(shardPath)): \(error)\n".utf8))
                    failures.add([1])
                }
            }.start()
        }
        group.wait()
        if !failures.sorted().isEmpty { throw ValidationError("a shard's build failed") }
        let seconds = Indexer.seconds(ContinuousClock.now - start)
        let cpu = Self.processCPUSeconds() - cpuStart
        let size = layout.shardPaths.reduce(0) { $0 + DiskUsage.bytes(under: $1) }
        let compacted = try layout.shardPaths.reduce(0) { $0 + (try Self.compactedBytes($1)) }
        return Build(mb_per_s: Double(bytes) / 1e6 / seconds, seconds: seconds, cpu_seconds: cpu, index_bytes: size,
                     index_bytes_per_text_mb: Double(size) / (Double(bytes) / 1e6) / 1e6,
                     compacted_bytes_per_text_mb: Double(compacted) / (Double(bytes) / 1e6) / 1e6,
                     sections: documents.reduce(0) { $0 + $1.sections.filter(\.isIndexed).count })
    }
}

extension IndexBench {
    /// User and system CPU time of this process so far.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}

/// Hands one batch of analysed documents from the analysing thread to the writer.
final class ResultBox: @unchecked Sendable {
    // @unchecked: written by the analysing thread before DispatchGroup.wait() returns on the
    // writer's thread, which is the only reader; the group's wait orders the two.
    var value: [(String, Document)]? = nil
}
