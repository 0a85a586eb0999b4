// How a storefront and a back office use the generated types. `tsc --strict` must accept this file
// against generated/graphql.ts; tests/test_codegen_typescript.py also checks that a misuse is refused.
import type {
  AddConsignmentsMutation,
  AddConsignmentsMutationVariables,
  CheckoutFieldsFragment,
  CheckoutPageQuery,
  CheckoutPageQueryVariables,
  CompleteCheckoutMutation,
  CompleteCheckoutMutationVariables,
  CreateCheckoutMutationVariables,
  CreateShipmentMutation,
  CreateShipmentMutationVariables,
  CreateShippingMethodMutationVariables,
  CreateShippingZoneMutationVariables,
  DeleteConsignmentMutationVariables,
  OrderFieldsFragment,
  OrderStatus,
  OrderWithShipmentsQuery,
  SelectShippingOptionMutationVariables,
  SetBillingAddressMutationVariables,
  UpdateConsignmentMutationVariables,
  UserErrorFieldsFragment,
} from "./generated/operations";
import type { Checkout, Order } from "./generated/schema";

const home = { email: "ada@example.com", countryCode: "US", city: "San Francisco", postalCode: "94105" };

export const createCheckout: CreateCheckoutMutationVariables = {
  input: { email: "ada@example.com", lineItems: [{ sku: "MUG-CERAMIC", quantity: 2 }] },
};
export const page: CheckoutPageQueryVariables = { id: "checkout-id" };
export const add: AddConsignmentsMutationVariables = {
  input: { checkoutId: "c", consignments: [{ address: home, lineItems: [{ itemId: "li", quantity: 2 }] }] },
};
export const move: UpdateConsignmentMutationVariables = {
  input: { checkoutId: "c", consignmentId: "k", address: { ...home, city: "Oakland" } },
};
export const select: SelectShippingOptionMutationVariables = {
  checkoutId: "c",
  consignmentId: "k",
  shippingOptionId: "o",
};
export const remove: DeleteConsignmentMutationVariables = { input: { checkoutId: "c", consignmentId: "k" } };
export const billing: SetBillingAddressMutationVariables = { input: { checkoutId: "c", address: home } };
export const complete: CompleteCheckoutMutationVariables = { input: { checkoutId: "c", idempotencyKey: "k-1" } };
export const zone: CreateShippingZoneMutationVariables = { input: { name: "Everywhere", type: "GLOBAL" } };
export const method: CreateShippingMethodMutationVariables = {
  input: { zoneId: "z", name: "Flat Rate", type: "PER_ORDER", rate: "5.00" },
};
export const shipment: CreateShipmentMutationVariables = {
  input: { orderId: "o", shippingAddressId: "a", items: [{ orderProductId: "p", quantity: 1 }], trackingNumber: "1Z" },
};

/** Money values are exact decimal strings: never parse them into floats. */
export function grandTotal(checkout: CheckoutFieldsFragment): string {
  return `${checkout.grandTotal.value} ${checkout.grandTotal.currencyCode}`;
}

export function errorSummary(errors: ReadonlyArray<UserErrorFieldsFragment>): string[] {
  return errors.map((error) => `${error.code} at ${(error.field ?? []).join(".") || "input"}: ${error.message}`);
}

/** The option ids a shopper may pick, per consignment. */
export function optionIds(result: CheckoutPageQuery): Map<string, string[]> {
  const byConsignment = new Map<string, string[]>();
  for (const consignment of result.checkout?.consignments ?? []) {
    byConsignment.set(
      consignment.id,
      consignment.availableShippingOptions.map((option) => option.id),
    );
  }
  return byConsignment;
}

export function unassigned(result: AddConsignmentsMutation): number {
  const checkout = result.addConsignments.checkout;
  return checkout ? checkout.lineItems.reduce((sum, item) => sum + item.unassignedQuantity, 0) : 0;
}

export function placedOrder(result: CompleteCheckoutMutation): string | null {
  if (result.completeCheckout.errors.length > 0) return null;
  return result.completeCheckout.order?.id ?? null;
}

export function leftToShip(order: OrderFieldsFragment): number {
  return order.products.reduce((sum, product) => sum + product.quantity - product.quantityShipped, 0);
}

export function isDone(status: OrderStatus): boolean {
  return status === "SHIPPED" || status === "CANCELLED";
}

export function shipped(result: CreateShipmentMutation, previous: OrderWithShipmentsQuery): boolean {
  const before = previous.order?.itemsShipped ?? 0;
  return (result.createShipment.order?.itemsShipped ?? 0) > before;
}

/** The schema's own types describe every field, selected or not. */
export function describe(checkout: Pick<Checkout, "id" | "version">, order: Pick<Order, "id" | "status"> | null): string {
  return order ? `${checkout.id}@${checkout.version} -> ${order.id} (${order.status})` : `${checkout.id}@${checkout.version}`;
}
