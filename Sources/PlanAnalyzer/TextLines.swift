/// The lines of a text file, for every reader of plans, lexicons and synonym lists.
public enum TextLines {
    /// `text` split at each line feed, the carriage return of a CRLF ending dropped. Split by
    /// Unicode scalars: Swift's Character holds "\r\n" as one, so splitting at the Character
    /// "\n" left a Windows file one single line.
    public static func split(_ text: String) -> [Substring] {
        text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { scalars in
            let line = Substring(scalars)
            return line.unicodeScalars.last == "\r" ? Substring(line.unicodeScalars.dropLast()) : line
        }
    }
}
