from __future__ import annotations

import zoneinfo

from django import forms

from portal.accounts.models import DisplayUnits, Role, Specialty

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
    time_zone = forms.ChoiceField(label="Time zone", choices=[("UTC", "UTC")] + [(tz, tz) for tz in COMMON_TIME_ZONES])


class InviteClinicianForm(forms.Form):
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    specialty = forms.ChoiceField(choices=Specialty.choices)
    role = forms.CharField(widget=forms.HiddenInput, initial=Role.CLINICIAN, required=False)
