"""Form base: drop-downs restricted to what the user may see, data handed to services."""

from django import forms

from portolan.core.roles import CHANGE, VIEW


class PortolanModelForm(forms.ModelForm):
    # Fields naming the parent being changed (a milestone's initiative): their choices are
    # what the user may change, not merely see, so a contributor is offered their own only.
    change_fields: tuple[str, ...] = ()

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for name, field in self.fields.items():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and hasattr(queryset, "restrict"):
                field.queryset = queryset.restrict(user, CHANGE if name in self.change_fields else VIEW)
            widget = field.widget
            if isinstance(widget, forms.DateInput):
                widget.input_type = "date"
                widget.format = "%Y-%m-%d"

    def cleaned_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}
