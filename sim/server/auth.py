"""Caller identity from the SigV4 credential of a request.

The simulator does not verify signatures: any request signed by an AWS SDK
(so carrying ``Authorization: AWS4-HMAC-SHA256 Credential=<AKID>/...`` or a
presigned ``X-Amz-Credential=<AKID>/...``) is authenticated as its access key
id. Identities:

- an access key in ``principal_keys`` (default ``AKIDCAMPAIGNS``) is the
  outbound campaigns service principal, the only caller BatchPutContact
  accepts;
- an access key in ``identities`` is the identity it maps to (never the
  principal: that takes ``principal_keys``);
- any other access key is the identity ``access-key/<AKID>``, which can never
  equal the principal's name (a key spelled ``connect-campaigns.amazonaws.com``
  is just another unmapped key): it may call the campaigns APIs and
  DescribeContact, and gets AccessDeniedException from BatchPutContact.

A request with no credential at all gets AccessDeniedException (403), which
botocore raises as ``client.exceptions.AccessDeniedException``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from sim.connect import CAMPAIGNS_PRINCIPAL, ServiceError

DEFAULT_PRINCIPAL_KEYS: tuple[str, ...] = ("AKIDCAMPAIGNS",)
UNMAPPED_PREFIX = "access-key/"
"""The identity of an unmapped access key is this prefix plus the key."""

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/", re.ASCII)


def access_key_id(authorization: str | None, query_credential: str | None) -> str | None:
    """The access key id of a SigV4 Authorization header or presigned query, if any."""
    if authorization:
        match = _CREDENTIAL.search(authorization)
        if match is not None:
            return match.group(1)
    if query_credential:
        key = query_credential.split("/", 1)[0]
        return key or None
    return None


class Auth:
    """Maps the access key id of a request to the caller identity the core sees."""

    def __init__(
        self,
        principal_keys: Iterable[str] = DEFAULT_PRINCIPAL_KEYS,
        identities: Mapping[str, str] | None = None,
        principal: str = CAMPAIGNS_PRINCIPAL,
    ) -> None:
        if principal.startswith(UNMAPPED_PREFIX):
            raise ValueError(f"the principal may not start with {UNMAPPED_PREFIX!r}")
        self.principal = principal
        self.identities: dict[str, str] = dict(identities or {})
        keys = list(principal_keys)
        both = sorted(set(keys) & set(self.identities))
        if both:
            raise ValueError(f"access keys both in principal_keys and identities: {both}")
        to_principal = sorted(k for k, v in self.identities.items() if v == principal)
        if to_principal:
            raise ValueError(
                f"identities map {to_principal} to the principal {principal!r}:"
                " list principal access keys in principal_keys"
            )
        for key in keys:
            self.identities[key] = principal

    def identify(
        self, authorization: str | None, query_credential: str | None, service: str
    ) -> str:
        """The caller identity; AccessDeniedException (403) if the request is unsigned."""
        key = access_key_id(authorization, query_credential)
        if key is None:
            raise ServiceError(
                "AccessDeniedException",
                "Missing Authentication Token: sign the request with SigV4"
                " (any access key id; see docs/server.md)",
                service=service,
            )
        identity = self.identities.get(key)
        return identity if identity is not None else UNMAPPED_PREFIX + key
