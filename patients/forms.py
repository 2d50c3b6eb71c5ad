"""Web forms of the patients pages. They only collect and render: the services
validate (the same rules and messages as the API) and the view attaches their
errors to the fields."""

from __future__ import annotations

import uuid

from django import forms

from patients.models import Drug, NeedleType, Sex
from patients.questions import QUESTIONS
from patients.services import ALLERGY_CHOICES, NOTES_MAX, PREFERENCES_MAX
from portal.accounts.models import DisplayUnits

SCORE_CHOICES = [(str(i), str(i)) for i in range(11)]
YES_NO = [("no", "No"), ("yes", "Yes")]
ANSWERS = {"no": False, "yes": True}  # anything else: not answered (None)
DATETIME_LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SymptomForm(forms.Form):
    back_pain = forms.ChoiceField(label="Back pain", choices=SCORE_CHOICES, required=False, widget=forms.RadioSelect)
    headache = forms.ChoiceField(label="Headache", choices=SCORE_CHOICES, required=False, widget=forms.RadioSelect)
    temperature = forms.CharField(
        label="Temperature",
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal", "autocomplete": "off"}),
    )
    temperature_unit = forms.ChoiceField(label="Unit", choices=DisplayUnits.choices, widget=forms.RadioSelect)
    notes = forms.CharField(
        label="Anything else? (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTES_MAX}),
    )
    recorded_at = forms.CharField(label="When was this?", required=False, widget=DATETIME_LOCAL)
    form_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, units: str = "C", **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("temperature_unit", units)
        kwargs["initial"].setdefault("form_token", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        for question in QUESTIONS:
            # Nothing pre-selected: an unanswered red-flag question is never a "no"
            # (CLINICAL.md section 1); the service names each one left out.
            self.fields[question.field] = forms.ChoiceField(
                label=question.text, help_text=question.hint, choices=YES_NO, required=False, widget=forms.RadioSelect
            )

    def question_fields(self):
        return [self[question.field] for question in QUESTIONS]

    def service_data(self) -> dict:
        """The API-shaped entry for ``record_symptoms``."""
        data = self.cleaned_data
        entry = {
            "back_pain": data.get("back_pain"),
            "headache": data.get("headache"),
            "notes": data.get("notes", ""),
            "recorded_at": data.get("recorded_at") or None,
        }
        unit_field = "temperature_f" if data.get("temperature_unit") == DisplayUnits.FAHRENHEIT else "temperature_c"
        entry[unit_field] = data.get("temperature") or None
        for question in QUESTIONS:
            entry[question.field] = ANSWERS.get(data.get(question.field) or "")
        return entry

    FIELD_OF_SERVICE_ERROR = {"temperature_c": "temperature", "temperature_f": "temperature"}


class HealthForm(forms.Form):
    """The pain-plan inputs (API.md ``health``)."""

    allergies = forms.MultipleChoiceField(
        label="Allergies",
        required=False,
        choices=[(a, {"nsaid": "An NSAID (e.g. ibuprofen, naproxen)"}.get(a, a.capitalize())) for a in ALLERGY_CHOICES],
        widget=forms.CheckboxSelectMultiple,
    )
    kidney_disease = forms.BooleanField(label="Kidney disease", required=False)
    liver_disease = forms.BooleanField(label="Liver disease", required=False)
    heavy_alcohol = forms.BooleanField(label="I have 3 or more alcoholic drinks a day", required=False)
    ulcer_or_gi_bleed = forms.BooleanField(label="Stomach ulcer or stomach bleeding in the past", required=False)
    anticoagulant = forms.BooleanField(label="I take a blood thinner (anticoagulant or antiplatelet)", required=False)
    warfarin = forms.BooleanField(label="I take warfarin", required=False)
    steroid = forms.BooleanField(label="I take a steroid medicine (e.g. prednisolone)", required=False)
    diuretic = forms.BooleanField(label="I take a diuretic (water tablet)", required=False)
    high_blood_pressure = forms.BooleanField(label="High blood pressure", required=False)
    heart_disease_or_stroke = forms.BooleanField(label="Heart disease, or I have had a stroke", required=False)
    asthma = forms.BooleanField(label="Asthma", required=False)
    arrhythmia_or_seizure = forms.BooleanField(label="Heart rhythm problem or seizures (epilepsy)", required=False)
    fluid_restriction = forms.BooleanField(label="My doctor told me to limit how much I drink", required=False)
    breastfeeding = forms.BooleanField(label="I am breastfeeding", required=False)
    pregnancy_weeks = forms.CharField(
        label="If pregnant: how many weeks?",
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "max": 45, "inputmode": "numeric"}),
        help_text="Leave empty if you are not pregnant.",
    )
    preferences = forms.CharField(
        label="Your preferences (optional)",
        required=False,
        help_text='For example "I would rather avoid medicines".',
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": PREFERENCES_MAX}),
    )

    def service_data(self) -> dict:
        return dict(self.cleaned_data)


class MedicationForm(forms.Form):
    """One dose: which drug (each has its own limits), how many mg, when."""

    drug = forms.ChoiceField(label="What did you take?", choices=(), widget=forms.RadioSelect, required=False)
    dose_mg = forms.CharField(
        label="How many mg?",
        required=False,
        help_text="Add up the tablets: two 500 mg tablets are 1000 mg. Count combination products too.",
        widget=forms.NumberInput(attrs={"min": 1, "inputmode": "numeric"}),
    )
    taken_at = forms.CharField(label="When? (leave empty for now)", required=False, widget=DATETIME_LOCAL)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.drugs = {drug.code: drug for drug in Drug.objects.order_by("order", "code")}
        self.fields["drug"].choices = [(code, drug.label) for code, drug in self.drugs.items()]

    def service_data(self) -> dict:
        data = self.cleaned_data
        drug = self.drugs.get(data.get("drug") or "")
        return {
            "medication_class": drug.medication_class if drug is not None else None,
            "drug": drug.code if drug is not None else None,
            "dose_mg": data.get("dose_mg"),
            "taken_at": data.get("taken_at") or None,
        }

    # The class comes from the drug picked here: a missing class is a missing drug.
    FIELD_OF_SERVICE_ERROR = {"medication_class": "drug"}


class EnrolPatientForm(forms.Form):
    email = forms.CharField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    date_of_birth = forms.CharField(label="Date of birth", widget=forms.DateInput(attrs={"type": "date"}))
    sex = forms.ChoiceField(label="Sex", choices=Sex.choices, widget=forms.RadioSelect)
    phone = forms.CharField(
        label="Phone (optional)", max_length=30, widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"})
    )
    performed_at = forms.CharField(label="Procedure date and time", widget=DATETIME_LOCAL)
    needle_type = forms.ChoiceField(label="Needle type", choices=NeedleType.choices, widget=forms.RadioSelect)
    needle_gauge = forms.CharField(
        label="Needle gauge", initial="22", widget=forms.NumberInput(attrs={"min": 18, "max": 29})
    )
    passes = forms.CharField(label="Needle passes", initial="1", widget=forms.NumberInput(attrs={"min": 1, "max": 20}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The service checks every field (the same messages as the API), all at once.
        for field in self.fields.values():
            field.required = False

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "email": data.get("email", ""),
            "first_name": data.get("first_name", ""),
            "last_name": data.get("last_name", ""),
            "date_of_birth": data.get("date_of_birth", ""),
            "sex": data.get("sex", ""),
            "phone": data.get("phone", ""),
            "procedure": {
                "performed_at": data.get("performed_at"),
                "needle_type": data.get("needle_type"),
                "needle_gauge": data.get("needle_gauge"),
                "passes": data.get("passes") or 1,
            },
        }


class AddClinicianForm(forms.Form):
    clinician = forms.ModelChoiceField(label="Clinician", queryset=None, empty_label="Choose a clinician")

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = queryset
        self.fields["clinician"].label_from_instance = lambda user: user.display_name


class PhoneForm(forms.Form):
    """The patient's own phone number (the service checks it, with the API's message)."""

    phone = forms.CharField(
        label="Your phone number",
        max_length=60,  # the service names the real limit; the browser should not cut the text silently
        required=False,
        help_text="So your care team can call you back. Leave it empty to remove it.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
