/// A strict reading of one JSON text (RFC 8259) that builds nothing but the top-level members a
/// request line needs. It replaces two passes: `JSONSerialization` turning the whole line into
/// Foundation objects only to check it, then a `JSONDecoder` pass for the envelope. Together
/// they were 3% of the daemon's time under load, on lines whose params a third pass decodes.
///
/// The checks are the ones that pass made: strings without raw control characters and with
/// only JSON's escapes (surrogates in pairs), numbers in JSON's grammar that a Double holds,
/// the three literals, nothing after the value but whitespace. The caller checks UTF-8 and
/// the nesting depth first; nesting is walked with a stack, never by recursion.
struct RequestLineScanner {
    /// A top-level member's value, as much of it as a request's envelope reads.
    enum Value {
        case string(String), null, bool, object, array
        /// The number's text, as given (a Double holds its value).
        case number(String)
    }

    enum Outcome {
        case notJSON
        /// Valid JSON, but not an object.
        case notObject
        /// The object's members named in `wanted`, each as first given (as `JSONDecoder`,
        /// which decodes the params from the same line, reads a member given twice).
        case members([String: Value])
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0
    /// A decoded string's UTF-8, reused from one string to the next.
    private var decoded: [UInt8] = []

    private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    static func scan(_ line: [UInt8], wanted: Set<String>) -> Outcome {
        line.withUnsafeBufferPointer { buffer in
            var scanner = RequestLineScanner(buffer)
            return scanner.document(wanted: wanted) ?? .notJSON
        }
    }

    private enum Container { case object, array }
    private enum State { case value, key, afterValue }

    /// The outcome, or nil when the line is not JSON.
    private mutating func document(wanted: Set<String>) -> Outcome? {
        var stack: [Container] = []
        var state = State.value
        var members: [String: Value] = [:]
        var isObject = false
        /// The name of the top-level member whose value comes next, when it is wanted.
        var memberName: String?
        while true {
            skipWhitespace()
            switch state {
            case .key:
                guard peek() == UInt8(ascii: "\"") else { return nil }
                let topLevel = stack.count == 1
                guard string(decoding: topLevel) else { return nil }
                if topLevel {
                    let name = String(decoding: decoded, as: UTF8.self)
                    memberName = wanted.contains(name) && members[name] == nil ? name : nil
                }
                skipWhitespace()
                guard peek() == UInt8(ascii: ":") else { return nil }
                i += 1
                state = .value
            case .value:
                guard let c = peek() else { return nil }
                let name = memberName
                memberName = nil
                var value: Value
                switch c {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    let object = c == UInt8(ascii: "{")
                    if stack.isEmpty { isObject = object }
                    value = object ? .object : .array
                    i += 1
                    skipWhitespace()
                    if peek() == (object ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        i += 1
                        state = .afterValue
                    } else {
                        stack.append(object ? .object : .array)
                        state = object ? .key : .value
                    }
                case UInt8(ascii: "\""):
                    guard string(decoding: name != nil) else { return nil }
                    value = .string(name != nil ? String(decoding: decoded, as: UTF8.self) : "")
                    state = .afterValue
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    guard let number = number() else { return nil }
                    value = .number(number)
                    state = .afterValue
                default:
                    if literal("true") || literal("false") {
                        value = .bool
                    } else if literal("null") {
                        value = .null
                    } else {
                        return nil
                    }
                    state = .afterValue
                }
                if let name { members[name] = value }
            case .afterValue:
                guard let top = stack.last else {
                    guard i == bytes.count else { return nil }
                    return isObject ? .members(members) : .notObject
                }
                switch peek() {
                case UInt8(ascii: ","):
                    i += 1
                    state = top == .object ? .key : .value
                case UInt8(ascii: "}") where top == .object, UInt8(ascii: "]") where top == .array:
                    i += 1
                    stack.removeLast()
                default:
                    return nil
                }
            }
        }
    }

    private func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func skipWhitespace() {
        while i < bytes.count {
            switch bytes[i] {
            case 0x20, 0x09, 0x0A, 0x0D: i += 1
            default: return
            }
        }
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard bytes.count - i >= count else { return false }
        for k in 0..<count where bytes[i + k] != word.utf8Start[k] { return false }
        i += count
        return true
    }

    /// Checks the string starting at the quote under `i` and moves past it; with `decoding`,
    /// leaves its UTF-8 in `decoded`.
    private mutating func string(decoding: Bool) -> Bool {
        i += 1
        if decoding { decoded.removeAll(keepingCapacity: true) }
        while i < bytes.count {
            let b = bytes[i]
            switch b {
            case UInt8(ascii: "\""):
                i += 1
                return true
            case UInt8(ascii: "\\"):
                guard i + 1 < bytes.count else { return false }
                let e = bytes[i + 1]
                i += 2
                let simple: UInt8?
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): simple = e
                case UInt8(ascii: "b"): simple = 0x08
                case UInt8(ascii: "f"): simple = 0x0C
                case UInt8(ascii: "n"): simple = 0x0A
                case UInt8(ascii: "r"): simple = 0x0D
                case UInt8(ascii: "t"): simple = 0x09
                case UInt8(ascii: "u"): simple = nil
                default: return false
                }
                if let simple {
                    if decoding { decoded.append(simple) }
                    continue
                }
                guard let scalar = escapedScalar() else { return false }
                if decoding { decoded.append(contentsOf: String(Character(scalar)).utf8) }
            case 0x00..<0x20:
                return false  // a raw control character
            default:
                if decoding { decoded.append(b) }
                i += 1
            }
        }
        return false  // unterminated
    }

    /// The scalar of a \u escape whose four hex digits start at `i` (with its low surrogate's
    /// escape after it when it is a high surrogate); nil for a lone surrogate.
    private mutating func escapedScalar() -> Unicode.Scalar? {
        guard let unit = hex4() else { return nil }
        switch unit {
        case 0xD800...0xDBFF:
            guard bytes.count - i >= 6, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else { return nil }
            i += 2
            guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
            return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
        case 0xDC00...0xDFFF:
            return nil
        default:
            return Unicode.Scalar(unit)
        }
    }

    private mutating func hex4() -> UInt32? {
        guard bytes.count - i >= 4 else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[i]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            i += 1
        }
        return value
    }

    /// A number in JSON's grammar (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?) whose value a
    /// Double holds (1e400 is refused, as the parser before refused it); its text.
    private mutating func number() -> String? {
        let start = i
        if peek() == UInt8(ascii: "-") { i += 1 }
        guard let first = peek(), isDigit(first) else { return nil }
        i += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if peek() == UInt8(ascii: ".") {
            i += 1
            guard let d = peek(), isDigit(d) else { return nil }
            skipDigits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            i += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { i += 1 }
            guard let d = peek(), isDigit(d) else { return nil }
            skipDigits()
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { return nil }
        return text
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    private mutating func skipDigits() {
        while let b = peek(), isDigit(b) { i += 1 }
    }
}
