from copilot.knowledge.chunking import chunk_document
from copilot.knowledge.text import html_to_text, markdown_to_text, sanitize_html


def test_sanitize_html_removes_script_and_handlers():
    dirty = ('<p onclick="x()">Hi<script>alert(1)</script></p><img src="a.png" onerror="alert(2)">'
             '<a href="javascript:alert(3)">bad</a><a href="https://example.com">ok</a>')
    clean = sanitize_html(dirty)
    assert "<script" not in clean and "alert(1)" not in clean
    assert "onerror" not in clean and "onclick" not in clean
    assert "javascript:" not in clean
    assert 'rel="noopener noreferrer"' in clean
    assert 'href="https://example.com"' in clean


def test_html_to_text_keeps_headings_and_paragraphs():
    html = "<h2>VPN setup</h2><p>Install the client.</p><script>evil()</script><p>Sign&nbsp;in &amp; go.</p>"
    text = html_to_text(html)
    assert "## VPN setup" in text
    assert "evil" not in text
    assert "Install the client.\n\nSign in & go." in text


def test_markdown_to_text():
    text = markdown_to_text("# Title\n\nSome **bold** text.\n\n## Part\n\n- one\n- two\n")
    assert text.startswith("# Title")
    assert "Some bold text." in text
    assert "## Part" in text and "one" in text


def test_chunking_long_article_keeps_title_and_heading():
    para = " ".join(f"word{i}" for i in range(90)) + "."
    text = "# Intro\n\n" + "\n\n".join([para] * 3) + "\n\n## Deep section\n\n" + "\n\n".join([para] * 5)
    chunks = chunk_document("kb1", "Long article", text)
    assert len(chunks) >= 4
    for c in chunks:
        assert len(c.body.split()) <= 200 + 40
        assert c.index_text.startswith("Long article")
    deep = [c for c in chunks if c.heading == "Deep section"]
    assert deep and all("Deep section" in c.index_text for c in deep)
    assert all(c.heading == "Intro" for c in chunks if c not in deep)


def test_chunking_splits_giant_paragraph():
    text = ". ".join(f"Sentence number {i} is here" for i in range(200)) + "."
    chunks = chunk_document("kb2", "T", text)
    assert len(chunks) > 1
    assert all(len(c.body.split()) <= 240 for c in chunks)
