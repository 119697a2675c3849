"""The fast metadata pass (selectolax/lexbor): meta tags, JSON-LD, title, canonical, lang."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from bot.enrich.fields import clean_text

# schema.org types whose fields describe the page's article (Readability's list, plus papers).
_ARTICLE_TYPE = re.compile(
    r"^(Article|AdvertiserContentArticle|NewsArticle|AnalysisNewsArticle|AskPublicNewsArticle|"
    r"BackgroundNewsArticle|OpinionNewsArticle|ReportageNewsArticle|ReviewNewsArticle|Report|"
    r"SatiricalArticle|ScholarlyArticle|MedicalScholarlyArticle|SocialMediaPosting|BlogPosting|"
    r"LiveBlogPosting|DiscussionForumPosting|TechArticle|APIReference)$"
)
_CDATA = re.compile(r"^\s*<!\[CDATA\[|\]\]>\s*$")
_KEY_SEPARATOR = re.compile(r"\s*[.:]\s*")


@dataclass(slots=True)
class MetaFields:
    """Raw findings of the meta pass; :mod:`bot.enrich.extract` decides what wins."""

    # normalised key -> non-empty values in document order; ``property`` outranks ``name``
    by_property: dict[str, list[str]] = field(default_factory=dict)
    by_name: dict[str, list[str]] = field(default_factory=dict)
    title_tag: str | None = None
    lang: str | None = None
    canonical: str | None = None
    base_href: str | None = None
    article: dict[str, Any] = field(default_factory=dict)  # the JSON-LD article node, if any

    def first(self, *keys: str) -> str | None:
        """The first non-empty value among ``keys`` (in priority order)."""
        for key in keys:
            values = self.all(key)
            if values:
                return values[0]
        return None

    def all(self, key: str) -> list[str]:
        return self.by_property.get(key, []) + self.by_name.get(key, [])


def read_meta(document: str) -> MetaFields:
    """Parse ``document`` once and collect what the head (and JSON-LD anywhere) declares."""
    tree = LexborHTMLParser(document)
    found = MetaFields()
    for node in tree.css("meta[content]"):
        _add_meta(found, node.attributes)
    title = tree.css_first("title")
    found.title_tag = clean_text(title.text()) if title is not None else None
    root = tree.css_first("html")
    found.lang = clean_text(root.attributes.get("lang")) if root is not None else None
    found.canonical = _attribute(tree, "link[rel~=canonical][href]", "href")
    found.base_href = _attribute(tree, "base[href]", "href")
    found.article = _article_node(
        script.text() for script in tree.css('script[type="application/ld+json"]')
    )
    return found


def _add_meta(found: MetaFields, attributes: dict[str, str | None]) -> None:
    """Record one meta tag; ``property`` (may list several) outranks ``name``/``itemprop``."""
    value = clean_text(attributes.get("content"))
    if not value:
        return
    for key in (attributes.get("property") or "").split():
        found.by_property.setdefault(_normalise_key(key), []).append(value)
    name = attributes.get("name") or attributes.get("itemprop")
    if not name and (attributes.get("http-equiv") or "").lower() == "content-language":
        name = "content-language"
    if name:
        found.by_name.setdefault(_normalise_key(name), []).append(value)


def _normalise_key(key: str) -> str:
    return _KEY_SEPARATOR.sub(":", key.strip().lower())


def _attribute(tree: LexborHTMLParser, selector: str, name: str) -> str | None:
    node = tree.css_first(selector)
    return clean_text(node.attributes.get(name)) if node is not None else None


def _article_node(scripts: Iterator[str]) -> dict[str, Any]:
    """The first JSON-LD node typed as an article; broken JSON-LD is skipped, never fatal."""
    for script in scripts:
        try:
            data = json.loads(_CDATA.sub("", script))
        except (ValueError, RecursionError):
            continue
        for node in _nodes(data):
            if any(_ARTICLE_TYPE.match(kind) for kind in _types(node)):
                return node
    return {}


def _nodes(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _nodes(item)
    elif isinstance(data, dict):
        yield data
        yield from _nodes(data.get("@graph", []))


def _types(node: dict[str, Any]) -> list[str]:
    kind = node.get("@type")
    if isinstance(kind, str):
        return [kind]
    return [item for item in kind if isinstance(item, str)] if isinstance(kind, list) else []


def jsonld_text(node: dict[str, Any], key: str) -> str | None:
    """A plain-text field of a JSON-LD node (``headline``, ``description``...)."""
    value = node.get(key)
    return clean_text(value) if isinstance(value, str) else None


def jsonld_names(value: Any) -> list[str]:
    """Names from a JSON-LD person/organisation field: a string, an object or a list of them."""
    if isinstance(value, str):
        return [name] if (name := clean_text(value)) else []
    if isinstance(value, dict):
        return jsonld_names(value.get("name"))
    if isinstance(value, list):
        return [name for item in value for name in jsonld_names(item)]
    return []


def jsonld_url(value: Any) -> str | None:
    """A URL from a JSON-LD ``image``-like field: a string, an ImageObject or a list of them."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return jsonld_url(value.get("url") or value.get("contentUrl"))
    if isinstance(value, list) and value:
        return jsonld_url(value[0])
    return None
