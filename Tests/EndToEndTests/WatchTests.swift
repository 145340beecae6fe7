import Foundation
import Testing

@Suite("serve --watch", .serialized)
struct WatchTests {
    /// Polls a search until it gives `expected` hits or the time is up; returns the seconds taken.
    func waitFor(_ c: RawClient, _ query: String, hits expected: Int, within seconds: Double = 10) throws -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            let r = try c.request(#"{"id":1,"method":"search","params":{"query":"\#(query)"}}"#)
            if r.hits.count == expected { return Date().timeIntervalSince(start) }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }

    /// When the daemon logged a reindex (to the second).
    static func reindexTimes(in log: String) -> [Date] {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return log.split(separator: "\n").filter { $0.contains("reindexed") }.compactMap {
            formatter.date(from: String($0.split(separator: " ").first ?? ""))
        }
    }

    @Test("added, saved-by-rename, deleted files and new directories are picked up; no reindex loop")
    func watching() throws {
        let d = try DaemonHarness(extraArguments: ["--watch"])
        defer { d.stopAndCollectLog() }
        let c = try RawClient(d.socket)

        try Data(" 3.1 泥炭地保护和湿地。 \n".utf8).write(to: URL(fileURLWithPath: d.plans + "/new.txt"))
        let added = try waitFor(c, "泥炭地", hits: 1)
        #expect(added != nil)
        if let added { #expect(added < 3, "took \(added) s") }

        // An editor's save: write a temporary file, then rename it over the original.
        try Data(" 3.1 红树林恢复。 \n".utf8).write(to: URL(fileURLWithPath: d.plans + "/.new.txt.tmp"))
        _ = rename(d.plans + "/.new.txt.tmp", d.plans + "/new.txt")
        #expect(try waitFor(c, "红树林", hits: 1) != nil)
        #expect(try waitFor(c, "泥炭地", hits: 0) != nil)

        // A directory created later, with a file in it.
        try FileManager.default.createDirectory(atPath: d.plans + "/later/deeper", withIntermediateDirectories: true)
        try Data(" 4.1 沙漠化防治。 \n".utf8).write(to: URL(fileURLWithPath: d.plans + "/later/deeper/x.txt"))
        #expect(try waitFor(c, "沙漠化", hits: 1) != nil)

        try FileManager.default.removeItem(atPath: d.plans + "/new.txt")
        #expect(try waitFor(c, "红树林", hits: 0) != nil)

        // Once quiet, nothing more happens: no reindex is logged after the changes settled.
        Thread.sleep(forTimeInterval: 1.0)
        let quietSince = Date()
        Thread.sleep(forTimeInterval: 2.5)
        let log = d.stopAndCollectLog()
        let reindexTimes = Self.reindexTimes(in: log)
        #expect(reindexTimes.count >= 4)
        #expect(reindexTimes.allSatisfy { $0 < quietSince.addingTimeInterval(1) }, "a reindex after the changes settled: \(reindexTimes)")
        #expect(log.contains("watching"))
    }

    @Test("a root folder deleted and made again, or replaced by a rename, is watched again")
    func replacedRoot() throws {
        let d = try DaemonHarness(extraArguments: ["--watch"])
        defer { d.stopAndCollectLog() }
        let c = try RawClient(d.socket)
        let fm = FileManager.default
        #expect(try waitFor(c, "电子商务", hits: 1) != nil)

        // Deleted and made again: the new folder's files are indexed, the old ones' sections go.
        try fm.removeItem(atPath: d.plans)
        try fm.createDirectory(atPath: d.plans, withIntermediateDirectories: false)
        try Data(" 5.1 鸬鹚栖息地。 \n".utf8).write(to: URL(fileURLWithPath: d.plans + "/a.txt"))
        #expect(try waitFor(c, "鸬鹚", hits: 1) != nil)
        #expect(try waitFor(c, "电子商务", hits: 0) != nil)
        // And it is watched: a later edit is seen.
        try Data(" 5.1 白鹭栖息地。 \n".utf8).write(to: URL(fileURLWithPath: d.plans + "/a.txt"))
        #expect(try waitFor(c, "白鹭", hits: 1) != nil)

        // Replaced by a rename (a new checkout moved into place), then edited.
        let next = d.dir.path + "/plans.new"
        try fm.createDirectory(atPath: next, withIntermediateDirectories: false)
        try Data(" 6.1 丹顶鹤保护。 \n".utf8).write(to: URL(fileURLWithPath: next + "/b.txt"))
        try fm.removeItem(atPath: d.plans)
        try fm.moveItem(atPath: next, toPath: d.plans)
        #expect(try waitFor(c, "丹顶鹤", hits: 1) != nil)
        #expect(try waitFor(c, "白鹭", hits: 0) != nil)
        try Data(" 6.1 黑颈鹤保护。 \n".utf8).write(to: URL(fileURLWithPath: d.plans + "/b.txt"))
        #expect(try waitFor(c, "黑颈鹤", hits: 1) != nil)

        // Moved aside (not deleted) for a new one: the old folder is no longer watched, so
        // edits there start no reindex.
        let aside = d.dir.path + "/plans.old", newer = d.dir.path + "/plans.newer"
        try fm.createDirectory(atPath: newer, withIntermediateDirectories: false)
        try Data(" 7.1 朱鹮保护。 \n".utf8).write(to: URL(fileURLWithPath: newer + "/c.txt"))
        try fm.moveItem(atPath: d.plans, toPath: aside)
        try fm.moveItem(atPath: newer, toPath: d.plans)
        #expect(try waitFor(c, "朱鹮", hits: 1) != nil)
        Thread.sleep(forTimeInterval: 1.0)
        let quietSince = Date()
        for n in 1...3 {
            try Data(" 8.\(n) 旧目录的修改。 \n".utf8).write(to: URL(fileURLWithPath: aside + "/b.txt"))
            Thread.sleep(forTimeInterval: 0.5)
        }
        Thread.sleep(forTimeInterval: 1.0)
        let late = Self.reindexTimes(in: d.stopAndCollectLog()).filter { $0 > quietSince }
        #expect(late.isEmpty, "edits in the folder moved aside started reindexes: \(late)")
    }
}
