import Foundation

/// The daemon's wire protocol (docs/protocol.md is the contract): one JSON object per line,
/// UTF-8, each way. No I/O here, so the protocol is tested without a socket.
public enum PlanProtocol {
    public static let version = 1
    /// Longest request line accepted; a longer one gets `too_large` and the connection closes.
    public static let maxLineBytes = 1 << 20
    /// Deepest JSON nesting accepted in a request.
    public static let maxDepth = 32
}

/// Error codes, stable strings clients switch on.
public enum ErrorCode: String, Codable, Sendable {
    case parseError = "parse_error"
    case invalidRequest = "invalid_request"
    case methodNotFound = "method_not_found"
    case invalidParams = "invalid_params"
    case notFound = "not_found"
    case tooLarge = "too_large"
    case overloaded
    /// `reindex`: the schema or synonyms file, read again, has a mistake.
    case schemaError = "schema_error"
    case internalError = "internal"
}

public struct ProtocolError: Error, Sendable, Equatable {
    public var code: ErrorCode
    public var message: String
    /// The id of the request it answers, when it could be read.
    public var id: RequestID = .null
    public init(_ code: ErrorCode, _ message: String, id: RequestID = .null) {
        self.code = code
        self.message = message
        self.id = id
    }
}

/// A request id: any JSON string or number the client chose, echoed back as it came. A number
/// is kept as its JSON text, not as a Double: an id above 2^53 (a 64-bit counter, a timestamp
/// in nanoseconds) would otherwise come back as a different number, and the client could not
/// match the answer to its request.
public enum RequestID: Sendable, Hashable {
    case string(String)
    /// The number's text as the request gave it (JSON's grammar, checked by the scanner).
    case number(String)
    case null
}

/// A request as parsed from one line: method and raw params (checked by each method).
public struct Request: Sendable {
    public var id: RequestID
    public var method: String
    /// The request line, from which the method decodes its params (`decodeParams`) directly:
    /// turning the params into Foundation objects and back into JSON for the decoder (as
    /// before) was a tenth of the daemon's time on a cheap search.
    let line: Data
    /// Whether the line has a "params" member; absent params decode as an empty object.
    let hasParams: Bool

    /// Parses one line. Errors carry the id when it could be read, so the reply can name it.
    public static func parse(_ line: [UInt8]) -> Result<Request, ProtocolError> {
        guard String(validating: line, as: UTF8.self) != nil else {
            return .failure(ProtocolError(.parseError, "the line is not valid UTF-8", id: .null))
        }
        // Checked on the bytes first: a parser recursing through 100,000 brackets could
        // overflow the stack before any check on the parsed value ran. (This counts the same
        // nesting a walk of the parsed value would: brackets outside strings.)
        if exceedsDepth(line, PlanProtocol.maxDepth) {
            return .failure(ProtocolError(.invalidRequest, "nested deeper than \(PlanProtocol.maxDepth) levels", id: .null))
        }
        let members: [String: RequestLineScanner.Value]
        switch RequestLineScanner.scan(line, wanted: Self.envelope) {
        case .notJSON: return .failure(ProtocolError(.parseError, "not valid JSON", id: .null))
        case .notObject: return .failure(ProtocolError(.invalidRequest, "a request is a JSON object", id: .null))
        case let .members(found): members = found
        }
        let id: RequestID
        switch members["id"] {
        case nil, .null?: id = .null
        case let .string(text)?: id = .string(text)
        case let .number(number)?: id = .number(number)
        default: return .failure(ProtocolError(.invalidRequest, "\"id\" must be a string or a number", id: .null))
        }
        guard case let .string(method)? = members["method"], !method.isEmpty else {
            return .failure(ProtocolError(.invalidRequest, "\"method\" must be a non-empty string", id: id))
        }
        let data = Data(line)
        switch members["params"] {
        // null stands for absent, as it does for `id`.
        case nil, .null?: return .success(Request(id: id, method: method, line: data, hasParams: false))
        case .object?: return .success(Request(id: id, method: method, line: data, hasParams: true))
        default: return .failure(ProtocolError(.invalidParams, "\"params\" must be an object", id: id))
        }
    }

    /// The members every request has.
    private static let envelope: Set<String> = ["id", "method", "params"]

    /// A member name, for reading objects whose members are checked one by one.
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The params member alone, decoded as `T` straight from the line.
    private struct ParamsMember<T: Decodable>: Decodable {
        var value: T
        init(from decoder: Decoder) throws {
            value = try decoder.container(keyedBy: Key.self).decode(T.self, forKey: Key("params"))
        }
    }

    static func exceedsDepth(_ bytes: [UInt8], _ limit: Int) -> Bool {
        var depth = 0, inString = false, escaped = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return true }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return false
    }

    /// Decodes params into `T`, turning type mistakes into `invalid_params` with the key's name.
    public func decodeParams<T: Decodable>(_ type: T.Type) throws(ProtocolError) -> T {
        do {
            if hasParams { return try JSONDecoder().decode(ParamsMember<T>.self, from: line).value }
            return try JSONDecoder().decode(T.self, from: Data("{}".utf8))
        } catch let DecodingError.keyNotFound(key, _) {
            throw ProtocolError(.invalidParams, "missing \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(_, context) {
            throw ProtocolError(.invalidParams, "\"\(path(context.codingPath))\" has the wrong type: \(context.debugDescription)")
        } catch let DecodingError.valueNotFound(_, context) {
            throw ProtocolError(.invalidParams, "\"\(path(context.codingPath))\" must not be null")
        } catch let DecodingError.dataCorrupted(context) {
            // A number that is no whole number (1.5, 1e20) where one is expected comes back
            // without the key's name: find it, so the message says which parameter.
            if path(context.codingPath).isEmpty, let params = paramsObject(),
               let key = Self.keyWithFractionalNumber(params, decoding: T.self) {
                throw ProtocolError(.invalidParams, "\"\(key)\" must be a whole number")
            }
            throw ProtocolError(.invalidParams, "\(path(context.codingPath)): \(context.debugDescription)")
        } catch {
            throw ProtocolError(.invalidParams, "\(error)")
        }
    }

    /// A coding path within the params (decoded from the whole line, it starts at "params").
    private func path(_ keys: [CodingKey]) -> String {
        Self.path(hasParams && keys.first?.stringValue == "params" ? Array(keys.dropFirst()) : keys)
    }

    /// The params object as JSON on its own, for the error path only.
    private func paramsObject() -> Data? {
        guard hasParams else { return Data("{}".utf8) }
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
              let params = object["params"] else { return nil }
        return try? JSONSerialization.data(withJSONObject: params)
    }

    /// The top-level key of `params` whose number (not a whole number an Int can hold) makes
    /// decoding `T` fail: the first, in name order, without which that failure goes. (A key the
    /// decoder ignores may hold such a number too, and is not the one to name.)
    static func keyWithFractionalNumber<T: Decodable>(_ params: Data, decoding: T.Type) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: params) as? [String: Any] else { return nil }
        let suspects = object.keys.sorted().filter { key in
            guard let number = object[key] as? NSNumber, !(object[key] is Bool) else { return false }
            return Int(exactly: number.doubleValue) == nil || number.doubleValue.magnitude >= 9.0e15
        }
        func failsAtRoot(_ trial: [String: Any]) -> Bool {
            guard let data = try? JSONSerialization.data(withJSONObject: trial) else { return true }
            do {
                _ = try JSONDecoder().decode(T.self, from: data)
                return false
            } catch let DecodingError.dataCorrupted(context) {
                return context.codingPath.isEmpty
            } catch {
                return false
            }
        }
        return suspects.first { key in
            var trial = object
            trial[key] = nil
            return !failsAtRoot(trial)
        } ?? suspects.first
    }

    static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

/// Response lines.
public enum Response {
    /// `{"id": ..., "result": ...}` as one line (with the newline).
    struct Envelope<T: Encodable> {
        var id: RequestID
        var result: T
    }

    public static func result<T: Encodable>(id: RequestID, _ result: T) -> [UInt8] {
        encoded(id: id, Envelope(id: id, result: result))
    }

    /// Any result through JSONEncoder (also the reference the hand-written forms match).
    /// The envelope is written by hand around the encoder's result, so that the id goes out as
    /// its text came in.
    static func encoded<T: Encodable>(id: RequestID, _ envelope: Envelope<T>) -> [UInt8] {
        do {
            let result = try encoder.encode(envelope.result)
            var w = JSONWriter(capacity: result.count + 64)
            w.raw("{")
            w.key("id"); w.requestID(envelope.id)
            w.raw(",")
            w.key("result"); w.json(result)
            w.raw("}\n")
            return w.bytes
        } catch {
            return self.error(id: id, ProtocolError(.internalError, "cannot encode the result: \(error)"))
        }
    }

    /// A search result, written by hand (JSONWriter): the response the daemon sends most.
    /// Same bytes as the generic `result(id:_:)`, which it falls back to for what JSON cannot
    /// carry (a NaN score), so that case still answers `internal` as before.
    public static func result(id: RequestID, _ result: SearchResult) -> [UInt8] {
        var w = JSONWriter(capacity: 1024 + result.hits.count * 768)
        w.raw("{")
        w.key("id"); w.requestID(id)
        w.raw(",")
        w.key("result"); w.raw("{")
        result.write(to: &w)
        w.raw("}}\n")
        guard w.valid else { return encoded(id: id, Envelope(id: id, result: result)) }
        return w.bytes
    }

    public static func error(id: RequestID, _ error: ProtocolError) -> [UInt8] {
        // Written by hand like search results (an error key sorts before id); same bytes as
        // JSONEncoder's `{"error":{"code":...,"message":...},"id":...}`.
        var w = JSONWriter(capacity: 96 + error.message.utf8.count)
        w.raw("{")
        w.key("error"); w.raw("{")
        w.key("code"); w.string(error.code.rawValue)
        w.raw(",")
        w.key("message"); w.string(error.message)
        w.raw("},")
        w.key("id"); w.requestID(id)
        w.raw("}\n")
        if w.valid { return w.bytes }
        return encodedError(id: id, error)
    }

    /// The error body through JSONEncoder (the id written as it came): the reference the
    /// hand-written form matches.
    static func encodedError(id: RequestID, _ error: ProtocolError) -> [UInt8] {
        struct Body: Encodable {
            var code: String
            var message: String
        }
        guard let body = try? encoder.encode(Body(code: error.code.rawValue, message: error.message)) else {
            return Array(#"{"error":{"code":"internal","message":"encoding failed"},"id":null}"#.utf8) + [0x0A]
        }
        var w = JSONWriter(capacity: body.count + 64)
        w.raw("{")
        w.key("error"); w.json(body)
        w.raw(",")
        w.key("id"); w.requestID(id)
        w.raw("}\n")
        return w.bytes
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()
}
