import Foundation
import Glibc

/// Why a file could not be indexed, in words a user can act on.
public struct SourceError: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Reason: String, Sendable, Codable {
        case missing, unreadable, notText = "binary", tooLarge = "too_large", badEncoding = "bad_encoding", empty
    }
    public var file: String
    public var reason: Reason
    public var message: String
    public var description: String { "\(file): \(message)" }
}

/// Reads a plan file as text: UTF-8 (with or without BOM), UTF-16 with a BOM, or GB18030/GBK
/// (common for Chinese text, and a superset of GB2312) or Big5 (traditional characters), which
/// are transcoded (``LegacyChinese`` tells which). Anything else is refused with a reason rather
/// than indexed as garbage.
public struct SourceReader: Sendable {
    /// Files larger than this are refused (the sectioner holds one document in memory).
    public var maxBytes: Int

    public init(maxBytes: Int = 64 << 20) { self.maxBytes = maxBytes }

    public struct Decoded: Sendable {
        public var text: String
        /// The raw bytes' hash: what decides whether a document changed.
        public var contentHash: String
        /// "GB18030", "BIG5", "BIG5-HKSCS" or "UTF-16" when transcoded; nil for UTF-8.
        public var transcodedFrom: String?
    }

    /// What tells whether a file may have changed without reading it. The modification time
    /// alone does not: `touch -r`, `cp -p`, `rsync -a` and `tar` set it back, and a second-
    /// granular file system keeps one for all the edits within a second. The change time
    /// (ctime) moves on any write or rename and cannot be set by a user, and an editor or
    /// `sed -i` that writes a new file gives a new inode.
    public struct Stamp: Sendable, Equatable {
        public var size: Int
        public var modified: Double
        public var changed: Double
        public var inode: UInt64
    }

    /// The stamp of the file at `path`, a symlink followed (the link's own told nothing of the
    /// plan's changes). Only a regular file: reading a FIFO blocks, and with it a daemon's
    /// writer, for good.
    public static func stat(_ path: String) throws(SourceError) -> Stamp {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        var info = Glibc.stat()
        guard fstatat(AT_FDCWD, resolved, &info, 0) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR {
                throw SourceError(file: path, reason: .missing, message: "no such file (deleted while indexing?)")
            }
            throw SourceError(file: path, reason: .unreadable, message: "cannot read: \(String(cString: strerror(code)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SourceError(file: path, reason: .unreadable, message: "not a regular file (a pipe, socket or device)")
        }
        func seconds(_ t: timespec) -> Double { Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9 }
        return Stamp(size: Int(info.st_size), modified: seconds(info.st_mtim), changed: seconds(info.st_ctim),
                     inode: UInt64(info.st_ino))
    }

    public func read(_ path: String) throws(SourceError) -> Decoded {
        let size = try Self.stat(path).size
        if size > maxBytes {
            throw SourceError(file: path, reason: .tooLarge,
                              message: "\(size / (1 << 20)) MB is over the \(maxBytes / (1 << 20)) MB limit for one file")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw SourceError(file: path, reason: .unreadable, message: "cannot read: permission denied or not a file")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.readToEnd() ?? Data()
        } catch {
            throw SourceError(file: path, reason: .unreadable, message: "cannot read: \(Self.reason(error))")
        }
        let bytes = [UInt8](data)
        let hash = StableHash.hex(of: bytes)
        let empty = SourceError(file: path, reason: .empty, message: "empty file (nothing to index)")
        let binary = SourceError(file: path, reason: .notText, message: "looks binary (contains NUL bytes); not indexed")
        // UTF-16 with a byte-order mark.
        if bytes.count >= 2, (bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF) {
            let encoding: String.Encoding = bytes[0] == 0xFF ? .utf16LittleEndian : .utf16BigEndian
            // An odd byte left over is half a character, which Foundation drops without a word.
            guard bytes.count % 2 == 0, let text = String(data: Data(bytes[2...]), encoding: encoding) else {
                throw SourceError(file: path, reason: .badEncoding, message: "has a UTF-16 byte-order mark but is not valid UTF-16")
            }
            // Only after decoding: the mark and the blanks are two bytes each.
            if text.unicodeScalars.allSatisfy({ Self.isBlank($0.value) }) { throw empty }
            var utf8 = text
            if utf8.withUTF8(Self.containsNUL) { throw binary }
            return Decoded(text: text, contentHash: hash, transcodedFrom: "UTF-16")
        }
        var body = bytes[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { body = bytes[3...] }
        // After the mark is stripped: a mark alone is no text either.
        if body.allSatisfy({ Self.isBlank(UInt32($0)) }) { throw empty }
        // NUL bytes do not occur in text in any of these encodings: a binary file. The whole file
        // is looked at: a NUL further on would be indexed as part of the text.
        if body.withUnsafeBufferPointer(Self.containsNUL) { throw binary }
        if let text = String(validating: body, as: UTF8.self) {
            return Decoded(text: text, contentHash: hash, transcodedFrom: nil)
        }
        let convert = "convert it to UTF-8 (e.g. iconv -f ENCODING -t UTF-8)"
        switch LegacyChinese.decode(Array(body)) {
        case let .decoded(text, encoding):
            return Decoded(text: text, contentHash: hash, transcodedFrom: encoding)
        case .invalid:
            throw SourceError(file: path, reason: .badEncoding, message: "is neither UTF-8, GB18030/GBK nor Big5 text; \(convert)")
        case let .implausible(encoding, common, evidence):
            throw SourceError(file: path, reason: .badEncoding, message: """
                is not UTF-8 and reads as neither GB18030 nor Big5 Chinese (at best, as \(encoding), \(common) of its \
                \(evidence) Chinese characters are common ones); \(convert)
                """)
        }
    }

    /// Space, tab, CR and LF: a file of nothing else is empty (the same bytes in GB18030).
    private static func isBlank(_ value: UInt32) -> Bool {
        value == 0x20 || value == 0x0A || value == 0x0D || value == 0x09
    }

    /// memchr, not `contains(0)`: a byte at a time costs tens of milliseconds per megabyte in a
    /// debug build, memchr a few microseconds in any.
    private static func containsNUL(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = buffer.baseAddress else { return false }
        return memchr(base, 0, buffer.count) != nil
    }

    private static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let message = strerror(Int32(underlying.code)) {
            return String(cString: message)
        }
        return ns.localizedDescription
    }

    /// Converts with glibc's iconv; nil when the bytes are not valid in `encoding`. The bytes are
    /// handed over in place, not copied a byte at a time (in a debug build that took 0.1 s a
    /// megabyte, and a file not in UTF-8 is now decoded in up to three encodings).
    static func transcode(_ bytes: [UInt8], from encoding: String) -> String? {
        let converter = iconv_open("UTF-8", encoding)
        guard converter != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(converter) }
        var output = [UInt8](repeating: 0, count: bytes.count * 2 + 16)
        let written: Int? = bytes.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { inBuffer in
                output.withUnsafeMutableBufferPointer { output in
                    output.withMemoryRebound(to: CChar.self) { outBuffer in
                        // iconv's signature is not const, but it only reads the input.
                        var inPointer = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
                        var inLeft = inBuffer.count
                        var outPointer = outBuffer.baseAddress
                        var outLeft = outBuffer.count
                        let result = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
                        if result == -1 || inLeft != 0 { return nil }
                        return outBuffer.count - outLeft
                    }
                }
            }
        }
        guard let written else { return nil }
        return String(validating: output[..<written], as: UTF8.self)
    }
}

/// Where the shipped schemas live: $PLANSEARCH_SCHEMAS, else IndexSchemas/ beside the package the
/// binary was built in, else ./IndexSchemas.
public enum SchemaDirectory {
    public static func locate() -> String {
        if let env = ProcessInfo.processInfo.environment["PLANSEARCH_SCHEMAS"], !env.isEmpty { return env }
        var url = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        for _ in 0..<5 {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("IndexSchemas").path
            if FileManager.default.fileExists(atPath: candidate + "/un-plan.json") { return candidate }
        }
        return FileManager.default.currentDirectoryPath + "/IndexSchemas"
    }
}
