"""Checks that a request really comes from Alexa for our skill, as Amazon requires of a skill
hosted as a web service (developer.amazon.com, "Host a custom skill as a web service").

Amazon's own verifier (ask-sdk-webservice-support) does not import on this OpenSSL (its
oscrypto dependency fails to detect libcrypto), so this uses `cryptography` directly. The
certificate fetcher and the trust roots are parameters so tests run offline with a test CA.
Every failure raises `VerificationFailed` with a reason for the log; the caller answers 400.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import posixpath
import warnings
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence
from urllib.parse import unquote, urlsplit

import certifi
import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.verification import DNSName, PolicyBuilder, Store, VerificationError
from dateutil.parser import isoparse

logger = logging.getLogger(__name__)

CERT_URL_HOST = "s3.amazonaws.com"
CERT_URL_PATH = "/echo.api/"
CERT_SAN = "echo-api.amazon.com"
MAX_CLOCK_SKEW = timedelta(seconds=150)
FETCH_TIMEOUT_SECONDS = 3.0
MAX_CHAIN_BYTES = 64 * 1024
CACHED_CHAINS = 16

Fetcher = Callable[[str], bytes]


class VerificationFailed(Exception):
    """The request is not provably from Alexa for this skill; `str(e)` says why (for the log)."""


def check_certificate_url(url: Optional[str]) -> str:
    """Amazon's rules for SignatureCertChainUrl: https, host s3.amazonaws.com (any case),
    port 443 or none, and a path under /echo.api/ once `..` and percent-escapes are resolved
    (the path is case-sensitive)."""
    if not url:
        raise VerificationFailed("no SignatureCertChainUrl header")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as e:
        raise VerificationFailed(f"certificate URL does not parse: {e}") from e
    if parts.scheme.lower() != "https":
        raise VerificationFailed("certificate URL is not https")
    if (parts.hostname or "").lower() != CERT_URL_HOST or parts.username or parts.password:
        raise VerificationFailed("certificate URL host is not s3.amazonaws.com")
    if port not in (None, 443):
        raise VerificationFailed(f"certificate URL port {port} is not 443")
    path = unquote(parts.path)
    if "\\" in path or not path.startswith("/") or path.startswith("//"):
        raise VerificationFailed("certificate URL path is malformed")
    if not posixpath.normpath(path).startswith(CERT_URL_PATH):
        raise VerificationFailed("certificate URL path is not under /echo.api/")
    return url.strip()


def check_application(body: Mapping[str, Any], skill_id: str) -> None:
    """Both places a request names its skill must name ours (a LaunchRequest without a
    session, e.g. from an AudioPlayer event, has only the context one)."""
    found = [
        ((body.get("session") or {}).get("application") or {}).get("applicationId"),
        (((body.get("context") or {}).get("System") or {}).get("application") or {}).get("applicationId"),
    ]
    named = [value for value in found if value is not None]
    if not named:
        raise VerificationFailed("request names no application id")
    if any(value != skill_id for value in named):
        raise VerificationFailed("request is for another skill")


def check_timestamp(body: Mapping[str, Any], now: datetime) -> None:
    stamp = (body.get("request") or {}).get("timestamp")
    try:
        when = isoparse(str(stamp))
    except (ValueError, OverflowError) as e:
        raise VerificationFailed("request timestamp is missing or malformed") from e
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if abs(now - when) > MAX_CLOCK_SKEW:
        raise VerificationFailed(f"request timestamp is {abs(now - when).total_seconds():.0f} s away from now")


def https_fetch(url: str) -> bytes:
    """The certificate chain from Amazon's S3 (small; refused when larger than 64 KB)."""
    with requests.get(url, timeout=FETCH_TIMEOUT_SECONDS, stream=True, allow_redirects=False) as reply:
        reply.raise_for_status()
        data = reply.raw.read(MAX_CHAIN_BYTES + 1, decode_content=True)
    if len(data) > MAX_CHAIN_BYTES:
        raise ValueError("certificate chain too large")
    return data


def load_roots(path: Optional[str] = None) -> List[x509.Certificate]:
    """Trust roots from a PEM bundle: `path`, or certifi's Mozilla bundle."""
    data = Path(path or certifi.where()).read_bytes()
    with warnings.catch_warnings():  # one Mozilla root has a negative serial number: cryptography warns
        warnings.simplefilter("ignore")
        return x509.load_pem_x509_certificates(data)


class CertificateCache:
    """Certificate chains by URL: in memory, optionally in a directory (kept across restarts,
    and how tests hand the server a chain offline), else fetched. A cached chain is checked
    again on every request, so caching never lets an expired certificate through."""

    def __init__(self, fetch: Fetcher = https_fetch, directory: Optional[str] = None):
        self.fetch = fetch
        self.directory = Path(directory) if directory else None
        self._chains: OrderedDict[str, List[x509.Certificate]] = OrderedDict()

    @staticmethod
    def file_name(url: str) -> str:
        return hashlib.sha256(url.encode()).hexdigest() + ".pem"

    async def chain(self, url: str) -> List[x509.Certificate]:
        if url in self._chains:
            self._chains.move_to_end(url)
            return self._chains[url]
        data = await asyncio.to_thread(self._read, url)
        try:
            chain = x509.load_pem_x509_certificates(data)
        except ValueError as e:
            raise VerificationFailed("certificate chain is not PEM") from e
        self._chains[url] = chain
        while len(self._chains) > CACHED_CHAINS:
            self._chains.popitem(last=False)
        return chain

    def forget(self, url: str) -> None:
        self._chains.pop(url, None)

    def _read(self, url: str) -> bytes:
        cached = self.directory / self.file_name(url) if self.directory else None
        if cached is not None and cached.is_file():
            return cached.read_bytes()
        try:
            data = self.fetch(url)
        except Exception as e:  # network, HTTP status, size: all mean "cannot verify"
            raise VerificationFailed(f"certificate chain could not be fetched: {type(e).__name__}") from e
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_bytes(data)
        return data


class RequestVerifier:
    """Signature, certificate, timestamp and skill id of one request."""

    def __init__(
        self,
        skill_id: str,
        certificates: Optional[CertificateCache] = None,
        roots: Optional[Sequence[x509.Certificate]] = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ):
        self.skill_id = skill_id
        self.certificates = certificates or CertificateCache()
        self.store = Store(list(roots) if roots is not None else load_roots())
        self.clock = clock

    async def verify(self, raw_body: bytes, headers: Mapping[str, str], body: Mapping[str, Any]) -> None:
        lower: Dict[str, str] = {k.lower(): v for k, v in headers.items()}
        now = self.clock()
        check_application(body, self.skill_id)
        check_timestamp(body, now)
        url = check_certificate_url(lower.get("signaturecertchainurl"))
        signature = lower.get("signature-256")
        if not signature:
            raise VerificationFailed("no Signature-256 header")
        chain = await self.certificates.chain(url)
        try:
            leaf = self._trusted_leaf(chain, now)
        except VerificationFailed:
            self.certificates.forget(url)  # fetch again next time: Amazon may have renewed it
            raise
        key = leaf.public_key()
        if not isinstance(key, rsa.RSAPublicKey):  # _trusted_leaf has checked it: never true here
            raise VerificationFailed("signing certificate has no RSA key")
        try:
            decoded = base64.b64decode(signature, validate=True)
            key.verify(decoded, raw_body, padding.PKCS1v15(), hashes.SHA256())
        except (binascii.Error, ValueError, InvalidSignature) as e:
            raise VerificationFailed("signature does not match the body") from e

    def _trusted_leaf(self, chain: List[x509.Certificate], now: datetime) -> x509.Certificate:
        if not chain:
            raise VerificationFailed("certificate chain is empty")
        leaf = chain[0]
        if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
            raise VerificationFailed("signing certificate is not valid now")
        try:
            names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
                x509.DNSName
            )
        except x509.ExtensionNotFound:
            names = []
        if CERT_SAN not in [n.lower() for n in names]:
            raise VerificationFailed(f"signing certificate is not for {CERT_SAN}")
        if not isinstance(leaf.public_key(), rsa.RSAPublicKey):
            raise VerificationFailed("signing certificate has no RSA key")
        verifier = PolicyBuilder().store(self.store).time(now).build_server_verifier(DNSName(CERT_SAN))
        try:
            verifier.verify(leaf, chain[1:])
        except VerificationError as e:
            raise VerificationFailed(f"signing certificate does not chain to a trusted root: {e}") from e
        return leaf
