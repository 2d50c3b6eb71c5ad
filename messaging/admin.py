"""Messaging in Django admin: the red-flag words (CLINICAL.md section 8).

Message bodies, subjects and inbox items are not here: admins never read health data.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin

from messaging.models import RedFlagTerm
from messaging.red_flags import normalized
from portal.audit.services import record_audit


class RedFlagTermForm(forms.ModelForm):
    class Meta:
        model = RedFlagTerm
        fields = ["phrase"]

    def clean_phrase(self) -> str:
        phrase = normalized(self.cleaned_data["phrase"])
        if sum(ch.isalpha() for ch in phrase) < 2:
            raise forms.ValidationError("Give a word or phrase of at least 2 letters.")
        if len(phrase) > 60:
            raise forms.ValidationError("Keep the phrase to at most 60 characters.")
        others = RedFlagTerm.objects.exclude(pk=self.instance.pk)
        if others.filter(phrase=phrase).exists():
            raise forms.ValidationError(f"“{phrase}” is already a red-flag word.")
        return phrase


@admin.register(RedFlagTerm)
class RedFlagTermAdmin(admin.ModelAdmin):
    form = RedFlagTermForm
    list_display = ["phrase", "created_at"]
    search_fields = ["phrase"]
    fields = ["phrase"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        record_audit(actor=request.user, action="red_flag_term.change" if change else "red_flag_term.add", obj=obj)

    def delete_model(self, request, obj) -> None:
        record_audit(actor=request.user, action="red_flag_term.delete", obj=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for term in queryset:
            record_audit(actor=request.user, action="red_flag_term.delete", obj=term)
        super().delete_queryset(request, queryset)
