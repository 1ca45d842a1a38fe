"""Amazon's checks for a self-hosted skill, against a test CA: a correctly signed request
passes; anything forged, stale, for another skill or signed with a bad certificate fails."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from connectors.alexa_verify import (
    CertificateCache,
    RequestVerifier,
    VerificationFailed,
    check_certificate_url,
)
from tests.alexa_kit import CERT_URL, SKILL_ID, AlexaUser, TestPKI


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return TestPKI()


class Fetcher:
    """Serves chains by URL, offline, and counts fetches."""

    def __init__(self, chains):
        self.chains, self.calls = chains, []

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        if url not in self.chains:
            raise ConnectionError("not found")
        return self.chains[url]


def verifier(pki: TestPKI, chain: bytes = None, url: str = CERT_URL, **kw) -> RequestVerifier:
    fetch = Fetcher({url: chain if chain is not None else pki.chain_pem()})
    return RequestVerifier(SKILL_ID, CertificateCache(fetch), [pki.root], **kw)


async def verify(v: RequestVerifier, body: bytes, headers) -> None:
    await v.verify(body, headers, json.loads(body))


async def test_a_correctly_signed_request_is_accepted_and_its_certificate_fetched_once(pki):
    v = verifier(pki)
    user = AlexaUser()
    for body in (user.launch(), user.says("i can't kneel")):
        await verify(v, body, pki.headers(body))
    assert v.certificates.fetch.calls == [CERT_URL]


async def test_header_names_are_case_insensitive(pki):
    body = AlexaUser().launch()
    headers = {k.lower(): v for k, v in pki.headers(body).items()}
    await verify(verifier(pki), body, headers)


async def test_a_forged_signature_is_refused(pki):
    body = AlexaUser().says("hello")
    headers = pki.headers(body)
    tampered = body.replace(b"hello", b"jello")
    with pytest.raises(VerificationFailed, match="signature"):
        await verify(verifier(pki), tampered, headers)
    other_key = TestPKI().leaf_key  # signed by someone else's key, presented with Amazon's certificate
    with pytest.raises(VerificationFailed, match="signature"):
        await verify(verifier(pki), body, pki.headers(body, key=other_key))
    with pytest.raises(VerificationFailed, match="signature"):
        await verify(verifier(pki), body, {**headers, "Signature-256": "not base64!!"})


async def test_missing_signature_headers_are_refused(pki):
    body = AlexaUser().launch()
    headers = pki.headers(body)
    for missing in ("Signature-256", "SignatureCertChainUrl"):
        with pytest.raises(VerificationFailed):
            await verify(verifier(pki), body, {k: v for k, v in headers.items() if k != missing})


@pytest.mark.parametrize("seconds", [151, -151, 3600])
async def test_a_request_more_than_150_seconds_from_now_is_refused(pki, seconds):
    body = AlexaUser().launch(at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=seconds))
    with pytest.raises(VerificationFailed, match="timestamp"):
        await verify(verifier(pki), body, pki.headers(body))


async def test_a_request_140_seconds_old_is_still_accepted(pki):
    body = AlexaUser().launch(at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=140))
    await verify(verifier(pki), body, pki.headers(body))


async def test_a_malformed_timestamp_is_refused(pki):
    body = json.loads(AlexaUser().launch())
    body["request"]["timestamp"] = "yesterday-ish"
    raw = json.dumps(body).encode()
    with pytest.raises(VerificationFailed, match="timestamp"):
        await verify(verifier(pki), raw, pki.headers(raw))


async def test_a_request_for_another_skill_is_refused(pki):
    for body in (
        AlexaUser(skill_id="amzn1.ask.skill.someone-else").launch(),
        _with_context_app(AlexaUser().launch(), "amzn1.ask.skill.someone-else"),
    ):
        with pytest.raises(VerificationFailed, match="another skill"):
            await verify(verifier(pki), body, pki.headers(body))


def _with_context_app(raw: bytes, application_id: str) -> bytes:
    body = json.loads(raw)
    body["context"]["System"]["application"]["applicationId"] = application_id
    return json.dumps(body).encode()


# Amazon's own examples (developer documentation) plus the variants an attacker would try.
VALID_URLS = [
    "https://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:443/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../echo.api/echo-api-cert.pem",
    "https://S3.AMAZONAWS.COM/echo.api/echo-api-cert.pem",
    "HTTPS://s3.amazonaws.com/echo.api/echo-api-cert.pem",
]
INVALID_URLS = [
    "http://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://notamazon.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com.evil.example/echo.api/echo-api-cert.pem",
    "https://evil.example/s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com@evil.example/echo.api/echo-api-cert.pem",
    "https://user@s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com/EcHo.aPi/echo-api-cert.pem",
    "https://s3.amazonaws.com/invalid.path/echo-api-cert.pem",
    "https://s3.amazonaws.com/echo.api/../x",
    "https://s3.amazonaws.com/echo.api/%2e%2e/x",
    "https://s3.amazonaws.com/echo.api/..%2fx",
    "https://s3.amazonaws.com//echo.api/x",
    "https://s3.amazonaws.com/echo.api\\..\\x",
    "https://s3.amazonaws.com:563/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:80/echo.api/echo-api-cert.pem",
    "https://s3.amazonaws.com:notaport/echo.api/echo-api-cert.pem",
    "ftp://s3.amazonaws.com/echo.api/echo-api-cert.pem",
    "",
]


@pytest.mark.parametrize("url", VALID_URLS)
def test_amazons_valid_certificate_urls_pass(url):
    assert check_certificate_url(url) == url


@pytest.mark.parametrize("url", INVALID_URLS)
def test_bad_certificate_urls_fail(url):
    with pytest.raises(VerificationFailed):
        check_certificate_url(url)


@pytest.mark.parametrize("url", INVALID_URLS[:6] + INVALID_URLS[8:10] + INVALID_URLS[13:14])
async def test_a_request_with_a_bad_certificate_url_is_refused_before_anything_is_fetched(pki, url):
    v = verifier(pki, url=url)
    body = AlexaUser().launch()
    with pytest.raises(VerificationFailed, match="certificate URL"):
        await verify(v, body, pki.headers(body, url=url))
    assert v.certificates.fetch.calls == []


async def test_an_expired_certificate_is_refused(pki):
    body = AlexaUser().launch()
    with pytest.raises(VerificationFailed, match="not valid now"):
        await verify(verifier(pki, pki.chain_pem(pki.expired)), body, pki.headers(body))


async def test_a_certificate_without_echo_api_in_its_names_is_refused(pki):
    body = AlexaUser().launch()
    with pytest.raises(VerificationFailed, match="echo-api.amazon.com"):
        await verify(verifier(pki, pki.chain_pem(pki.wrong_name)), body, pki.headers(body))


async def test_a_certificate_no_trusted_root_vouches_for_is_refused(pki):
    body = AlexaUser().launch()
    with pytest.raises(VerificationFailed, match="trusted root"):
        await verify(verifier(pki, pki.chain_pem(pki.self_signed)), body, pki.headers(body))
    # The real chain, but a trust store without our test root (the default Mozilla roots).
    default_roots = RequestVerifier(SKILL_ID, CertificateCache(Fetcher({CERT_URL: pki.chain_pem()})))
    with pytest.raises(VerificationFailed, match="trusted root"):
        await verify(default_roots, body, pki.headers(body))


async def test_a_chain_that_cannot_be_fetched_or_read_is_refused(pki):
    body = AlexaUser().launch()
    with pytest.raises(VerificationFailed, match="could not be fetched"):
        await verify(verifier(pki, url="https://s3.amazonaws.com/echo.api/other.pem"), body, pki.headers(body))
    with pytest.raises(VerificationFailed, match="not PEM"):
        await verify(verifier(pki, b"<html>nope</html>"), body, pki.headers(body))


async def test_a_certificate_valid_when_cached_is_refused_once_it_has_expired(pki):
    clock = {"now": dt.datetime.now(dt.timezone.utc)}
    v = verifier(pki, clock=lambda: clock["now"])
    user = AlexaUser()
    body = user.launch()
    await verify(v, body, pki.headers(body))
    clock["now"] += dt.timedelta(days=60)  # the leaf is valid for 30 days
    late = user.launch(at=clock["now"])
    with pytest.raises(VerificationFailed, match="not valid now"):
        await verify(v, late, pki.headers(late))


async def test_the_cache_directory_hands_the_server_its_chain_offline(pki, tmp_path):
    (tmp_path / CertificateCache.file_name(CERT_URL)).write_bytes(pki.chain_pem())
    never = Fetcher({})
    v = RequestVerifier(SKILL_ID, CertificateCache(never, directory=str(tmp_path)), [pki.root])
    body = AlexaUser().launch()
    await verify(v, body, pki.headers(body))
    assert never.calls == []
    fetched = Fetcher({"https://s3.amazonaws.com/echo.api/new.pem": pki.chain_pem()})
    v = RequestVerifier(SKILL_ID, CertificateCache(fetched, directory=str(tmp_path)), [pki.root])
    await verify(v, body, pki.headers(body, url="https://s3.amazonaws.com/echo.api/new.pem"))
    assert (tmp_path / CertificateCache.file_name("https://s3.amazonaws.com/echo.api/new.pem")).is_file()
