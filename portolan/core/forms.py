"""Form base: drop-downs restricted to what the user may see, data handed to services."""

from django import forms

from portolan.core.roles import VIEW


class PortolanModelForm(forms.ModelForm):
    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        for field in self.fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and hasattr(queryset, "restrict"):
                field.queryset = queryset.restrict(user, VIEW)
            widget = field.widget
            if isinstance(widget, forms.DateInput):
                widget.input_type = "date"
                widget.format = "%Y-%m-%d"

    def cleaned_for_service(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}
