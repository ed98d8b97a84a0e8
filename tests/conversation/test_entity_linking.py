"""Entities are linked to the tenant's own catalog and applications, read from Freshservice at run time.

Through the real engine (offline model) and a real sandbox: Acme's known misroutes (a charger ordered as a
laptop, a how-to about the shared drive with no way to request it), and a catalog the code has never seen —
a sandbox with an extra catalog item and an extra application, found by name, by a typo and by description.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from copilot.engine import Engine, IncomingMessage, TurnResult
from copilot.services import Services, build_services
from copilot.settings import Settings
from tests.conftest import TEST_API_KEY, SandboxHandle
from tests.servers import serve

ALICE = "alice.nguyen@acme.example"
KIT = "Ergonomic workstation kit"
KIT_ABOUT = "Sit-stand desk converter, footrest and vertical mouse for back or wrist pain."
APP = "Zeplin Organization"


@pytest.fixture(scope="module")
def acme(sandbox_factory: Callable[..., SandboxHandle]) -> SandboxHandle:
    return sandbox_factory(knowledge="org")


@pytest.fixture(scope="module")
def other_tenant() -> Iterator[SandboxHandle]:
    """A sandbox whose catalog has an item, and whose software list an application, that no code names."""
    from sandbox.app import create_app
    from sandbox.config import SandboxConfig

    config = SandboxConfig(api_key=TEST_API_KEY, plan="unlimited", knowledge="org")
    app = create_app(config)
    account = app.state.account
    template = account.service_items[max(account.service_items)]  # a form-less hardware item
    display_id = max(account.service_items) + 1
    kit: dict[str, Any] = copy.deepcopy(template) | {
        "id": template["id"] + 1000, "display_id": display_id, "name": KIT, "short_description": KIT_ABOUT,
        "description": f"<p>{KIT_ABOUT}</p>", "desc_un_html": KIT_ABOUT, "cost": "210.00"}
    account.service_items[display_id] = kit
    base = next(iter(account.applications.values()))
    app_id = max(account.applications) + 1
    account.applications[app_id] = copy.deepcopy(base) | {"id": app_id, "name": APP,
                                                            "description": "Design hand-off for developers"}
    with serve(app) as base_url:
        yield SandboxHandle(base_url=base_url, api_key=config.api_key, config=config)


async def _services(handle: SandboxHandle, redis_url: str, data_dir: Path) -> Services:
    settings = Settings(freshservice_url=handle.base_url, freshservice_api_key=handle.api_key, redis_url=redis_url,
                        data_dir=data_dir)
    built = build_services(settings)
    await built.knowledge.sync(built.freshservice)
    return built


@pytest.fixture
async def acme_services(acme: SandboxHandle, redis_url: str, tmp_path: Path) -> AsyncIterator[Services]:
    acme.control("POST", "/_sandbox/reset")
    built = await _services(acme, redis_url, tmp_path)
    yield built
    await built.freshservice.aclose()


@pytest.fixture
async def other_services(other_tenant: SandboxHandle, redis_url: str, tmp_path: Path) -> AsyncIterator[Services]:
    built = await _services(other_tenant, redis_url, tmp_path)
    yield built
    await built.freshservice.aclose()


async def turn(services: Services, text: str) -> tuple[TurnResult, str]:
    engine: Engine = await services.engine()
    alice = await services.employee(ALICE)
    conversation = (await engine.start(alice)).id
    result = await engine.handle(conversation, alice, IncomingMessage(text=text))
    return result, "\n".join(m.text for m in result.messages)


def actions(result: TurnResult) -> list[str]:
    return [a.id for m in result.messages for a in (m.actions or [])]


async def test_the_thing_asked_for_outweighs_what_it_is_for(acme_services: Services) -> None:
    """"a spare charger for my laptop" is the charger, not a new laptop."""
    _, reply = await turn(acme_services, "I need a spare charger for my laptop")
    assert "USB-C laptop charger" in reply and "New laptop" not in reply


async def test_a_how_to_about_a_requestable_thing_offers_the_request(acme_services: Services) -> None:
    """The answer says to request "Access to a shared drive" in the catalog: the copilot offers to start it."""
    result, reply = await turn(acme_services, "how do i get access to the finance shared drive")
    shared_drive = next(i for i in await acme_services.catalog.items() if i.name == "Access to a shared drive")
    assert f"start:{shared_drive.display_id}" in actions(result), reply


@pytest.mark.parametrize("text", [
    "I need an ergonomic workstation kit",  # by name
    "can I get an ergonomc workstaton kit please",  # by a typo
    "my back hurts, can I get a sit-stand desk converter?",  # by description
])
async def test_an_item_no_code_names_is_found(other_services: Services, text: str) -> None:
    _, reply = await turn(other_services, text)
    assert f"Let's request **{KIT}**" in reply, reply


@pytest.mark.parametrize("text", ["is there a free zeplin licence?", "is there a zepln licence free?"])
async def test_an_application_no_code_names_is_found(other_services: Services, text: str) -> None:
    _, reply = await turn(other_services, text)
    assert APP in reply, reply


async def test_the_tenant_vocabulary_is_read_from_its_catalog(other_services: Services,
                                                              acme_services: Services) -> None:
    """Each tenant's copilot knows its own names, and only those."""
    await other_services.catalog.keep_fresh()
    await acme_services.catalog.keep_fresh()
    ours, theirs = other_services.catalog.vocabulary, acme_services.catalog.vocabulary
    assert ours is not None and theirs is not None
    assert ours.item_in("a sit-stand desk converter for my back") == KIT
    assert theirs.item_in("a sit-stand desk converter for my back") is None
    assert ours.software_in("zeplin") == APP and theirs.software_in("zeplin") is None


async def test_two_swapped_letters_in_a_short_name_still_name_it(acme_services: Services) -> None:
    """"jria", "mrio": too short for the fuzzy match, but one neighbouring swap away from exactly one name."""
    await acme_services.catalog.keep_fresh()
    vocabulary = acme_services.catalog.vocabulary
    assert vocabulary is not None
    assert vocabulary.software_in("how many jria licences do we still have") == "Jira Software"
    assert vocabulary.software_in("any mrio seats") == "Miro"
    assert vocabulary.software_in("from the team, form please") is None  # swaps of words, not of a name
    _, reply = await turn(acme_services, "how many jria licences do we still have")
    assert "19 of 150 Jira Software seats are free" in reply, reply


async def test_a_kind_of_thing_is_the_category_from_the_tenants_service_categories(acme_services: Services) -> None:
    await acme_services.catalog.keep_fresh()
    vocabulary = acme_services.catalog.vocabulary
    assert vocabulary is not None and {"software", "hardware", "access"} <= vocabulary.kinds
    assert vocabulary.item_in("I need software") is None  # not the one item whose name says "software"
    assert [i.name for i in await acme_services.catalog.kind("some new hardware pls")][:2] == ["New laptop", "Monitor"]
