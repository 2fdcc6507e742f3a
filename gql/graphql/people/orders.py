"""The users page's order (section 17): by email, display name, creation or latest use, either way."""

from __future__ import annotations

import strawberry

from seatwise.gql.graphql.core.common import exposed
from seatwise.models.people import listing

UserOrderField = exposed(
    listing.UserOrderField,
    "UserOrderField",
    description="What the users page is ordered by.",
    values={
        "EMAIL": "The email (unique).",
        "DISPLAY_NAME": "The display name, then the id.",
        "CREATED_AT": "When the user was created, then the id.",
        "LAST_USED_AT": "The latest use of any of the user's licenses (never used: last in ASC).",
    },
)
OrderDirection = exposed(
    listing.OrderDirection,
    "OrderDirection",
    description="Which way an order runs.",
    values={"ASC": "Smallest (or earliest) first.", "DESC": "Largest (or latest) first."},
)


@strawberry.input(description="The order of the users page; every order pages by keyset at the same cost on any page.")
class UserOrder:
    # `exposed` makes the domain enum itself the GraphQL enum: the fields name the domain class (mypy takes no
    # variable as a type).
    field: listing.UserOrderField = strawberry.field(description="What to order by.")
    direction: listing.OrderDirection | None = strawberry.field(default=listing.OrderDirection.ASC, description="ASC or DESC.")
