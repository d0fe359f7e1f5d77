"""The registry in depth as its users reach it, over NATS against real PostgreSQL: a profile reviewed into the bank,
found by the bank's search, the expert seeing who looked; a consent that runs out taking the expert off the bank;
bad input refused naming the field, with nothing recorded."""

import dataclasses
import datetime as dt

import nats
import pytest

from services.registry.handlers import remind_and_expire_consents
from services.registry.service import definition
from shared.clock import Clock
from shared.messaging.rpc import RemoteError
from shared.runtime.service import ServiceRuntime
from tests.callers import request

pytestmark = [pytest.mark.integration, pytest.mark.services("registry")]
COORDINATOR = {"id": "coord", "role": "coordinator"}
CONTACT = {"id": "olli", "role": "organization_contact", "organization_id": "mieli"}
MAIJA = {"id": "maija", "role": "expert"}
SCHOOL = {"id": "school", "role": "orderer"}
TODAY = dt.date.today()


@pytest.fixture
async def registry(environment):
    runtime = ServiceRuntime(definition(), environment.settings("registry"))
    await runtime.start(serve_http=False)
    nc = await nats.connect(environment.nats_url)
    yield nc, runtime
    await nc.close()
    await runtime.stop()


async def ask(nc, way: str, request_name: str, actor: dict, /, **body):
    return await request(nc, f"kokemus.registry.{way}.{request_name}", {"actor": actor, **body})


async def reviewed_into_the_bank(nc) -> None:
    await ask(nc, "cmd", "register_organization", COORDINATOR, organization_id="mieli", name="Mieli ry", kind="ngo")
    await ask(nc, "cmd", "define_theme", COORDINATOR, theme_id="eating-disorders", name_fi="Syömishäiriöt",
              name_sv="Ätstörningar", name_en="Eating disorders")
    await ask(nc, "cmd", "grant_credentials", COORDINATOR, orderer_id="school", orderer_name="Turun koulu")
    await ask(nc, "cmd", "register_expert", CONTACT, expert_id="maija", organization_id="mieli", name="Maija M",
              email="maija@example.org")
    await ask(nc, "cmd", "record_training", CONTACT, expert_id="maija", completed_on=str(TODAY), trained_by="mieli")
    await ask(nc, "cmd", "give_consent", MAIJA, expert_id="maija", valid_until=str(TODAY + dt.timedelta(days=10)))
    await ask(nc, "cmd", "change_profile", MAIJA, expert_id="maija",
              themes=[{"theme": "eating-disorders", "relation": "own"}], municipality="Turku",
              regions=["Varsinais-Suomi"], task_kinds=["talk"], video_url="https://video.example.org/maija",
              introduction="Toipumisesta.")
    await ask(nc, "cmd", "submit_profile", MAIJA, expert_id="maija", listing=True)
    [waiting] = await ask(nc, "query", "profiles_to_review", CONTACT)
    assert waiting["expert_id"] == "maija" and waiting["listing"] is True
    approved = await ask(nc, "cmd", "approve_profile", CONTACT, expert_id="maija")
    assert approved["listed"] is True


async def test_a_reviewed_profile_is_found_in_the_bank_and_the_expert_sees_who_looked(registry):
    nc, _ = registry
    await reviewed_into_the_bank(nc)
    found = await ask(nc, "query", "find_experts", SCHOOL, themes=["eating-disorders"], region="Varsinais-Suomi",
                      task_kind="talk", available_on=str(TODAY + dt.timedelta(days=3)))
    assert found["total"] == 1
    [maija] = found["results"]
    assert (maija["expert_id"], maija["name"], maija["themes_own"], maija["introduction"]) == (
        "maija", "Maija M", ["eating-disorders"], "Toipumisesta.")
    profile = await ask(nc, "query", "get_expert", SCHOOL, expert_id="maija")
    assert profile["published"]["video_url"] == "https://video.example.org/maija"
    viewed = await ask(nc, "query", "who_viewed", MAIJA, expert_id="maija")
    assert [(v["kind"], v["viewer_name"]) for v in viewed] == [("view", "Turun koulu"), ("search", "Turun koulu")]
    picture = await ask(nc, "query", "situation", CONTACT)
    assert picture[0]["listed"] == 1 and picture[0]["by_theme"] == {"eating-disorders": 1}


async def test_a_consent_that_runs_out_takes_the_expert_off_the_bank(registry):
    nc, runtime = registry
    await reviewed_into_the_bank(nc)
    in_a_fortnight = dt.datetime.now(dt.UTC) + dt.timedelta(days=14)
    deps = dataclasses.replace(runtime.deps, clock=Clock(lambda: in_a_fortnight))
    assert await remind_and_expire_consents(deps) == 1
    assert (await ask(nc, "query", "find_experts", SCHOOL))["total"] == 0
    history = await ask(nc, "query", "consent_history", MAIJA, expert_id="maija")
    assert [entry["ended_by"] for entry in history["history"]] == ["expired"]
    assert (await ask(nc, "query", "get_expert", MAIJA, expert_id="maija"))["listed"] is False


async def test_bad_input_is_refused_naming_the_field_and_nothing_is_recorded(registry):
    nc, runtime = registry
    await reviewed_into_the_bank(nc)
    before = await runtime.store.count()
    bad = [
        ("change_profile", {"themes": [{"theme": "astrology", "relation": "own"}]}, "themes.0.theme"),
        ("change_profile", {"video_url": "javascript:alert(1)"}, "video_url"),
        ("change_profile", {"cv": "x" * 20_001}, "cv"),
        ("set_availability", {"weekdays": [1], "blackouts": [{"starts_on": "2026-05-10", "ends_on": "2026-05-01"}]},
         "blackouts.0.ends_on"),
    ]
    for name, body, field in bad:
        with pytest.raises(RemoteError) as refused:
            await ask(nc, "cmd", name, MAIJA, expert_id="maija", **body)
        assert refused.value.code == "validation", name
        assert field in [problem["field"] for problem in refused.value.fields], (name, refused.value.fields)
    assert await runtime.store.count() == before
