#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Any `Codable` value stored as `jsonb` (or read from `json`), through Foundation's `JSONEncoder` and
/// `JSONDecoder` with their default settings.
///
/// ```swift
/// struct Prefs: Codable, Sendable { var theme: String }
/// "UPDATE account SET prefs = \(PostgresJSON(Prefs(theme: "dark")))"
/// let prefs = try row.decode(PostgresJSON<Prefs>.self, column: "prefs").value
/// ```
/// Binds as `jsonb` (format version byte 1, then the JSON text); the server casts it on assignment to a
/// `json` column. Decodes `jsonb` (version 1 only) and `json`. Errors carry the coding path and the
/// coder's message, never the value.
public struct PostgresJSON<Value: Codable & Sendable>: Sendable {
    /// The wrapped value.
    public var value: Value

    /// Wraps `value`.
    public init(_ value: Value) { self.value = value }
}

extension PostgresJSON: Equatable where Value: Equatable {}
extension PostgresJSON: Hashable where Value: Hashable {}

extension PostgresJSON: PostgresArrayElement {
    /// `jsonb`.
    public static var postgresType: PostgresDataType { .jsonb }
    /// `jsonb[]`.
    public static var postgresArrayType: PostgresDataType { .jsonbArray }

    /// The only `jsonb` binary format version PostgreSQL has defined.
    static var jsonbVersion: UInt8 { 1 }

    /// Writes the `jsonb` version byte and the JSON text. Encoding failures throw
    /// ``PostgresCodingError/invalidValue(_:)``; more than 1 GB throws ``PostgresCodingError/outOfRange(_:)``.
    public func encode(into buffer: inout PostgresWriteBuffer) throws(PostgresCodingError) {
        let json: Data
        do {
            json = try JSONEncoder().encode(value)
        } catch {
            throw .invalidValue("JSON encoding failed: \(Self.summary(of: error))")
        }
        try PostgresCodingLimits.checkFieldSize(json.count + 1, of: "a JSON document")
        buffer.writeInteger(Self.jsonbVersion)
        buffer.writeBytes(json)
    }

    /// Decodes `jsonb` or `json`. Invalid JSON or a shape that does not match `Value` throws
    /// ``PostgresCodingError/malformed(_:)``.
    public init(from buffer: inout PostgresReadBuffer, type: PostgresDataType) throws(PostgresCodingError) {
        switch type {
        case .jsonb:
            let version = try buffer.readInteger(as: UInt8.self)
            guard version == Self.jsonbVersion else { throw .malformed("unsupported jsonb format version \(version)") }
        case .json:
            break
        default:
            throw .typeMismatch
        }
        do {
            value = try JSONDecoder().decode(Value.self, from: Data(buffer.readRemaining()))
        } catch {
            throw .malformed("JSON decoding failed: \(Self.summary(of: error))")
        }
    }

    /// The coder's message and coding path, without the value itself (which may be sensitive).
    static func summary(of error: any Error) -> String {
        let context: (path: [any CodingKey], message: String)?
        switch error {
        case EncodingError.invalidValue(_, let c): context = (c.codingPath, c.debugDescription)
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c),
            DecodingError.keyNotFound(_, let c), DecodingError.dataCorrupted(let c):
            context = (c.codingPath, c.debugDescription)
        default: context = nil
        }
        guard let context else { return String(describing: type(of: error)) }
        let path = context.path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        return path.isEmpty ? context.message : "\(context.message) (at \(path))"
    }
}
