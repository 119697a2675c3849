"""Sample articles for the offline demo. Written for Linkletter; no third-party content."""

from __future__ import annotations

import colorsys
import struct
import zlib
from dataclasses import dataclass
from html import escape


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    site: str
    author: str
    published: str
    description: str | None
    paragraphs: tuple[str, ...]

    def html(self, base: str) -> str:
        meta = [
            f'<meta property="og:title" content="{escape(self.title)}">',
            f'<meta property="og:site_name" content="{escape(self.site)}">',
            f'<meta name="author" content="{escape(self.author)}">',
            f'<meta property="article:published_time" content="{self.published}">',
            f'<meta property="og:image" content="{base}/images/{self.slug}.png">',
            f'<link rel="canonical" href="{base}/articles/{self.slug}">',
        ]
        if self.description:
            meta.append(f'<meta name="description" content="{escape(self.description)}">')
        body = "\n".join(f"<p>{escape(p)}</p>" for p in self.paragraphs)
        return (
            f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(self.title)} | {escape(self.site)}</title>{''.join(meta)}</head>"
            f"<body><nav>Home · Archive · About</nav><article><h1>{escape(self.title)}</h1>"
            f"{body}</article><footer>© {escape(self.site)}</footer></body></html>"
        )

    def image(self) -> bytes:
        """A 1200×630 PNG card in the article's own colour (a raster image: e-mail clients and
        Slack show no SVG), a lighter band across it so two cards never look alike."""
        red, green, blue = colorsys.hls_to_rgb(sum(map(ord, self.slug)) % 360 / 360, 0.42, 0.45)
        base = bytes(round(255 * c) for c in (red, green, blue))
        light = bytes(min(255, value + 60) for value in base)
        band = range(200 + sum(map(ord, self.title)) % 200, 430)
        rows = b"".join(b"\x00" + (light if y in band else base) * 1200 for y in range(630))
        return _png(1200, 630, zlib.compress(rows, 9))


def _png(width: int, height: int, data: bytes) -> bytes:
    """A truecolour PNG from filtered, compressed scanlines (the format's three chunks)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


ARTICLES = (
    Article(
        "small-models",
        "Small models, big gains: distillation in practice",
        "The Gradient Notebook",
        "Priya Raman",
        "2026-11-12T08:00:00Z",
        "What we learned shrinking a 7B model to 1B for on-device search without losing recall.",
        (
            "Our search team needed ranking to run on laptops without a network round trip, so we "
            "set out to distil a seven-billion-parameter model into something a tenth of its size.",
            "The first attempts copied the teacher's outputs and lost a quarter of recall on rare "
            "queries. The fix was unglamorous: we sampled training queries from the long tail on "
            "purpose, weighted by how often the teacher and the student disagreed.",
            "We also found that matching intermediate representations mattered less than matching "
            "the teacher's uncertainty. Students trained on softened probabilities were better "
            "calibrated and easier to threshold in production.",
            "The final model answers in eleven milliseconds on a four-year-old laptop and keeps "
            "ninety-seven percent of the teacher's recall on our evaluation set. The training "
            "recipe, including the failures, is in the appendix.",
        ),
    ),
    Article(
        "boring-pipelines",
        "In praise of boring data pipelines",
        "Warehouse Weekly",
        "Tom Okafor",
        "2026-11-10T12:00:00Z",
        "Idempotent loads, explicit schemas and one scheduler: the dull choices that kept our "
        "nightly jobs green for a year.",
        (
            "Every incident review we ran last year ended with the same sentence: the clever part "
            "broke. So we rewrote our ingestion around three dull rules.",
            "Every load is idempotent: running yesterday's job twice produces yesterday's table, "
            "not a doubled one. Every source has an explicit schema checked at the door, and a "
            "rejected row lands in a quarantine table with the reason beside it.",
            "And there is one scheduler. Not a cron on one box and a workflow engine on another, "
            "one place where every job, its owner and its last run can be seen.",
            "Twelve months later the on-call rotation is quiet. The pipelines are not exciting to "
            "talk about, which is exactly the point.",
        ),
    ),
    Article(
        "evals-are-products",
        "Treat your evaluation set like a product",
        "Applied ML Field Notes",
        "Jo Lindqvist",
        "2026-11-14T09:30:00Z",
        None,
        (
            "Evaluation sets rot quietly: the world changes, the product changes, and the numbers "
            "keep looking good because the test never moved.",
            "We now give the evaluation set an owner, a changelog and a release cadence. New "
            "failure cases from support tickets are triaged weekly and the best become tests.",
            "The surprising benefit was social. Product managers started reading the changelog, "
            "and arguments about model quality turned into arguments about which examples matter.",
        ),
    ),
    Article(
        "typo-link",
        "Vector search without the vector database",
        "Retrieval Review",
        "Sam Ortiz",
        "2026-11-13T10:00:00Z",
        "Postgres, an index and a thousand lines of SQL went further than we expected.",
        (
            "Before adding a new database to our stack we tried the one we had. With an "
            "approximate nearest-neighbour index, PostgreSQL served our eight million embeddings "
            "at a p99 under forty milliseconds.",
            "The operational win was bigger than the latency: one backup, one permission model, "
            "and joins between vectors and the rest of our data in a single query.",
        ),
    ),
    Article(
        "feature-stores",
        "Do you really need a feature store?",
        "Retrieval Review",
        "Sam Ortiz",
        "2026-11-13T11:00:00Z",
        "A checklist for deciding whether a feature store will pay for itself on your team.",
        (
            "Feature stores solve real problems: training and serving skew, duplicated feature "
            "code, and point-in-time correctness for backfills.",
            "But they also add a system to run. We suggest a simple test: if fewer than three "
            "models share features, a well-tested library of feature functions is usually enough.",
            "Past that point, the consistency guarantees start to pay for the operational cost, "
            "especially once real-time features enter the picture.",
        ),
    ),
    Article(
        "deleted-post",
        "Ten hot takes about notebooks",
        "Opinion Corner",
        "Anonymous",
        "2026-11-11T07:00:00Z",
        "Notebooks are great, notebooks are terrible, and other positions.",
        ("A short list of provocations about notebooks in production.",),
    ),
    Article(
        "sql-style",
        "A style guide for analytical SQL",
        "Warehouse Weekly",
        "Mina Haddad",
        "2026-11-09T15:00:00Z",
        "Readable SQL is reviewable SQL: the conventions our analytics team agreed on.",
        (
            "We write SQL for the next reader, not the query planner. Common table expressions "
            "name each step; every join states its keys; and no query selects star.",
            "Lower-case keywords, one column per line and trailing commas make diffs small and "
            "reviews fast. Most of the rules are enforced by a linter in continuous integration.",
            "The guide ends with our favourite rule: if a query needs a comment to explain what it "
            "does, it probably needs another common table expression instead.",
        ),
    ),
    Article(
        "gpu-hype",
        "Why every team needs ten thousand GPUs (they don't)",
        "Hype Digest",
        "Marketing Team",
        "2026-11-15T06:00:00Z",
        "The ultimate revolutionary guide to unlocking game-changing AI at scale!!!",
        ("Buy more hardware. That is the whole article.",),
    ),
)
