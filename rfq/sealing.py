"""Sealed bids: encryption at rest with a per-tender key, and signed submission receipts.

Each sealed RFQ gets a random 256-bit data key when it is published. The data key is stored only
encrypted (AES-256-GCM) with the platform's sealing key, which lives in the settings, never in the
database; bid contents and bid attachments are encrypted with the data key (AES-256-GCM, the RFQ,
bid and version bound in as associated data, so a ciphertext cannot be moved to another bid).

A database dump taken before the deadline therefore holds only ciphertext. The application unwraps
the data key only through a query whose WHERE clause asks the database clock whether the deadline has
passed (``repository.sealing_key_for``), or for the bidding vendor's own bid: decryption refuses before
the deadline for everyone else, operators included.

Trust boundary, stated honestly: whoever holds both the sealing key and a database copy could decrypt
early. Splitting that key (threshold or time-lock encryption) is the next step; see docs/rfq.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from datetime import datetime

import msgspec
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from marketplace.settings import Settings
from rfq.models import BidContent

KEY_FORMAT = b"\x01"  # version byte in front of each wrapped key, for key rotation
NONCE_BYTES = 12


class SealedError(Exception):
    """A sealed value could not be opened: wrong key, tampered ciphertext, or not yet allowed."""


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"tradeyard " + purpose).derive(secret)


def sealing_master_key(settings: Settings) -> bytes:
    """The key-encryption key: ``TRADEYARD_BID_SEALING_KEY``, or one derived from the secret key."""
    if settings.bid_sealing_key:
        return base64.b64decode(settings.bid_sealing_key)
    return _derive(settings.secret_key.encode(), b"bid sealing v1")


def receipt_key(settings: Settings) -> bytes:
    return _derive(settings.secret_key.encode(), b"bid receipts v1")


def question_alias_key(settings: Settings) -> bytes:
    """The key of the Q&A aliases: its own derivation, so an alias says nothing about receipts."""
    return _derive(settings.secret_key.encode(), b"question aliases v1")


def invitation_link_key(settings: Settings) -> bytes:
    """The key that signs the sign-up links of email invitations (``rfq.invitations``)."""
    return _derive(settings.secret_key.encode(), b"invitation links v1")


def invitation_token(key: bytes, invitation_id: int, email: str) -> str:
    """``<invitation id>.<HMAC>``: the link names one invitation and proves it was sent to ``email``."""
    message = f"rfq-invitation|{invitation_id}|{email.lower()}".encode()
    return f"{invitation_id}.{hmac.new(key, message, hashlib.sha256).hexdigest()[:32]}"


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _encrypt(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return KEY_FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _decrypt(key: bytes, blob: bytes, aad: bytes) -> bytes:
    if not blob.startswith(KEY_FORMAT):
        raise SealedError("unknown sealed format")
    nonce, ciphertext = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, ciphertext, aad)
    except Exception as exc:  # cryptography raises InvalidTag; any failure means "cannot open"
        raise SealedError("cannot open sealed value") from exc


def wrap_data_key(master: bytes, data_key: bytes, rfq_id: int) -> bytes:
    return _encrypt(master, data_key, f"rfq:{rfq_id}".encode())


def unwrap_data_key(master: bytes, wrapped: bytes, rfq_id: int) -> bytes:
    return _decrypt(master, wrapped, f"rfq:{rfq_id}".encode())


def canonical(content: BidContent) -> bytes:
    """The exact bytes that are hashed for the receipt and encrypted: msgspec's field order is fixed."""
    return msgspec.json.encode(content)


def content_hash(content_bytes: bytes) -> str:
    return hashlib.sha256(content_bytes).hexdigest()


def new_salt() -> str:
    return base64.b64encode(os.urandom(16)).decode()


def seal_content(data_key: bytes, content_bytes: bytes, *, bid_id: int, version: int) -> bytes:
    return _encrypt(data_key, content_bytes, f"bid:{bid_id}:{version}".encode())


def open_content(data_key: bytes, sealed: bytes, *, bid_id: int, version: int) -> BidContent:
    plaintext = _decrypt(data_key, sealed, f"bid:{bid_id}:{version}".encode())
    return msgspec.json.decode(plaintext, type=BidContent)


def seal_file(data_key: bytes, data: bytes, *, attachment_ref: str) -> bytes:
    return _encrypt(data_key, data, f"file:{attachment_ref}".encode())


def open_file(data_key: bytes, sealed: bytes, *, attachment_ref: str) -> bytes:
    return _decrypt(data_key, sealed, f"file:{attachment_ref}".encode())


def _receipt_message(rfq_id: int, bid_id: int, version: int, submitted_at: datetime, sha256: str) -> bytes:
    return f"tradeyard-bid-receipt|{rfq_id}|{bid_id}|{version}|{submitted_at.isoformat()}|{sha256}".encode()


def sign_receipt(key: bytes, rfq_id: int, bid_id: int, version: int, submitted_at: datetime, sha256: str) -> str:
    return hmac.new(key, _receipt_message(rfq_id, bid_id, version, submitted_at, sha256), hashlib.sha256).hexdigest()


def receipt_is_genuine(
    key: bytes, rfq_id: int, bid_id: int, version: int, submitted_at: datetime, sha256: str, signature: str
) -> bool:
    expected = sign_receipt(key, rfq_id, bid_id, version, submitted_at, sha256)
    return hmac.compare_digest(expected, signature)


def question_alias(key: bytes, rfq_id: int, vendor_id: int) -> str:
    """A vendor's alias in one RFQ's Q&A: stable within the RFQ, unlinkable across RFQs."""
    digest = hmac.new(key, f"qa-alias|{rfq_id}|{vendor_id}".encode(), hashlib.sha256).digest()
    return "Bidder " + base64.b32encode(digest[:5]).decode().rstrip("=")[:6]
