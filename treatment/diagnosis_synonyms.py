"""What clinicians type for a diagnosis, and the words ICD-10-CM uses for it.

The search tries each expansion beside what was typed ("ptsd" also looks for descriptions with words starting
"post", "traumatic" and "stress"), so an abbreviation or lay term finds the codes it means. Keys are whole
typed words (a phrase is several), compared after `treatment.icd10cm.words` normalization; each expansion is
text written as the classification writes it. Add an entry here: no migration, no reload of the codes.
"""

SYNONYMS: dict[str, tuple[str, ...]] = {
    # Abbreviations
    "adhd": ("attention-deficit hyperactivity",),
    "add": ("attention-deficit hyperactivity",),
    "arfid": ("avoidant/restrictive food intake",),
    "asd": ("autistic disorder", "autism"),
    "aud": ("alcohol",),
    "bed": ("binge eating disorder",),
    "bpd": ("borderline personality",),
    "cud": ("cannabis",),
    "did": ("dissociative identity",),
    "gad": ("generalized anxiety",),
    "ied": ("intermittent explosive",),
    "mdd": ("major depressive",),
    "ocd": ("obsessive-compulsive",),
    "odd": ("oppositional defiant",),
    "oud": ("opioid",),
    "pdd": ("dysthymic",),
    "pmdd": ("premenstrual dysphoric",),
    "ppd": ("postpartum depression",),
    "ptsd": ("post-traumatic stress",),
    "sud": ("psychoactive substance",),
    "tbi": ("traumatic brain injury",),
    # Lay and DSM-5 terms the classification words differently
    "alcoholism": ("alcohol dependence",),
    "autism": ("autistic disorder",),
    "bereavement": ("death of family member", "prolonged grief"),
    "burnout": ("burn-out",),
    "depression": ("major depressive", "depressive episode"),
    "dysthymia": ("dysthymic",),
    "grief": ("death of family member",),
    "manic depression": ("bipolar",),
    "marital": ("relationship with spouse or partner",),
    "persistent depressive": ("dysthymic",),
    "phase of life": ("adjustment to life-cycle transitions",),
    "social anxiety": ("social phobia",),
}
