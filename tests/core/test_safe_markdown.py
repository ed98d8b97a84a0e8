"""safe_markdown: content Markdown can neither load remote images nor hide a link's real target."""

from __future__ import annotations

import re

import pytest

from copilot.ui.markdown import host_of, safe_markdown

# What a Markdown renderer would turn into an <img> or an <a> (inline or reference style).
_LABEL = r"(?:[^\]\\]|\\.)*"  # up to the first unescaped ]
IMAGE = re.compile(rf"(?<!\\)!\[{_LABEL}\](?:\(|\[)")
LABELLED_LINK = re.compile(rf"(?<![\\!])\[{_LABEL}\]\(")
DEFINITION = re.compile(rf"^ {{0,3}}\[{_LABEL}\]:", re.M)


def assert_inert(out: str) -> None:
    assert not IMAGE.search(out), out
    assert not LABELLED_LINK.search(out), out
    assert not DEFINITION.search(out), out


def test_image_becomes_a_link_showing_its_target() -> None:
    out = safe_markdown("See ![x](http://127.0.0.1:9/pixel.png) above.")
    assert out == "See \\[image: x\\] <http://127.0.0.1:9/pixel.png> above."
    assert_inert(out)


def test_image_with_title_angle_destination_and_no_alt() -> None:
    out = safe_markdown('![](<https://t.example/a b.png> "track") and ![logo](https://t.example/l.png \'t\')')
    assert "https://t.example/a b.png" in out and "<https://t.example/l.png>" in out
    assert "[image: logo]" in out.replace("\\", "")
    assert_inert(out)


def test_look_alike_link_shows_the_real_target() -> None:
    out = safe_markdown("Please [reset your password](https://evil.example/login?next=sso) today.")
    assert out == "Please reset your password (<https://evil.example/login?next=sso>) today."
    out = safe_markdown("[https://sso.acme.example](https://evil.example/x)")
    assert "<https://evil.example/x>" in out
    assert_inert(out)


def test_link_whose_label_is_its_target_is_just_the_url() -> None:
    assert safe_markdown("[https://acme.example/kb/1](https://acme.example/kb/1)") == "<https://acme.example/kb/1>"
    assert safe_markdown("[acme.example/kb](https://acme.example/kb/)") == "<https://acme.example/kb/>"


def test_non_web_targets_are_shown_but_not_clickable() -> None:
    out = safe_markdown("[click](javascript:alert(1)) [rel](/portal/x)")
    assert out == "click (` javascript:alert(1) `) rel (` /portal/x `)"
    assert_inert(out)


@pytest.mark.parametrize("hostile", [
    "[![badge](https://t.example/p.png)](https://evil.example)",  # image inside a link
    "[a [nested [deep]] label](https://evil.example)",  # more nesting than the parser follows
    "![x][pixel]\n\n[pixel]: https://t.example/p.png",  # reference image and its definition
    "[Reset password][1]\n\n   [1]: https://evil.example 'title'",
    "[multi\nline](https://evil.example)",
    "![x](\nhttps://t.example/p.png\n)",
])
def test_hostile_shapes_render_no_image_and_no_labelled_link(hostile: str) -> None:
    out = safe_markdown(hostile)
    assert_inert(out)
    assert "evil.example" in out or "t.example" in out  # the target is still visible


def test_ordinary_markdown_is_untouched() -> None:
    text = ("**Reset your password**\n\n1. Open *Settings*\n2. Choose `Security` > [Reset]\n"
            "- bullet with https://acme.example/kb/12 and <https://acme.example>\n\n"
            "> quoted _text_ (with parentheses) [sic]\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert safe_markdown(text) == text


def test_code_is_left_as_written() -> None:
    text = "Use `![x](http://t.example/p.png)` in docs:\n\n```md\n[a](https://b.example)\n```\nafter"
    assert safe_markdown(text) == text


def test_host_of() -> None:
    assert host_of("https://acme.freshservice.com/support/solutions/articles/1") == "acme.freshservice.com"
    assert host_of("not a url") == "not a url"


def test_reply_text_is_made_safe_and_sources_show_their_host() -> None:
    from copilot.ui.render import message_text

    out = message_text("From the article: ![x](http://127.0.0.1:9/pixel.png)",
                       [("Reset (VPN) password", "https://acme.freshservice.com/support/solutions/articles/7")])
    body, sources = out.split("**Sources:**")
    assert_inert(body)
    assert "<http://127.0.0.1:9/pixel.png>" in body
    assert sources.strip() == ("[Reset \\(VPN\\) password](https://acme.freshservice.com/support/solutions/articles/7)"
                               " (acme.freshservice.com)")


async def test_streamed_tokens_are_made_safe_as_they_arrive() -> None:
    from copilot.ui.render import safe_stream

    class Recorder:  # stands in for chainlit's Message: stream_token appends, or replaces with is_sequence
        content = ""

        async def stream_token(self, token: str, is_sequence: bool = False) -> None:
            self.content = token if is_sequence else self.content + token

    message = Recorder()
    on_token = safe_stream(message)  # type: ignore[arg-type]
    text = "Hi **there** ![x](http://127.0.0.1:9/pixel.png) and [sso](https://evil.example) done."
    for index in range(0, len(text), 3):
        await on_token(text[index:index + 3])
        assert_inert(message.content)
        await on_token.flush()  # what a coalesced frame sends is just as safe
        assert_inert(message.content)
    assert message.content == safe_markdown(text)


async def test_streamed_tokens_are_coalesced_into_few_frames() -> None:
    """A burst of tokens is one frame at once and one when the timer fires, not a frame per token; after
    close nothing more is sent (the reply itself carries the whole text)."""
    import asyncio

    from copilot.ui.render import safe_stream

    class Recorder:
        content = ""
        frames = 0

        async def stream_token(self, token: str, is_sequence: bool = False) -> None:
            self.frames += 1
            self.content = token if is_sequence else self.content + token

    message = Recorder()
    on_token = safe_stream(message)  # type: ignore[arg-type]
    words = [f"word{n} " for n in range(50)]
    for word in words:
        await on_token(word)
    assert message.frames == 1 and message.content == words[0]
    assert on_token.timer is not None
    await on_token.flush()  # what the timer does
    assert message.frames == 2 and message.content == "".join(words)
    await on_token("late ")
    on_token.close()
    await asyncio.sleep(0)
    assert message.frames == 2 and on_token.timer is None
    await on_token("after close ")
    await on_token.flush()
    assert message.frames == 2 and message.content == "".join(words)
