"""Request and response bodies of the two-factor (TOTP) endpoints."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from app.auth.schemas import AccessToken

Code = Annotated[str, msgspec.Meta(min_length=6, max_length=32)]
ChallengeToken = Annotated[str, msgspec.Meta(min_length=1, max_length=2048)]


class LoginChallenge(msgspec.Struct):
    """Login's answer when the password was right and a second factor is due.

    `second_factor` is `totp` (send a code to /auth/login/totp) or `totp_enrolment`
    (this account must enrol first: /auth/totp/enrol, then /auth/totp/confirm,
    each with the challenge_token).
    """

    second_factor: Literal["totp", "totp_enrolment"]
    challenge_token: str
    expires_in: int


class TotpLoginIn(msgspec.Struct, forbid_unknown_fields=True):
    challenge_token: ChallengeToken
    # A 6-digit code from the authenticator app, or one unused recovery code.
    code: Code


class EnrolIn(msgspec.Struct, forbid_unknown_fields=True):
    # Needed when signing in without an access token (second_factor: totp_enrolment).
    challenge_token: ChallengeToken | None = None


class TotpEnrolment(msgspec.Struct):
    secret: str
    otpauth_uri: str
    # The otpauth URI as an SVG QR code, `data:image/svg+xml;...`.
    qr_svg: str
    issuer: str
    account: str


class ConfirmIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    challenge_token: ChallengeToken | None = None


class TotpConfirmed(msgspec.Struct):
    """Shown once: store the recovery codes somewhere safe."""

    recovery_codes: list[str]
    # Present when the enrolment finished a sign-in (confirmed with a challenge_token).
    session: AccessToken | None = None


class CodeIn(msgspec.Struct, forbid_unknown_fields=True):
    code: Code


class RecoveryCodes(msgspec.Struct):
    recovery_codes: list[str]


class TotpStatus(msgspec.Struct):
    enabled: bool
    required: bool
    recovery_codes_left: int
