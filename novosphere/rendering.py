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


def readable_text(markdown: str) -> str:
    """A markdown text as plain text to read on its own (a calendar's DESCRIPTION, an e-mail):
    paragraphs apart, list items on their lines with their bullet or number, table rows on
    theirs, a link's target after its words, code as written; no markup and no HTML.

    `plain_text` makes one running string for excerpts; this keeps the shape of the text."""
    blocks: list[tuple[str, int | None]] = []  # (text, the list or table it belongs to)
    lists: list[list] = []  # open lists, innermost last: [next number, or None for bullets]
    group, groups = None, 0
    marker, quote_depth, row = "", 0, None
    for token in _markdown.parse(markdown or ""):
        kind = token.type
        if kind in ("bullet_list_open", "ordered_list_open"):
            if not lists:
                groups += 1
                group = groups
            lists.append([None if kind == "bullet_list_open" else int(token.attrGet("start") or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            group = group if lists else None
        elif kind == "list_item_open":
            number = lists[-1][0]
            marker = "• " if number is None else f"{number}. "
            if number is not None:
                lists[-1][0] = number + 1
        elif kind == "table_open":
            groups += 1
            group = groups
        elif kind == "table_close":
            group = None
        elif kind == "blockquote_open":
            quote_depth += 1
        elif kind == "blockquote_close":
            quote_depth -= 1
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close":
            blocks.append((_quoted(" | ".join(row or []), quote_depth), group))
            row = None
        elif kind in ("inline", "fence", "code_block", "hr"):
            if kind == "inline":
                text = _inline_text(token.children or [])
            elif kind == "hr":
                text = "———"
            else:
                text = token.content.rstrip("\n")
            if row is not None:
                row.append(text)
                continue
            indent = "  " * (len(lists) - 1) if lists else ""
            lines = text.split("\n")
            hanging = indent + " " * len(marker or ("  " if lists else ""))
            text = "\n".join([indent + marker + lines[0], *(hanging + line for line in lines[1:])])
            blocks.append((_quoted(text, quote_depth), group))
            marker = ""
    out = []
    for index, (text, belongs) in enumerate(blocks):
        if index:
            # Items of one list, rows of one table: line by line. Everything else: a paragraph apart.
            out.append("\n" if belongs is not None and belongs == blocks[index - 1][1] else "\n\n")
        out.append(text)
    return "".join(out).strip()


def _quoted(text: str, depth: int) -> str:
    return "\n".join("> " * depth + line for line in text.split("\n")) if depth else text


def _inline_text(children) -> str:
    parts: list[str] = []
    links: list[tuple[str, int]] = []  # (target, where its words start in parts)
    for child in children:
        kind = child.type
        if kind in ("text", "code_inline", "html_inline"):
            parts.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif kind == "link_open":
            links.append((child.attrGet("href") or "", len(parts)))
        elif kind == "link_close" and links:
            target, start = links.pop()
            words = "".join(parts[start:])
            if _readable_target(target) and target not in (words, f"mailto:{words}"):
                parts.append(f" ({target})")
        elif kind == "image":
            alt = "".join(grandchild.content for grandchild in (child.children or []))
            target = child.attrGet("src") or ""
            parts.append(f"{alt} ({target})" if _readable_target(target) and alt else alt or target)
    return "".join(parts)


def _readable_target(url: str) -> bool:
    return url.split(":", 1)[0].lower() in ALLOWED_SCHEMES if ":" in url else False
