/// An argument or setting of the session store, its cache or its services that is out of range. Thrown
/// before anything is sent to the database, instead of trapping.
public struct SessionStoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Sendable {
            case invalidArgument, invalidConfiguration
        }
        let base: Base

        /// An argument of a call is out of range (a batch size of 0, a negative interval).
        public static let invalidArgument = Code(base: .invalidArgument)
        /// A setting of ``SessionStore/Configuration`` is out of range; every operation of the store throws it.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)

        /// The code's name, for example `invalidArgument`.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// The argument or setting concerned, as its caller writes it (`batchSize`, `sessionDuration`).
    public var name: String
    /// What the value must be, in fixed words (`must be positive`).
    public var requirement: String

    /// Creates an error.
    public init(code: Code, name: String, requirement: String) {
        self.code = code
        self.name = name
        self.requirement = requirement
    }

    /// `SessionStoreError(invalidArgument): batchSize must be positive`.
    public var description: String { "SessionStoreError(\(code)): \(name) \(requirement)" }
}

extension SessionStoreError {
    static func invalidArgument(_ name: String, _ requirement: String) -> SessionStoreError {
        SessionStoreError(code: .invalidArgument, name: name, requirement: requirement)
    }

    /// A custom field value that does not fit its field (named `customFields.<name>`).
    static func invalidCustomField(_ name: String, _ requirement: String) -> SessionStoreError {
        SessionStoreError(code: .invalidArgument, name: "customFields." + name, requirement: requirement)
    }

    static func invalidConfiguration(_ name: String, _ requirement: String) -> SessionStoreError {
        SessionStoreError(code: .invalidConfiguration, name: name, requirement: requirement)
    }

    /// Throws unless `value` is at least 1.
    static func requirePositive(_ value: Int, _ name: String) throws(SessionStoreError) {
        guard value > 0 else { throw .invalidArgument(name, "must be positive") }
    }

    /// Throws unless `value` is greater than zero.
    static func requirePositive(_ value: Duration, _ name: String) throws(SessionStoreError) {
        guard value > .zero else { throw .invalidArgument(name, "must be positive") }
    }
}
