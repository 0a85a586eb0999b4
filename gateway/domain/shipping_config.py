"""Shipping configuration: zones, their methods, pickup locations and carrier connections.

Every change bumps the store's `shipping_config_version`; quotes priced earlier are then re-checked and go
stale only if something they were priced from changed (gateway.domain.staleness). Deleting a method or a
zone clears open checkouts' selections of it in the same transaction (gateway.domain.withdrawn_options).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.domain.addresses import GRAPHQL_NAMES, is_country_code
from gateway.domain.clock import utcnow
from gateway.domain.errors import ErrorCode, InvalidInput, NotFound, Problem, raise_if_any
from gateway.domain.limits import (
    MAX_CREDENTIALS_PER_CARRIER,
    MAX_PICKUP_INSTRUCTIONS,
    MAX_RANGES_PER_METHOD,
    MAX_SERVICES_PER_METHOD,
    MAX_STRING_LENGTH,
    too_long,
    too_many,
)
from gateway.domain.money import minor_unit, plain
from gateway.domain.shipping_rates import DefaultCostType, HandlingFeeType, MethodType, zone_free_shipping_key
from gateway.domain.withdrawn_options import withdraw_options
from gateway.domain.zones import ZoneType, validate_locations
from gateway.storage import queries

Path = tuple[str, ...]
MAX_AMOUNT = Decimal("1000000000")
MAX_PERCENTAGE = Decimal("1000")


@dataclass(frozen=True, slots=True)
class HandlingFeeInput:
    type: HandlingFeeType
    value: Decimal
    display_separately: bool = False


@dataclass(frozen=True, slots=True)
class LocationInput:
    country_code: str
    state_code: str | None = None
    zip: str | None = None


@dataclass(frozen=True, slots=True)
class ZoneInput:
    """For updates, `None` leaves a field unchanged (`handling_fee=...` with `clear_handling_fee`)."""

    name: str | None = None
    type: ZoneType | None = None
    locations: tuple[LocationInput, ...] | None = None
    enabled: bool | None = None
    free_shipping_enabled: bool | None = None
    free_shipping_minimum_subtotal: Decimal | None = None
    handling_fee: HandlingFeeInput | None = None
    clear_handling_fee: bool = False
    #: Free shipping was sent: write both its fields, so a null minimum really clears the minimum.
    replace_free_shipping: bool = False


@dataclass(frozen=True, slots=True)
class RateRangeInput:
    lower_limit: Decimal
    upper_limit: Decimal
    cost: Decimal


@dataclass(frozen=True, slots=True)
class MethodInput:
    name: str | None = None
    type: MethodType | None = None
    enabled: bool | None = None
    rate: Decimal | None = None
    ranges: tuple[RateRangeInput, ...] | None = None
    default_cost: Decimal | None = None
    default_cost_type: DefaultCostType | None = None
    carrier_id: str | None = None
    services: tuple[str, ...] | None = None
    handling_fee: HandlingFeeInput | None = None
    clear_handling_fee: bool = False


@dataclass(frozen=True, slots=True)
class PickupMethodInput:
    location_name: str | None = None
    address: dict[str, Any] | None = None
    instructions: str | None = None
    enabled: bool | None = None


def _amount(
    value: Decimal | None,
    path: Path,
    problems: list[Problem],
    *,
    limit: Decimal = MAX_AMOUNT,
    currency: str | None = None,
) -> None:
    """A non-negative amount up to `limit`: with `currency`, a money amount, which may not be finer than the
    currency's minor unit (`1.234` USD is refused rather than stored and shown as something else)."""
    if value is None:
        return
    if not value.is_finite() or value.is_signed() or value > limit or -value.as_tuple().exponent > 4:  # type: ignore[operator]
        problems.append(
            Problem(ErrorCode.INVALID_AMOUNT, f"must be between 0 and {limit} with at most 4 decimals", path)
        )
    elif currency is not None and -plain(value).as_tuple().exponent > minor_unit(currency):  # type: ignore[operator]
        places = minor_unit(currency)
        problems.append(Problem(ErrorCode.INVALID_AMOUNT, f"{currency} amounts have at most {places} decimals", path))


def _name(value: str | None, path: Path, problems: list[Problem], required: bool) -> str | None:
    if value is None:
        if required:
            problems.append(Problem(ErrorCode.REQUIRED, "name is required", path))
        return None
    value = value.strip()
    if not value or len(value) > MAX_STRING_LENGTH:
        problems.append(Problem(ErrorCode.INVALID_INPUT, f"must be 1 to {MAX_STRING_LENGTH} characters", path))
    return value


def _handling(fee: HandlingFeeInput | None, path: Path, problems: list[Problem], currency: str) -> dict[str, Any]:
    if fee is None:
        return {"handling_fee_type": None, "handling_fee_value": None}
    if fee.type is HandlingFeeType.PERCENTAGE:
        _amount(fee.value, (*path, "value"), problems, limit=MAX_PERCENTAGE)
    else:
        _amount(fee.value, (*path, "value"), problems, currency=currency)
    return {"handling_fee_type": fee.type.value, "handling_fee_value": fee.value}


async def _currency(conn: AsyncConnection, store_id: int) -> str:
    return str((await queries.store_by_id(conn, store_id)).currency_code)


async def _bump(conn: AsyncConnection, store_id: int) -> None:
    await queries.bump_shipping_config_version(conn, store_id)


# --- zones -------------------------------------------------------------------------------------------


async def create_zone(conn: AsyncConnection, store_id: int, data: ZoneInput) -> int:
    if data.type is None:
        raise InvalidInput.one(ErrorCode.REQUIRED, "type is required", ("type",))
    values = _zone_values(data, data.type, currency=await _currency(conn, store_id), required=True)
    now = utcnow()
    zone_id = await queries.insert_zone(conn, {"store_id": store_id, **values, "created_at": now, "updated_at": now})
    await _bump(conn, store_id)
    return zone_id


def _zone_values(
    data: ZoneInput, zone_type: ZoneType, *, currency: str, required: bool, locations: Sequence[Any] = ()
) -> dict[str, Any]:
    problems: list[Problem] = []
    values: dict[str, Any] = {"type": zone_type.value}
    name = _name(data.name, ("name",), problems, required)
    if name is not None:
        values["name"] = name
    given = (
        data.locations
        if data.locations is not None
        else tuple(
            LocationInput(loc.get("country_code") or "", loc.get("state_code"), loc.get("zip")) for loc in locations
        )
    )
    if data.locations is not None or required or data.type is not None:
        normalised, location_problems = validate_locations(
            zone_type,
            [{"country_code": loc.country_code, "state_code": loc.state_code, "zip": loc.zip} for loc in given],
            ("locations",),
        )
        problems += location_problems
        values["locations"] = normalised
    if data.enabled is not None or required:
        values["enabled"] = True if data.enabled is None else data.enabled
    if data.free_shipping_enabled is not None or required:
        values["free_shipping_enabled"] = bool(data.free_shipping_enabled)
    if data.free_shipping_minimum_subtotal is not None or required or data.replace_free_shipping:
        _amount(data.free_shipping_minimum_subtotal, ("freeShipping", "minimumSubtotal"), problems, currency=currency)
        values["free_shipping_minimum_subtotal"] = data.free_shipping_minimum_subtotal
    if data.handling_fee is not None or data.clear_handling_fee or required:
        values.update(_handling(data.handling_fee, ("handlingFee",), problems, currency))
        values["handling_fee_display_separately"] = bool(data.handling_fee and data.handling_fee.display_separately)
    raise_if_any(problems)
    return values


async def update_zone(conn: AsyncConnection, store_id: int, zone_id: int, data: ZoneInput) -> int:
    zone = await queries.zone_by_id(conn, store_id, zone_id)
    if zone is None:
        raise NotFound.one(ErrorCode.NOT_FOUND, "shipping zone not found", ("id",))
    zone_type = data.type or ZoneType(zone.type)
    values = _zone_values(
        data, zone_type, currency=await _currency(conn, store_id), required=False, locations=zone.locations or ()
    )
    await queries.update_zone(conn, zone_id, {**values, "updated_at": utcnow()})
    await _bump(conn, store_id)
    return zone_id


async def delete_zone(conn: AsyncConnection, store_id: int, zone_id: int) -> int:
    """Delete a zone and its methods; open checkouts' selections of them are cleared (withdrawn_options)."""
    if await queries.zone_by_id(conn, store_id, zone_id) is None:
        raise NotFound.one(ErrorCode.NOT_FOUND, "shipping zone not found", ("id",))
    method_ids = [row.id for row in await queries.methods_by_zone_ids(conn, store_id, [zone_id])]
    await withdraw_options(conn, store_id, method_ids, [zone_free_shipping_key(zone_id)])
    await queries.delete_zone(conn, zone_id)
    await _bump(conn, store_id)
    return zone_id


# --- methods -----------------------------------------------------------------------------------------


def _method_values(
    data: MethodInput, *, currency: str, is_connected: Callable[[str], bool], existing: Any | None = None
) -> dict[str, Any]:
    """The method's columns. New money amounts are checked against the store currency's minor unit; stored
    ones are not re-checked (an update of another field never fails on them)."""
    problems: list[Problem] = []
    current = dict(existing.settings) if existing is not None else {}
    method_type = data.type or (MethodType(existing.type) if existing is not None else None)
    if method_type is None:
        raise InvalidInput.one(ErrorCode.REQUIRED, "type is required", ("type",))
    if data.type is not None and existing is not None and data.type.value != existing.type:
        current = {}  # a new type starts from fresh settings
    values: dict[str, Any] = {"type": method_type.value}
    name = _name(data.name, ("name",), problems, existing is None)
    if name is not None:
        values["name"] = name
    if data.enabled is not None or existing is None:
        values["enabled"] = True if data.enabled is None else data.enabled
    if data.handling_fee is not None or data.clear_handling_fee or existing is None:
        values.update(_handling(data.handling_fee, ("handlingFee",), problems, currency))

    settings: dict[str, Any] = {}
    rate = data.rate if data.rate is not None else (Decimal(current["rate"]) if "rate" in current else None)
    ranges = (
        data.ranges
        if data.ranges is not None
        else tuple(
            RateRangeInput(Decimal(r["lower_limit"]), Decimal(r["upper_limit"]), Decimal(r["cost"]))
            for r in current.get("ranges", ())
        )
    )
    default_cost = (
        data.default_cost
        if data.default_cost is not None
        else (Decimal(current["default_cost"]) if current.get("default_cost") is not None else None)
    )
    default_type = data.default_cost_type or (
        DefaultCostType(current["default_cost_type"]) if current.get("default_cost_type") else None
    )
    carrier_id = data.carrier_id if data.carrier_id is not None else current.get("carrier_id")
    services = data.services if data.services is not None else tuple(current.get("services", ()))

    def reject(name: str, path: str) -> None:
        problems.append(
            Problem(ErrorCode.INVALID_INPUT, f"{name} does not apply to {method_type.value} methods", (path,))
        )

    if method_type in (MethodType.PER_ORDER, MethodType.PER_ITEM):
        if rate is None:
            problems.append(Problem(ErrorCode.REQUIRED, f"a {method_type.value} method needs a rate", ("rate",)))
        _amount(rate, ("rate",), problems, currency=currency if data.rate is not None else None)
        settings["rate"] = str(plain(rate)) if rate is not None else None
    elif data.rate is not None:
        reject("rate", "rate")

    if method_type in (MethodType.WEIGHT, MethodType.TOTAL):
        if not ranges and default_cost is None:
            problems.append(Problem(ErrorCode.REQUIRED, "give ranges, a defaultCost, or both", ("ranges",)))
        if (problem := too_many(ranges, ("ranges",), MAX_RANGES_PER_METHOD, "ranges")) is not None:
            problems.append(problem)
            ranges = ()
        new_ranges = currency if data.ranges is not None else None
        limits_are_money = new_ranges if method_type is MethodType.TOTAL else None  # WEIGHT limits are weights
        for index, bracket in enumerate(ranges):
            where = ("ranges", str(index))
            _amount(bracket.lower_limit, (*where, "lowerLimit"), problems, currency=limits_are_money)
            _amount(bracket.upper_limit, (*where, "upperLimit"), problems, currency=limits_are_money)
            _amount(bracket.cost, (*where, "cost"), problems, currency=new_ranges)
            if bracket.lower_limit > bracket.upper_limit:
                problems.append(
                    Problem(ErrorCode.INVALID_RANGE, "lowerLimit is above upperLimit", (*where, "lowerLimit"))
                )
        if default_type is DefaultCostType.PERCENTAGE_OF_TOTAL:
            _amount(default_cost, ("defaultCost",), problems, limit=MAX_PERCENTAGE)
        else:
            new_default = currency if data.default_cost is not None else None
            _amount(default_cost, ("defaultCost",), problems, currency=new_default)
        settings["ranges"] = [
            {
                "lower_limit": str(plain(r.lower_limit)),
                "upper_limit": str(plain(r.upper_limit)),
                "cost": str(plain(r.cost)),
            }
            for r in ranges
        ]
        settings["default_cost"] = str(plain(default_cost)) if default_cost is not None else None
        settings["default_cost_type"] = (default_type or DefaultCostType.FIXED_AMOUNT).value
    else:
        if data.ranges is not None:
            reject("ranges", "ranges")
        if data.default_cost is not None:
            reject("defaultCost", "defaultCost")

    if method_type is MethodType.CARRIER:
        if not carrier_id:
            problems.append(Problem(ErrorCode.REQUIRED, "a CARRIER method needs carrierId", ("carrierId",)))
        elif (problem := too_long(carrier_id, ("carrierId",))) is not None:
            problems.append(problem)
        elif (
            data.carrier_id is not None or existing is None or existing.type != method_type.value
        ) and not is_connected(carrier_id):
            problems.append(
                Problem(ErrorCode.CARRIER_NOT_CONNECTED, f"connect carrier {carrier_id!r} first", ("carrierId",))
            )
        service_problems = [too_many(services, ("services",), MAX_SERVICES_PER_METHOD, "services")]
        if service_problems[0] is not None:
            services = ()
        service_problems += [too_long(code.strip(), ("services", str(index))) for index, code in enumerate(services)]
        refused = [problem for problem in service_problems if problem is not None]
        problems += refused
        clean = tuple(dict.fromkeys(code.strip() for code in services if code.strip()))
        if not clean and not refused:
            problems.append(Problem(ErrorCode.REQUIRED, "list the carrier services to offer", ("services",)))
        settings["carrier_id"] = carrier_id
        settings["services"] = list(clean)
    else:
        if data.carrier_id is not None:
            reject("carrierId", "carrierId")
        if data.services is not None:
            reject("services", "services")
    raise_if_any(problems)
    values["settings"] = settings
    return values


async def _connected(
    conn: AsyncConnection, store_id: int, is_registered: Callable[[str], bool]
) -> Callable[[str], bool]:
    connections = {row.carrier_id for row in await queries.carrier_connections_for_store(conn, store_id)}
    return lambda carrier_id: carrier_id in connections and is_registered(carrier_id)


async def create_method(
    conn: AsyncConnection,
    store_id: int,
    zone_id: int,
    data: MethodInput,
    is_registered: Callable[[str], bool],
) -> int:
    if await queries.zone_by_id(conn, store_id, zone_id) is None:
        raise NotFound.one(ErrorCode.NOT_FOUND, "shipping zone not found", ("zoneId",))
    values = _method_values(
        data, currency=await _currency(conn, store_id), is_connected=await _connected(conn, store_id, is_registered)
    )
    now = utcnow()
    method_id = await queries.insert_method(
        conn, {"store_id": store_id, "zone_id": zone_id, **values, "created_at": now, "updated_at": now}
    )
    await _bump(conn, store_id)
    return method_id


async def update_method(
    conn: AsyncConnection,
    store_id: int,
    method_id: int,
    data: MethodInput,
    is_registered: Callable[[str], bool],
) -> int:
    method = await queries.method_by_id(conn, store_id, method_id)
    if method is None:
        raise NotFound.one(ErrorCode.NOT_FOUND, "shipping method not found", ("id",))
    values = _method_values(
        data,
        currency=await _currency(conn, store_id),
        is_connected=await _connected(conn, store_id, is_registered),
        existing=method,
    )
    await queries.update_method(conn, method_id, {**values, "updated_at": utcnow()})
    await _bump(conn, store_id)
    return method_id


async def delete_method(conn: AsyncConnection, store_id: int, method_id: int) -> int:
    """Delete a method; open checkouts' selections of it are cleared (withdrawn_options)."""
    if await queries.method_by_id(conn, store_id, method_id) is None:
        raise NotFound.one(ErrorCode.NOT_FOUND, "shipping method not found", ("id",))
    await withdraw_options(conn, store_id, [method_id])
    await queries.delete_method(conn, method_id)
    await _bump(conn, store_id)
    return method_id


# --- pickup methods ----------------------------------------------------------------------------------


def _pickup_values(data: PickupMethodInput, *, required: bool) -> dict[str, Any]:
    problems: list[Problem] = []
    values: dict[str, Any] = {}
    name = _name(data.location_name, ("locationName",), problems, required)
    if name is not None:
        values["location_name"] = name
    if data.address is not None:
        address = {
            key: (value.strip() or None) if isinstance(value, str) else value for key, value in data.address.items()
        }
        country = (address.get("country_code") or "").upper()
        if not is_country_code(country):
            problems.append(
                Problem(
                    ErrorCode.INVALID_COUNTRY_CODE,
                    "not an ISO 3166-1 alpha-2 code",
                    ("address", "countryCode"),
                )
            )
        for key, value in address.items():
            if isinstance(value, str) and (problem := too_long(value, ("address", GRAPHQL_NAMES[key]))) is not None:
                problems.append(problem)
        values["address"] = {**address, "country_code": country, "custom_fields": []}
    elif required:
        problems.append(Problem(ErrorCode.REQUIRED, "address is required", ("address",)))
    if data.instructions is not None:
        if (problem := too_long(data.instructions, ("instructions",), MAX_PICKUP_INSTRUCTIONS)) is not None:
            problems.append(problem)
        values["instructions"] = data.instructions.strip() or None
    if data.enabled is not None or required:
        values["enabled"] = True if data.enabled is None else data.enabled
    raise_if_any(problems)
    return values


async def create_pickup_method(conn: AsyncConnection, store_id: int, data: PickupMethodInput) -> int:
    values = _pickup_values(data, required=True)
    now = utcnow()
    method_id = await queries.insert_pickup_method(
        conn, {"store_id": store_id, **values, "created_at": now, "updated_at": now}
    )
    await _bump(conn, store_id)
    return method_id


async def update_pickup_method(conn: AsyncConnection, store_id: int, method_id: int, data: PickupMethodInput) -> int:
    if await queries.pickup_method_by_id(conn, store_id, method_id) is None:
        raise NotFound.one(ErrorCode.NOT_FOUND, "pickup method not found", ("id",))
    values = _pickup_values(data, required=False)
    await queries.update_pickup_method(conn, method_id, {**values, "updated_at": utcnow()})
    await _bump(conn, store_id)
    return method_id


async def delete_pickup_method(conn: AsyncConnection, store_id: int, method_id: int) -> int:
    if await queries.pickup_method_by_id(conn, store_id, method_id) is None:
        raise NotFound.one(ErrorCode.NOT_FOUND, "pickup method not found", ("id",))
    await queries.delete_pickup_method(conn, method_id)
    await _bump(conn, store_id)
    return method_id


# --- carrier connections -----------------------------------------------------------------------------


async def connect_carrier(
    conn: AsyncConnection,
    store_id: int,
    carrier_id: str,
    credentials: Mapping[str, str] | Sequence[tuple[str, str]],
    is_registered: Callable[[str], bool],
) -> str:
    """Store (or replace) the credentials for a registered carrier. They are never read back out.

    `credentials` are key/value pairs in input order (a later key replaces an earlier one)."""
    pairs = list(credentials.items()) if isinstance(credentials, Mapping) else list(credentials)
    problems: list[Problem] = []
    if (problem := too_long(carrier_id, ("carrierId",))) is not None:
        problems.append(problem)
    elif not is_registered(carrier_id):
        problems.append(Problem(ErrorCode.UNKNOWN_CARRIER, f"no carrier {carrier_id!r} is registered", ("carrierId",)))
    if (problem := too_many(pairs, ("credentials",), MAX_CREDENTIALS_PER_CARRIER, "credentials")) is not None:
        problems.append(problem)
        pairs = []
    for index, (key, value) in enumerate(pairs):
        for name, text in (("key", key), ("value", value)):
            if (problem := too_long(text, ("credentials", str(index), name))) is not None:
                problems.append(problem)
    raise_if_any(problems)
    credentials = dict(pairs)
    now = utcnow()
    await queries.upsert_carrier_connection(
        conn,
        store_id,
        carrier_id,
        {"credentials": credentials, "enabled": True, "created_at": now, "updated_at": now},
    )
    await _bump(conn, store_id)
    return carrier_id


async def disconnect_carrier(conn: AsyncConnection, store_id: int, carrier_id: str) -> str:
    if (problem := too_long(carrier_id, ("carrierId",))) is not None:
        raise InvalidInput([problem])
    if await queries.delete_carrier_connection(conn, store_id, carrier_id) == 0:
        raise NotFound.one(ErrorCode.NOT_FOUND, f"carrier {carrier_id!r} is not connected", ("carrierId",))
    await _bump(conn, store_id)
    return carrier_id
