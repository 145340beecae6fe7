import CXapian

/// A failure reported by libxapian (through the C shim), matchable on its ``Code``:
///
///     do { try db.search(q) } catch XapianError.Code.databaseModified { try db.reopen() }
///
/// Callers act differently on different codes (wait and retry on `databaseLocked`, reopen on
/// `databaseModified`, report on `databaseCorrupt`), so the code is the part to switch on; `type`
/// keeps Xapian's own class name for logs.
public struct XapianError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let other = Code(rawValue: Int32(PXS_ERR_OTHER.rawValue))
        public static let databaseLocked = Code(rawValue: Int32(PXS_ERR_DATABASE_LOCKED.rawValue))
        /// A reader fell more than one commit behind the writer: `reopen()` and retry.
        public static let databaseModified = Code(rawValue: Int32(PXS_ERR_DATABASE_MODIFIED.rawValue))
        public static let databaseCorrupt = Code(rawValue: Int32(PXS_ERR_DATABASE_CORRUPT.rawValue))
        public static let databaseNotFound = Code(rawValue: Int32(PXS_ERR_DATABASE_NOT_FOUND.rawValue))
        public static let documentNotFound = Code(rawValue: Int32(PXS_ERR_DOCUMENT_NOT_FOUND.rawValue))
        public static let invalidArgument = Code(rawValue: Int32(PXS_ERR_INVALID_ARGUMENT.rawValue))
        public static let invalidOperation = Code(rawValue: Int32(PXS_ERR_INVALID_OPERATION.rawValue))
        public static let queryParse = Code(rawValue: Int32(PXS_ERR_QUERY_PARSE.rawValue))
        public static let outOfMemory = Code(rawValue: Int32(PXS_ERR_OUT_OF_MEMORY.rawValue))
        public static let databaseOpening = Code(rawValue: Int32(PXS_ERR_DATABASE_OPENING.rawValue))
        public static let databaseClosed = Code(rawValue: Int32(PXS_ERR_DATABASE_CLOSED.rawValue))
        public static let network = Code(rawValue: Int32(PXS_ERR_NETWORK.rawValue))
        public static let networkTimeout = Code(rawValue: Int32(PXS_ERR_NETWORK_TIMEOUT.rawValue))
        public static let database = Code(rawValue: Int32(PXS_ERR_DATABASE.rawValue))
        public static let stdException = Code(rawValue: Int32(PXS_ERR_STD_EXCEPTION.rawValue))
        public static let unknown = Code(rawValue: Int32(PXS_ERR_UNKNOWN.rawValue))

        public var description: String {
            switch self {
            case .other: "other"
            case .databaseLocked: "database_locked"
            case .databaseModified: "database_modified"
            case .databaseCorrupt: "database_corrupt"
            case .databaseNotFound: "database_not_found"
            case .documentNotFound: "document_not_found"
            case .invalidArgument: "invalid_argument"
            case .invalidOperation: "invalid_operation"
            case .queryParse: "query_parse"
            case .outOfMemory: "out_of_memory"
            case .databaseOpening: "database_opening"
            case .databaseClosed: "database_closed"
            case .network: "network"
            case .networkTimeout: "network_timeout"
            case .database: "database"
            case .stdException: "std_exception"
            case .unknown: "unknown"
            default: "code_\(rawValue)"
            }
        }

        /// Lets `catch XapianError.Code.databaseLocked` match a thrown XapianError.
        public static func ~= (code: Code, error: any Error) -> Bool {
            (error as? XapianError)?.code == code
        }
    }

    public let code: Code
    /// Xapian's class name ("DatabaseLockError"), or "bad_alloc", "std::exception", "unknown".
    public let type: String
    public let message: String

    public init(code: Code, type: String, message: String) {
        self.code = code
        self.type = type
        self.message = message
    }

    public var description: String { "\(type) (\(code)): \(message)" }

    /// Takes ownership of a shim error and frees it.
    init(consuming err: OpaquePointer) {
        code = Code(rawValue: pxs_error_code_of(err))
        type = String(cString: pxs_error_type(err))
        message = String(cString: pxs_error_message(err))
        pxs_error_free(err)
    }
}
