"""The console's team page, organization switcher, invitation page and event copies in Chromium
against real API and worker processes, on a 360×740 phone.

The team page in English, German, Spanish and French with no horizontal scroll (the page's
scroll width is asserted); an owner changes a role and removes a member, each after a
confirmation dialog, and invites someone; the invitee opens the link and joins; the switcher
moves between two organizations; an event is duplicated, unpublished and archived from its
page. Screenshots land in tests/artifacts/browser/<test>/.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Page, expect

from app.orgs import invitations
from tests.browser.conftest import PHONE, Screen, Stack
from tests.support.api import User

pytestmark = pytest.mark.timeout(420)

HEADINGS = {"en": "Team of", "de": "Team von", "es": "Equipo de", "fr": "Équipe de"}


async def sign_in_as(page: Page, user: User, lang: str) -> None:
    await page.goto("/console/signin")
    await page.evaluate(
        """([token, lang]) => {
            localStorage.setItem('onsale.session.console', JSON.stringify(
                {access_token: token, refresh_token: null, expires_at: Date.now() + 3600000}));
            localStorage.setItem('onsale.console.lang', lang);
        }""",
        [user.token, lang],
    )


async def no_sideways_scroll(page: Page) -> None:
    widths: dict[str, int] = await page.evaluate(
        """() => ({scroll: Math.max(document.documentElement.scrollWidth,
                                    document.body.scrollWidth),
                   client: document.documentElement.clientWidth})"""
    )
    assert widths["scroll"] <= widths["client"], widths


async def join(stack: Stack, owner: User, org_id: str, role: str, email: str = "") -> User:
    api = stack.api
    person = await api.user("fan", email=email or None)
    r = await api.client.post(
        f"/api/v1/orgs/{org_id}/invitations",
        json={"email": person.email, "role": role},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text
    token = invitations.token(stack.settings.secret_key, r.json()["invitation_id"], person.email)
    r = await api.client.post(
        "/api/v1/invitations/accept", json={"token": token}, headers=person.headers
    )
    assert r.status_code == 200, r.text
    return person


@pytest.fixture
def phone_screen(
    screens: Callable[..., Awaitable[Screen]],
) -> Callable[..., Awaitable[Screen]]:
    async def make(base_url: str, name: str, locale: str) -> Screen:
        s = await screens(
            name,
            viewport=PHONE,
            locale=locale,
            timezone_id="Europe/Berlin",
            base_url=base_url,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
        )
        s.page.on(
            "console",
            lambda msg: s.errors.append(f"console: {msg.text}") if msg.type == "error" else None,
        )
        return s

    return make


async def test_an_owner_runs_the_team_and_the_events_of_an_organization_from_a_phone(
    stack: Stack, phone_screen: Callable[..., Awaitable[Screen]]
) -> None:
    api = stack.api
    owner = await api.user("organizer")
    event = await api.event(owner, name="Sommerfest am See")
    r = await api.client.get("/api/v1/orgs", headers=owner.headers)
    org_id = r.json()["items"][0]["org_id"]
    box = await join(
        stack,
        owner,
        org_id,
        "box_office",
        f"kasse-mit-langem-namen-{uuid.uuid4().hex[:6]}@example.com",
    )
    await join(stack, owner, org_id, "scanner")
    r = await api.client.post(
        f"/api/v1/orgs/{org_id}/invitations",
        json={"email": "noch-offen@example.com", "role": "viewer"},
        headers=owner.headers,
    )
    assert r.status_code == 201, r.text

    # The team page in four languages, on a phone, nothing sideways.
    for lang in ("en", "de", "es", "fr"):
        s = await phone_screen(stack.base, f"team-{lang}", lang)
        await sign_in_as(s.page, owner, lang)
        await s.page.goto("/console/team")
        await expect(s.page.locator("h1")).to_contain_text(HEADINGS[lang])
        await expect(s.page.locator(f'tr[data-member="{box.email}"]')).to_be_visible()
        # What each role may do, in words: five roles, each with its sentence.
        await expect(s.page.locator("dl.roles dt")).to_have_count(5)
        await expect(s.page.locator("dl.roles dd")).to_have_count(5)
        assert "[object" not in await s.page.locator("main").inner_text()
        await no_sideways_scroll(s.page)
        await s.shot(f"team-{lang}")
        assert not s.errors, s.errors

    s = await phone_screen(stack.base, "team-actions", "en")
    page = s.page
    await sign_in_as(page, owner, "en")
    await page.goto("/console/team")
    await expect(page.locator("h1")).to_contain_text("Team of")
    await expect(page.locator("dl.roles")).to_contain_text("Checks tickets in at the door.")

    # A role change asks first; cancelling keeps the role.
    select = page.locator(f'select[data-role="{box.user_id}"]')
    await select.select_option("viewer")
    dialog = page.locator("dialog.confirm")
    await expect(dialog).to_contain_text("Change the role of")
    await expect(dialog).to_contain_text("From Box office to Viewer")
    await no_sideways_scroll(page)
    await s.shot("confirm-role")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(select).to_have_value("box_office")
    await select.select_option("viewer")
    async with page.expect_response(
        lambda r: "/members/" in r.url and r.request.method == "PATCH"
    ) as answer:
        await page.locator("[data-testid=confirm-role]").click()
    assert (await answer.value).status == 200
    await expect(page.locator(f'select[data-role="{box.user_id}"]')).to_have_value("viewer")
    r = await api.client.get(f"/api/v1/orgs/{org_id}/team", headers=owner.headers)
    assert {m["email"]: m["role"] for m in r.json()["members"]}[box.email] == "viewer"

    # Removing a member asks first, then the member is gone (and so is its access).
    await page.locator(f'button[data-remove="{box.email}"]').click()
    await expect(page.locator("dialog.confirm")).to_contain_text("Remove")
    await s.shot("confirm-remove")
    await page.locator("[data-testid=confirm-remove]").click()
    await expect(page.locator(f'tr[data-member="{box.email}"]')).to_have_count(0)
    r = await api.client.get(f"/api/v1/events/{event['event_id']}/stats", headers=box.headers)
    assert r.status_code == 403, r.text

    # An invitation: the invitee opens the link, signs in and joins.
    invitee_email = f"neu-{uuid.uuid4().hex[:8]}@example.com"
    await page.locator("input[name=email]").fill(invitee_email)
    await page.locator("select[name=role]").select_option("manager")
    await page.get_by_role("button", name="Send invitation").click()
    await expect(page.locator("[data-testid=invitations]")).to_contain_text(invitee_email)
    await s.shot("invited")
    r = await api.client.get(f"/api/v1/orgs/{org_id}/team", headers=owner.headers)
    [inv] = [i for i in r.json()["invitations"] if i["email"] == invitee_email]
    token = invitations.token(stack.settings.secret_key, inv["invitation_id"], invitee_email)
    invitee = await api.user("fan", email=invitee_email)
    s2 = await phone_screen(stack.base, "invitation", "fr")
    await sign_in_as(s2.page, invitee, "fr")
    await s2.page.goto(f"/console/invitations?token={token}")
    await expect(s2.page.locator("h1")).to_contain_text("Rejoindre une équipe")
    await no_sideways_scroll(s2.page)
    await s2.shot("invitation-fr")
    await s2.page.locator("[data-testid=accept]").click()
    await expect(s2.page.locator("h1")).to_contain_text("Équipe de")
    await expect(s2.page.locator("main")).to_contain_text("Votre rôle ici : Responsable")
    await expect(s2.page.locator("#nav")).to_contain_text("Équipe")
    await no_sideways_scroll(s2.page)
    await s2.shot("joined-fr")
    assert not s2.errors, s2.errors

    # A second organization: the switcher moves the console between them.
    r = await api.client.post("/api/v1/orgs", json={"name": "Zweite Bühne"}, headers=owner.headers)
    assert r.status_code == 201, r.text
    await page.goto("/console/team")
    switcher = page.locator("[data-testid=org-switcher]")
    await expect(switcher).to_be_visible()
    await switcher.select_option(label="Zweite Bühne")
    await expect(page.locator("h1")).to_contain_text("Team of Zweite Bühne")
    await page.goto("/console/")
    await expect(page.locator(f'tr[data-event-id="{event["event_id"]}"]')).to_have_count(0)
    await switcher.select_option(value=org_id)
    await expect(page.locator(f'tr[data-event-id="{event["event_id"]}"]')).to_be_visible()
    await no_sideways_scroll(page)
    await s.shot("events-switched")

    # The event page: duplicate (to the copy's form), unpublish, archive, each after a dialog.
    await page.goto(f"/console/events/{event['event_id']}")
    await page.get_by_role("button", name="Duplicate").click()
    await expect(page.locator("dialog.confirm")).to_contain_text("Duplicate Sommerfest am See?")
    await s.shot("confirm-duplicate")
    await page.locator("[data-testid=confirm-duplicate]").click()
    await page.wait_for_url("**/edit")
    copy_id = page.url.split("/events/")[1].split("/")[0]
    assert copy_id != event["event_id"]
    copy = (await api.client.get(f"/api/v1/events/{copy_id}", headers=owner.headers)).json()
    assert (copy["name"], copy["status"]) == ("Sommerfest am See (copy)", "draft")

    await page.goto(f"/console/events/{event['event_id']}")
    await page.get_by_role("button", name="Unpublish").click()
    await expect(page.locator("dialog.confirm")).to_contain_text("only before the first sale")
    await page.locator("[data-testid=confirm-unpublish]").click()
    await expect(page.get_by_role("button", name="Publish")).to_be_visible()
    await page.get_by_role("button", name="Archive").click()
    await page.locator("[data-testid=confirm-archive]").click()
    await expect(page.get_by_role("button", name="Archive")).to_have_count(0)
    await expect(page.locator(".tag-archived")).to_have_text("Archived")
    await expect(page.get_by_role("button", name="Publish")).to_have_count(0)
    await no_sideways_scroll(page)
    await s.shot("event-archived")
    r = await api.client.get(f"/api/v1/events/{event['event_id']}", headers=owner.headers)
    assert r.json()["archived_at"] is not None
    assert not s.errors, s.errors
