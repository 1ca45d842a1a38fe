"""What the Alexa tests share: a test certificate authority, Alexa requests built from
Amazon's own request models (ask-sdk-model, serialised by ask-sdk-core's DefaultSerializer)
and signed like Amazon signs them, and the checks every answer must pass."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import (
    Application,
    Context,
    Intent,
    IntentConfirmationStatus,
    IntentRequest,
    LaunchRequest,
    RequestEnvelope,
    ResponseEnvelope,
    Session,
    SessionEndedReason,
    SessionEndedRequest,
    Slot,
    User,
)
from ask_sdk_model.interfaces.system import SystemState
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SKILL_ID = "amzn1.ask.skill.00000000-psoas-coach-test"
CERT_URL = "https://s3.amazonaws.com/echo.api/echo-api-cert-test.pem"
SERIALIZER = DefaultSerializer()
_BREAK = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)$")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class TestPKI:
    """A root, an intermediate and leaves signed by it (good, expired, without the SAN), plus a
    self-signed leaf no trusted root vouches for."""

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.timezone.utc)
        self.root_key, self.intermediate_key, self.leaf_key = _key(), _key(), _key()
        self.root = self._ca("Psoas Coach Test Root", self.root_key, None, None)
        self.intermediate = self._ca("Psoas Coach Test Intermediate", self.intermediate_key, self.root, self.root_key)
        self.leaf = self.issue(["echo-api.amazon.com"])
        self.expired = self.issue(["echo-api.amazon.com"], days=(-30, -1))
        self.wrong_name = self.issue(["echo-api.example.com"])
        self.self_signed = self._self_signed_leaf()

    def _ca(self, cn: str, key, issuer: Optional[x509.Certificate], issuer_key) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(cn))
            .issuer_name(issuer.subject if issuer else _name(cn))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now - dt.timedelta(days=1))
            .not_valid_after(self.now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),  # keyCertSign, cRLSign
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        )
        signer = issuer_key or key
        if issuer is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    def _leaf_builder(self, names: List[str], days=(-1, 30), key=None) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(_name(names[0]))
            .public_key((key or self.leaf_key).public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.now + dt.timedelta(days=days[0]))
            .not_valid_after(self.now + dt.timedelta(days=days[1]))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        )

    def issue(self, names: List[str], days=(-1, 30)) -> x509.Certificate:
        return (
            self._leaf_builder(names, days)
            .issuer_name(self.intermediate.subject)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.intermediate_key.public_key()), critical=False
            )
            .sign(self.intermediate_key, hashes.SHA256())
        )

    def _self_signed_leaf(self) -> x509.Certificate:
        builder = self._leaf_builder(["echo-api.amazon.com"]).issuer_name(_name("echo-api.amazon.com"))
        return builder.sign(self.leaf_key, hashes.SHA256())

    def chain_pem(self, leaf: Optional[x509.Certificate] = None) -> bytes:
        certs = [leaf or self.leaf] + ([] if leaf is self.self_signed else [self.intermediate])
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)

    def root_pem(self) -> bytes:
        return self.root.public_bytes(serialization.Encoding.PEM)

    def headers(self, body: bytes, url: str = CERT_URL, key=None) -> Dict[str, str]:
        signature = (key or self.leaf_key).sign(body, padding.PKCS1v15(), hashes.SHA256())
        return {
            "SignatureCertChainUrl": url,
            "Signature-256": base64.b64encode(signature).decode(),
            "Content-Type": "application/json",
        }


@dataclass
class AlexaUser:
    """Builds the requests one Alexa user's device would send, keeping the session's
    attributes as Alexa does (what the skill returned comes back with the next request)."""

    user_id: str = field(default_factory=lambda: f"amzn1.ask.account.{uuid.uuid4().hex}")
    skill_id: str = SKILL_ID
    session_id: str = field(default_factory=lambda: f"amzn1.echo-api.session.{uuid.uuid4().hex}")
    attributes: Dict[str, Any] = field(default_factory=dict)
    new: bool = True
    locale: str = "en-GB"

    def envelope(self, request) -> RequestEnvelope:
        application = Application(application_id=self.skill_id)
        user = User(user_id=self.user_id)
        session = Session(
            new=self.new, session_id=self.session_id, user=user, attributes=self.attributes, application=application
        )
        context = Context(
            system=SystemState(application=application, user=user, api_endpoint="https://api.eu.amazonalexa.com")
        )
        return RequestEnvelope(version="1.0", session=session, context=context, request=request)

    def _common(self, at: Optional[dt.datetime] = None) -> Dict[str, Any]:
        return {
            "request_id": f"amzn1.echo-api.request.{uuid.uuid4().hex}",
            "timestamp": at or dt.datetime.now(dt.timezone.utc),
            "locale": self.locale,
        }

    def launch(self, at: Optional[dt.datetime] = None) -> bytes:
        return self.serialise(LaunchRequest(**self._common(at)))

    def intent(self, name: str, slots: Optional[Dict[str, Optional[str]]] = None, at=None) -> bytes:
        intent = Intent(
            name=name,
            slots={k: Slot(name=k, value=v) for k, v in (slots or {}).items()},
            confirmation_status=IntentConfirmationStatus.NONE,
        )
        return self.serialise(IntentRequest(intent=intent, **self._common(at)))

    def says(self, text: Optional[str], at=None) -> bytes:
        return self.intent("CoachUtteranceIntent", {"utterance": text}, at=at)

    def session_ended(self, reason: str = "USER_INITIATED") -> bytes:
        return self.serialise(SessionEndedRequest(reason=SessionEndedReason(reason), **self._common()))

    def serialise(self, request) -> bytes:
        return json.dumps(SERIALIZER.serialize(self.envelope(request))).encode()

    def heard(self, answer: Dict[str, Any]) -> None:
        """Keeps what Alexa keeps between requests of one session."""
        self.new = False
        self.attributes = answer.get("sessionAttributes") or {}
        if answer["response"].get("shouldEndSession"):
            self.new, self.attributes = True, {}
            self.session_id = f"amzn1.echo-api.session.{uuid.uuid4().hex}"


@dataclass
class Heard:
    """An answer as a listener gets it: the words, the silences, and what happens next."""

    text: str
    breaks: List[float]
    reprompt: Optional[str]
    ends: bool
    ssml: str
    raw: Dict[str, Any]

    @property
    def silence(self) -> float:
        return sum(self.breaks)


def _speech_text(root: ET.Element) -> str:
    return re.sub(r"\s+", " ", "".join(root.itertext())).strip()


def check_answer(answer: Dict[str, Any]) -> Heard:
    """Every answer Alexa gets must pass these: Amazon's response model reads it, the SSML is
    XML inside <speak>, breaks are at most 10 s, speech at most 8000 characters,
    shouldEndSession a real boolean, a reprompt whenever the microphone stays open, and
    nothing a speech engine would spell out (markdown, emoji)."""
    envelope = SERIALIZER.deserialize(json.dumps(answer), ResponseEnvelope)
    assert envelope.version == "1.0"
    response = answer["response"]
    assert isinstance(response["shouldEndSession"], bool), response
    ssml = response["outputSpeech"]["ssml"]
    assert response["outputSpeech"]["type"] == "SSML"
    assert len(ssml) <= 8000, len(ssml)
    root = ET.fromstring(ssml)
    assert root.tag == "speak"
    breaks = []
    for element in root.iter("break"):
        match = _BREAK.match(element.get("time", ""))
        assert match, element.attrib
        seconds = float(match.group(1)) / (1000 if match.group(2) == "ms" else 1)
        assert 0 < seconds <= 10, seconds
        breaks.append(seconds)
    for element in root.iter("say-as"):
        assert element.get("interpret-as") == "digits" and (element.text or "").isdigit(), element.attrib
    text = _speech_text(root)
    assert text, "every answer says something"
    assert not re.search(r"[*_`#]|[\U0001F300-\U0001FAFF\u2600-\u27BF]", text), text
    reprompt = None
    if response["shouldEndSession"]:
        assert "reprompt" not in response
    else:
        reprompt_root = ET.fromstring(response["reprompt"]["outputSpeech"]["ssml"])
        assert reprompt_root.tag == "speak"
        reprompt = _speech_text(reprompt_root)
        assert reprompt
    assert len(json.dumps(answer).encode()) <= 24 * 1024
    return Heard(text, breaks, reprompt, response["shouldEndSession"], ssml, answer)
