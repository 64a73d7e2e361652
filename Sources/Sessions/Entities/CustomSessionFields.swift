public import Entities
public import Foundation
import LibPQ

/// A custom field of sessions, as Vendure configures one (`customFields: { Session: [{ name, type }] }`):
/// a nullable column `customFields<Name>` of the `session` table, written, read, returned and cached by the
/// session store with the rest of the session.
///
/// ```swift
/// let deviceID = CustomField("deviceId", .string)
/// _ = try await VendureSchema.migrator(customFields: [deviceID]).migrate(on: pool)
/// var configuration = SessionStore.Configuration()
/// configuration.customFields = [deviceID]
/// let store = SessionStore(database: pool, configuration: configuration)
/// let s = try await store.createAnonymousSession(customFields: ["deviceId": "ios-1"])
/// ```
public struct CustomField: Sendable, Hashable {
    /// The types Vendure gives custom fields, with their PostgreSQL columns.
    public enum FieldType: String, Sendable, Hashable {
        /// `string`: `character varying(255)`.
        case string
        /// `text`: `text`.
        case text
        /// `int`: `integer`.
        case int
        /// `float`: `double precision`.
        case float
        /// `boolean`: `boolean`.
        case boolean
        /// `datetime`: `timestamp(6)` (UTC).
        case datetime
    }

    /// The field name (`deviceId`); the column is `customFields` + its title case (`customFieldsDeviceid`).
    public var name: String
    /// The type.
    public var type: FieldType
    /// Whether NULL is allowed (Vendure's default: yes). A field that is not nullable needs a default.
    public var nullable: Bool
    /// The column default.
    public var defaultValue: CustomFieldValue?

    /// A field.
    public init(_ name: String, _ type: FieldType, nullable: Bool = true, defaultValue: CustomFieldValue? = nil) {
        self.name = name
        self.type = type
        self.nullable = nullable
        self.defaultValue = defaultValue
    }

    /// The column name, as TypeORM names an embedded column.
    public var columnName: String { NamingStrategy.embeddedColumnName(prefix: "customFields", name) }

    /// The column, as Vendure's `registerCustomEntityFields` declares it for PostgreSQL.
    public var column: ColumnMetadata {
        let sqlType: String
        var length: Int?
        var precision: Int?
        switch type {
        case .string: (sqlType, length) = ("varchar", 255)
        case .text: sqlType = "text"
        case .int: sqlType = "int"
        case .float: sqlType = "double precision"
        case .boolean: sqlType = "boolean"
        case .datetime: (sqlType, precision) = ("timestamp", 6)
        }
        return ColumnMetadata(
            propertyName: "customFields." + name, name: columnName, type: sqlType, length: length,
            precision: precision, isNullable: nullable, defaultValue: defaultValue?.columnDefault)
    }

    /// Throws when the value does not fit the field's type.
    func check(_ value: CustomFieldValue?) throws(SessionStoreError) {
        guard let value else { return }
        switch (type, value) {
        case (.string, .string), (.text, .string), (.int, .int), (.float, .float), (.float, .int), (.boolean, .bool),
            (.datetime, .date):
            if type == .string, case .string(let s) = value, s.count > 255 {
                throw .invalidCustomField(name, "is longer than 255 characters")
            }
        default:
            throw .invalidCustomField(name, "holds a value of another type than \(type.rawValue)")
        }
    }

    /// Appends the bind of `value` (NULL when nil) typed as the column.
    func bind(_ value: CustomFieldValue?, to binds: inout PostgresBindings) {
        switch (type, value) {
        case (.string, .string(let s)), (.text, .string(let s)): binds.append(s)
        case (.int, .int(let i)): binds.append(i)
        case (.float, .float(let d)): binds.append(d)
        case (.float, .int(let i)): binds.append(Double(i))
        case (.boolean, .bool(let b)): binds.append(b)
        case (.datetime, .date(let d)): binds.append(PostgresTimestamp(d))
        case (.string, _), (.text, _): binds.append(String?.none)
        case (.int, _): binds.append(Int?.none)
        case (.float, _): binds.append(Double?.none)
        case (.boolean, _): binds.append(Bool?.none)
        case (.datetime, _): binds.append(PostgresTimestamp?.none)
        }
    }

    /// Decodes the field's column at `index`.
    func decode(_ row: PostgresRow, at index: Int) throws -> CustomFieldValue? {
        switch type {
        case .string, .text: try row.decode(String?.self, at: index).map(CustomFieldValue.string)
        case .int: try row.decode(Int?.self, at: index).map(CustomFieldValue.int)
        case .float: try row.decode(Double?.self, at: index).map(CustomFieldValue.float)
        case .boolean: try row.decode(Bool?.self, at: index).map(CustomFieldValue.bool)
        case .datetime: try row.decode(Date?.self, at: index).map(CustomFieldValue.date)
        }
    }
}

/// The value of a custom field.
public enum CustomFieldValue: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByFloatLiteral
{
    /// A `string` or `text` field's value.
    case string(String)
    /// An `int` field's value.
    case int(Int)
    /// A `float` field's value.
    case float(Double)
    /// A `boolean` field's value.
    case bool(Bool)
    /// A `datetime` field's value.
    case date(Date)

    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .float(value) }

    var columnDefault: ColumnDefault {
        switch self {
        case .string(let s): .string(s)
        case .int(let i): .number(String(i))
        case .float(let d): .number(String(d))
        case .bool(let b): .bool(b)
        case .date(let d): .string(d.ISO8601Format())
        }
    }
}

/// The values of a session's custom fields (Vendure's `CustomSessionFields`), by field name. Empty unless
/// the store's configuration declares fields (``SessionStore/Configuration/customFields``); a field with
/// no value is NULL.
public struct CustomSessionFields: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    /// The values, by field name.
    public var values: [String: CustomFieldValue]

    /// The given values.
    public init(_ values: [String: CustomFieldValue] = [:]) { self.values = values }

    public init(dictionaryLiteral elements: (String, CustomFieldValue)...) {
        values = Dictionary(elements, uniquingKeysWith: { $1 })
    }

    /// The value of a field, or nil (NULL).
    public subscript(name: String) -> CustomFieldValue? {
        get { values[name] }
        set { values[name] = newValue }
    }
}
