"""Admin: the analyte reference data is editable (CLINICAL.md section 4 is data).

Lab reports and requests are not registered: admins manage accounts and rules,
never patients' results (DESIGN.md, "Users and what each may see").
"""

from django.contrib import admin

from labs.models import Analyte, AnalyteUnit


class AnalyteUnitInline(admin.TabularInline):
    model = AnalyteUnit
    extra = 0
    fields = ["unit", "ucum_unit", "factor", "shown_alongside", "order"]
    verbose_name = "other accepted unit"


@admin.register(Analyte)
class AnalyteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "unit", "loinc_code", "range_text", "range_rule", "review_when", "citation"]
    list_filter = ["specimen", "range_rule", "review_when"]
    search_fields = ["code", "name"]
    readonly_fields = ["code", "computed", "updated_at"]
    fieldsets = [
        (None, {"fields": ["code", "name", "short_name", "specimen", "display_order", "citation", "updated_at"]}),
        ("Units", {"fields": ["unit", "ucum_unit", "decimal_places"]}),
        (
            "Code for other systems (HL7 FHIR)",
            {
                "fields": ["loinc_code", "loinc_display"],
                "description": "How lab systems and patient apps name this result (interop/). A lab result sent "
                "with this LOINC code is stored as this analyte.",
            },
        ),
        (
            "Usual range",
            {
                "fields": [
                    "range_text",
                    "default_low",
                    "low_inclusive",
                    "default_high",
                    "high_inclusive",
                    "borderline_low",
                    "range_rule",
                    "age_divisor",
                    "female_age_offset",
                ]
            },
        ),
        ("Clinician review", {"fields": ["review_when"]}),
        ("Explanations", {"fields": ["explanation", "clinician_note", "computed"]}),
    ]
    inlines = [AnalyteUnitInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Values point at these rows; a code is retired by editing, not deleting.
        return False

    def has_add_permission(self, request) -> bool:
        # A new analyte needs code that understands it (units, rules): migrations add them.
        return False
