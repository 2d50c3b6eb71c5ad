"""Patient feedback on the care after a procedure (the clinic's quality figures read
everything else from the apps below this one).

One ``Feedback`` per procedure, from day 3: two scores of 1-5 and an optional comment,
sealed like a message body (context ``feedback:<pk>``; empty when there is none).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from patients.models import Patient, Procedure
from portal.crypto import open_sealed_text

SCORE_CHOICES = [(score, str(score)) for score in range(1, 6)]


class Feedback(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="feedback")
    # Once per procedure: the unique column settles two submissions at the same moment.
    procedure = models.OneToOneField(Procedure, on_delete=models.PROTECT, related_name="feedback")
    clarity = models.PositiveSmallIntegerField(choices=SCORE_CHOICES)
    responsiveness = models.PositiveSmallIntegerField(choices=SCORE_CHOICES)
    comment_sealed = models.BinaryField(default=b"", blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "feedback"
        constraints = [
            models.CheckConstraint(condition=Q(clarity__gte=1, clarity__lte=5), name="feedback_clarity_1_5"),
            models.CheckConstraint(
                condition=Q(responsiveness__gte=1, responsiveness__lte=5), name="feedback_responsiveness_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"Feedback #{self.pk}"

    @property
    def comment_seal_context(self) -> str:
        return f"feedback:{self.pk}"

    @property
    def comment(self) -> str:
        """The comment in clear, for the patient and the quality leads' page."""
        if not self.comment_sealed:
            return ""
        return open_sealed_text(bytes(self.comment_sealed), context=self.comment_seal_context)
