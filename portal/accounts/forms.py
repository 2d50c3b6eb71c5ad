from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms

from portal.accounts.models import DisplayUnits, Role, Specialty

# Set when an invitation is accepted in this browser: the sign-in form then shows the address.
INVITED_EMAIL_KEY = "aftercare_invited_email"

COMMON_TIME_ZONES = sorted(tz for tz in zoneinfo.available_timezones() if "/" in tz and not tz.startswith("Etc/"))


class AcceptInvitationForm(forms.Form):
    password1 = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
        help_text="At least 10 characters; not a common password.",
    )
    password2 = forms.CharField(
        label="Repeat the password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        strip=False,
    )

    def __init__(self, *args, with_totp: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if with_totp:
            # A clinician or admin sets up the authenticator app in the same step.
            self.fields["code"] = forms.CharField(
                label="Code from your authenticator app",
                max_length=12,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
                help_text="6 digits; a new code appears every 30 seconds.",
                error_messages={"required": "Type the 6-digit code your authenticator app shows for Aftercare."},
            )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return cleaned


class AccountSettingsForm(forms.Form):
    display_units = forms.ChoiceField(
        label="Temperature unit",
        choices=[(DisplayUnits.CELSIUS, "°C (Celsius)"), (DisplayUnits.FAHRENHEIT, "°F (Fahrenheit)")],
        widget=forms.RadioSelect,
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="Pick the city nearest to you in the same time zone. Every time in Aftercare is shown in it.",
        widget=forms.Select(attrs={"data-likely-zones": ""}),
    )

    def __init__(self, *args, likely_zones: list[str] | tuple[str, ...] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices(likely=likely_zones)


def zone_label(zone: str, *, now: datetime | None = None) -> str:
    """ "New York (America) · UTC-05:00": the city first, as people look for it."""
    if "/" not in zone:
        return zone
    region, _, rest = zone.partition("/")
    parts = [p.replace("_", " ") for p in rest.split("/")]
    where = ", ".join([*parts[:-1], region])
    offset = (now or datetime.now(UTC)).astimezone(zoneinfo.ZoneInfo(zone)).strftime("%z")
    return f"{parts[-1]} ({where}) · UTC{offset[:3]}:{offset[3:]}"


def time_zone_choices(*, likely=()) -> list:
    """The user's likely zones first (theirs, the clinic's; the page adds the device's),
    then every zone by region, by city name; UTC last."""
    now = datetime.now(UTC)
    likely = [z for z in dict.fromkeys(likely) if z in COMMON_TIME_ZONES]
    groups: dict[str, list[tuple[str, str]]] = {}
    for zone in COMMON_TIME_ZONES:
        if zone not in likely:
            groups.setdefault(zone.split("/")[0], []).append((zone, zone_label(zone, now=now)))
    choices: list = []
    if likely:
        choices.append(("Likely for you", [(z, zone_label(z, now=now)) for z in likely]))
    for region in sorted(groups):
        choices.append((region, sorted(groups[region], key=lambda choice: choice[1])))
    choices.append(("Other", [("UTC", "UTC (Coordinated Universal Time)")]))
    return choices


class InviteClinicianForm(forms.Form):
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    specialty = forms.ChoiceField(choices=Specialty.choices)
    is_triage = forms.BooleanField(
        label="Triage pool",
        required=False,
        help_text="Receives the alerts of patients without an active care team.",
    )
    is_quality = forms.BooleanField(
        label="Quality lead",
        required=False,
        help_text="Reads the clinic's quality figures and patients' feedback, without names.",
    )
    role = forms.CharField(widget=forms.HiddenInput, initial=Role.CLINICIAN, required=False)


class LoginForm(AllauthLoginForm):
    """allauth's sign-in form; right after accepting an invitation in this browser, the
    address is filled in (kept in the session, never in the URL) and the cursor waits
    in the password field."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        session = getattr(self.request, "session", None)
        email = session.pop(INVITED_EMAIL_KEY, None) if session is not None else None
        if email and not self.is_bound:
            self.fields["login"].initial = email
            self.fields["login"].widget.attrs.pop("autofocus", None)
            self.fields["password"].widget.attrs["autofocus"] = True
