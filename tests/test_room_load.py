"""The room load's learner mode (tools/room_load.py) on one server, small: its logic only. How
fast votes reach the tally is a figure the tool prints, not a test."""
import pytest

from tools import room_load


def test_learners_vote_through_a_station_and_the_store_holds_each_last_vote_once():
    report = room_load.run_room(learners=3, stations=1, spread_s=0.5, change=1.0, seed=7)
    print("\n" + report.describe())
    assert report.errors == [] and report.rounds == 2
    assert len(report.votes) == 3 * 2 * 2  # every learner changed every vote once
    assert report.lost == 0 and report.doubled == 0
    last = {(v.learner, v.round): v for v in report.votes}
    assert all(v.tallied_s is not None for v in last.values())  # found in the store as sent last
    assert all(v.saved_s is not None for v in report.votes)  # each phone was told
    firsts = [v for v in report.votes if v.projected_s is not None]
    assert len(firsts) == 3 * 2  # the projector's count reached every learner, in both rounds


@pytest.mark.parametrize("bad", [{"learners": 0}, {"stations": 7}, {"replicas": 1}])
def test_the_room_load_refuses_sizes_it_does_not_run(bad):
    (name, value), = bad.items()
    with pytest.raises(ValueError, match=rf"^{name}={value} must be"):
        room_load.run_room(**bad)
