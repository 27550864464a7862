"""The workshop and facilitator pages in AppTest: a learner locks an answer before the reveal, a
room records it once, the facilitator's tally counts it and moves the room on."""
from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest

from playground.experiments import workshop
from playground.ui.workshop.rooms_store import room_store
from tests.test_url import notices, open_with

pytestmark = pytest.mark.usefixtures("one_thread")


def learner(params: dict | None = None) -> AppTest:
    return open_with("app_pages/workshop.py", params or {})


def lock(at: AppTest, number: int, choice: int) -> AppTest:
    radio = at.radio(key=f"ws_choice_{number}")
    radio.set_value(radio.options[choice]).run()
    at.button(key="ws_action").click()
    return at.run()


def texts(at: AppTest) -> str:
    shown = [*at.markdown, *at.caption, *at.success, *at.info, *at.error]
    return "\n".join(str(e.value) for e in shown)


def test_nothing_is_revealed_before_the_answer_is_locked():
    at = learner({"station": "3"})
    assert not at.exception
    assert at.header[0].value.startswith("Station 3 of 6")
    assert not at.get("vega_lite_chart") and "fell" not in texts(at)
    at.button(key="ws_action").click()  # no choice yet: nothing is locked or revealed
    at.run()
    assert "Pick an answer first" in at.warning[0].value and not at.radio(key="ws_choice_3").disabled
    assert not at.get("vega_lite_chart") and "fell" not in texts(at)


def test_a_locked_answer_reveals_the_measurement_and_the_link():
    at = lock(learner({"station": "3"}), 3, 0)  # "more confident": wrong
    assert not at.exception
    assert at.radio(key="ws_choice_3").disabled
    assert "The measurement says: less confident" in at.info[0].value
    assert at.get("vega_lite_chart") and "Mean test confidence is lower at ε = 0.3 than at ε = 0" in texts(at)
    link = at.get("page_link")[0].proto
    assert link.page.endswith("sweep") and "sw_count=4" in link.query_string
    assert at.button(key="ws_action").label == "Next: station 4"
    at.button(key="ws_action").click()
    at.run()
    assert at.header[0].value.startswith("Station 4 of 6")
    assert at.button(key="ws_action").label.startswith("Lock")


@pytest.mark.parametrize("number", range(1, len(workshop.STATIONS) + 1))
def test_each_stations_link_opens_its_page_without_a_link_notice(number):
    station = workshop.station(number)
    params = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(station.query).items()}
    at = open_with(f"app_pages/{station.page}.py", params)
    assert not at.exception and not notices(at), notices(at)


def test_a_station_out_of_range_in_the_link_gets_a_notice():
    at = learner({"station": "9"})
    assert any("station=9" in n for n in notices(at))
    assert at.header[0].value.startswith("Station 1 of 6")


def facilitator() -> AppTest:
    at = open_with("app_pages/facilitator.py", {})
    at.button[0].click()
    return at.run()


def metric(at: AppTest, label: str) -> int:
    return int(next(m.value for m in at.metric if m.label == label))


def test_a_room_counts_each_learners_answer_once_and_moves_on():
    host = facilitator()
    assert not host.exception
    code = host.session_state["fac_room"]
    assert any(f"`{code}`" in m.value for m in host.markdown) and host.get("image")  # the code, its QR code
    assert f"/workshop?room={code}" in host.code[0].value
    one, two = learner({"room": code}), learner({"room": code})
    lock(one, 1, 2)
    lock(two, 1, 0)
    assert one.radio(key="ws_choice_1").disabled
    assert one.button(key="ws_action").label.startswith("Answer locked")  # the room moves on, not the learner
    host.run()
    assert metric(host, "learners in the room") == 2 and metric(host, "locked answers here") == 2
    choices = workshop.station(1).choices
    assert room_store().tallies(code)[1] == {choices[2]: 1, choices[0]: 1}
    next(b for b in host.button if b.label == "Next station").click()
    host.run()
    assert room_store().room(code).station == 2
    one.run()
    assert one.header[0].value.startswith("Station 2 of 6")


def test_an_unknown_room_says_so_and_the_stations_stay_open():
    at = learner({"room": "ZZZZZZ"})
    assert not at.exception
    assert "ZZZZZZ" in at.error[0].value and "on your own" in at.error[0].value
    assert at.radio(key="ws_choice_1")


def test_a_full_room_says_so(monkeypatch):
    monkeypatch.setenv("PLAYGROUND_ROOM_CAPACITY", "1")
    room_store.clear()
    try:
        host = facilitator()
        code = host.session_state["fac_room"]
        first, second = learner({"room": code}), learner({"room": code})
        assert not first.error
        assert "full" in second.error[0].value and code in second.error[0].value
    finally:
        monkeypatch.undo()
        room_store.clear()


def test_an_answer_the_store_could_not_save_is_not_shown_as_locked(monkeypatch):
    from playground.serving.rooms import Rooms, StoreUnavailable
    host = facilitator()
    code = host.session_state["fac_room"]
    one = learner({"room": code})

    def busy(self, *args, **kwargs):
        raise StoreUnavailable()

    with monkeypatch.context() as patched:
        patched.setattr(Rooms, "answer", busy)
        lock(one, 1, 2)
    assert not one.exception
    assert any("not saved yet" in w.value for w in one.warning)
    assert not one.radio(key="ws_choice_1").disabled and not one.get("vega_lite_chart")
    assert room_store().tallies(code)[1] == {}
    one.button(key="ws_action").click()
    one.run()  # the pick was kept: pressing Lock again saves it
    assert one.radio(key="ws_choice_1").disabled
    assert room_store().tallies(code)[1] == {workshop.station(1).choices[2]: 1}
