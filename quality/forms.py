"""Web forms of the quality pages. They only collect and render: the services
validate (the same rules and messages as the API)."""

from __future__ import annotations

from django import forms

from quality.services import MAX_COMMENT

SCORES = [(str(score), str(score)) for score in range(1, 6)]


class FeedbackForm(forms.Form):
    clarity = forms.ChoiceField(
        label="How clear were the information and advice you got in Aftercare?",
        choices=SCORES,
        required=False,
        widget=forms.RadioSelect,
    )
    responsiveness = forms.ChoiceField(
        label="How quickly did your care team respond when you needed them?",
        choices=SCORES,
        required=False,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Anything else you want to tell the clinic? (optional)",
        help_text="Read by the clinic's quality team without your name, not at once: for anything about your "
        "health, use Messages or call the clinic.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_COMMENT}),
    )

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {name: data.get(name) or None for name in ("clarity", "responsiveness")} | {
            "comment": data.get("comment", "")
        }


class PeriodForm(forms.Form):
    """The period picker: parsed by ``quality.period.parse_period``, which names any
    problem by its parameter (``from``, ``to``)."""

    first_day = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    last_day = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
