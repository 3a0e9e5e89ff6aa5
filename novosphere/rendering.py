"""Markdown to safe HTML: project updates, event descriptions, anything users write in markdown.

markdown-it-py renders (raw HTML in the source is escaped, not passed
through), then nh3 keeps only a small list of tags, attributes and URL
schemes: whatever a later change to the renderer lets through, no script,
event handler or `javascript:`/`data:` URL survives the second pass.

No image is ever embedded: a remote `<img>` in what one person writes would
make every reader's browser call a server of that person's choosing (a
tracking pixel). A markdown image becomes a link to it, named by its text;
`img` is not an allowed tag, so raw HTML images are dropped too.
"""

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")


def _image_as_link(self, tokens, idx, options, env):
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env) or token.attrGet("src") or ""
    return f'<a href="{escapeHtml(token.attrGet("src") or "")}">{escapeHtml(alt)}</a>'


_markdown.add_render_rule("image", _image_as_link)

ALLOWED_TAGS = {
    "p", "br", "hr", "a", "em", "strong", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"},
}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


def render_markdown(body: str) -> str:
    """Sanitized HTML for a markdown text; links open with rel="noopener noreferrer"."""
    return sanitize_html(_markdown.render(body or ""))


def sanitize_html(html: str) -> str:
    """The second pass alone: only the allowed tags, attributes and URL schemes survive."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def plain_text(markdown: str) -> str:
    """What a person reads of a markdown text, without markup: rendered, then every tag dropped.

    A heading ends with a full stop when it has none, so that "# Lancement" before a
    paragraph reads "Lancement. Le projet…" rather than running into it."""
    import html
    import re

    rendered = re.sub(r"(?<=[^\s.!?:;…])\s*</h([1-6])>", r".</h\1>", _markdown.render(markdown or ""))
    return html.unescape(nh3.clean(rendered, tags=set()))
