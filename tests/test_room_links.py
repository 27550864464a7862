"""Links phones can reach: the learners' address in its three cases, decoded back from the QR
code the facilitator shows; the /join page; and the menus each role sees."""
import io

import pytest
import zxingcpp
from PIL import Image

from playground.serving.limits import SERVER_PAGE_ENV
from playground.serving.rooms import PUBLIC_URL_ENV, join_address
from playground.ui.shell.navigation import FACILITATOR, SERVER, menu
from playground.ui.workshop.room_view import qr_png
from tests.test_url import open_with

CODE = "K7QM2P"


def decoded(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text


@pytest.mark.parametrize("env,page_url,lan,want,warned", [
    # 1. the host's setting wins, whatever address the facilitator opened
    ({PUBLIC_URL_ENV: "https://playground.example.org/"}, "http://127.0.0.1:8501/facilitator", "192.168.1.20",
     "https://playground.example.org/workshop?room=K7QM2P", False),
    # 2. the facilitator's own address, when phones can reach it (a subpath kept)
    ({}, "http://192.168.1.20:8501/facilitator", "192.168.1.20",
     "http://192.168.1.20:8501/workshop?room=K7QM2P", False),
    ({}, "https://ml.example.org/playground/facilitator?room=K7QM2P", None,
     "https://ml.example.org/playground/workshop?room=K7QM2P", False),
    # 3. localhost: this machine's network address on the same port, and a warning
    ({}, "http://localhost:8501/facilitator", "192.168.1.20",
     "http://192.168.1.20:8501/workshop?room=K7QM2P", True),
])
def test_the_qr_code_decodes_to_the_address_phones_can_reach(env, page_url, lan, want, warned):
    where = join_address(page_url, env, lan=lambda: lan)
    assert decoded(qr_png(where.room(CODE))) == want
    assert (where.warning is not None) == warned
    if warned:
        assert PUBLIC_URL_ENV in where.warning and "same network" in where.warning and lan in where.warning


def test_localhost_with_no_network_warns_that_no_phone_can_reach_it():
    where = join_address("http://127.0.0.1:8501/facilitator", {}, lan=lambda: None)
    assert "no phone" in where.warning and PUBLIC_URL_ENV in where.warning
    assert where.join == "http://127.0.0.1:8501/join"


def test_a_malformed_public_address_is_refused_by_name():
    with pytest.raises(ValueError, match=f"^{PUBLIC_URL_ENV}='playground.example.org'"):
        join_address("http://localhost:8501/", {PUBLIC_URL_ENV: "playground.example.org"})


def test_the_join_page_takes_a_typed_code_and_refuses_a_malformed_one():
    at = open_with("app_pages/join.py", {})
    at.text_input[0].input("ab1").run()
    at.button[0].click().run()
    assert not at.exception and "is not a room code" in at.error[0].value


def listed(paths):
    return [p for p, _, _, shown in paths if shown]


def test_menus_by_role_and_the_server_page_only_where_the_host_turns_it_on():
    everyone = menu(learner_in_room=False, env={})
    assert SERVER not in [p for p, *_ in everyone]  # off by default: no page at /server
    assert FACILITATOR in listed(everyone)
    learner = menu(learner_in_room=True, env={})
    assert FACILITATOR in [p for p, *_ in learner] and FACILITATOR not in listed(learner)  # by its link only
    assert "app_pages/join.py" not in listed(everyone)  # /join is typed, not browsed
    host = menu(learner_in_room=False, env={SERVER_PAGE_ENV: "1"})
    assert SERVER in listed(host)
    with pytest.raises(ValueError, match=f"{SERVER_PAGE_ENV}='yes please'"):
        menu(False, env={SERVER_PAGE_ENV: "yes please"})


def test_without_the_setting_the_server_page_is_not_there(monkeypatch):
    monkeypatch.setenv(SERVER_PAGE_ENV, "0")
    with pytest.raises(ValueError, match="Could not find a navigation page for .*server.py"):
        open_with("app_pages/server.py", {})  # not registered: the address names no page
    monkeypatch.setenv(SERVER_PAGE_ENV, "1")
    at = open_with("app_pages/server.py", {})
    assert not at.exception and at.dataframe and at.get("vega_lite_chart")  # a table and a chart
