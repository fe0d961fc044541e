from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import services
from accounts.audit import AuditContext
from accounts.mfa.services import mfa_enrol, mfa_reset, totp_key_from_base32
from accounts.models import Practice, Role, User


class Command(BaseCommand):
    help = "Create a member of staff, or update the one with that email (re-running is safe)."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True, help="At least 12 characters.")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--practice", help="Practice name; created when missing.")
        parser.add_argument("--supervisor", help="Email of this person's clinical supervisor.")
        parser.add_argument("--full-name", dest="full_name")
        parser.add_argument("--credentials", help="License or credential, e.g. LCSW.")
        parser.add_argument(
            "--mfa-secret",
            dest="mfa_secret",
            metavar="BASE32",
            help="Enrol this TOTP secret (base32, as authenticator apps show it) as the account's second factor, "
            "replacing any; prints the new recovery codes.",
        )

    @transaction.atomic
    def handle(self, *args, **opts):
        key = None
        if opts["mfa_secret"] is not None:
            try:
                key = totp_key_from_base32(opts["mfa_secret"])
            except ValidationError as error:
                raise CommandError(f"--mfa-secret: {' '.join(error.messages)}") from None
        existing = User.objects.filter(email__iexact=opts["email"]).first()
        practice, made = None, False
        if opts["practice"]:
            practice, made = Practice.objects.get_or_create(name=opts["practice"].strip())
        elif existing is None or existing.practice is None:
            raise CommandError("Give --practice NAME: every member of staff belongs to a practice.")
        else:
            practice = existing.practice

        # Re-running without --supervisor (say, to reset a password) keeps the current supervisor.
        supervisor = existing.supervisor if existing is not None else None
        if opts["supervisor"]:
            supervisor = User.objects.filter(email__iexact=opts["supervisor"]).first()
            if supervisor is None:
                raise CommandError(f"No account with the email {opts['supervisor']}: create the supervisor first.")

        try:
            user, created = services.staff_save(
                email=opts["email"],
                password=opts["password"],
                role=opts["role"],
                practice=practice,
                supervisor=supervisor,
                full_name=opts["full_name"],
                credentials=opts["credentials"],
                is_active=True,
            )
        except ValidationError as error:
            raise CommandError(" ".join(_sentences(error))) from None
        if made:
            self.stdout.write(f"Created practice {practice.name}.")
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} {user.email} ({user.get_role_display()}, {practice.name})."))
        if key is not None:
            by = AuditContext.system("manage.py create_staff")
            mfa_reset(by=by, user=user)
            _device, codes = mfa_enrol(by=by, user=user, key=key, code=None)
            self.stdout.write(f"Two-step sign-in set up with the given secret. Recovery codes: {', '.join(codes)}")


def _sentences(error: ValidationError) -> list[str]:
    if hasattr(error, "error_dict"):
        return [f"{field}: {msg}" for field, msgs in error.message_dict.items() for msg in msgs]
    return list(error.messages)
