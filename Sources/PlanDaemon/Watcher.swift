import Foundation
import Glibc
import Logging
import Synchronization

/// Watches the indexed roots with inotify and asks for a reindex after a burst of changes has
/// settled. Editors' save patterns (write a temporary file, rename it over the original) arrive
/// as a burst of events and end in one reindex; directories created later are watched as they
/// appear; an overflowing event queue falls back to a full rescan. The reindex itself is
/// incremental, so a run that finds nothing changed costs a stat per file and triggers nothing:
/// the watcher never reindexes in a loop (the index directory, if under a root, is ignored).
final class Watcher: @unchecked Sendable {
    // @unchecked: `descriptors` is touched only by the reading thread; `pending` is behind a Mutex.
    private let fd: Int32
    private let roots: [String]
    private let ignored: String
    private let logger: Logger
    private let debounce: Double
    private var descriptors: [Int32: String] = [:]
    /// Watches on the folders holding root folders, with the roots' names in each: a root
    /// deleted and made again, or replaced by a rename (a new checkout moved into place), is a
    /// new directory whose changes its old watch never sees.
    private var rootParents: [Int32: [String: String]] = [:]
    private let pending = Mutex<(changed: Bool, since: Date?)>((false, nil))
    private let stopped = Atomic<Bool>(false)
    private let onChange: @Sendable () async -> Void

    private static let fileEvents = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE)
    private static let watchMask = fileEvents | UInt32(IN_DELETE_SELF | IN_ONLYDIR)

    init(roots: [String], ignoring ignored: String, debounce: Double = 0.3, logger: Logger,
         onChange: @escaping @Sendable () async -> Void) throws {
        fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else { throw DaemonError("inotify is not available: \(String(cString: strerror(errno)))") }
        self.roots = roots
        self.ignored = URL(fileURLWithPath: ignored).standardizedFileURL.path
        self.debounce = debounce
        self.logger = logger
        self.onChange = onChange
        for root in roots { addTree(root) }
        for root in roots { watchParent(of: root) }
    }

    deinit { close(fd) }

    /// Watches the folder holding `root`, when `root` is a folder (a file root's folder is
    /// watched already), for the root's name appearing or going.
    private func watchParent(of root: String) {
        let path = URL(fileURLWithPath: root).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard path != "/", FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return }
        let parent = (path as NSString).deletingLastPathComponent
        // IN_MASK_ADD: the parent may be a watched folder of another root's tree already.
        let wd = inotify_add_watch(fd, parent, UInt32(IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_ONLYDIR) | UInt32(IN_MASK_ADD))
        if wd >= 0 {
            rootParents[wd, default: [:]][(path as NSString).lastPathComponent] = root
        } else {
            logger.warning("cannot watch the folder holding a root; a root made again will not be watched",
                           metadata: ["root": "\(path)", "error": "\(String(cString: strerror(errno)))"])
        }
    }

    /// Starts the reading thread and the debouncing task.
    func start() {
        let thread = Thread { [self] in readLoop() }
        thread.name = "plansearch.watcher"
        thread.start()
        Task.detached { [self] in await debounceLoop() }
        logger.info("watching", metadata: ["roots": "\(roots.joined(separator: ", "))", "directories": "\(descriptors.count)"])
    }

    func stop() { stopped.store(true, ordering: .releasing) }

    private func addTree(_ path: String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return }
        let directory = isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
        addWatch(directory)
        guard isDirectory.boolValue, let walker = FileManager.default.enumerator(atPath: directory) else { return }
        while let relative = walker.nextObject() as? String {
            let full = directory + "/" + relative
            if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { walker.skipDescendants(); continue }
            var sub: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &sub), sub.boolValue { addWatch(full) }
        }
    }

    private func addWatch(_ directory: String) {
        let path = URL(fileURLWithPath: directory).standardizedFileURL.path
        if path == ignored || path.hasPrefix(ignored + "/") { return }
        let wd = inotify_add_watch(fd, path, Self.watchMask)
        if wd >= 0 { descriptors[wd] = path } else {
            logger.warning("cannot watch", metadata: ["directory": "\(path)", "error": "\(String(cString: strerror(errno)))"])
        }
    }

    private func noteChange() {
        pending.withLock { $0 = (true, Date()) }
    }

    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !stopped.load(ordering: .acquiring) {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 {
                if errno == EINTR { continue }
                logger.error("inotify read failed; watching stops", metadata: ["error": "\(String(cString: strerror(errno)))"])
                return
            }
            var offset = 0
            let headerSize = MemoryLayout<inotify_event>.size
            while offset + headerSize <= n {
                let event = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: inotify_event.self) }
                let nameStart = offset + headerSize
                let nameBytes = buffer[nameStart..<min(n, nameStart + Int(event.len))].prefix { $0 != 0 }
                let name = String(decoding: nameBytes, as: UTF8.self)
                offset = nameStart + Int(event.len)
                handle(event, name: name)
            }
        }
    }

    private func handle(_ event: inotify_event, name: String) {
        if event.mask & UInt32(IN_Q_OVERFLOW) != 0 {
            // Events were lost: rescan everything, and rewatch directories that may be new.
            logger.warning("inotify queue overflowed; rescanning")
            for root in roots { addTree(root) }
            noteChange()
            return
        }
        if event.mask & UInt32(IN_IGNORED) != 0 {
            descriptors.removeValue(forKey: event.wd)
            rootParents.removeValue(forKey: event.wd)
            return
        }
        if let root = rootParents[event.wd]?[name] {
            if event.mask & UInt32(IN_MOVED_FROM) != 0 {
                // Moved away (plans -> plans.old): its watches would go on reporting changes
                // to a folder that is no longer the root, each one a reindex.
                let path = URL(fileURLWithPath: root).standardizedFileURL.path
                for (wd, watched) in descriptors where watched == path || watched.hasPrefix(path + "/") {
                    inotify_rm_watch(fd, wd)
                    descriptors.removeValue(forKey: wd)
                }
            }
            if event.mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 {
                // The root is a new folder: watch it and all it holds, then reindex.
                logger.info("a root folder was made again; watching it", metadata: ["root": "\(root)"])
                addTree(root)
            }
            if event.mask & UInt32(IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM) != 0 { noteChange() }
        }
        guard let directory = descriptors[event.wd] else { return }
        let path = directory + "/" + name
        if path == ignored || path.hasPrefix(ignored + "/") { return }
        if event.mask & UInt32(IN_ISDIR) != 0, event.mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 {
            // A directory created (or moved in) later: watch it and whatever it already holds.
            addTree(path)
            noteChange()
            return
        }
        if name.hasPrefix(".") || name.hasSuffix("~") || name.hasSuffix(".swp") || name.hasSuffix(".swx") { return }
        if event.mask & Self.fileEvents != 0 || event.mask & UInt32(IN_DELETE_SELF) != 0 { noteChange() }
    }

    private func debounceLoop() async {
        while !stopped.load(ordering: .acquiring) {
            try? await Task.sleep(for: .milliseconds(100))
            let due: Bool = pending.withLock { state in
                guard state.changed, let since = state.since, Date().timeIntervalSince(since) >= debounce else { return false }
                state = (false, nil)
                return true
            }
            if due { await onChange() }
        }
    }
}
