import Logging

/// The body of `GET /session` both peers answer, shaped as the storefront's (Examples/Storefront,
/// `SessionJSON`): `{"session":{"id":..,"kind":..,"expires":..,"user":..,"authenticationStrategy":..}}`,
/// absent relations left out. Each peer adds its framework's response conformance.
public struct SessionBody: Codable, Sendable {
    public struct Session: Codable, Sendable {
        public var id: Int
        public var kind: String
        public var expires: String
        public var activeOrder: String?
        public var activeChannel: String?
        public var user: String?
        public var authenticationStrategy: String?

        public init(
            id: Int, kind: String, expires: String, activeOrder: String? = nil, activeChannel: String? = nil,
            user: String? = nil, authenticationStrategy: String? = nil
        ) {
            self.id = id
            self.kind = kind
            self.expires = expires
            self.activeOrder = activeOrder
            self.activeChannel = activeChannel
            self.user = user
            self.authenticationStrategy = authenticationStrategy
        }
    }

    public var session: Session

    public init(session: Session) { self.session = session }
}

/// Logs to stderr at `LOG_LEVEL` (default warning), as every server of the benchmark does; returns the
/// level.
public func bootstrapLogging(_ environment: [String: String]) -> Logger.Level {
    let level = environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    return level
}
