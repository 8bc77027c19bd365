"""HTTP endpoints of checkout (Idempotency-Key is handled by the idempotency middleware) and of
giving a hold back (here, not in holds: a hold in checkout gives its PaymentIntent up first)."""

from __future__ import annotations

from typing import Annotated

from litestar import delete, post
from litestar.params import Parameter

from app.checkout import release, service
from app.checkout.schemas import Checkout, CheckoutIn
from app.core.resources import Resources
from app.core.security import Principal


@post(
    "/api/v1/holds/{hold_id:str}/checkout",
    operation_id="checkoutHold",
    tags=["checkout"],
    status_code=201,
)
async def checkout_hold(
    hold_id: str,
    principal: Principal,
    resources: Resources,
    data: CheckoutIn | None = None,
    idempotency_key: Annotated[
        str | None,
        Parameter(header="Idempotency-Key", description="Retries return the first outcome"),
    ] = None,
) -> Checkout:
    return await service.checkout(resources, principal, hold_id, data or CheckoutIn())


@delete(
    "/api/v1/holds/{hold_id:str}",
    operation_id="releaseHold",
    tags=["holds"],
    status_code=204,
    description=(
        "Give the seats back at once. A hold in checkout whose payment is not made (3-D Secure "
        "failed or unfinished) cancels its PaymentIntent and its pending order first; one "
        "already paid or still at the bank is 409 hold_not_active."
    ),
)
async def release_hold(hold_id: str, principal: Principal, resources: Resources) -> None:
    await release.release(resources, principal, hold_id)


ROUTES = [checkout_hold, release_hold]
