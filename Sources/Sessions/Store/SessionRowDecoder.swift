public import LibPQ
import Foundation

/// Decodes the columns of ``SessionSQL/columns`` into a ``CachedSession``.
public enum SessionRowDecoder {
    /// Decodes one row whose first columns are ``SessionSQL/columns``.
    public static func decode(_ row: PostgresRow) throws -> CachedSession {
        // Column by column: the statements that return sessions select more columns after these, and a
        // tuple decode needs the row's exact width.
        let id = try row.decode(Int.self, at: 0)
        let token = try row.decode(String.self, at: 1)
        let expires = try row.decode(Date.self, at: 2)
        let type = try row.decode(String.self, at: 3)
        let strategy = try row.decode(String?.self, at: 4)
        let orderID = try row.decode(Int?.self, at: 5)
        let channelID = try row.decode(Int?.self, at: 6)
        let userID = try row.decode(Int?.self, at: 7)
        let identifier = try row.decode(String?.self, at: 8)
        let verified = try row.decode(Bool?.self, at: 9)
        let orderCode = try row.decode(String?.self, at: 10)
        let orderState = try row.decode(String?.self, at: 11)
        let channelCode = try row.decode(String?.self, at: 12)
        let channelToken = try row.decode(String?.self, at: 13)

        var user: CachedSession.User?
        if let userID, let identifier {
            user = CachedSession.User(id: userID, identifier: identifier, verified: verified ?? false)
        }
        var order: CachedSession.ActiveOrder?
        if let orderID, let orderCode {
            order = CachedSession.ActiveOrder(id: orderID, code: orderCode, state: orderState ?? "")
        }
        var channel: CachedSession.ActiveChannel?
        if let channelID, let channelCode, let channelToken {
            channel = CachedSession.ActiveChannel(id: channelID, code: channelCode, token: channelToken)
        }
        let kind = CachedSession.Kind(rawValue: type) ?? (userID == nil ? .anonymous : .authenticated)
        return CachedSession(
            id: id, token: token, expires: expires, kind: kind, activeOrderId: orderID, activeChannelId: channelID,
            authenticationStrategy: strategy, user: user, activeOrder: order, activeChannel: channel)
    }
}
