/// The one error type of LibPQ.
///
/// `description` (what `"\(error)"` and most loggers print) leaks no bound value, password or SQL text:
/// it shows the code, this package's own message (or libpq's client-side message, passwords redacted),
/// and for a server error only its severity, SQLSTATE with its condition name, the names of the
/// constraint, table, column and type involved, and the error position. The server's message, detail,
/// hint and context can quote values (`invalid input syntax for type integer: "…"`,
/// `Key (token)=(…) already exists`), and SQL text can hold literals: they are in ``debugDescription``
/// (`String(reflecting: error)`), in `dump(error)` (which prints the `debugDescription`, then the
/// `Mirror`'s fields) and in the properties, as with postgres-nio's `PSQLError`.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Sendable {
            case invalidConfiguration, connection, connectionClosed, server, decoding, encoding, timeout
            case cancelled, closed, tooManyParameters, poolExhausted, poolShutdown, queueFull, protocolViolation
            case unsupportedStatement, columnCountMismatch
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
        /// A row was decoded into a tuple with more or fewer elements than the row has columns; see
        /// ``PostgresError/columnCount``.
        public static let columnCountMismatch = Code(base: .columnCountMismatch)

        /// The code's name, for example `server`.
        public var description: String { base.rawValue }
    }

    /// The fields of a server error (`PQresultErrorField`).
    public struct ServerInfo: Sendable, Hashable {
        /// SQLSTATE, for example `23505` for a unique violation.
        public var sqlState: String
        /// `ERROR`, `FATAL`, `PANIC` (localized severity is not used).
        public var severity: String
        /// The primary message. It can quote a value (`invalid input syntax for type integer: "…"`).
        public var message: String
        /// The server's detail. It can quote values (`Key (token)=(…) already exists`).
        public var detail: String?
        /// The server's hint.
        public var hint: String?
        /// 1-based character position of the error in the SQL text.
        public var position: Int?
        /// 1-based character position in ``internalQuery``.
        public var internalPosition: Int?
        /// The text of an internally generated command that failed (for example in a PL/pgSQL function).
        public var internalQuery: String?
        /// Where the error happened: a call stack of functions, for example.
        public var context: String?
        /// The schema of the object concerned.
        public var schemaName: String?
        /// The table concerned.
        public var tableName: String?
        /// The column concerned.
        public var columnName: String?
        /// The data type concerned.
        public var dataTypeName: String?
        /// The constraint concerned.
        public var constraintName: String?

        /// Creates server error fields.
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
        /// What `description` shows instead of `message`, when `message` may quote a value.
        var descriptionMessage: String?
        var columnCount: (expected: Int, actual: Int)?

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
            d.descriptionMessage = descriptionMessage
            d.columnCount = columnCount
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

    /// A message from this package or from libpq (for non-server errors; for a server error, the server's
    /// message). A decoding or encoding error's message can quote part of the value: ``description`` shows
    /// only the kind of failure.
    public var message: String {
        get { details.message }
        set {
            let d = mutableDetails
            d.message = newValue
            d.descriptionMessage = nil
        }
    }
    /// The server's error fields, for ``Code/server`` and for some connection errors.
    public var serverInfo: ServerInfo? {
        get { details.serverInfo }
        set { mutableDetails.serverInfo = newValue }
    }
    /// The SQL text of the query involved (never its bound values; but literals written into the text are
    /// in it, so ``description`` leaves it out).
    public var query: String? {
        get { details.query }
        set { mutableDetails.query = newValue }
    }
    /// For decoding errors: the column.
    public var column: String? {
        get { details.column }
        set { mutableDetails.column = newValue }
    }
    /// For decoding errors: the Swift type asked for.
    public var swiftType: String? {
        get { details.swiftType }
        set { mutableDetails.swiftType = newValue }
    }
    /// For decoding errors: the column's type on the server.
    public var serverType: PostgresDataType? {
        get { details.serverType }
        set { mutableDetails.serverType = newValue }
    }
    /// For encoding errors: the 1-based parameter number.
    public var parameterIndex: Int? {
        get { details.parameterIndex }
        set { mutableDetails.parameterIndex = newValue }
    }

    /// For ``Code/columnCountMismatch``: the number of columns the tuple asked for and the number the
    /// row has.
    public var columnCount: (expected: Int, actual: Int)? {
        get { details.columnCount }
        set { mutableDetails.columnCount = newValue }
    }

    /// Creates an error.
    public init(code: Code, message: String, serverInfo: ServerInfo? = nil, query: String? = nil) {
        self.code = code
        self.details = Details(message: message, serverInfo: serverInfo, query: query)
    }

    /// The SQLSTATE of a server error.
    public var sqlState: String? { serverInfo?.sqlState }

    /// The code, and only what cannot quote a value: see the type's documentation.
    public var description: String {
        var s = "PostgresError(\(code))"
        if code == .connection, let info = serverInfo {
            // A refused connection: libpq's text (passwords redacted when it was made) names hosts, users
            // and databases, never a bound value; the server's SQLSTATE follows.
            s += ": \(message) (\(info.sqlState)"
            if let condition = PostgresError.conditionName(sqlState: info.sqlState) { s += " \(condition)" }
            s += ")"
        } else if let info = serverInfo {
            s += ": \(info.severity) \(info.sqlState)"
            if let condition = PostgresError.conditionName(sqlState: info.sqlState) { s += " \(condition)" }
            var names: [String] = []
            if let c = info.constraintName { names.append("constraint \(c)") }
            if let t = info.tableName { names.append("table \(info.schemaName.map { "\($0)." } ?? "")\(t)") }
            if let c = info.columnName { names.append("column \(c)") }
            if let d = info.dataTypeName { names.append("type \(d)") }
            if !names.isEmpty { s += " (\(names.joined(separator: ", ")))" }
            if let p = info.position { s += " at character \(p)" }
        } else {
            let shown = details.descriptionMessage ?? message
            if !shown.isEmpty { s += ": \(shown)" }
        }
        if let column {
            s += " [column \(column)"
            if let swiftType { s += ", Swift type \(swiftType)" }
            if let serverType { s += ", server type \(serverType)" }
            s += "]"
        } else if let swiftType {
            s += " [Swift type \(swiftType)]"
        }
        if let parameterIndex { s += " [parameter $\(parameterIndex)]" }
        return s
    }

    /// Everything: ``description``, then the server's message, detail, hint, context and internal query,
    /// a decoding or encoding error's full reason, and the SQL text. These can quote values: keep them out
    /// of logs that others read.
    public var debugDescription: String {
        var s = description
        if let info = serverInfo {
            s += "\n  message: \(info.message)"
            if let d = info.detail { s += "\n  detail: \(d)" }
            if let h = info.hint { s += "\n  hint: \(h)" }
            if let c = info.context { s += "\n  context: \(c)" }
            if let q = info.internalQuery {
                s += "\n  internal query: \(q)"
                if let p = info.internalPosition { s += " (at character \(p))" }
            }
        } else if details.descriptionMessage != nil {
            s += "\n  reason: \(message)"
        }
        if let query { s += "\n  query: \(query)" }
        return s
    }
}

extension PostgresError {
    static func encoding(_ e: PostgresCodingError, parameter: Int, query: String) -> PostgresError {
        var err = PostgresError(code: .encoding, message: e.reason, query: query)
        if e.kind != err.message { err.details.descriptionMessage = e.kind }
        err.parameterIndex = parameter
        return err
    }

    static func decoding(
        _ e: PostgresCodingError, column: String, swiftType: Any.Type, serverType: PostgresDataType, query: String?
    ) -> PostgresError {
        var err = PostgresError(code: .decoding, message: e.reason, query: query)
        if e.kind != err.message { err.details.descriptionMessage = e.kind }
        err.column = column
        err.swiftType = String(describing: swiftType)
        err.serverType = serverType
        return err
    }
}

extension PostgresCodingError {
    /// The kind of failure, in fixed words that quote nothing of the value (what ``PostgresError``'s
    /// `description` shows).
    var kind: String {
        switch self {
        case .typeMismatch: "the server type cannot be decoded into this Swift type"
        case .unexpectedNull: "unexpected NULL for a non-optional Swift type"
        case .malformed: "malformed value"
        case .outOfRange: "value out of range"
        case .invalidValue: "invalid value"
        }
    }

    /// A short human-readable reason. The text after the kind of failure is the codec's, and can quote
    /// part of the value (a JSON decoding error, for example).
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
    /// The public fields, as ``debugDescription`` shows them all: `dump(error)`, which prints the
    /// `debugDescription` first, is a detail channel like `String(reflecting:)`. (The fields are in a
    /// private box; the mirror shows them rather than an opaque `details` reference.)
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "code": code as Any, "message": message, "serverInfo": serverInfo as Any, "query": query as Any,
                "column": column as Any, "swiftType": swiftType as Any, "serverType": serverType as Any,
                "parameterIndex": parameterIndex as Any, "columnCount": columnCount as Any,
                "statementNotSent": statementNotSent,
            ],
            displayStyle: .struct)
    }
}
