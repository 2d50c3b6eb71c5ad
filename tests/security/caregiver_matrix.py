"""The permission matrix's caregiver personas (issue 20): every row of
tests/security/matrix.py requested as three caregivers of patient A (world.py):

- ``caregiver_logs``: A allows them to log symptoms;
- ``caregiver_follows``: A allows reading only;
- ``caregiver_revoked``: A revoked them.

A caregiver is a signed-in user without a clinical role and without TOTP, like patient
B, so a row not listed here has patient B's outcome for all three; ``CAREGIVER_MATRIX``
lists every row where a caregiver's answer differs: what they read of A's record
(``?patient=`` reads, the chosen patient's pages), their own pages, and the patient-only
pages and endpoints they never reach (403 for the role; a revoked one's A reads: 404).
tests/security/test_caregiver_matrix.py requests them all.
"""

from __future__ import annotations

from tests.security.matrix import MATRIX, PERSONAS

CAREGIVER_PERSONAS = ("caregiver_logs", "caregiver_follows", "caregiver_revoked")

# fmt: off
CAREGIVER_MATRIX: dict[tuple, tuple] = {
    #  (method, route[, variant])                                             logs follows revoked
    ('GET', 'alerts/'):                                                     (200, 200, 404),
    ('POST', 'alerts/'):                                                    (200, 200, 404),
    ('GET', 'alerts/<int:alert_id>/'):                                      (200, 200, 404),
    ('POST', 'alerts/<int:alert_id>/'):                                     (200, 200, 404),
    ('GET', 'access-log/'):                                                 (403, 403, 403),
    ('POST', 'access-log/'):                                                (403, 403, 403),
    ('GET', 'api/v1/access-log/'):                                          (403, 403, 403),
    ('GET', 'api/v1/alerts/'):                                              (200, 200, 404),
    ('GET', 'api/v1/alerts/<int:alert_id>/'):                               (403, 403, 403),
    ('GET', 'api/v1/attachments/<int:attachment_id>/'):                     (403, 403, 403),
    ('GET', 'api/v1/care-team/'):                                           (403, 403, 403),
    ('POST', 'api/v1/care-team/'):                                          (403, 403, 403),
    ('DELETE', 'api/v1/care-team/<int:grant_id>/'):                         (403, 403, 403),
    ('GET', 'api/v1/caregivers/'):                                          (403, 403, 403),
    ('POST', 'api/v1/caregivers/'):                                         (403, 403, 403),
    ('DELETE', 'api/v1/caregivers/<int:grant_id>/'):                        (403, 403, 403),
    ('PATCH', 'api/v1/caregivers/<int:grant_id>/'):                         (403, 403, 403),
    ('PATCH', 'api/v1/caregiving/<int:patient_id>/'):                       (200, 200, 404),
    ('GET', 'api/v1/feedback/'):                                            (403, 403, 403),
    ('POST', 'api/v1/feedback/'):                                           (403, 403, 403),
    ('GET', 'api/v1/lab-reports/'):                                         (200, 200, 404),
    ('GET', 'api/v1/lab-reports/<int:pk>/'):                                (403, 403, 403),
    ('GET', 'api/v1/lab-reports/<int:pk>/', 'unreleased'):                  (403, 403, 403),
    ('GET', 'api/v1/lab-reports/<int:pk>/file/'):                           (403, 403, 403),
    ('GET', 'api/v1/lab-reports/<int:pk>/file/', 'unreleased'):             (403, 403, 403),
    ('GET', 'api/v1/lab-requests/'):                                        (403, 403, 403),
    ('GET', 'api/v1/lab-requests/', 'own'):                                 (403, 403, 403),
    ('POST', 'api/v1/lab-requests/'):                                       (403, 403, 403),
    ('GET', 'api/v1/lab-requests/<int:pk>/'):                               (403, 403, 403),
    ('GET', 'api/v1/medications/'):                                         (403, 403, 403),
    ('GET', 'api/v1/medications/', 'own'):                                  (403, 403, 403),
    ('POST', 'api/v1/medications/'):                                        (403, 403, 403),
    ('GET', 'api/v1/pain-plan/'):                                           (200, 200, 404),
    ('GET', 'api/v1/patients/'):                                            (403, 403, 403),
    ('GET', 'api/v1/patients/<int:patient_id>/'):                           (403, 403, 403),
    ('PATCH', 'api/v1/patients/<int:patient_id>/'):                         (403, 403, 403),
    ('PATCH', 'api/v1/patients/<int:patient_id>/', 'no_change'):            (403, 403, 403),
    ('GET', 'api/v1/symptoms/'):                                            (200, 200, 404),
    ('GET', 'api/v1/symptoms/', 'own'):                                     (400, 400, 400),
    ('POST', 'api/v1/symptoms/'):                                           (400, 400, 400),
    ('POST', 'api/v1/symptoms/', 'for_a'):                                  (201, 400, 404),
    ('POST', 'api/v1/symptoms/<int:entry_id>/entered-in-error/'):           (403, 403, 403),
    ('GET', 'api/v1/symptoms/trend/'):                                      (200, 200, 404),
    ('GET', 'api/v1/threads/'):                                             (403, 403, 403),
    ('POST', 'api/v1/threads/'):                                            (403, 403, 403),
    ('POST', 'api/v1/threads/', 'own'):                                     (403, 403, 403),
    ('GET', 'api/v1/threads/<int:thread_id>/'):                             (403, 403, 403),
    ('GET', 'api/v1/threads/<int:thread_id>/messages/'):                    (403, 403, 403),
    ('POST', 'api/v1/threads/<int:thread_id>/messages/'):                   (403, 403, 403),
    ('GET', 'care-team/'):                                                  (403, 403, 403),
    ('POST', 'care-team/'):                                                 (403, 403, 403),
    ('GET', 'care-team/<int:grant_id>/revoke/'):                            (403, 403, 403),
    ('POST', 'care-team/<int:grant_id>/revoke/'):                           (403, 403, 403),
    ('GET', 'caregivers/'):                                                 (403, 403, 403),
    ('POST', 'caregivers/'):                                                (403, 403, 403),
    ('GET', 'caregivers/<int:grant_id>/'):                                  (403, 403, 403),
    ('POST', 'caregivers/<int:grant_id>/'):                                 (403, 403, 403),
    ('GET', 'caregivers/<int:grant_id>/revoke/'):                           (403, 403, 403),
    ('POST', 'caregivers/<int:grant_id>/revoke/'):                          (403, 403, 403),
    ('POST', 'caregiving/<int:patient_id>/emails/'):                        (302, 302, 404),
    ('GET', 'diary/'):                                                      (200, 403, 404),
    ('POST', 'diary/'):                                                     (200, 403, 404),
    ('GET', 'feedback/'):                                                   (403, 403, 403),
    ('POST', 'feedback/'):                                                  (403, 403, 403),
    ('GET', 'fhir/R4/Patient/<str:patient_id>/$everything'):                (200, 200, 404),
    ('GET', 'history/'):                                                    (200, 200, 404),
    ('POST', 'history/'):                                                   (200, 200, 404),
    ('GET', 'labs/'):                                                       (200, 200, 404),
    ('POST', 'labs/'):                                                      (200, 200, 404),
    ('GET', 'labs/reports/<int:pk>/'):                                      (200, 200, 404),
    ('GET', 'labs/reports/<int:pk>/', 'unreleased'):                        (404, 404, 404),
    ('POST', 'labs/reports/<int:pk>/'):                                     (200, 200, 404),
    ('GET', 'labs/reports/<int:pk>/file/'):                                 (403, 403, 403),
    ('POST', 'labs/reports/<int:pk>/file/'):                                (403, 403, 403),
    ('GET', 'labs/requests/<int:pk>/'):                                     (403, 403, 403),
    ('POST', 'labs/requests/<int:pk>/'):                                    (403, 403, 403),
    ('GET', 'labs/requests/new/'):                                          (403, 403, 403),
    ('GET', 'labs/requests/new/', 'alert'):                                 (403, 403, 403),
    ('POST', 'labs/requests/new/'):                                         (403, 403, 403),
    ('GET', 'medications/'):                                                (403, 403, 403),
    ('POST', 'medications/'):                                               (403, 403, 403),
    ('GET', 'messages/'):                                                   (403, 403, 403),
    ('POST', 'messages/'):                                                  (403, 403, 403),
    ('GET', 'messages/<int:thread_id>/'):                                   (403, 403, 403),
    ('POST', 'messages/<int:thread_id>/'):                                  (403, 403, 403),
    ('GET', 'messages/attachments/<int:attachment_id>/'):                   (403, 403, 403),
    ('POST', 'messages/attachments/<int:attachment_id>/'):                  (403, 403, 403),
    ('GET', 'pain-plan/'):                                                  (200, 200, 404),
    ('POST', 'pain-plan/'):                                                 (200, 200, 404),
    ('GET', 'pain-plan/health/'):                                           (403, 403, 403),
    ('POST', 'pain-plan/health/'):                                          (403, 403, 403),
    ('GET', 'settings/phone/'):                                             (403, 403, 403),
    ('POST', 'settings/phone/'):                                            (403, 403, 403),
}
# fmt: on

# Rows where A's followers read A's record: A's data and name may be in the answer.
CAREGIVER_READS = {
    ("GET", ""),
    ("POST", ""),
    ("GET", "alerts/"),
    ("POST", "alerts/"),
    ("GET", "alerts/<int:alert_id>/"),
    ("POST", "alerts/<int:alert_id>/"),
    ("GET", "api/v1/alerts/"),
    ("GET", "api/v1/lab-reports/"),
    ("GET", "api/v1/pain-plan/"),
    ("GET", "api/v1/symptoms/"),
    ("POST", "api/v1/symptoms/", "for_a"),
    ("GET", "api/v1/symptoms/trend/"),
    ("GET", "api/v1/caregiving/"),
    ("PATCH", "api/v1/caregiving/<int:patient_id>/"),
    ("GET", "caregiving/"),
    ("GET", "fhir/R4/Patient/<str:patient_id>/$everything"),
    ("GET", "diary/"),
    ("POST", "diary/"),
    ("GET", "history/"),
    ("POST", "history/"),
    ("GET", "labs/"),
    ("POST", "labs/"),
    ("GET", "labs/reports/<int:pk>/"),
    ("POST", "labs/reports/<int:pk>/"),
    ("GET", "pain-plan/"),
    ("POST", "pain-plan/"),
}
# Rows where a follower's success writes to A's record: an entry for A (allowed to log),
# their own choice of A's urgent-alert emails (on their grant).
CAREGIVER_WRITES = {
    ("POST", "api/v1/symptoms/", "for_a"),
    ("POST", "diary/"),
    ("PATCH", "api/v1/caregiving/<int:patient_id>/"),
    ("POST", "caregiving/<int:patient_id>/emails/"),
}


def caregiver_outcomes(key: tuple) -> tuple:
    if key in CAREGIVER_MATRIX:
        return CAREGIVER_MATRIX[key]
    return (MATRIX[key][PERSONAS.index("patient_b")],) * len(CAREGIVER_PERSONAS)
