import COpenCC
import Foundation
import Synchronization

/// Mainland words for Taiwan words in a query: 塑膠 is 塑料, 軟體 is 软件, 網路 is 网络.
///
/// Character folding (the Normalizer) makes 塑膠 into 塑胶, which a mainland text never writes:
/// the difference is one of vocabulary, not of characters. OpenCC's tw2sp rules (phrases
/// included) know these words. They change lengths and so cannot serve documents, whose
/// offsets must survive; a query can have both forms, so a query word in Taiwan usage matches
/// mainland text and still matches text written in Taiwan usage.
public final class RegionalVocabulary: Sendable {
    /// OpenCC's converter is used from several reader threads; the lock keeps its calls apart.
    private let converter: Mutex<Converter>

    struct Converter {
        var handle: UnsafeMutableRawPointer?
        /// Words converted before, and what they became: one query asks for the same word's
        /// mainland form for its body, heading and title fields, and users repeat words; a
        /// conversion (~10 µs) was 4% of a search. Emptied when it reaches `rememberedLimit`.
        var remembered: [String: String] = [:]
    }
    static let rememberedLimit = 10_000
    public let configuration: String

    /// nil when OpenCC or its tw2sp configuration is missing: queries are then only folded by
    /// character, which is what the analyzer does anyway.
    public init?(configuration: String = "/usr/share/opencc/tw2sp.json") {
        guard FileManager.default.fileExists(atPath: configuration) else { return nil }
        let handle = opencc_open(configuration)
        guard let handle, handle != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
        self.configuration = configuration
        converter = Mutex(Converter(handle: handle))
    }

    deinit {
        converter.withLock { state in
            if let h = state.handle { opencc_close(h) }
            state.handle = nil
        }
    }

    /// `text` in mainland vocabulary, or nil when tw2sp leaves it as it is or cannot convert it.
    public func mainland(_ text: String) -> String? {
        // Only Han text can change; ASCII queries skip the lock and the conversion.
        guard text.unicodeScalars.contains(where: { $0.value >= 0x3400 }) else { return nil }
        let converted: String? = converter.withLock { state in
            if let known = state.remembered[text] { return known }
            guard let handle = state.handle, let out = opencc_convert_utf8(handle, text, text.utf8.count) else { return nil }
            defer { opencc_convert_utf8_free(out) }
            let converted = String(cString: out)
            if state.remembered.count >= Self.rememberedLimit { state.remembered.removeAll(keepingCapacity: true) }
            state.remembered[text] = converted
            return converted
        }
        guard let converted, converted != text, !converted.isEmpty else { return nil }
        return converted
    }

    private static let sharedInstance: RegionalVocabulary? = RegionalVocabulary()

    /// One converter for the process (its dictionaries take a few milliseconds to load).
    public static var shared: RegionalVocabulary? { sharedInstance }
}
