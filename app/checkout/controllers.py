"""HTTP endpoint of checkout (Idempotency-Key is handled by the idempotency middleware)."""

from __future__ import annotations

from typing import Annotated

from litestar import post
from litestar.params import Parameter

from app.checkout import service
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


ROUTES = [checkout_hold]
