"""The accessibility statement's page without a server: rendered from the
content file, with the content owner's text escaped; the route itself is
tested on the real server (tests/e2e/test_accessibility_statement.py)."""

import re

from actions.config import CONTENT_PATH
from actions.content import load_content_file
from channels.accessibility import WIDGET_DIR, render_statement

ORGANISATION = 'Sunny <script>alert("x")</script> & Co'


def content_with_organisation(tmp_path, name):
    text = CONTENT_PATH.read_text(encoding="utf-8")
    line = re.search(r'(?m)^  organisation: \{value: "([^"]*)"', text)
    assert line
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    path = tmp_path / "nhsmail.yml"
    path.write_text(text.replace(line.group(1), escaped, 1), encoding="utf-8")
    return load_content_file(path)


def test_html_in_the_content_file_is_shown_as_text(tmp_path):
    content = content_with_organisation(tmp_path, ORGANISATION)
    assert content.accessibility.organisation == ORGANISATION
    page = " ".join(render_statement(content).decode().split())
    assert "<script" not in page
    assert (
        "The chat is run by Sunny &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co." in page
    )
    assert page.count("Sunny &lt;script&gt;") == 2  # the opening, and whom to tell


def test_the_template_has_no_script_style_or_fact_of_its_own():
    template = (WIDGET_DIR / "accessibility.html").read_text(encoding="utf-8")
    assert "<script" not in template and "<style" not in template and " style=" not in template
    assert not re.search(r"\son[a-z]+\s*=", template)
    # Links, addresses and numbers come from the content file.
    assert not re.search(r"https?:|mailto:[^{]|tel:[^{]|@", template)
