"""`python -m config.demo_code`: the demo operator's current two-factor code (make demo's
database must be reachable: DATABASE_URL, or the embedded server while make demo runs)."""

import os
import sys


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from config.demo import OPERATOR

    device = TOTPDevice.objects.filter(user__email=OPERATOR[0], confirmed=True).first()
    if device is None:
        print("Run `make demo` first: the demo operator has no authenticator yet.")
        return 1
    print(f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
