/// FNV-1a, 64 bits: stable across processes and machines (Swift's Hasher is seeded per run,
/// so it cannot name a section or detect a changed file between runs). Two differently-seeded
/// lanes give 128 bits, which makes an accidental collision between documents negligible.
struct StableHash {
    private var a: UInt64 = 0xcbf2_9ce4_8422_2325
    private var b: UInt64 = 0x6c62_272e_07bb_0142

    mutating func combine<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        for byte in bytes { combine(byte: byte) }
    }

    /// A Unicode scalar's value (21 bits, three bytes), without encoding it first.
    mutating func combine(scalar value: UInt32) {
        combine(byte: UInt8(truncatingIfNeeded: value))
        combine(byte: UInt8(truncatingIfNeeded: value >> 8))
        combine(byte: UInt8(truncatingIfNeeded: value >> 16))
    }

    @inline(__always) private mutating func combine(byte: UInt8) {
        a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        b = b &+ (b >> 29)
    }

    mutating func combine(_ string: String) {
        combine(string.utf8)
        combine(CollectionOfOne(0xff))  // separator: ("ab","c") and ("a","bc") differ
    }

    func hex(lanes: Int = 2) -> String {
        let parts = lanes == 1 ? [a] : [a, b]
        return parts.map { String($0, radix: 16).leftPadded(to: 16) }.joined()
    }

    static func hex(of bytes: [UInt8]) -> String {
        var h = StableHash()
        h.combine(bytes)
        return h.hex()
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
