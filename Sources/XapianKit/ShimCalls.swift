import CXapian

// Helpers for calling the C shim: every fallible call takes an error out-parameter last, and the
// error (not the return value) is what says whether it failed.

/// Runs one shim call and throws the error it reported, if any.
@inline(__always)
func shimCall<R>(_ body: (UnsafeMutablePointer<OpaquePointer?>) -> R) throws(XapianError) -> R {
    var err: OpaquePointer? = nil
    let result = body(&err)
    if let err { throw XapianError(consuming: err) }
    return result
}

/// Hands `string`'s UTF-8 bytes to C as pointer + length, without a copy when the string is native.
@inline(__always)
func withBytes<R>(_ string: String, _ body: (UnsafePointer<CChar>?, Int) throws -> R) rethrows -> R {
    var string = string
    return try string.withUTF8 { buffer in
        try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress, $0.count) }
    }
}

@inline(__always)
func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>?, Int) throws -> R) rethrows -> R {
    try bytes.withUnsafeBufferPointer { buffer in
        try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress, $0.count) }
    }
}

/// Copies a malloc'ed shim string out and frees it.
func takeBytes(_ pointer: UnsafeMutablePointer<CChar>?, count: Int) -> [UInt8] {
    guard let pointer else { return [] }
    defer { pxs_string_free(pointer) }
    return Array(UnsafeRawBufferPointer(start: pointer, count: count))
}

/// Reads a shim string that is handed out through `char **out, size_t *out_len`.
func readBytes(
    _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, UnsafeMutablePointer<Int>,
             UnsafeMutablePointer<OpaquePointer?>) -> Bool
) throws(XapianError) -> [UInt8] {
    var out: UnsafeMutablePointer<CChar>? = nil
    var length = 0
    _ = try shimCall { err in body(&out, &length, err) }
    return takeBytes(out, count: length)
}

/// Decodes bytes as UTF-8, repairing invalid sequences rather than failing: terms and stored
/// data are written by us as UTF-8, so repair only matters for a damaged or foreign index.
func decodeUTF8(_ bytes: [UInt8]) -> String {
    String(decoding: bytes, as: UTF8.self)
}

/// Drains a shim term iterator into (term, frequency) pairs and frees it.
func drainTerms(_ iterator: OpaquePointer, limit: Int = .max) throws(XapianError) -> [TermEntry] {
    defer { pxs_termiter_free(iterator) }
    var entries: [TermEntry] = []
    while entries.count < limit {
        var term: UnsafePointer<CChar>? = nil
        var length = 0
        var frequency: UInt32 = 0
        let more = try shimCall { err in pxs_termiter_next(iterator, &term, &length, &frequency, err) }
        guard more, let term else { break }
        let text = decodeUTF8(Array(UnsafeRawBufferPointer(start: term, count: length)))
        entries.append(TermEntry(term: text, frequency: Int(frequency)))
    }
    return entries
}

/// A term and a count: its document frequency when listed from a database, its wdf when listed
/// from a document, 0 where neither applies (matching terms of a hit).
public struct TermEntry: Sendable, Hashable {
    public var term: String
    public var frequency: Int
    public init(term: String, frequency: Int) {
        self.term = term
        self.frequency = frequency
    }
}
