"""Each drug of the medication log gets its own label limits (CLINICAL.md section 5,
changed on 2026-12-05): acetaminophen 3,000 mg (500 mg products) or 3,250 mg (325 mg
products) and never above 4,000 mg; ibuprofen 1,200 mg; naproxen sodium 660 mg;
caffeine 300 mg (less than 200 mg pregnant, at most 300 mg breastfeeding), never
above 400 mg unless prescribed.

1. Create ``Drug`` and seed it. The caps of the drugs that existed before (the
   classes' own caps) are taken from the ``MedicationPolicy`` rows as an admin may
   have edited them; naproxen and the 325 mg products are new.
2. Every existing dose gets its drug: acetaminophen and caffeine doses their own,
   and NSAID doses ibuprofen, the only NSAID the log knew (its cap was ibuprofen's).
3. The class rows lose their caps (they live on the drugs now); their cap text keeps
   only what the numbers do not say, unless an admin has rewritten it.
4. A dose may be larger than 5,000 mg (a real overdose must reach the alert); each
   drug's ``largest_dose_mg`` refuses typing errors, under a ceiling the database keeps.
"""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

CEILING = 1_000_000

DRUGS = [
    # code, class, ingredient, (label, name), default, cap, pregnancy, breastfeeding, never above, largest dose, citation
    # The largest single dose is a pack of 100 of the strongest over-the-counter tablet:
    # more than any product holds, so above it is a typing error, below it a dose that
    # may really have been taken (an overdose must reach the alert, not a refusal).
    (
        "acetaminophen",
        "acetaminophen",
        "acetaminophen",
        ("Acetaminophen 500 mg, or not sure", "acetaminophen"),
        True,
        ("acetaminophen", "daily_cap_mg", 3000),
        None,
        None,
        ("acetaminophen", "never_above_mg", 4000),
        50000,
        "APAP",
    ),
    (
        "acetaminophen_325",
        "acetaminophen",
        "acetaminophen",
        ("Acetaminophen 325 mg", "acetaminophen"),
        False,
        3250,
        None,
        None,
        ("acetaminophen", "never_above_mg", 4000),
        32500,
        "APAP",
    ),
    (
        "ibuprofen",
        "nsaid",
        "ibuprofen",
        ("Ibuprofen (Advil, Motrin)", "ibuprofen"),
        True,
        ("nsaid", "daily_cap_mg", 1200),
        None,
        None,
        None,
        20000,
        "IBU",
    ),
    ("naproxen", "nsaid", "naproxen", ("Naproxen sodium (Aleve)", "naproxen sodium"), False, 660, None, None, None, 22000, "IBU"),
    (
        "caffeine",
        "caffeine",
        "caffeine",
        ("Caffeine (coffee, tea, cola, tablets)", "caffeine"),
        True,
        ("caffeine", "daily_cap_mg", 300),
        ("caffeine", "pregnancy_cap_mg", 200),
        ("caffeine", "breastfeeding_cap_mg", 300),
        ("caffeine", "never_above_mg", 400),
        20000,
        "FDACAF, ACOG462",
    ),
]

# The seeded cap texts of 0003 -> the words the drugs' numbers do not say.
CAP_TEXTS = {
    "acetaminophen": (
        "At most 3,000 mg in 24 hours with 500 mg tablets, or 3,250 mg with 325 mg tablets; "
        "never more than 4,000 mg. Count the acetaminophen in combination products too.",
        "Count the acetaminophen in combination products (many cold, flu and pain remedies) too.",
    ),
    "nsaid": (
        "At most 1,200 mg of ibuprofen in 24 hours (the over-the-counter limit).",
        "Do not combine two different NSAIDs (for example ibuprofen and naproxen) within 24 hours.",
    ),
    "caffeine": (
        "At most 300 mg a day from all sources (coffee, tea, cola, tablets); less than 200 mg if you are "
        "pregnant; no more than 300 mg if you are breastfeeding; never above 400 mg unless prescribed.",
        "Count every source: coffee, tea, cola and tablets. The absolute maximum holds unless your clinician "
        "prescribed more.",
    ),
}


def seed_drugs(apps, schema_editor):
    Drug = apps.get_model("patients", "Drug")
    MedicationPolicy = apps.get_model("patients", "MedicationPolicy")
    MedicationDose = apps.get_model("patients", "MedicationDose")
    policies = {policy.medication_class: policy for policy in MedicationPolicy.objects.all()}

    def value(spec):
        if not isinstance(spec, tuple):
            return spec
        medication_class, field, default = spec
        policy = policies.get(medication_class)
        found = getattr(policy, field, None) if policy is not None else None
        return default if found is None else found

    for order, row in enumerate(DRUGS, start=1):
        code, medication_class, ingredient, (label, name), default, cap, pregnant, breastfeeding, never, largest, cite = row
        Drug.objects.update_or_create(
            code=code,
            defaults={
                "medication_class": medication_class,
                "ingredient": ingredient,
                "label": label,
                "name": name,
                "class_default": default,
                "daily_cap_mg": value(cap),
                "pregnancy_cap_mg": value(pregnant),
                "breastfeeding_cap_mg": value(breastfeeding),
                "never_above_mg": value(never),
                "largest_dose_mg": largest,
                "citation": cite,
                "order": order,
            },
        )
    for medication_class, code in (("acetaminophen", "acetaminophen"), ("nsaid", "ibuprofen"), ("caffeine", "caffeine")):
        MedicationDose.objects.filter(medication_class=medication_class, drug__isnull=True).update(
            drug=Drug.objects.get(code=code)
        )
    for medication_class, (seeded, words) in CAP_TEXTS.items():
        MedicationPolicy.objects.filter(medication_class=medication_class, cap_text=seeded).update(cap_text=words)
    MedicationPolicy.objects.filter(medication_class="nsaid", label="NSAID (ibuprofen)").update(
        label="NSAID (ibuprofen or naproxen)",
        examples="Ibuprofen (Advil, Motrin), naproxen sodium (Aleve); the class also includes aspirin",
    )


def restore_class_caps(apps, schema_editor):
    """Backwards: the class caps again, from each class's default drug."""
    Drug = apps.get_model("patients", "Drug")
    MedicationPolicy = apps.get_model("patients", "MedicationPolicy")
    for drug in Drug.objects.filter(class_default=True):
        MedicationPolicy.objects.filter(medication_class=drug.medication_class).update(
            daily_cap_mg=drug.daily_cap_mg,
            pregnancy_cap_mg=drug.pregnancy_cap_mg,
            breastfeeding_cap_mg=drug.breastfeeding_cap_mg,
            never_above_mg=drug.never_above_mg,
        )
    for medication_class, (seeded, words) in CAP_TEXTS.items():
        MedicationPolicy.objects.filter(medication_class=medication_class, cap_text=words).update(cap_text=seeded)


CLASS_CHOICES = [
    ("acetaminophen", "Acetaminophen (paracetamol)"),
    ("nsaid", "NSAID (ibuprofen or naproxen)"),
    ("caffeine", "Caffeine"),
]


class Migration(migrations.Migration):
    dependencies = [("patients", "0003_seed_pain_plan_and_thresholds")]

    operations = [
        migrations.CreateModel(
            name="Drug",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.SlugField(max_length=32, unique=True)),
                ("medication_class", models.CharField(choices=CLASS_CHOICES, max_length=16)),
                (
                    "ingredient",
                    models.SlugField(
                        help_text="Doses of one ingredient are added up over 24 hours, whichever product they came from.",
                        max_length=32,
                    ),
                ),
                (
                    "label",
                    models.CharField(
                        help_text="What the patient picks on the log, e.g. 'Naproxen sodium (Aleve)'.", max_length=80
                    ),
                ),
                (
                    "name",
                    models.CharField(help_text="The drug inside a sentence, e.g. 'naproxen sodium'.", max_length=40),
                ),
                (
                    "class_default",
                    models.BooleanField(
                        default=False,
                        help_text="The drug a dose of this class is when none is named (NSAID: ibuprofen).",
                    ),
                ),
                (
                    "daily_cap_mg",
                    models.PositiveIntegerField(
                        help_text="The label's cap in 24 hours: the log warns at it (>=).",
                        validators=[django.core.validators.MinValueValidator(1)],
                    ),
                ),
                (
                    "pregnancy_cap_mg",
                    models.PositiveIntegerField(
                        blank=True, null=True, validators=[django.core.validators.MinValueValidator(1)]
                    ),
                ),
                (
                    "breastfeeding_cap_mg",
                    models.PositiveIntegerField(
                        blank=True, null=True, validators=[django.core.validators.MinValueValidator(1)]
                    ),
                ),
                (
                    "never_above_mg",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="The absolute maximum in 24 hours: above it (>) is urgent, with the Poison Control text.",
                        null=True,
                        validators=[django.core.validators.MinValueValidator(1)],
                    ),
                ),
                (
                    "largest_dose_mg",
                    models.PositiveIntegerField(
                        help_text="More than any product holds (a large pack of the strongest over-the-counter "
                        "tablet): a single dose above it is refused as a typing error.",
                        validators=[
                            django.core.validators.MinValueValidator(1),
                            django.core.validators.MaxValueValidator(CEILING),
                        ],
                    ),
                ),
                ("citation", models.CharField(max_length=64)),
                ("order", models.PositiveSmallIntegerField(default=0)),
            ],
            options={"ordering": ["order", "code"]},
        ),
        migrations.AddConstraint(
            model_name="drug",
            constraint=models.UniqueConstraint(
                condition=models.Q(("class_default", True)),
                fields=("medication_class",),
                name="one_default_drug_per_class",
            ),
        ),
        migrations.AddField(
            model_name="medicationdose",
            name="drug",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="patients.drug"
            ),
        ),
        # Nullable before the data step, so that going backwards can fill it again.
        migrations.AlterField(
            model_name="medicationpolicy", name="daily_cap_mg", field=models.PositiveIntegerField(null=True)
        ),
        migrations.RunPython(seed_drugs, restore_class_caps),
        migrations.AlterField(
            model_name="medicationdose",
            name="drug",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="patients.drug"),
        ),
        migrations.RemoveField(model_name="medicationpolicy", name="breastfeeding_cap_mg"),
        migrations.RemoveField(model_name="medicationpolicy", name="daily_cap_mg"),
        migrations.RemoveField(model_name="medicationpolicy", name="never_above_mg"),
        migrations.RemoveField(model_name="medicationpolicy", name="pregnancy_cap_mg"),
        migrations.AlterField(
            model_name="medicationpolicy",
            name="cap_text",
            field=models.CharField(
                blank=True,
                help_text="Shown under the limits of the class's drugs (which come from the drugs), e.g. "
                "'Count combination products too.'",
                max_length=300,
            ),
        ),
        migrations.AlterField(
            model_name="medicationpolicy",
            name="medication_class",
            field=models.CharField(choices=CLASS_CHOICES, max_length=16, unique=True),
        ),
        migrations.AlterField(
            model_name="medicationdose",
            name="medication_class",
            field=models.CharField(choices=CLASS_CHOICES, max_length=16),
        ),
        migrations.RemoveConstraint(model_name="medicationdose", name="dose_mg_1_5000"),
        migrations.AlterField(
            model_name="medicationdose",
            name="dose_mg",
            field=models.PositiveIntegerField(
                validators=[
                    django.core.validators.MinValueValidator(1),
                    django.core.validators.MaxValueValidator(CEILING),
                ]
            ),
        ),
        migrations.AddConstraint(
            model_name="medicationdose",
            constraint=models.CheckConstraint(
                condition=models.Q(("dose_mg__gte", 1), ("dose_mg__lte", CEILING)), name="dose_mg_1_to_ceiling"
            ),
        ),
    ]
