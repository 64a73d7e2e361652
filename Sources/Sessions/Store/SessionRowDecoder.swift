public import LibPQ
import Foundation

/// Decodes the columns of ``SessionSQL/columns`` into a ``CachedSession``.
public enum SessionRowDecoder {
    /// Decodes one row whose first columns are ``SessionSQL/columns``.
    public static func decode(_ row: PostgresRow) throws -> CachedSession {
        let (id, token, expires, type, strategy, orderID, channelID, userID) =
            try row.decode((Int, String, Date, String, String?, Int?, Int?, Int?).self)
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
