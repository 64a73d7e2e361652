/// The one error type of LibPQ.
///
/// `description` names the code, the server's SQLSTATE and message, and the SQL text; it never contains
/// bound values or passwords. `debugDescription` adds the server's detail, hint and context.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Sendable {
            case invalidConfiguration, connection, connectionClosed, server, decoding, encoding, timeout
            case cancelled, closed, tooManyParameters, poolExhausted, poolShutdown, queueFull, protocolViolation
            case unsupportedStatement
        }
        let base: Base

        /// The connection string or URI could not be parsed.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// Connecting failed, or the connection broke (server down, refused, restarted, network error).
        public static let connection = Code(base: .connection)
        /// The server closed the connection while queries were in flight.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// The server answered with an error; see ``PostgresError/serverInfo``.
        public static let server = Code(base: .server)
        /// A column could not be decoded into the Swift type asked for.
        public static let decoding = Code(base: .decoding)
        /// A value could not be encoded as a parameter; nothing was sent.
        public static let encoding = Code(base: .encoding)
        /// A connect, acquire or query timeout passed.
        public static let timeout = Code(base: .timeout)
        /// The calling task was cancelled.
        public static let cancelled = Code(base: .cancelled)
        /// The connection or pool was closed by this process.
        public static let closed = Code(base: .closed)
        /// More than 65535 parameters; nothing was sent.
        public static let tooManyParameters = Code(base: .tooManyParameters)
        /// No connection became free within the acquire timeout.
        public static let poolExhausted = Code(base: .poolExhausted)
        /// The pool is shutting down and takes no new work.
        public static let poolShutdown = Code(base: .poolShutdown)
        /// The pool's wait queue is full.
        public static let queueFull = Code(base: .queueFull)
        /// libpq reported something this package did not expect.
        public static let protocolViolation = Code(base: .protocolViolation)
        /// The statement cannot run through this call; nothing was sent. For example `BEGIN` through
        /// ``PostgresPool/query(_:timeout:)``, whose connection other callers share: use
        /// ``PostgresPool/withTransaction(isolation:readOnly:deferrable:callerIsolation:_:)``.
        public static let unsupportedStatement = Code(base: .unsupportedStatement)

        public var description: String { base.rawValue }
    }

    /// The fields of a server error (`PQresultErrorField`).
    public struct ServerInfo: Sendable, Hashable {
        /// SQLSTATE, for example `23505` for a unique violation.
        public var sqlState: String
        /// `ERROR`, `FATAL`, `PANIC` (localized severity is not used).
        public var severity: String
        /// The primary message.
        public var message: String
        public var detail: String?
        public var hint: String?
        /// 1-based character position of the error in the SQL text.
        public var position: Int?
        public var internalPosition: Int?
        public var internalQuery: String?
        public var context: String?
        public var schemaName: String?
        public var tableName: String?
        public var columnName: String?
        public var dataTypeName: String?
        public var constraintName: String?

        public init(sqlState: String, severity: String, message: String) {
            self.sqlState = sqlState
            self.severity = severity
            self.message = message
        }
    }

    /// The kind of failure.
    public var code: Code
    /// True when the statement never reached the server: it was still queued in this process when the
    /// connection failed or closed. Such a statement can be retried on another connection without risk;
    /// ``PostgresPool`` does so once by itself.
    public internal(set) var statementNotSent = false
    /// Everything else, in one shared, copy-on-write box: an error is two words, so the `Result`s and
    /// optionals that carry one on every query's path (a lease's outcome, a request's first error) stay
    /// small, where the fields inline made each of them some 300 bytes to copy.
    private var details: Details

    private final class Details: @unchecked Sendable {
        // @unchecked Sendable: a box is mutated only while uniquely referenced (`mutableDetails`).
        var message: String
        var serverInfo: ServerInfo?
        var query: String?
        var column: String?
        var swiftType: String?
        var serverType: PostgresDataType?
        var parameterIndex: Int?

        init(message: String, serverInfo: ServerInfo?, query: String?) {
            self.message = message
            self.serverInfo = serverInfo
            self.query = query
        }

        func copy() -> Details {
            let d = Details(message: message, serverInfo: serverInfo, query: query)
            d.column = column
            d.swiftType = swiftType
            d.serverType = serverType
            d.parameterIndex = parameterIndex
            return d
        }
    }

    /// The box, copied first when another error shares it.
    private var mutableDetails: Details {
        mutating get {
            if !isKnownUniquelyReferenced(&details) { details = details.copy() }
            return details
        }
    }

    /// A message from this package (for non-server errors).
    public var message: String {
        get { details.message }
        set { mutableDetails.message = newValue }
    }
    /// The server's error fields, for ``Code/server`` and for some connection errors.
    public var serverInfo: ServerInfo? {
        get { details.serverInfo }
        set { mutableDetails.serverInfo = newValue }
    }
    /// The SQL text of the query involved (never its bound values).
    public var query: String? {
        get { details.query }
        set { mutableDetails.query = newValue }
    }
    /// For decoding errors: the column, the Swift type and the server type.
    public var column: String? {
        get { details.column }
        set { mutableDetails.column = newValue }
    }
    public var swiftType: String? {
        get { details.swiftType }
        set { mutableDetails.swiftType = newValue }
    }
    public var serverType: PostgresDataType? {
        get { details.serverType }
        set { mutableDetails.serverType = newValue }
    }
    /// For encoding errors: the 1-based parameter number.
    public var parameterIndex: Int? {
        get { details.parameterIndex }
        set { mutableDetails.parameterIndex = newValue }
    }

    /// Creates an error.
    public init(code: Code, message: String, serverInfo: ServerInfo? = nil, query: String? = nil) {
        self.code = code
        self.details = Details(message: message, serverInfo: serverInfo, query: query)
    }

    /// The SQLSTATE of a server error.
    public var sqlState: String? { serverInfo?.sqlState }

    public var description: String {
        var s = "PostgresError(\(code))"
        if let info = serverInfo {
            s += ": \(info.severity) \(info.sqlState): \(info.message)"
            if let p = info.position { s += " at character \(p)" }
            if let c = info.constraintName { s += " (constraint \(c))" }
        } else if !message.isEmpty {
            s += ": \(message)"
        }
        if let column {
            s += " [column \(column)"
            if let swiftType { s += ", Swift type \(swiftType)" }
            if let serverType { s += ", server type \(serverType)" }
            s += "]"
        }
        if let parameterIndex { s += " [parameter $\(parameterIndex)]" }
        if let query { s += "; query: \(query)" }
        return s
    }

    public var debugDescription: String {
        var s = description
        if let info = serverInfo {
            if let d = info.detail { s += "\n  detail: \(d)" }
            if let h = info.hint { s += "\n  hint: \(h)" }
            if let c = info.context { s += "\n  context: \(c)" }
            if let t = info.tableName { s += "\n  table: \(info.schemaName.map { "\($0)." } ?? "")\(t)" }
            if let c = info.columnName { s += "\n  column: \(c)" }
        }
        return s
    }
}

extension PostgresError {
    static func encoding(_ e: PostgresCodingError, parameter: Int, query: String) -> PostgresError {
        var err = PostgresError(code: .encoding, message: e.reason, query: query)
        err.parameterIndex = parameter
        return err
    }

    static func decoding(
        _ e: PostgresCodingError, column: String, swiftType: Any.Type, serverType: PostgresDataType, query: String?
    ) -> PostgresError {
        var err = PostgresError(code: .decoding, message: e.reason, query: query)
        err.column = column
        err.swiftType = String(describing: swiftType)
        err.serverType = serverType
        return err
    }
}

extension PostgresCodingError {
    /// A short human-readable reason.
    public var reason: String {
        switch self {
        case .typeMismatch: "the server type cannot be decoded into this Swift type"
        case .unexpectedNull: "unexpected NULL for a non-optional Swift type"
        case .malformed(let s): "malformed value: \(s)"
        case .outOfRange(let s): "value out of range: \(s)"
        case .invalidValue(let s): "invalid value: \(s)"
        }
    }
}

extension PostgresError: CustomReflectable {
    /// The public fields, as before they moved into a private box: `dump(error)` and test failure messages
    /// show them rather than an opaque `details` reference.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "code": code as Any, "message": message, "serverInfo": serverInfo as Any, "query": query as Any,
                "column": column as Any, "swiftType": swiftType as Any, "serverType": serverType as Any,
                "parameterIndex": parameterIndex as Any, "statementNotSent": statementNotSent,
            ],
            displayStyle: .struct)
    }
}
