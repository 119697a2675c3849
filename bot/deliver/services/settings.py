"""``[destinations.NAME]`` tables: where a digest goes beyond chat, files and SMTP.

A digest names one in ``publish_to`` as ``KIND:NAME`` (``webhook:partners``, ``ghost:blog`` …);
the table gives the URL and the *name* of the environment variable holding the secret, never
the secret itself. Every key is documented in ``docs/destinations.md``.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_HTTP_URL = r"^https?://[^\s/]+(/\S*)?$"

EnvName = Annotated[str, Field(pattern=_ENV_NAME)]
HttpUrl = Annotated[str, Field(pattern=_HTTP_URL)]
FrontMatterValue = str | int | float | bool | list[str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookSettings(_Strict):
    """POST the issue's JSON, signed with the secret in ``secret_env``."""

    kind: Literal["webhook"]
    url: HttpUrl
    secret_env: EnvName
    timeout_seconds: float = Field(default=10, gt=0)


class ButtondownSettings(_Strict):
    """A Buttondown draft e-mail made from the Markdown."""

    kind: Literal["buttondown"]
    api_key_env: EnvName
    base_url: HttpUrl = "https://api.buttondown.com"
    app_url: HttpUrl = "https://buttondown.com"  # where editors open the draft


class GhostSettings(_Strict):
    """A Ghost draft post (HTML) through the Admin API; the key is the "id:secret" Admin key."""

    kind: Literal["ghost"]
    base_url: HttpUrl  # the admin domain, e.g. https://blog.example.com
    api_key_env: EnvName
    tags: list[str] = Field(default_factory=list)


class MailchimpSettings(_Strict):
    """A Mailchimp regular campaign saved as a draft, with the HTML e-mail as content."""

    kind: Literal["mailchimp"]
    api_key_env: EnvName
    list_id: str = Field(min_length=1)  # the audience
    from_name: str = Field(min_length=1)
    reply_to: str = Field(pattern=r"^[^@\s]+@[^@\s]+$")
    base_url: HttpUrl | None = None  # default: https://<dc>.api.mailchimp.com from the key


class GitSettings(_Strict):
    """The Markdown (with front matter) in a folder of a git checkout, optionally committed."""

    kind: Literal["git"]
    path: str  # the checkout
    folder: str = "content/newsletter"
    commit: bool = False
    front_matter: dict[str, FrontMatterValue] = Field(default_factory=dict)
    author_name: str = "Linkletter"
    author_email: str = "linkletter@localhost"

    @field_validator("folder")
    @classmethod
    def _inside_checkout(cls, value: str) -> str:
        folder = PurePosixPath(value)
        if folder.is_absolute() or ".." in folder.parts:
            raise ValueError("folder must be a relative path inside the checkout (no '..')")
        return value


DestinationConfig = Annotated[
    WebhookSettings | ButtondownSettings | GhostSettings | MailchimpSettings | GitSettings,
    Field(discriminator="kind"),
]

KINDS = ("webhook", "buttondown", "ghost", "mailchimp", "git")


def unknown_references(
    publish_to: list[str], destinations: dict[str, DestinationConfig]
) -> list[str]:
    """``KIND:NAME`` entries whose ``[destinations.NAME]`` is missing or of another kind."""
    problems = []
    for entry in publish_to:
        kind, _, name = entry.partition(":")
        if kind not in KINDS:
            continue
        configured = destinations.get(name)
        if configured is None:
            problems.append(f"{entry}: no [destinations.{name}] table")
        elif configured.kind != kind:
            problems.append(f"{entry}: [destinations.{name}] has kind = {configured.kind!r}")
    return problems
