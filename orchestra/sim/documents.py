"""Documents a prompt gives in tags, each with an identifier (chapter 00; used by chapter 11).

Part of stage 1 (``read``): pure reading. Three common ways to hand a model documents:

    <passage id="KB-B1">Refunds: Approved refunds go back to the card.</passage>
    <doc id=7>...</doc>
    <documents>
      <document index="1"><source>refunds.md</source>
        <document_content>...</document_content></document>
    </documents>

The last is Anthropic's long-context format. An element with attributes, or with a ``<source>``
child, is a document; a wrapper (``<passages>``, ``<documents>``) is only a container. Its text
keeps no markup, so nothing of the tags can leak into an answer.

    >>> [(d.id, d.text) for d in find('<passage id="A">Cats sleep.</passage>')]
    [('A', 'Cats sleep.')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# A start or end tag; elements are paired from these in one pass (no backtracking regex, so a
# long text full of unclosed "<br>"s or "<at most two sentences>"s stays fast).
TOKEN = re.compile(r"<(/?)([A-Za-z][\w-]*)((?:\s[^<>]*?)?)\s*(/?)>")
ATTRIBUTE = re.compile(r"""([A-Za-z_][\w:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
# HTML inside a text carries attributes too, but a link is not a document.
INLINE = {"a", "span", "b", "i", "em", "strong", "img", "font", "code", "br", "abbr", "sup", "sub"}
TAG = re.compile(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>")
# Which attribute names a document, most telling first; else the first attribute written.
ID_ATTRIBUTES = ("id", "doc_id", "source", "name", "title", "key", "index")
# "Refunds: Approved refunds go back..." opens with the document's title.
TITLE = re.compile(r"^\s*([A-Z][^:\n.?!]{0,60}):[ \t]+(?=\S)")


@dataclass
class Doc:
    """One document of the prompt."""

    id: str
    """Its identifier as the prompt wrote it: the ``<source>``, else the naming attribute."""
    text: str
    """Its content without markup (and without a leading "Title:" label)."""
    title: str = ""
    """A title attribute, ``<title>`` child or leading "Title:" label, if any."""
    attrs: dict[str, str] = field(default_factory=dict)
    """Every attribute written on the element, e.g. ``{"index": "1"}``."""
    span: str = ""
    """The element as written, so a reader can cut it out of the prompt."""


def plain(text: str) -> str:
    """Text without tags: ``plain("<b>Hi</b> there")`` -> ``"Hi there"``."""
    return re.sub(r"[ \t]+", " ", TAG.sub(" ", text)).strip()


def child(body: str, name: str) -> str | None:
    m = re.search(rf"(?s)<{name}(?:\s[^<>]*)?>(.*?)</{name}\s*>", body)
    return plain(m.group(1)) if m else None


@dataclass
class Element:
    name: str
    attrs: str
    start: int
    end: int
    inner: tuple[int, int]


def elements(text: str) -> list[Element]:
    """Every closed element of ``text``, by where it starts; an end tag closes the latest open
    tag of its name, and tags never closed are left out."""
    opened: dict[str, list[re.Match]] = {}
    out = []
    for m in TOKEN.finditer(text):
        close, name, attrs, lone = m.groups()
        if lone:
            continue
        if not close:
            opened.setdefault(name, []).append(m)
        elif opened.get(name):
            o = opened[name].pop()
            out.append(Element(name, o.group(3), o.start(), m.end(), (o.end(), m.start())))
    return sorted(out, key=lambda e: (e.start, -e.end))


def find(text: str) -> list[Doc]:
    """The documents in ``text``, in the order written; wrappers give their documents."""
    found = []
    for e in elements(text):
        body = text[e.inner[0] : e.inner[1]]
        attrs = {
            a.group(1).lower(): next(g for g in a.groups()[1:] if g is not None)
            for a in ATTRIBUTE.finditer(e.attrs)
        }
        source = child(body, "source")
        if e.name.lower() not in INLINE and (attrs or source is not None):
            found.append((e, body, attrs, source))
    docs = []
    for k, (e, body, attrs, source) in enumerate(found):
        if k + 1 < len(found) and found[k + 1][0].start < e.end:
            continue  # a container of documents (<documents>, <passages>), not one
        content = child(body, "document_content") or child(body, "content")
        title = attrs.get("title") or child(body, "title") or ""
        if content is None:  # the body minus its labelled children
            content = plain(re.sub(r"(?s)<(source|title)>.*?</\1>", " ", body))
        label = TITLE.match(content)
        if label and not title and len(label.group(1).split()) <= 6:
            title, content = label.group(1).strip(), content[label.end() :]
        name = source or next((attrs[a] for a in ID_ATTRIBUTES if attrs.get(a)), None)
        name = name or next(iter(attrs.values()), "") or str(len(docs) + 1)
        if len(content.split()) >= 3:
            docs.append(Doc(name.strip(), content.strip(), title, attrs, text[e.start : e.end]))
    return docs


def unmark(text: str, docs: list[Doc], keep: bool = True) -> str:
    """``text`` with each document replaced by its plain text (or cut, ``keep=False``) and the
    tags of its wrappers removed."""
    spans = {d.span for d in docs}
    wrappers = {
        e.name
        for e in elements(text)
        if text[e.start : e.end] not in spans and any(d.span in text[e.start : e.end] for d in docs)
    }
    for d in docs:
        text = text.replace(d.span, (f"{d.title}: {d.text}" if d.title else d.text) if keep else "")
    names = {m.group(2) for d in docs for m in TOKEN.finditer(d.span)}
    for name in names | wrappers:
        text = re.sub(rf"</?{name}(?:\s[^<>]*)?>[ \t]*\n?", "", text)
    return text
