"""The library page's form: the fields a practice writes about its own interventions."""

from django import forms

from interventions.models import Intervention

CREATE_FIELDS = ("name", "description", "modality", "category", "evidence_level")
EDIT_FIELDS = (*CREATE_FIELDS, "is_active")


class InterventionForm(forms.Form):
    """Parses and labels what the user typed; the rules (a name unique in the library, who may edit) are the
    service's, and its refusals come back as this form's errors."""

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        fields = forms.fields_for_model(Intervention, fields=EDIT_FIELDS if editing else CREATE_FIELDS)
        fields["description"].widget.attrs["rows"] = 4
        fields["evidence_level"].help_text = "How strong the research behind it is; leave empty if unknown."
        if editing:
            fields["is_active"].label = "In use"
            fields[
                "is_active"
            ].help_text = "Untick to retire it: goals that use it keep it, but it cannot be added to new ones."
        self.fields.update(fields)
