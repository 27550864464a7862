"""The workshop and facilitator pages in AppTest: alone, a learner locks an answer before the
reveal; in a room, the facilitator paces each station (vote hidden, discussion, revote, reveal),
a reload keeps the learner and the facilitator, and a vote the store refused is sent again."""
from unittest.mock import patch
from urllib.parse import parse_qs

import pytest
from streamlit.testing.v1 import AppTest

from playground.experiments import workshop
from playground.ui.shell import cookies
from playground.ui.workshop.rooms_store import room_store
from tests.conftest import APP_TIMEOUT_S
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


def vote(at: AppTest, number: int, choice: int, rnd: int = 1) -> AppTest:
    radio = at.radio(key=f"ws_vote_{number}_{rnd}")
    radio.set_value(radio.options[choice]).run()
    at.button(key="ws_action").click()
    return at.run()


def press(host: AppTest, label: str) -> AppTest:
    next(b for b in host.button if b.label == label).click()
    return host.run()


def test_a_round_votes_hidden_then_discusses_revotes_and_reveals_both_votes():
    host = facilitator()
    assert not host.exception
    code = host.session_state["fac_room"]
    assert any(f"`{code}`" in m.value for m in host.markdown) and host.get("image")  # the code, its QR code
    assert f"/workshop?room={code}" in host.code[0].value
    one, two = learner({"room": code}), learner({"room": code})
    vote(one, 1, 2)
    vote(two, 1, 0)
    vote(two, 1, 1)  # a changed mind replaces the vote
    assert "Your vote is in" in one.success[0].value and not one.get("vega_lite_chart")  # nothing shown yet
    assert one.button(key="ws_action").label == "Change my vote"
    host.run()
    assert metric(host, "learners in the room") == 2 and metric(host, "votes in this round") == 2
    assert not host.get("vega_lite_chart")  # the tally stays hidden on the projector too
    choices = workshop.station(1).choices
    assert room_store().tallies(code)[1][1] == {choices[2]: 1, choices[1]: 1}
    press(host, "Discuss, then revote")
    one.run()
    assert "first vote is closed" in one.info[0].value and one.get("vega_lite_chart")
    assert "right answer" not in str(one.get("vega_lite_chart")[0].proto.spec)  # the answer stays hidden
    press(host, "Open the revote")
    one.run()
    assert "Your first vote was" in str(one.caption[0].value) or any(
        "Your first vote was" in c.value for c in one.caption)
    vote(one, 1, workshop.station(1).correct, rnd=2)
    press(host, "Reveal")
    one.run()
    spec = str(one.get("vega_lite_chart")[0].proto.spec)
    assert "first vote" in spec and "revote" in spec and "The right answer" in spec  # both votes, beside
    assert "Right." in one.success[0].value  # the revote was right
    assert room_store().tallies(code)[1][2] == {choices[workshop.station(1).correct]: 1}
    press(host, "Next station")
    assert room_store().room(code).station == 2
    one.run()
    assert one.header[0].value.startswith("Station 2 of 6")


def test_a_reloaded_learner_is_the_same_learner_with_the_same_vote():
    host = facilitator()
    code = host.session_state["fac_room"]
    one = learner({"room": code})
    vote(one, 1, 2)
    kept = one.session_state["ws_learner"]
    again = AppTest.from_file("../app.py", default_timeout=APP_TIMEOUT_S)  # a new session, as a reload makes
    again.run()
    again.switch_page("app_pages/workshop.py")
    again.query_params["room"] = code
    with patch.object(cookies, "read", lambda name: kept if name == "learner" else None):
        again.run()
    assert again.session_state["ws_learner"] == kept
    assert again.radio(key="ws_vote_1_1").value == workshop.station(1).choices[2]  # the vote, read back
    assert "Your vote is in" in again.success[0].value
    assert room_store().room(code).learners == 1  # not a second learner


def test_a_reloaded_facilitator_keeps_the_room_and_a_resume_link_hands_it_over():
    host = facilitator()
    code, key = host.session_state["fac_room"], host.session_state["fac_key"]
    resume = next(c.value for c in host.code if "key=" in c.value)
    assert f"facilitator?room={code}&key={key}" in resume
    other = open_with("app_pages/facilitator.py", {"room": code, "key": key})  # another device
    assert other.session_state["fac_room"] == code and "key" not in other.query_params
    press(other, "Reveal")
    assert room_store().room(code).phase == "reveal"
    reload = AppTest.from_file("../app.py", default_timeout=APP_TIMEOUT_S)
    reload.run()
    reload.switch_page("app_pages/facilitator.py")
    with patch.object(cookies, "read", lambda name: f"{code}:{key}" if name == "facilitator" else None):
        reload.run()
    assert reload.session_state["fac_room"] == code  # the browser's cookie resumes the room
    stranger = open_with("app_pages/facilitator.py", {"room": code, "key": "not-the-key"})
    assert "fac_room" not in stranger.session_state and "Could not resume" in stranger.error[0].value


def test_the_results_download_holds_counts_and_no_ids():
    host = facilitator()
    code = host.session_state["fac_room"]
    one = learner({"room": code})
    vote(one, 1, 0)
    host.run()
    frame = workshop.results_frame(room_store().tallies(code), room_store().room(code).learners)
    station = workshop.station(1)
    first = frame[(frame.station == 1) & (frame["round"] == "first vote")]
    assert list(first.choice) == list(station.choices) and first.votes.sum() == 1 and set(first.voters) == {1}
    assert one.session_state["ws_learner"] not in frame.to_csv()
    assert any(b.label == "Download the results (CSV)" for b in host.get("download_button"))


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


def test_a_vote_the_store_could_not_save_is_kept_and_sent_again(monkeypatch):
    from playground.serving.rooms import Rooms, StoreUnavailable
    from playground.ui.workshop import workshop_view
    host = facilitator()
    code = host.session_state["fac_room"]
    one = learner({"room": code})

    def busy(self, *args, **kwargs):
        raise StoreUnavailable()

    with monkeypatch.context() as patched:
        patched.setattr(Rooms, "answer", busy)
        vote(one, 1, 2)
    assert not one.exception
    assert any("not saved yet" in w.value and "sent again" in w.value for w in one.warning)
    assert not any("Your vote is in" in s.value for s in one.success)  # never shown as saved
    assert room_store().tallies(code)[1][1] == {}
    monkeypatch.setattr(workshop_view, "RETRY_S", (0, 0, 0, 0))
    one.session_state["ws_pending"]["next"] = 0  # its back-off has passed
    one.run()  # the room's follow-up sends it again
    assert room_store().tallies(code)[1][1] == {workshop.station(1).choices[2]: 1}
    assert "ws_pending" not in one.session_state


def test_the_facilitators_cookie_is_written_once_after_everything_else_on_the_page():
    host = facilitator()  # opened: the key goes into a cookie
    scripts = [h for h in host.get("html") if "document.cookie" in h.proto.body]
    assert len(scripts) == 1 and "lsp_facilitator=" in scripts[0].proto.body
    assert host.main.children[len(host.main.children) - 1].proto == scripts[0].proto  # drawn last
    press(host, "Next station")
    assert not [h for h in host.get("html") if "document.cookie" in h.proto.body]  # once
