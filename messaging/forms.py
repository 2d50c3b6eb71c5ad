"""Page forms. They collect input; the services validate it (one rule book for
the pages and the API), and their ValidationErrors land on these fields."""

from __future__ import annotations

from django import forms

from messaging import services
from messaging.models import InboxPriority, InboxStatus

ACCEPT = "image/png,image/jpeg,image/gif,image/webp,application/pdf,.png,.jpg,.jpeg,.gif,.webp,.pdf"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the service checks type (by content) and size."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message",
        max_length=services.MAX_BODY_CHARS,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": services.MAX_BODY_CHARS}),
        strip=True,
    )
    attachments = MultipleFileField(
        label="Attach photos or PDFs (optional)",
        help_text="Images (PNG, JPEG, GIF, WebP) or PDF, up to 10 MB each, at most 5.",
    )
    # Set once the patient has read the urgent instruction a red-flag message shows
    # (CLINICAL.md section 8) and still wants to send it.
    send_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def hold_for_red_flag(self) -> None:
        """Show the form again, as typed, ready to be sent after the instruction."""
        self.data = self.data.copy()
        self.data[self.add_prefix("send_anyway")] = "1"


class ReplyForm(MessageForm):
    inbox_status = forms.ChoiceField(
        label="After sending, the inbox item is",
        choices=[
            (InboxStatus.WAITING, "Waiting for the patient"),
            (InboxStatus.DONE, "Done"),
            (InboxStatus.IN_PROGRESS, "Still in progress"),
        ],
        initial=InboxStatus.WAITING,
        required=False,
    )


class NewThreadForm(MessageForm):
    subject = forms.CharField(
        label="Subject (optional)",
        max_length=services.MAX_SUBJECT_CHARS,
        required=False,
        widget=forms.TextInput(attrs={"maxlength": services.MAX_SUBJECT_CHARS}),
    )
    field_order = ["patient", "subject", "body", "attachments", "send_anyway"]

    def __init__(self, *args, patients=None, **kwargs):
        super().__init__(*args, **kwargs)
        if patients is not None:
            self.fields["patient"] = forms.ModelChoiceField(
                queryset=patients, label="Patient", empty_label="Choose a patient"
            )
            self.order_fields(self.field_order)


class ForwardForm(forms.Form):
    # Any id reaches the service, which explains a clinician outside the care team.
    to = forms.IntegerField(label="Forward to", widget=forms.Select())
    priority = forms.ChoiceField(label="Priority", choices=InboxPriority.choices, initial=InboxPriority.NORMAL)
    note = forms.CharField(
        label="Note for your colleague (optional)",
        required=False,
        max_length=services.MAX_NOTE_CHARS,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": services.MAX_NOTE_CHARS}),
    )

    def __init__(self, *args, colleagues=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].widget.choices = [("", "Choose a clinician")] + [(c.pk, c.display_name) for c in colleagues]
