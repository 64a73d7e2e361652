import Entities
import Foundation

/// Vendure's `Order` (`packages/core/src/entity/order/order.entity.ts`), reduced to the columns sessions
/// use; those it keeps are declared as Vendure declares them, in Vendure's order.
///
/// Left out: the `aggregateOrder`/`customer` relations (their tables are not part of this package; the
/// `customerId` column is kept, with its index), `couponCodes`, the addresses, `currencyCode`, the money
/// columns and `taxZoneId`.
@Entity
public struct Order: Hashable {
    /// When the row was created.
    @CreateDateColumn public var createdAt: Date?
    /// When the row was last updated.
    @UpdateDateColumn public var updatedAt: Date?
    /// `Regular`, `Seller` or `Aggregate` (Vendure's `OrderType`).
    @Column(type: "varchar", default: "Regular") public var type: String = "Regular"
    /// The order reference shown to customers; unique.
    @Column @Index(unique: true) public var code: String
    /// The state machine's state (`AddingItems`, `ArrangingPayment`, ...).
    @Column(type: "varchar") public var state: String
    /// Whether the customer can still change the order.
    @Column(default: true) public var active: Bool = true
    /// When the order was placed.
    @Column(nullable: true) @Index public var orderPlacedAt: Date?
    /// The primary key.
    @PrimaryGeneratedColumn(registration: .lateID) public var id: Int?
    /// The customer's id (Vendure: `@Index() @ManyToOne(type => Customer) customer` + `@EntityId customerId`).
    @Index @EntityId(nullable: true, registration: .lateForeignID) public var customerId: Int?
}

extension Order {
    /// Creates an order that is not yet stored.
    public init(code: String, state: String, active: Bool = true, customerId: Int? = nil) {
        self.code = code
        self.state = state
        self.active = active
        self.customerId = customerId
    }
}
