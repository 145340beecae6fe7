import Foundation
import Glibc
import Testing
import XapianKit
@testable import PlanIndex

@Suite("plansearch index, as a user runs it")
struct IndexCommandTests {
    /// Copies of the ITC plans under distinct names: enough work that a kill lands mid-run.
    func makePlans(in dir: TempDir, copies: Int) throws -> String {
        let plans = dir.path + "/plans"
        try FileManager.default.createDirectory(atPath: plans, withIntermediateDirectories: true)
        for name in ["itc-programme-plan-2021.txt", "itc-programme-budget-2008-2009.txt"] {
            let text = try String(contentsOfFile: Binary.corpus + "/" + name, encoding: .utf8)
            for i in 0..<copies {
                try Data("\(text)\n 99.\(i) 副本 \(i)。\n".utf8).write(to: URL(fileURLWithPath: "\(plans)/\(i)-\(name)"))
            }
        }
        return plans
    }

    /// Every bookkeeping record matches the sections in the index, and there is nothing else.
    func checkConsistent(_ db: String) throws -> (documents: Int, sections: Int) {
        let reader = try Database(path: db)
        defer { try? reader.close() }
        let records = try Indexer.documents(in: reader)
        let layout = IndexLayout(schema: try Schema.load(path: Binary.root + "/IndexSchemas/un-plan.json"))
        var total = 0
        for record in records {
            #expect(try reader.termFrequency(layout.documentTerm(record.id)) == record.sections, "\(record.id) half-written")
            total += record.sections
        }
        #expect(try reader.documentCount() == total, "sections without a record")
        return (records.count, total)
    }

    @Test("a folder that cannot be listed is reported, and what was indexed from it is kept",
          .enabled(if: getuid() != 0 || FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func unreadableFolder() throws {
        let dir = try TempDir()
        let plans = dir.path + "/plans"
        try FileManager.default.createDirectory(atPath: plans + "/closed", withIntermediateDirectories: true)
        try Data(" 1.1 妇女。 \n".utf8).write(to: URL(fileURLWithPath: plans + "/a.txt"))
        try Data(" 2.1 关闭的目录。 \n".utf8).write(to: URL(fileURLWithPath: plans + "/closed/b.txt"))
        // Root lists any folder: as root, the indexer runs as nobody (setpriv), over files it owns.
        let asRoot = getuid() == 0
        func shell(_ program: String, _ arguments: [String]) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: program)
            p.arguments = arguments
            var env = ProcessInfo.processInfo.environment
            env["PLANSEARCH_SCHEMAS"] = Binary.root + "/IndexSchemas"
            p.environment = env
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        if asRoot {
            _ = try shell("/bin/chown", ["-R", "nobody", dir.path])
            _ = try shell("/bin/chmod", ["755", dir.path])
        }
        func index() throws -> (Int32, String) {
            let arguments = ["index", "--db", dir.path + "/db", plans]
            return asRoot ? try shell("/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", Binary.plansearch] + arguments)
                : try shell(Binary.plansearch, arguments)
        }
        let (first, firstOutput) = try index()
        #expect(first == 0 && firstOutput.contains("index holds 2 documents"), "\(firstOutput)")
        #expect(chmod(plans + "/closed", 0) == 0)
        defer { chmod(plans + "/closed", 0o755) }
        let (second, output) = try index()
        #expect(second != 0, "a failure shows in the exit status")
        #expect(output.contains("cannot list the folder"), "\(output)")
        #expect(output.contains("0 removed") && output.contains("index holds 2 documents"), "\(output)")
    }

    @Test("SIGKILL at several moments leaves a consistent index, and the next run completes it",
          .enabled(if: Binary.hasCorpus), .timeLimit(.minutes(5)))
    func killedIndexer() throws {
        let dir = try TempDir()
        let plans = try makePlans(in: dir, copies: 8)
        // A clean build to compare with.
        let clean = dir.path + "/clean"
        let full = try Binary.run(["index", "--db", clean, "--analyzer", "xapian-ngram", plans])
        #expect(full.status == 0, "\(full.stderr)")
        let expected = try checkConsistent(clean)
        #expect(expected.documents == 16)

        let db = dir.path + "/db"
        var partial: [Int] = []
        for delay in [0.15, 0.5, 1.0, 2.0] {
            let running = try Binary.start(["index", "--db", db, "--analyzer", "xapian-ngram", plans])
            Thread.sleep(forTimeInterval: delay)
            kill(running.process.processIdentifier, SIGKILL)
            running.process.waitUntilExit()
            // Whatever was committed is searchable and whole.
            if FileManager.default.fileExists(atPath: db + "/iamglass") {
                partial.append(try checkConsistent(db).documents)
            }
        }
        // At least one kill landed in the middle of the work (else the test proves nothing).
        #expect(partial.contains { $0 > 0 && $0 < expected.documents }, "documents after each kill: \(partial)")
        let finish = try Binary.run(["index", "--db", db, "--analyzer", "xapian-ngram", "--json", plans])
        #expect(finish.status == 0, "\(finish.stderr)")
        let final = try checkConsistent(db)
        #expect(final.documents == expected.documents)
        #expect(final.sections == expected.sections)
        let again = try Binary.run(["index", "--db", db, "--analyzer", "xapian-ngram", "--json", plans])
        #expect(again.stdout.contains("\"unchanged\":16"))
    }

    @Test("a new index is compacted at the end of its first build, one shard or several; later runs leave it be",
          .enabled(if: Binary.hasCorpus))
    func compactsNewIndex() throws {
        let dir = try TempDir()
        let plans = try makePlans(in: dir, copies: 4)
        let db = dir.path + "/db"
        let first = try Binary.run(["index", "--db", db, "--json", plans])
        #expect(first.status == 0, "\(first.stderr)")
        let summary = try JSONDecoder().decode(IndexSummary.self, from: Data(first.stdout.utf8))
        let compaction = try #require(summary.compaction, "\(first.stdout)")
        #expect(compaction.skipped == nil && compaction.bytesAfter < compaction.bytesBefore, "\(compaction)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["db", "plans"])
        #expect(try checkConsistent(db).documents == 8)
        let again = try Binary.run(["index", "--db", db, "--json", plans])
        #expect(again.stdout.contains("\"unchanged\":8") && !again.stdout.contains("compaction"), "\(again.stdout)")

        let sharded = try Binary.run(["index", "--db", dir.path + "/shards", "--shards", "2", plans])
        #expect(sharded.status == 0, "\(sharded.stderr)")
        #expect(sharded.stdout.contains("compacted: "), "\(sharded.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/shards").sorted()
                == [ShardLayout.fileName, "shard-0", "shard-1"])
        for shard in ["shard-0", "shard-1"] { _ = try checkConsistent(dir.path + "/shards/" + shard) }
    }

    @Test("the summary in JSON, a failing file makes the exit status non-zero")
    func summaryAndStatus() throws {
        let dir = try TempDir()
        let plans = dir.path + "/plans"
        try FileManager.default.createDirectory(atPath: plans, withIntermediateDirectories: true)
        try Data(" 1.1 国际贸易中心。 \n".utf8).write(to: URL(fileURLWithPath: plans + "/ok.txt"))
        try Data([0x00, 0x01, 0x02]).write(to: URL(fileURLWithPath: plans + "/bad.txt"))
        let result = try Binary.run(["index", "--db", dir.path + "/db", "--json", plans])
        #expect(result.status == 1)
        let summary = try JSONDecoder().decode(IndexSummary.self, from: Data(result.stdout.utf8))
        #expect(summary.added == 1 && summary.failed == 1)
        #expect(summary.failures.first?.reason == "binary")

        let text = try Binary.run(["index", "--db", dir.path + "/db", plans + "/ok.txt"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("1 unchanged"))

        // db-info reads a sharded index as the daemon does: its shards as one.
        let sharded = try Binary.run(["index", "--db", dir.path + "/shards", "--shards", "2", plans + "/ok.txt"])
        #expect(sharded.status == 0, "\(sharded.stderr)")
        let info = try Binary.run(["db-info", "--db", dir.path + "/shards"])
        #expect(info.status == 0 && info.stdout.contains("documents:      1"), "\(info.stdout) \(info.stderr)")
        #expect(!info.stderr.contains("freed without close"))
    }

    @Test("an index path that is a file, or a folder of other files, is refused with a clear message; db-info errors are not usage errors")
    func unusableIndexPath() throws {
        let dir = try TempDir()
        let plans = dir.path + "/plans"
        try FileManager.default.createDirectory(atPath: plans, withIntermediateDirectories: true)
        try Data(" 1.1 国际贸易中心。 \n".utf8).write(to: URL(fileURLWithPath: plans + "/ok.txt"))
        try Data("notes".utf8).write(to: URL(fileURLWithPath: dir.path + "/file"))
        // A file: Foundation's raw "file exists" (NSCocoaErrorDomain 516) before.
        for arguments in [["index", "--db", dir.path + "/file", plans], ["index", "--db", dir.path + "/file", "--shards", "2", plans]] {
            let result = try Binary.run(arguments)
            #expect(result.status == 1)
            #expect(result.stderr.contains("is a file, not an index directory") && !result.stderr.contains("NSCocoa"), "\(result.stderr)")
        }
        // Someone's folder: an index was quietly written in among its files before.
        for arguments in [["index", "--db", plans, plans], ["index", "--db", plans, "--shards", "2", plans]] {
            let result = try Binary.run(arguments)
            #expect(result.status == 1)
            #expect(result.stderr.contains("holds other files (ok.txt) and no index"), "\(result.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: plans) == ["ok.txt"])
        }
        let served = try Binary.run(["serve", "--db", plans, "--socket", dir.path + "/s", plans])
        #expect(served.status != 0 && served.stderr.contains("holds other files"), "\(served.stderr)")
        // A file named like a shard folder does not make a folder of documents an index.
        try Data("x".utf8).write(to: URL(fileURLWithPath: plans + "/shard-notes.txt"))
        #expect(try Binary.run(["index", "--db", plans, plans]).stderr.contains("holds other files (ok.txt, shard-notes.txt)"))
        try FileManager.default.removeItem(atPath: plans + "/shard-notes.txt")
        // An existing index, an empty folder, or one with only hidden files or lost+found (a
        // fresh file system mounted for the index) are fine.
        try FileManager.default.createDirectory(atPath: dir.path + "/mounted/lost+found", withIntermediateDirectories: true)
        #expect(try Binary.run(["index", "--db", dir.path + "/mounted", plans]).status == 0)
        try FileManager.default.createDirectory(atPath: dir.path + "/empty/.git", withIntermediateDirectories: true)
        #expect(try Binary.run(["index", "--db", dir.path + "/empty", plans]).status == 0)
        #expect(try Binary.run(["index", "--db", dir.path + "/empty", plans]).stdout.contains("1 unchanged"))

        let missing = try Binary.run(["db-info", "--db", dir.path + "/none"])
        #expect(missing.status == 1, "exit \(missing.status)")
        #expect(missing.stderr.contains("cannot open") && !missing.stderr.contains("Usage"), "\(missing.stderr)")
    }

    @Test("a schema with a mistake is refused before anything is indexed")
    func badSchema() throws {
        let dir = try TempDir()
        let schema = dir.path + "/bad.json"
        try Data(#"{"name": "bad", "headings": [{"name": "x", "pattern": "(["}]}"#.utf8).write(to: URL(fileURLWithPath: schema))
        let result = try Binary.run(["index", "--db", dir.path + "/db", "--schema", schema, dir.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("$.headings[0].pattern"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/db"))
    }
}
