"""The one table of URL-bound settings: consistent in itself, documented, and the only keys a
control may bind. The pages drawing their settings as the table says is checked in test_app."""
from pathlib import Path

import pytest

from playground.ui.shell import settings
from playground.ui.shell.settings import CHOSEN, RANGED, SETTINGS
from playground.ui.shell.url import bound
from tests.test_url import notices, open_with

ROOT = Path(__file__).resolve().parents[1]


def test_docs_links_is_generated_from_the_table():
    assert (ROOT / "docs" / "links.md").read_text() == settings.markdown()


@pytest.mark.parametrize("key", sorted(SETTINGS))
def test_each_default_is_one_of_its_allowed_values(key):
    s = SETTINGS[key]
    assert s.control in RANGED + CHOSEN + ("toggle", "checkbox")
    if s.varies:
        return
    if s.control in RANGED:
        for value in (s.default if isinstance(s.default, tuple) else (s.default,)):
            assert s.lo <= value <= s.hi, (key, value)
    elif s.control == "multiselect":
        assert set(s.default) <= set(s.options)
    elif s.control in CHOSEN:
        assert s.default in s.options
    args, kwargs = s.arguments()
    assert "key" not in kwargs  # the key is url.control's to give


def test_binding_a_key_the_table_lacks_is_refused_by_name():
    with pytest.raises(ValueError, match="key='not_a_setting'"):
        bound(None, "anything", key="not_a_setting")


def test_a_bad_link_value_is_answered_with_the_allowed_range_from_the_table():
    at = open_with("app_pages/labels.py", {"labels_n": "500", "sw_n": "2000"})
    said = notices(at)
    assert any("labels_n=500" in n and "1 to 64" in n for n in said), said
    # a setting of another page is named as such, not as unknown
    assert any("sw_n=2000" in n and "sweep page" in n for n in said), said
