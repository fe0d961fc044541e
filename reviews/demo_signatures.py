"""Demo signatures: every signature state across the demo plans (Riverside asks for the client's signature).

- RCC-1001 (Jordan Lee): signed by the clinician and the client, who drew her signature: `signed`.
- RCC-1002 (Jordan Lee): signed by the clinician; the client declined, with the reason recorded: `signed`.
- RCC-1003 (Jordan Lee): signed by the clinician only: `awaiting_client`.
- RCC-1004 (Sam Patel, who needs supervision): clinician and client: `awaiting_supervisor` (Dr. Rivera co-signs).
- RCC-1005 (Sam Patel): not signed: `unsigned` (the sweep's unsigned-plan reminder tells him).
- HFT-2001 (Linh Nguyen, Harbor): signed by the clinician and the client, then amended through the amendment
  path (an objective reworded, with the client's reason): `amended_unsigned`, version 1 still in force and the
  amendment in the version diff.

Through `plan_sign` as the clinicians, who re-enter the demo password (a management command has no caller
address for the lockout to count). Idempotent: a plan with a signature gets none again.
"""

from __future__ import annotations

import base64
import dataclasses
import math
import struct
import zlib

from accounts.audit import AuditContext
from accounts.demo import DEMO_PASSWORD
from reviews.models import PlanSignature, SignatureMethod, SignatureRole
from reviews.services.signatures import plan_sign
from treatment.models import TreatmentGoal, TreatmentPlan
from treatment.services import goal_update

#: MRN: the client's signature after the clinician's (None: none yet).
CLIENT_SIGNATURES: dict[str, dict | None] = {
    "RCC-1001": {"method": SignatureMethod.DRAWN, "signer_name": "Emily Carter"},
    "RCC-1002": {
        "method": SignatureMethod.DECLINED,
        "signer_name": "Marcus Johnson",
        "reason": "Agrees with the goals but wants to read the plan at home with his partner before he signs it.",
    },
    "RCC-1003": None,
    "RCC-1004": {"method": SignatureMethod.TYPED, "signer_name": "Daniel Kim"},
    "HFT-2001": {"method": SignatureMethod.TYPED, "signer_name": "Noah Fischer"},
}
#: MRN: (the goal's description as seeded, what it becomes, the amendment's reason), once the plan is signed.
AMENDMENTS: dict[str, tuple[str, str, str]] = {
    "HFT-2001": (
        "Do interoceptive exposure exercises five days a week",
        "Do interoceptive exposure exercises five days a week, with a short evening practice",
        "Client asked to add evening practice after the review",
    ),
}


def seed_signatures(by: AuditContext, plans: dict[str, TreatmentPlan]) -> None:
    """Sign the demo plans ({MRN: plan}) as the module docstring lists, then amend HFT-2001; RCC-1005 stays
    unsigned."""
    for mrn, client in CLIENT_SIGNATURES.items():
        plan = plans.get(mrn)
        if plan is None or plan.is_closed or PlanSignature.objects.filter(plan=plan).exists():
            continue
        clinician = dataclasses.replace(by, user=plan.therapist)
        plan_sign(by=clinician, plan=plan, role=SignatureRole.CLINICIAN, password=DEMO_PASSWORD)
        if client is None:
            continue
        image = drawn_signature() if client["method"] == SignatureMethod.DRAWN else None
        plan_sign(by=clinician, plan=plan, role=SignatureRole.CLIENT, image=image, **client)
        if mrn in AMENDMENTS:
            signed, amended, reason = AMENDMENTS[mrn]
            goal = TreatmentGoal.objects.get(plan=plan, description=signed)
            goal_update(by=clinician, goal=goal, description=amended, amendment_reason=reason)


def drawn_signature(width: int = 240, height: int = 60) -> str:
    """A pen stroke (a damped wave) as a PNG data URL, as the signature pad would send it."""
    rows = [bytearray(b"\xff" * width) for _ in range(height)]
    for x in range(8, width - 8):
        y = int(height / 2 + (height / 3) * math.sin(x / 9) * math.exp(-x / width))
        for dy in (-1, 0, 1):
            rows[min(max(y + dy, 0), height - 1)][x] = 0x1F
    raw = b"".join(b"\x00" + bytes(row) for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
