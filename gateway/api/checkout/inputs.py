"""GraphQL inputs of the checkout mutations, and their translation into domain inputs."""

from __future__ import annotations

import strawberry

from gateway.api.address import AddressInput
from gateway.domain import inputs

_VERSION = "Optional optimistic-concurrency check: the `Checkout.version` you last saw."


@strawberry.input(description="A catalog SKU and how many units of it.")
class CheckoutLineItemInput:
    sku: str = strawberry.field(description="Product SKU, at most 255 characters.")
    quantity: int = strawberry.field(description="Units, 1 to 10000. Repeated SKUs are added together.")


@strawberry.input(description="Create a checkout from catalog SKUs.")
class CreateCheckoutInput:
    line_items: list[CheckoutLineItemInput] = strawberry.field(description="At least one, at most 250.")
    email: str | None = strawberry.field(default=None, description="Shopper's email, at most 255 characters.")

    def to_domain(self) -> inputs.CreateCheckoutInput:
        return inputs.CreateCheckoutInput(
            email=self.email,
            line_items=tuple(inputs.SkuQuantity(sku=item.sku, quantity=item.quantity) for item in self.line_items),
        )


@strawberry.input(description="Set or replace a checkout's billing address.")
class SetCheckoutBillingAddressInput:
    checkout_id: strawberry.ID = strawberry.field(description="The checkout.")
    address: AddressInput = strawberry.field(description="The billing address.")
    version: int | None = strawberry.field(default=None, description=_VERSION)

    def to_domain(self) -> inputs.SetBillingAddressInput:
        return inputs.SetBillingAddressInput(
            checkout_id=str(self.checkout_id), address=self.address.to_domain(), version=self.version
        )


@strawberry.input(description="Units of one checkout line item to put in a consignment.")
class ConsignmentLineItemInput:
    item_id: strawberry.ID = strawberry.field(description="`LineItem.id` of a physical line item.")
    quantity: int = strawberry.field(description="At least 1; no more than the item's unassigned units.")


@strawberry.input(description="Choose a store pickup location instead of shipping.")
class PickupOptionInput:
    pickup_method_id: int = strawberry.field(description="Id of one of the store's pickup methods.")


def _items(items: list[ConsignmentLineItemInput]) -> tuple[inputs.ItemQuantity, ...]:
    return tuple(inputs.ItemQuantity(item_id=str(item.item_id), quantity=item.quantity) for item in items)


@strawberry.input(description="A new consignment: an address (or a pickup option) and the units that go there.")
class ConsignmentInput:
    line_items: list[ConsignmentLineItemInput] = strawberry.field(description="At least one line item, at most 250.")
    address: AddressInput | None = strawberry.field(default=None, description="Shipping address.")
    pickup_option: PickupOptionInput | None = strawberry.field(
        default=None, description="Pickup instead of shipping; then no address is needed."
    )

    def to_domain(self) -> inputs.ConsignmentInput:
        return inputs.ConsignmentInput(
            line_items=_items(self.line_items),
            address=self.address.to_domain() if self.address else None,
            pickup_method_id=self.pickup_option.pickup_method_id if self.pickup_option else None,
        )


@strawberry.input(description="Add consignments to a checkout, all or none.")
class AddConsignmentsInput:
    checkout_id: strawberry.ID = strawberry.field(description="The checkout.")
    consignments: list[ConsignmentInput] = strawberry.field(
        description="One or more consignments, at most 50 (and at most 50 per checkout)."
    )
    version: int | None = strawberry.field(default=None, description=_VERSION)

    def to_domain(self) -> inputs.AddConsignmentsInput:
        return inputs.AddConsignmentsInput(
            checkout_id=str(self.checkout_id),
            consignments=tuple(item.to_domain() for item in self.consignments),
            version=self.version,
        )


@strawberry.input(
    description="Change one consignment. Give at least one of `address`, `lineItems`, `shippingOptionId`, "
    "`pickupOption`; `shippingOptionId` must come alone."
)
class UpdateConsignmentInput:
    checkout_id: strawberry.ID = strawberry.field(description="The checkout.")
    consignment_id: strawberry.ID = strawberry.field(description="The consignment to change.")
    address: AddressInput | None = strawberry.field(
        default=None, description="New address. Clears the selected option if it is no longer offered."
    )
    line_items: list[ConsignmentLineItemInput] | None = strawberry.field(
        default=None,
        description="Replaces the consignment's items (at least one, at most 250). Clears the selected option if "
        "no longer offered.",
    )
    shipping_option_id: strawberry.ID | None = strawberry.field(
        default=None, description="Select one of `availableShippingOptions`; send it alone."
    )
    pickup_option: PickupOptionInput | None = strawberry.field(default=None, description="Switch to pickup.")
    version: int | None = strawberry.field(default=None, description=_VERSION)

    def to_domain(self) -> inputs.UpdateConsignmentInput:
        return inputs.UpdateConsignmentInput(
            checkout_id=str(self.checkout_id),
            consignment_id=str(self.consignment_id),
            address=self.address.to_domain() if self.address else None,
            line_items=_items(self.line_items) if self.line_items is not None else None,
            shipping_option_id=str(self.shipping_option_id) if self.shipping_option_id is not None else None,
            pickup_method_id=self.pickup_option.pickup_method_id if self.pickup_option else None,
            version=self.version,
        )


@strawberry.input(description="Remove a consignment and free its items.")
class DeleteConsignmentInput:
    checkout_id: strawberry.ID = strawberry.field(description="The checkout.")
    consignment_id: strawberry.ID = strawberry.field(description="The consignment to delete.")
    version: int | None = strawberry.field(default=None, description=_VERSION)

    def to_domain(self) -> inputs.DeleteConsignmentInput:
        return inputs.DeleteConsignmentInput(
            checkout_id=str(self.checkout_id), consignment_id=str(self.consignment_id), version=self.version
        )


@strawberry.input(description="Re-quote a checkout's shipping options.")
class RefreshShippingOptionsInput:
    checkout_id: strawberry.ID = strawberry.field(description="The checkout.")
    consignment_id: strawberry.ID | None = strawberry.field(
        default=None, description="One consignment; omit to refresh every shipping consignment."
    )
    version: int | None = strawberry.field(default=None, description=_VERSION)

    def to_domain(self) -> inputs.RefreshShippingOptionsInput:
        return inputs.RefreshShippingOptionsInput(
            checkout_id=str(self.checkout_id),
            consignment_id=str(self.consignment_id) if self.consignment_id is not None else None,
            version=self.version,
        )
