"""The catalog directory against the sandbox's real catalog: a need names the item it is about, not an item one
of whose form choices happens to appear inside it (a spare USB-C charger was once ordered as a Headset, whose
"Connection" field offers "USB-C")."""

from __future__ import annotations

import pytest

from tests.conftest import SandboxHandle
from tools.catalog import CatalogDirectory
from tools.freshservice import FreshserviceClient


@pytest.mark.parametrize("need, item", [
    ("Photoshop", "Adobe Creative Cloud"),
    ("adobe photoshop licence", "Adobe Creative Cloud"),
    ("can i get a spare usb-c charger for home", None),
    ("a docking station for my home address", None),
])
async def test_software_is_a_name_not_a_choice_inside_a_sentence(sandbox: SandboxHandle, need: str,
                                                                 item: str | None) -> None:
    async with FreshserviceClient(sandbox.base_url, sandbox.api_key) as client:
        found = await CatalogDirectory(client).item_for_software(need)
    assert (found[0].name if found else None) == item


async def test_a_charger_need_finds_the_charger(sandbox: SandboxHandle) -> None:
    async with FreshserviceClient(sandbox.base_url, sandbox.api_key) as client:
        matches = await CatalogDirectory(client).find_items("can i get a spare usb-c charger for home")
    assert matches[0][0].name == "USB-C laptop charger" and matches[0][1] - matches[1][1] >= 8
