import Foundation

/// A problem in a schema file, located by file and JSON path ("$.headings[2].pattern").
public struct SchemaError: Error, Sendable, CustomStringConvertible, Equatable {
    public var file: String
    public var path: String
    public var problem: String

    public var description: String { "\(file): \(path): \(problem)" }
}

/// Walks decoded JSON by hand so that every complaint names the exact JSON path, and so that a
/// misspelt key is an error rather than silently ignored (Codable would skip it).
struct JSONObjectReader {
    let file: String
    let path: String
    let object: [String: Any]
    private(set) var known: Set<String> = []

    init(file: String, path: String, value: Any?) throws(SchemaError) {
        guard let object = value as? [String: Any] else {
            throw SchemaError(file: file, path: path, problem: "expected an object")
        }
        self.file = file
        self.path = path
        self.object = object
    }

    func error(_ key: String, _ problem: String) -> SchemaError {
        SchemaError(file: file, path: "\(path).\(key)", problem: problem)
    }

    mutating func optional<T>(_ key: String, _ type: T.Type, _ what: String) throws(SchemaError) -> T? {
        known.insert(key)
        guard let raw = object[key], !(raw is NSNull) else { return nil }
        if T.self == Double.self || T.self == Int.self {
            // JSONSerialization hands numbers over as NSNumber; booleans are NSNumbers too.
            guard let number = raw as? NSNumber, String(cString: number.objCType) != "c" else {
                throw error(key, "expected \(what)")
            }
            if T.self == Int.self {
                guard number.doubleValue == number.doubleValue.rounded() else { throw error(key, "expected \(what)") }
                return number.intValue as? T
            }
            return number.doubleValue as? T
        }
        if T.self == Bool.self {
            guard let number = raw as? NSNumber, String(cString: number.objCType) == "c" else {
                throw error(key, "expected \(what)")
            }
            return number.boolValue as? T
        }
        guard let value = raw as? T else { throw error(key, "expected \(what)") }
        return value
    }

    mutating func string(_ key: String) throws(SchemaError) -> String? {
        try optional(key, String.self, "a string")
    }

    mutating func requiredString(_ key: String) throws(SchemaError) -> String {
        guard let value = try string(key), !value.isEmpty else { throw error(key, "required: a non-empty string") }
        return value
    }

    mutating func int(_ key: String, in range: ClosedRange<Int>) throws(SchemaError) -> Int? {
        guard let value = try optional(key, Int.self, "an integer") else { return nil }
        guard range.contains(value) else {
            throw error(key, "must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
        }
        return value
    }

    mutating func double(_ key: String, in range: ClosedRange<Double>) throws(SchemaError) -> Double? {
        guard let value = try optional(key, Double.self, "a number") else { return nil }
        guard range.contains(value) else {
            throw error(key, "must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
        }
        return value
    }

    mutating func bool(_ key: String) throws(SchemaError) -> Bool? {
        try optional(key, Bool.self, "true or false")
    }

    mutating func strings(_ key: String) throws(SchemaError) -> [String]? {
        guard let values = try optional(key, [Any].self, "an array of strings") else { return nil }
        var out: [String] = []
        for (i, value) in values.enumerated() {
            guard let s = value as? String, !s.isEmpty else {
                throw SchemaError(file: file, path: "\(path).\(key)[\(i)]", problem: "expected a non-empty string")
            }
            out.append(s)
        }
        return out
    }

    mutating func object(_ key: String) throws(SchemaError) -> JSONObjectReader? {
        known.insert(key)
        guard let raw = object[key], !(raw is NSNull) else { return nil }
        return try JSONObjectReader(file: file, path: "\(path).\(key)", value: raw)
    }

    mutating func objects(_ key: String) throws(SchemaError) -> [JSONObjectReader]? {
        guard let values = try optional(key, [Any].self, "an array of objects") else { return nil }
        var out: [JSONObjectReader] = []
        for (i, value) in values.enumerated() {
            out.append(try JSONObjectReader(file: file, path: "\(path).\(key)[\(i)]", value: value))
        }
        return out
    }

    mutating func regex(_ key: String) throws(SchemaError) -> NSRegularExpression? {
        guard let pattern = try string(key) else { return nil }
        do {
            return try NSRegularExpression(pattern: pattern, options: [])
        } catch {
            throw self.error(key, "not a valid regular expression: \(pattern)")
        }
    }

    /// Refuses keys the schema format does not have (usually a typo).
    func rejectUnknownKeys() throws(SchemaError) {
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw SchemaError(file: file, path: "\(path).\(unknown)",
                              problem: "unknown key (known here: \(known.sorted().joined(separator: ", ")))")
        }
    }
}

/// Finds a key given twice in one object of a JSON text. JSONSerialization keeps the last
/// and says nothing, so a schema whose "headings" (or any key) was written twice lost the
/// first silently. Runs on text JSONSerialization has already accepted, so it only tracks
/// nesting, keys and array indices; it never recurses (the nesting is a stack).
enum DuplicateKeys {
    /// The JSON path of the second occurrence ("$.headings[0].pattern"), or nil.
    static func first(in data: Data) -> String? {
        let bytes = [UInt8](utf8(data))
        struct Frame {
            var path: String
            var isObject: Bool
            var keys: Set<String> = []
            var expectKey = true
            var key = ""
            var index = 0
        }
        var stack: [Frame] = []
        func childPath() -> String {
            guard let top = stack.last else { return "$" }
            return top.isObject ? top.path + "." + top.key : top.path + "[\(top.index)]"
        }
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                stack.append(Frame(path: childPath(), isObject: bytes[i] == UInt8(ascii: "{")))
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                // popLast, not removeLast: text in an encoding `utf8` did not convert is scanned
                // as bytes, and a stray bracket there must not trap.
                _ = stack.popLast()
                i += 1
            case UInt8(ascii: ","):
                if stack.last?.isObject == true { stack[stack.count - 1].expectKey = true } else if !stack.isEmpty {
                    stack[stack.count - 1].index += 1
                }
                i += 1
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
                i += 1
                guard let top = stack.last, top.isObject, top.expectKey else { continue }
                // The key as decoded, so that "a" and "\u0061" are the same key.
                let token = Data(bytes[start..<min(i, bytes.count)])
                let key = (try? JSONSerialization.jsonObject(with: token, options: .fragmentsAllowed)) as? String ?? ""
                stack[stack.count - 1].key = key
                stack[stack.count - 1].expectKey = false
                if !stack[stack.count - 1].keys.insert(key).inserted { return childPath() }
            default:
                i += 1
            }
        }
        return nil
    }

    /// The text as UTF-8: JSONSerialization also reads UTF-16 and UTF-32 (with or without a
    /// byte-order mark), whose bytes the scan above would misread.
    static func utf8(_ data: Data) -> Data {
        // NUL is valid UTF-8 but never in JSON text: its bytes are UTF-16's or UTF-32's.
        if !data.contains(0), String(data: data, encoding: .utf8) != nil { return data }
        for encoding in [String.Encoding.utf16, .utf16LittleEndian, .utf16BigEndian, .utf32, .utf32LittleEndian, .utf32BigEndian] {
            // A wrong guess decodes too (as other characters, or UTF-32 as UTF-16 with NULs
            // between): JSON has no NUL and starts with { or [.
            guard let text = String(data: data, encoding: encoding), !text.unicodeScalars.contains("\0") else { continue }
            let start = text.unicodeScalars.first { !" \t\r\n\u{FEFF}".unicodeScalars.contains($0) }
            if start == "{" || start == "[" { return Data(text.utf8) }
        }
        return data
    }
}
