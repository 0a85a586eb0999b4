"""Address types shared by billing addresses and consignments."""

from __future__ import annotations

import strawberry

from gateway.domain import inputs


@strawberry.type(description="A custom form field captured with an address.")
class CustomField:
    field_id: str = strawberry.field(description="The form field's id.")
    field_value: str = strawberry.field(description="The shopper's answer.")


@strawberry.type(description="A postal address with contact details. Country codes are ISO 3166-1 alpha-2.")
class Address:
    first_name: str | None = strawberry.field(description="Given name.")
    last_name: str | None = strawberry.field(description="Family name.")
    email: str | None = strawberry.field(description="Contact email.")
    company: str | None = strawberry.field(description="Company name.")
    address1: str | None = strawberry.field(description="First street line.")
    address2: str | None = strawberry.field(description="Second street line.")
    city: str | None = strawberry.field(description="City or town.")
    state_or_province: str | None = strawberry.field(description="State or province name.")
    state_or_province_code: str | None = strawberry.field(description="State or province code, upper case.")
    country_code: str = strawberry.field(description="ISO 3166-1 alpha-2 country code, upper case.")
    postal_code: str | None = strawberry.field(description="Postal or ZIP code.")
    phone: str | None = strawberry.field(description="Phone number.")
    custom_fields: list[CustomField] = strawberry.field(description="Custom form fields.")


@strawberry.input(description="A custom form field value.")
class CustomFieldInput:
    field_id: str = strawberry.field(description="The form field's id, at most 255 characters.")
    field_value: str = strawberry.field(description="The value, at most 255 characters.")


@strawberry.input(
    description="An address. Only `email` and `countryCode` are required to store it; completing a checkout "
    "asks for more. Strings are trimmed and at most 255 characters; at most 50 custom fields."
)
class AddressInput:
    email: str = strawberry.field(description="Contact email; must look like an email address; at most 255 characters.")
    country_code: str = strawberry.field(
        description="ISO 3166-1 alpha-2 code, any case; stored upper case; at most 255 characters."
    )
    first_name: str | None = strawberry.field(default=None, description="Given name, at most 255 characters.")
    last_name: str | None = strawberry.field(default=None, description="Family name, at most 255 characters.")
    company: str | None = strawberry.field(default=None, description="Company name, at most 255 characters.")
    address1: str | None = strawberry.field(default=None, description="First street line, at most 255 characters.")
    address2: str | None = strawberry.field(default=None, description="Second street line, at most 255 characters.")
    city: str | None = strawberry.field(default=None, description="City or town, at most 255 characters.")
    state_or_province: str | None = strawberry.field(
        default=None, description="State or province name, at most 255 characters."
    )
    state_or_province_code: str | None = strawberry.field(
        default=None, description="State or province code, at most 255 characters."
    )
    postal_code: str | None = strawberry.field(default=None, description="Postal or ZIP code, at most 255 characters.")
    phone: str | None = strawberry.field(default=None, description="Phone number, at most 255 characters.")
    custom_fields: list[CustomFieldInput] | None = strawberry.field(
        default=None, description="Custom form fields, at most 50."
    )

    def to_domain(self) -> inputs.AddressInput:
        return inputs.AddressInput(
            email=self.email,
            country_code=self.country_code,
            first_name=self.first_name,
            last_name=self.last_name,
            company=self.company,
            address1=self.address1,
            address2=self.address2,
            city=self.city,
            state_or_province=self.state_or_province,
            state_or_province_code=self.state_or_province_code,
            postal_code=self.postal_code,
            phone=self.phone,
            custom_fields=tuple(
                inputs.CustomFieldInput(field_id=item.field_id, field_value=item.field_value)
                for item in self.custom_fields or ()
            ),
        )
