"""User text shown as plain text: quoted in a code span or escaped, and cut."""
import re

from playground.ui.shell.plain import MAX_ECHO, cut, escaped, quoted

HOSTILE = ["[Click here to sign in again](https://evil.example/login)", "![](https://evil.example/pixel.png)",
           "**Server overloaded.** [Continue on our mirror](https://evil.example)",
           ":red[alert] :material/lock:", "$\\frac{1}{0}$", "<img src=x onerror=alert(1)>", "`code` ``two``",
           "# heading", "- item", "see www.evil.example or x@evil.example"]


def test_quoted_values_are_one_code_span_that_holds_the_text():
    for text in HOSTILE:
        span = quoted(text)
        fence = re.match(r"`+", span).group(0)
        inner = span[len(fence):-len(fence)]
        assert span.endswith(fence) and fence not in inner.strip()  # nothing closes the span early
        assert inner.strip() == cut(text)


def test_escaped_messages_leave_no_markdown_character_bare():
    for text in HOSTILE:
        out = escaped(f"bad value {text}")
        assert not re.search(r"(?<!\\)[\[\]()!*`$<>:#]", out), out
        assert re.sub(r"\\(.)", r"\1", out).replace("\u200b", "") == f"bad value {text}"
        assert not re.search(r"https?://|www\.[^\u200b]", out.replace("\\", ""))  # no address to autolink


def test_long_values_are_cut():
    assert len(quoted("x" * 900_000)) < MAX_ECHO + 10
    assert cut("a\nb\tc") == "a b c" and cut("y" * 100).endswith("…")
