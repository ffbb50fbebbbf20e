"""Microsoft sign-in for the Teams channel, both ways.

Incoming: every request from the Bot Connector carries a JWT signed with one
of Microsoft's keys. ``SigningKeys`` loads those keys (the OpenID
configuration's ``jwks_uri``) in the background, never at start-up, so Rasa
starts even when Microsoft cannot be reached; ``verify`` checks a token with
PyJWT against them, as the Bot Framework's "authenticate requests from the
Bot Connector" rules say.

Outgoing: ``BotToken`` gets the bot's own token by client credentials from the
tenant's token endpoint (single-tenant registrations cannot use the old
multi-tenant one) and keeps it until shortly before it expires.
"""

import asyncio
import logging
import time
from typing import Any, Dict, Optional

import aiohttp
import jwt

# Microsoft's public endpoints; each can be overridden (docs/channels.md, "Microsoft Teams").
from settings import ISSUER, OPENID_URL, TOKEN_URL  # noqa: F401  (Bot Framework's defaults)

logger = logging.getLogger(__name__)


SCOPE = "https://api.botframework.com/.default"

CLOCK_SKEW = 300  # seconds of leeway on exp/nbf, as the Bot Framework allows
REFRESH_EVERY = 24 * 3600  # Microsoft rotates keys rarely; reload daily
UNKNOWN_KID_EVERY = 60  # an unknown kid reloads the keys at most once a minute
RETRY_FIRST, RETRY_MAX = 1.0, 300.0  # back-off while Microsoft is unreachable


class AuthError(Exception):
    """A request that must be refused with 401; the message is the short reason."""


class UnknownKey(AuthError):
    pass


class SigningKeys:
    """Microsoft's token-signing keys, by ``kid``, loaded and refreshed in the background."""

    def __init__(self, openid_url: str) -> None:
        self.openid_url = openid_url
        self.keys: Dict[str, jwt.PyJWK] = {}
        self.endorsements: Dict[str, Optional[list]] = {}
        self._lock = asyncio.Lock()
        self._last_unknown_kid_reload = float("-inf")

    @property
    def ready(self) -> bool:
        return bool(self.keys)

    async def load(self, session: aiohttp.ClientSession) -> None:
        """Fetches the OpenID configuration, then its JWKS; raises when either fails."""
        async with self._lock:
            async with session.get(self.openid_url) as answer:
                answer.raise_for_status()
                jwks_uri = (await answer.json(content_type=None))["jwks_uri"]
            async with session.get(jwks_uri) as answer:
                answer.raise_for_status()
                jwks = await answer.json(content_type=None)
            keys, endorsements = {}, {}
            for data in jwks.get("keys", []):
                try:
                    keys[data["kid"]] = jwt.PyJWK(data, algorithm="RS256")
                except (KeyError, jwt.PyJWTError):
                    continue  # not an RSA signing key we can use
                endorsements[data["kid"]] = data.get("endorsements")
            if not keys:
                raise ValueError("the JWKS has no usable RSA key")
            self.keys, self.endorsements = keys, endorsements
        logger.info("Teams channel: loaded %d Microsoft signing keys.", len(keys))

    async def keep_loaded(self, session: aiohttp.ClientSession) -> None:
        """Runs for the server's life: loads now, retries with back-off, reloads daily."""
        delay: float = RETRY_FIRST
        wait: float
        while True:
            try:
                await self.load(session)
                delay, wait = RETRY_FIRST, REFRESH_EVERY
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, KeyError) as problem:
                logger.warning(
                    "Teams channel: could not load Microsoft's signing keys from %s (%s); "
                    "Teams messages get 503 until then. Retrying in %.0f s.",
                    self.openid_url,
                    type(problem).__name__,
                    delay,
                )
                wait, delay = delay, min(delay * 2, RETRY_MAX)
            await asyncio.sleep(wait)

    async def reload_for_unknown_kid(self, session: aiohttp.ClientSession) -> bool:
        """Reloads when a token names a key we do not have (Microsoft rotated
        them), at most once a minute so forged kids cannot flood Microsoft."""
        if time.monotonic() - self._last_unknown_kid_reload < UNKNOWN_KID_EVERY:
            return False
        self._last_unknown_kid_reload = time.monotonic()
        try:
            await self.load(session)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError, KeyError):
            logger.warning("Teams channel: could not reload Microsoft's signing keys.")
            return False
        return True


_REASONS = (  # PyJWT's errors, most specific first, as the 401's short reason
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidAudienceError, "the token is for another bot"),
    (jwt.InvalidIssuerError, "the token has the wrong issuer"),
    (jwt.MissingRequiredClaimError, "the token lacks a required claim"),
    (jwt.InvalidSignatureError, "the token's signature is wrong"),
)


def verify(
    token: str, keys: SigningKeys, app_id: str, issuer: str, activity: Dict[str, Any]
) -> Dict[str, Any]:
    """The token's claims, or AuthError saying why the request is refused.

    Besides signature, audience, issuer and lifetime: the key must be endorsed
    for the activity's channel (where the JWKS lists endorsements), and the
    token's ``serviceurl`` claim must equal the activity's ``serviceUrl``, so
    that a replayed token cannot send our replies somewhere else.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise AuthError("the token is not a JWT") from None
    if header.get("alg") != "RS256":
        raise AuthError("the token must be signed with RS256")
    kid = header.get("kid")
    if kid not in keys.keys:
        raise UnknownKey("the token's signing key is unknown")
    endorsed = keys.endorsements.get(kid)
    if endorsed is not None and activity.get("channelId") not in endorsed:
        raise AuthError("the signing key is not endorsed for this channel")
    try:
        claims = jwt.decode(
            token,
            keys.keys[kid],
            algorithms=["RS256"],
            audience=app_id,
            issuer=issuer,
            leeway=CLOCK_SKEW,
            options={"require": ["exp", "iss", "aud"]},
        )
    except jwt.PyJWTError as problem:
        reason = next(
            (r for kind, r in _REASONS if isinstance(problem, kind)), "the token is invalid"
        )
        raise AuthError(reason) from None
    if claims.get("serviceurl") != activity.get("serviceUrl"):
        raise AuthError("the token's serviceurl does not match the activity")
    return claims


class BotToken:
    """The bot's own access token for the Bot Connector, by client credentials."""

    def __init__(self, token_url: str, app_id: str, app_password: str) -> None:
        self.token_url = token_url
        self.form = {
            "grant_type": "client_credentials",
            "client_id": app_id,
            "client_secret": app_password,
            "scope": SCOPE,
        }
        self._token: Optional[str] = None
        self._good_until = 0.0
        self._lock = asyncio.Lock()

    async def get(self, session: aiohttp.ClientSession) -> str:
        async with self._lock:  # one request when several replies need a new token
            if self._token is None or time.monotonic() >= self._good_until:
                async with session.post(self.token_url, data=self.form) as answer:
                    answer.raise_for_status()
                    data = await answer.json(content_type=None)
                lifetime = int(data.get("expires_in", 3600))
                # Renew shortly before it expires (5 min, or a tenth of a short lifetime).
                self._good_until = time.monotonic() + lifetime - min(300, lifetime // 10)
                self._token = data["access_token"]
            return self._token
