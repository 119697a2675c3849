"""``linkletter doctor``'s checks: plain results a renderer prints (text or JSON).

Every check ends in ``ok`` or not, with the reason and, when not ok, the fix. The platform
checks live in ``adapters/<platform>/doctor.py``; these are the ones the config and the
environment alone can answer.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.config import Config, DigestConfig
from bot.config.errors import EXAMPLES
from bot.platform import Check, Platform
from bot.platforms import every

EVERY_INTERFACE = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 - what we warn about


def unreachable(platform: str, url: str, error: BaseException, variable: str) -> Check:
    """A platform API that did not answer (closed port, DNS, proxy, timeout, 5xx)."""
    return Check(
        platform,
        False,
        f"cannot reach the {platform.title()} API at {url} ({str(error) or type(error).__name__})",
        f"check the network and any proxy; {variable} overrides the API address",
    )


def _destination_check(digest: DigestConfig) -> Check:
    name = f"digest {digest.name}"
    if digest.publish_to:
        return Check(name, True, f"publishes to {', '.join(digest.publish_to)}")
    return Check(
        name,
        False,
        "publish_to is empty: issues would be published nowhere",
        f"add a destination, e.g. {EXAMPLES['publish_to']}",
    )


def _editor_check(digest: DigestConfig) -> Check:
    name = f"digest {digest.name}"
    if digest.editors:
        return Check(name, True, f"{len(digest.editors)} editor(s) can curate")
    return Check(
        name,
        False,
        "editors is empty: nobody can approve, every ✅ is only a vote",
        f"add editors, e.g. {EXAMPLES['editors']}",
    )


def _exposure_check(config: Config) -> Check:
    web = config.web
    if web.host in EVERY_INTERFACE and not web.private:
        return Check(
            "web",
            False,
            f'host = "{web.host}" with private = false: the archive and /metrics are open '
            "on every network interface",
            'set host = "127.0.0.1" behind a reverse proxy, or private = true with '
            "LINKLETTER_WEB_TOKEN",
        )
    return Check("web", True, f"serves on {web.host}:{web.port}" + (" (private)" * web.private))


def platform_ids(
    config: Config, platform: str, *, channels: bool = True, editors: bool = True
) -> list[str]:
    """The ids of one platform the config names (channels and/or editors), each once, sorted."""
    return sorted(
        {
            value
            for d in config.digests
            for value in [
                *((*d.sources, *d.publish_to, d.editors_channel or "") if channels else ()),
                *(d.editors if editors else ()),
            ]
            if value.startswith(f"{platform}:")
        }
    )


def _token_check(platform: Platform, config: Config, env: Mapping[str, str]) -> Check | None:
    """A platform the config names (channels, editors, roles) needs its token."""
    used, variable = platform_ids(config, platform.name), platform.token_variable
    if env.get(variable) or not used:
        return None
    return Check(
        platform.name,
        False,
        f"{variable} is not set but the config names {platform.label} ids "
        f"({', '.join(used[:3])}{', …' if len(used) > 3 else ''})",
        f"set {variable} in the environment or in .env, or remove those ids",
    )


def config_checks(config: Config, env: Mapping[str, str]) -> list[Check]:
    """What the file and the environment say before any network call."""
    checks: list[Check] = []
    for digest in config.digests:
        checks += [_destination_check(digest), _editor_check(digest)]
    checks.append(_exposure_check(config))
    for platform in every():
        token = _token_check(platform, config, env)
        if token is not None:
            checks.append(token)
    return checks
