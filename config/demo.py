"""`make demo`: database, migrations, the demo clinic and its data, then the server.

Without DATABASE_URL an embedded PostgreSQL runs from var/pgdata and is
stopped when this process ends (also on Ctrl-C or SIGTERM).
"""

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
ADDRESS = os.environ.get("DEMO_ADDRESS", "127.0.0.1:8000")
OPERATOR = ("operator@demo.example", "demo-pass-2026")


def main() -> int:
    from clinic.embedded_db import start_unless_configured

    configure_environment()
    if not _port_free(ADDRESS):
        # Checked first: runserver would leave with os._exit(), past the embedded server's clean stop.
        print(f"{ADDRESS} is already in use: stop the other server, or set DEMO_ADDRESS.", flush=True)
        return 1
    embedded = start_unless_configured(BASE_DIR)
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate_schemas", interactive=False, verbosity=0)
        call_command("setup_site")
        _ensure_demo_clinic()
        call_command("seed_demo", clinic="demo")
        call_command(
            "create_operator", email=OPERATOR[0], name="Demo Operator", password=OPERATOR[1], verbosity=0
        )
        _print_logins(embedded is not None, _operator_authenticator())
        call_command("runserver", ADDRESS, use_reloader=False, use_threading=True)
    except KeyboardInterrupt:
        pass
    finally:
        if embedded is not None:
            embedded.stop()
            print("Embedded PostgreSQL stopped.")
    return 0


def configure_environment() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    for name, value in site_settings(ADDRESS).items():
        os.environ.setdefault(name, value)


def site_settings(address: str) -> dict[str, str]:
    """Links in mails and the trusted origins for the address the demo really serves on
    (DEMO_ADDRESS), not a fixed port 8000."""
    port = address.rsplit(":", 1)[-1]
    suffix = "" if port == "80" else f":{port}"
    return {
        "SITE_URL_TEMPLATE": f"http://{{domain}}{suffix}",
        "CSRF_TRUSTED_ORIGINS": f"http://*.localhost{suffix},http://localhost{suffix}",
    }


def _port_free(address: str) -> bool:
    import socket

    host, port = address.rsplit(":", 1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the server binds: a connection a browser left in TIME_WAIT does not hold the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, int(port)))
        except OSError:
            return False
    return True


def _ensure_demo_clinic() -> None:
    from clinic.tenants.models import Clinic
    from clinic.tenants.services import create_clinic
    from config.management.commands.seed_demo import DEMO_PASSWORD

    if not Clinic.objects.filter(slug="demo").exists():
        create_clinic(
            slug="demo",
            name="Demo Clinic",
            currency="MDL",
            time_zone="Europe/Chisinau",
            language="en",
            admin_email="manager@demo.example",
            admin_name="Mihaela Manager",
            password=DEMO_PASSWORD,
        )


def _operator_authenticator():
    """The demo operator signs in with two factors like every operator: one authenticator,
    made once and kept, whose key (and a current code) are printed with the logins."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from clinic.accounts.models import User

    operator = User.objects.get(email=OPERATOR[0])
    device = TOTPDevice.objects.filter(user=operator, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=operator, name="Demo authenticator", confirmed=True)


def _print_logins(embedded: bool, authenticator=None) -> None:
    from config.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERS
    from partners.organisations.demo import DEMO_PARTNERS

    port = ADDRESS.rsplit(":", 1)[-1]
    lines = [
        "",
        "Clinic Channels demo" + (" (embedded PostgreSQL in var/pgdata)" if embedded else ""),
        f"  Demo clinic:      http://demo.localhost:{port}/",
        f"  Operator console: http://localhost:{port}/operator/  {OPERATOR[0]} / {OPERATOR[1]}",
        *_authenticator_lines(authenticator),
        "  Clinic logins (password for all: " + DEMO_PASSWORD + "):",
    ]
    lines += [f"    {role.label:<12} {email}" for email, _name, role in DEMO_USERS]
    lines.append(f"  Partner portal:   http://localhost:{port}/portal/  (password: {DEMO_PASSWORD})")
    lines += [f"    {email:<26} {name}" for name, _number, _kind, _contact, email in DEMO_PARTNERS]
    lines.append("  Stop with Ctrl-C.")
    print("\n".join(str(line) for line in lines), flush=True)


def _authenticator_lines(device) -> list[str]:
    if device is None:
        return []
    from django_otp.oath import totp

    from clinic.accounts.two_factor import secret_of

    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return [
        f"    two-factor key (add it to an authenticator app): {secret_of(device)}",
        f"    code right now: {code:06d} (a new one every 30 s; or `.venv/bin/python -m config.demo_code`)",
    ]


if __name__ == "__main__":
    sys.exit(main())
